//! The console's front page: recurring revenue, subscriptions by state, and the last twelve
//! months of revenue and of subscriptions started and ended, for the current mode.

use crate::api::console::get_dashboard;
use crate::components::chart::{ticks, BarChart, Fill, Series};
use crate::components::error_view::Loaded;
use crate::model::{Dashboard as Figures, Money, RevenueSeries};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn Dashboard() -> impl IntoView {
    let figures = Resource::new(|| (), |_| get_dashboard());
    view! {
        <Title text="Dashboard"/>
        <h1>"Dashboard"</h1>
        <Loaded resource=figures show=|f| view! { <Figures figures=f/> }/>
    }
}

#[component]
fn Figures(figures: Figures) -> impl IntoView {
    let labels: Vec<String> = figures
        .months
        .iter()
        .map(|m| m.format("%b %y").to_string())
        .collect();
    let mrr = if figures.mrr.is_empty() {
        view! { <span class="stat-value">"—"</span> }.into_any()
    } else {
        figures
            .mrr
            .iter()
            .map(|m| view! { <span class="stat-value">{m.to_string()}</span> })
            .collect_view()
            .into_any()
    };
    let revenue = if figures.revenue.is_empty() {
        view! { <p class="muted">"No payments in the last twelve months."</p> }.into_any()
    } else {
        figures
            .revenue
            .iter()
            .map(|s| revenue_chart(s, &labels))
            .collect_view()
            .into_any()
    };
    let counts = |values: &[i64]| values.iter().map(i64::to_string).collect::<Vec<_>>();
    let movement_max = figures
        .started
        .iter()
        .chain(&figures.ended)
        .copied()
        .max()
        .unwrap_or(0);
    let movement_ticks = ticks(movement_max);
    view! {
        <p class="muted">
            {format!("{} mode. ", if figures.mode == "live" { "Live" } else { "Test" })}
            "Recurring revenue counts active and past-due subscriptions at a month's share of "
            "their price after discounts; trials are left out."
        </p>
        <section class="stats" aria-label="Subscriptions">
            <div class="stat" data-testid="mrr">
                <span class="stat-label">"Monthly recurring revenue"</span>
                {mrr}
            </div>
            <div class="stat">
                <span class="stat-label">"Active subscriptions"</span>
                <span class="stat-value" data-testid="active">{figures.active}</span>
            </div>
            <div class="stat">
                <span class="stat-label">"Trialing"</span>
                <span class="stat-value" data-testid="trialing">{figures.trialing}</span>
            </div>
            <div class="stat">
                <span class="stat-label"><a href="/admin/past-due">"Past due"</a></span>
                <span class="stat-value" data-testid="past-due">{figures.past_due}</span>
            </div>
            <div class="stat">
                <span class="stat-label">"Churned this month"</span>
                <span class="stat-value" data-testid="churned">{figures.churned_this_month}</span>
            </div>
        </section>
        <section class="card">
            <h2>"Revenue, last 12 months"</h2>
            <p class="muted small">"Collected less refunded, by the month of the payment."</p>
            {revenue}
        </section>
        <section class="card">
            <h2>"New and canceled subscriptions"</h2>
            <BarChart
                id="movements-chart".to_owned()
                title="New and canceled subscriptions per month".to_owned()
                labels=labels.clone()
                tick_labels=movement_ticks.iter().map(i64::to_string).collect()
                ticks=movement_ticks
                series=vec![
                    Series {
                        name: "New".to_owned(),
                        shown: counts(&figures.started),
                        values: figures.started.clone(),
                        fill: Fill::Solid,
                    },
                    Series {
                        name: "Canceled".to_owned(),
                        shown: counts(&figures.ended),
                        values: figures.ended.clone(),
                        fill: Fill::Hatched,
                    },
                ]
            />
        </section>
    }
}

fn revenue_chart(series: &RevenueSeries, labels: &[String]) -> impl IntoView {
    let money = |v: i64| Money::new(v, series.currency.clone()).to_string();
    let scale = ticks(series.net.iter().copied().max().unwrap_or(0));
    let code = series.currency.code().to_uppercase();
    view! {
        <h3>{code.clone()}</h3>
        <BarChart
            id=format!("revenue-chart-{}", series.currency.code())
            title=format!("Net revenue in {code} per month")
            labels=labels.to_vec()
            tick_labels=scale.iter().map(|v| money(*v)).collect()
            ticks=scale
            series=vec![Series {
                name: format!("Revenue ({code})"),
                shown: series.net.iter().map(|v| money(*v)).collect(),
                values: series.net.clone(),
                fill: Fill::Solid,
            }]
        />
    }
}
