//! "First page" / "Next page" links for keyset-paged lists whose filters and cursor live in the
//! query string (`after`).

use leptos::prelude::*;
use leptos_router::params::ParamsMap;

/// Links to the first page (when this is not it) and to the page after `next`, keeping the
/// other query parameters. Renders nothing for a single page.
#[component]
pub fn Pager(next: Option<String>, params: Memo<ParamsMap>, path: &'static str) -> impl IntoView {
    let href = move |after: Option<String>| {
        let mut p = params.get_untracked();
        match after {
            Some(after) => p.replace("after", after),
            None => {
                p.remove("after");
            }
        }
        format!("{path}{}", p.to_query_string())
    };
    let paged = params.with_untracked(|p| p.get("after").is_some_and(|a| !a.is_empty()));
    let first = paged.then(|| href(None));
    let next = next.map(|n| href(Some(n)));
    (first.is_some() || next.is_some()).then(|| {
        view! {
            <nav class="pager" aria-label="Pages">
                {first.map(|href| view! { <a href=href>"First page"</a> })}
                {next.map(|href| view! { <a href=href class="button">"Next page"</a> })}
            </nav>
        }
    })
}

/// One page of a keyset-paged list: its table in a card, or `empty` when the page has no rows,
/// then the [`Pager`].
#[component]
pub fn PagedTable(
    next: Option<String>,
    params: Memo<ParamsMap>,
    path: &'static str,
    has_rows: bool,
    /// What to say in place of the table when the page has no rows.
    empty: &'static str,
    /// The table's class, for its column styles.
    #[prop(optional)]
    class: Option<&'static str>,
    /// The table's head and body.
    children: Children,
) -> impl IntoView {
    let rows = if has_rows {
        view! {
            <section class="card table-card">
                <table class=class>{children()}</table>
            </section>
        }
        .into_any()
    } else {
        view! { <p class="muted card">{empty}</p> }.into_any()
    };
    view! { {rows} <Pager next params path/> }
}
