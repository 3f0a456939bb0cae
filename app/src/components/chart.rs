//! A bar chart drawn as SVG on the server and in the browser alike: no script, no canvas.
//! Series differ by fill pattern as well as colour and each has a text legend, so the chart
//! reads without colour; the exact figures are in a table beside it.

use leptos::prelude::*;

/// How a series' bars are filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    Solid,
    Hatched,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    pub name: String,
    pub values: Vec<i64>,
    /// Each value as people read it ("$1,234.00", "12").
    pub shown: Vec<String>,
    pub fill: Fill,
}

const WIDTH: i64 = 720;
const HEIGHT: i64 = 240;
const LEFT: i64 = 84;
const BOTTOM: i64 = 28;
const TOP: i64 = 12;

/// Up to five round steps from zero to at least `max`: 0, 250, 500, 750, 1000.
pub fn ticks(max: i64) -> Vec<i64> {
    let max = max.max(1);
    let rough = (max + 3) / 4;
    let magnitude = 10_i64.pow(rough.max(1).ilog10());
    let step = [1, 2, 5, 10]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= rough)
        .unwrap_or(rough);
    (0..=4)
        .map(|i| i * step)
        .take_while(|v| *v - step < max)
        .collect()
}

/// `labels` name the groups along the x axis; `tick_labels` are [`ticks`] as people read them.
#[component]
pub fn BarChart(
    /// Unique on the page: names the patterns and the accessible title.
    id: String,
    title: String,
    labels: Vec<String>,
    series: Vec<Series>,
    ticks: Vec<i64>,
    tick_labels: Vec<String>,
) -> impl IntoView {
    let top_tick = ticks.last().copied().unwrap_or(1).max(1);
    let plot_h = HEIGHT - TOP - BOTTOM;
    let plot_w = WIDTH - LEFT - 8;
    let groups = i64::try_from(labels.len()).unwrap_or(1).max(1);
    let group_w = plot_w / groups;
    let bars = i64::try_from(series.len()).unwrap_or(1).max(1);
    let bar_w = (group_w * 7 / 10 / bars).max(2);
    let y_of = move |v: i64| TOP + plot_h - v.clamp(0, top_tick) * plot_h / top_tick;
    let hatch = format!("{id}-hatch");
    let title_id = format!("{id}-title");
    let labelled_by = title_id.clone();

    let grid = ticks
        .iter()
        .zip(&tick_labels)
        .map(|(v, label)| {
            let y = y_of(*v);
            view! {
                <line class="grid" x1=LEFT x2=WIDTH - 8 y1=y y2=y/>
                <text class="tick" x=LEFT - 6 y=y + 4 text-anchor="end">{label.clone()}</text>
            }
        })
        .collect_view();
    let x_labels = labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let x = LEFT + i64::try_from(i).unwrap_or(0) * group_w + group_w / 2;
            view! { <text class="tick" x=x y=HEIGHT - 8 text-anchor="middle">{label.clone()}</text> }
        })
        .collect_view();
    let rects = series
        .iter()
        .enumerate()
        .flat_map(|(s, serie)| {
            let fill = match serie.fill {
                Fill::Solid => "bar solid".to_owned(),
                Fill::Hatched => "bar hatched".to_owned(),
            };
            let pattern = (serie.fill == Fill::Hatched).then(|| format!("url(#{hatch})"));
            let s = i64::try_from(s).unwrap_or(0);
            serie
                .values
                .iter()
                .zip(&serie.shown)
                .zip(&labels)
                .enumerate()
                .map(move |(i, ((value, shown), label))| {
                    let i = i64::try_from(i).unwrap_or(0);
                    let x = LEFT + i * group_w + (group_w - bar_w * bars) / 2 + s * bar_w;
                    let y = y_of(*value);
                    let h = (TOP + plot_h - y).max(if *value > 0 { 1 } else { 0 });
                    view! {
                        <rect class=fill.clone() x=x y=TOP + plot_h - h width=bar_w - 2 height=h
                            fill=pattern.clone()>
                            <title>{format!("{label}, {}: {shown}", serie.name)}</title>
                        </rect>
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect_view();
    let legend = series
        .iter()
        .map(|s| {
            let swatch = match s.fill {
                Fill::Solid => "swatch solid",
                Fill::Hatched => "swatch hatched",
            };
            view! { <li><span class=swatch aria-hidden="true"></span>{s.name.clone()}</li> }
        })
        .collect_view();
    let head = series
        .iter()
        .map(|s| view! { <th scope="col" class="num">{s.name.clone()}</th> })
        .collect_view();
    let rows = labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let cells = series
                .iter()
                .map(|s| view! { <td class="num">{s.shown.get(i).cloned().unwrap_or_default()}</td> })
                .collect_view();
            view! { <tr><th scope="row">{label.clone()}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <figure class="chart" data-testid=id.clone()>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-labelledby=labelled_by>
                <title id=title_id>{title.clone()}</title>
                <defs>
                    <pattern id=hatch patternUnits="userSpaceOnUse" width="6" height="6"
                        patternTransform="rotate(45)">
                        <rect class="hatch-ground" width="6" height="6"/>
                        <line class="hatch-line" x1="0" y1="0" x2="0" y2="6"/>
                    </pattern>
                </defs>
                {grid}
                {rects}
                {x_labels}
            </svg>
            <figcaption>
                <ul class="legend">{legend}</ul>
                <details>
                    <summary>"Figures"</summary>
                    <table class="chart-data">
                        <caption class="visually-hidden">{title}</caption>
                        <thead><tr><th scope="col">"Month"</th>{head}</tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </details>
            </figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_reach_the_maximum() {
        assert_eq!(ticks(0), vec![0, 1]);
        assert_eq!(ticks(7), vec![0, 2, 4, 6, 8]);
        assert_eq!(ticks(1000), vec![0, 500, 1000]);
        assert!(ticks(123_456).last().copied().unwrap_or(0) >= 123_456);
    }
}
