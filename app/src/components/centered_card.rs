use leptos::prelude::*;

/// A single card in the middle of the page: sign-in, sign-up, and the error pages.
#[component]
pub fn CenteredCard(heading: &'static str, children: Children) -> impl IntoView {
    view! {
        <main class="centered">
            <div class="card narrow">
                <h1>{heading}</h1>
                {children()}
            </div>
        </main>
    }
}
