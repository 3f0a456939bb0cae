use crate::components::centered_card::CenteredCard;
use crate::components::status::set_http_status;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    set_http_status(404);
    view! {
        <Title text="Page not found"/>
        <CenteredCard heading="Page not found">
            <p>"There is nothing at this address."</p>
            <a class="button" href="/">"Go home"</a>
        </CenteredCard>
    }
}
