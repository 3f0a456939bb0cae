use crate::api::admin::get_admin_overview;
use crate::components::error_view::ErrorView;
use crate::components::product_table::ProductTable;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn Overview() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_admin_overview());
    view! {
        <Title text="Overview"/>
        <h1>"Overview"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                {move || Suspend::new(async move {
                    overview.await.map(|o| view! {
                        <section class="stats" aria-label="Accounts">
                            <div class="stat">
                                <span class="stat-label">"Members"</span>
                                <span class="stat-value">{o.members}</span>
                            </div>
                            <div class="stat">
                                <span class="stat-label">"New members, last 30 days"</span>
                                <span class="stat-value">{o.members_last_30_days}</span>
                            </div>
                            <div class="stat">
                                <span class="stat-label">"Admins"</span>
                                <span class="stat-value">{o.admins}</span>
                            </div>
                        </section>
                        <section class="card">
                            <h2>"Newest accounts"</h2>
                            <table>
                                <thead>
                                    <tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Joined"</th></tr>
                                </thead>
                                <tbody>
                                    {o.newest_accounts.into_iter().map(|m| view! {
                                        <tr>
                                            <td>{m.name}</td>
                                            <td>{m.email}</td>
                                            <td>{m.role.as_str()}</td>
                                            <td>{m.created_at.format("%Y-%m-%d").to_string()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                        <section class="card">
                            <h2>"Catalog (test mode)"</h2>
                            <ProductTable products=o.products/>
                        </section>
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}
