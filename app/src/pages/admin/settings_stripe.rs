//! Settings > Payment platform: Stripe keys (write-only), tax options, verify, webhook.

use crate::api::settings::{
    get_stripe_settings, RegisterStripeWebhook, SaveStripeSettings, VerifyStripeConnection,
};
use crate::components::error_view::{ErrorView, FormError};
use crate::components::form_fields::{FieldError, YesNo};
use crate::model::{AppError, KeyField, StripeMode, StripeSettingsView, TaxBehavior};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn StripeSettings() -> impl IntoView {
    let save = ServerAction::<SaveStripeSettings>::new();
    let register = ServerAction::<RegisterStripeWebhook>::new();
    let settings = Resource::new(
        move || (save.version().get(), register.version().get()),
        |_| get_stripe_settings(),
    );
    view! {
        <Title text="Payment platform"/>
        <h1>"Payment platform"</h1>
        <p class="muted">"Stripe keys, tax and invoices. Secret keys are stored encrypted and never shown again."</p>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                {move || Suspend::new(async move {
                    settings.await.map(|s| view! {
                        <SettingsForm settings=s.clone() save/>
                        <VerifyCard/>
                        <WebhookCard settings=s register/>
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn SettingsForm(
    settings: StripeSettingsView,
    save: ServerAction<SaveStripeSettings>,
) -> impl IntoView {
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let saved = move || matches!(save.value().get(), Some(Ok(_)));
    let pending = save.pending();
    let s = settings;
    view! {
        <ActionForm action=save attr:class="card settings-form">
            <h2>"Stripe account"</h2>
            <div class="grid-2">
                <YesNo name="form[enabled]" label="Enabled" value=s.enabled/>
                <label>
                    "Mode"
                    <select name="form[mode]">
                        <option value="test" selected=s.mode == StripeMode::Test>"Test"</option>
                        <option value="live" selected=s.mode == StripeMode::Live>"Live"</option>
                    </select>
                </label>
            </div>
            <FieldError error field="mode"/>
            <ModeKeysFields mode=StripeMode::Test keys=s.test.clone() error/>
            <ModeKeysFields mode=StripeMode::Live keys=s.live.clone() error/>
            <h2>"Tax and invoices"</h2>
            <div class="grid-2">
                <YesNo name="form[automatic_tax]" label="Automatic tax" value=s.automatic_tax/>
                <YesNo name="form[tax_id_collection]" label="Tax ID collection" value=s.tax_id_collection/>
                <YesNo name="form[use_stripe_invoice_pdf]" label="Use Stripe invoice PDF" value=s.use_stripe_invoice_pdf/>
                <label>
                    "Tax billing behaviour"
                    <select name="form[tax_behavior]">
                        <option value="bypass" selected=s.tax_behavior == TaxBehavior::Bypass>
                            "Bypass taxes"
                        </option>
                        <option
                            value="require_billing_address"
                            selected=s.tax_behavior == TaxBehavior::RequireBillingAddress
                        >
                            "Require billing address"
                        </option>
                    </select>
                </label>
            </div>
            <details>
                <summary>"Advanced"</summary>
                <label>
                    "Stripe API base URL"
                    {if s.api_base_from_env {
                        view! {
                            <input type="hidden" name="form[api_base]" value=""/>
                            <span class="hint">{format!("{} (set by STRIPE_API_BASE in the environment)", s.api_base)}</span>
                        }.into_any()
                    } else {
                        // Only bases the server's environment allows; a saved base that is no
                        // longer allowed stays visible so the admin sees what must change.
                        let mut choices = s.api_base_choices.clone();
                        if !choices.contains(&s.api_base) {
                            choices.push(s.api_base.clone());
                        }
                        let current = s.api_base.clone();
                        let allowed = s.api_base_choices.clone();
                        // The server lists Stripe's own base first.
                        let stripe = allowed.first().cloned();
                        view! {
                            <select name="form[api_base]">
                                {choices.into_iter().map(|base| {
                                    let label = if !allowed.contains(&base) {
                                        format!("{base} (not allowed any more)")
                                    } else if Some(&base) == stripe.as_ref() {
                                        format!("{base} (Stripe)")
                                    } else {
                                        base.clone()
                                    };
                                    view! {
                                        <option value=base.clone() selected=base == current>{label}</option>
                                    }
                                }).collect_view()}
                            </select>
                            <span class="hint">
                                "Other bases are listed by PAYDESK_STRIPE_API_BASES in the server's environment. Changing the base needs the secret keys entered again."
                            </span>
                        }.into_any()
                    }}
                </label>
                <FieldError error field="api_base"/>
            </details>
            <FormError error/>
            {move || saved().then(|| view! { <p class="alert alert-ok" role="status">"Settings saved."</p> })}
            <button type="submit" class="button primary" disabled=pending>
                {move || if pending.get() { "Saving…" } else { "Save settings" }}
            </button>
        </ActionForm>
    }
}

/// One mode's three keys. Secrets show their hint and a Replace button; the input only
/// appears on demand, and an empty input keeps the stored value.
#[component]
fn ModeKeysFields(
    mode: StripeMode,
    keys: crate::model::ModeKeys,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let m = mode.as_str();
    // Field names as the server's validation errors name them; the posted name derives from them.
    let (publishable_field, secret_field, webhook_field) = match mode {
        StripeMode::Test => (
            "test_publishable_key",
            "test_secret_key",
            "test_webhook_secret",
        ),
        StripeMode::Live => (
            "live_publishable_key",
            "live_secret_key",
            "live_webhook_secret",
        ),
    };
    view! {
        <fieldset class="keys">
            <legend>{format!("{} keys", mode.label())}</legend>
            <KeyInput
                field=publishable_field
                label="Publishable key"
                placeholder=format!("pk_{m}_…")
                key=keys.publishable_key
                env_var="STRIPE_PUBLISHABLE_KEY"
                secret=false
                error
            />
            <KeyInput
                field=secret_field
                label="Secret key"
                placeholder=format!("sk_{m}_… or rk_{m}_…")
                key=keys.secret_key
                env_var="STRIPE_SECRET_KEY"
                secret=true
                error
            />
            <KeyInput
                field=webhook_field
                label="Webhook signing secret"
                placeholder="whsec_…".to_owned()
                key=keys.webhook_secret
                env_var="STRIPE_WEBHOOK_SECRET"
                secret=true
                error
            />
        </fieldset>
    }
}

#[component]
fn KeyInput(
    field: &'static str,
    label: &'static str,
    placeholder: String,
    key: KeyField,
    env_var: &'static str,
    secret: bool,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let replacing = RwSignal::new(key.shown.is_none());
    let name = format!("form[{field}]");
    let input = move || {
        let name = name.clone();
        let placeholder = placeholder.clone();
        if key.from_env {
            return view! {
                <span class="hint" id=field>{format!("{} (set by {env_var} in the environment)", key.shown.clone().unwrap_or_default())}</span>
            }.into_any();
        }
        if !secret {
            return view! {
                <input type="text" id=field name=name placeholder=placeholder value=key.shown.clone().unwrap_or_default() autocomplete="off"/>
            }.into_any();
        }
        let hint = key.shown.clone();
        view! {
            <span class="key-row">
                {hint.map(|h| view! { <code class="masked">{h}</code> })}
                <Show
                    when=move || replacing.get()
                    fallback=move || view! {
                        <button
                            type="button"
                            class="link-button"
                            aria-label=format!("Replace {}", label.to_lowercase())
                            on:click=move |_| replacing.set(true)
                        >
                            "Replace"
                        </button>
                    }
                >
                    <input type="password" id=field name=name.clone() placeholder=placeholder.clone() autocomplete="off"/>
                </Show>
            </span>
        }.into_any()
    };
    // A <div>, not a wrapping <label>: the label must name the input, not the Replace button.
    view! {
        <div class="field">
            <label for=field>{label}</label>
            {input}
            <FieldError error field/>
        </div>
    }
}

#[component]
fn VerifyCard() -> impl IntoView {
    let verify = ServerAction::<VerifyStripeConnection>::new();
    let pending = verify.pending();
    view! {
        <section class="card">
            <h2>"Verify connection"</h2>
            <p class="muted">"Calls Stripe with the selected mode's secret key and lists the products it finds."</p>
            <button type="button" class="button" disabled=pending on:click=move |_| { verify.dispatch(VerifyStripeConnection {}); }>
                {move || if pending.get() { "Verifying…" } else { "Verify connection" }}
            </button>
            {move || verify.value().get().map(|result| match result {
                Ok(report) => view! {
                    <div class="alert alert-ok" role="status">
                        <p>{format!(
                            "Connected to Stripe in {} mode at {}. {} product(s) found.",
                            report.mode.as_str(), report.api_base, report.products.len()
                        )}</p>
                        {report.account.map(|a| view! {
                            <p class="account">{format!(
                                "Account: {} ({}){}",
                                a.name.unwrap_or_else(|| "unnamed".into()),
                                a.id,
                                a.email.map(|e| format!(", {e}")).unwrap_or_default()
                            )}</p>
                        })}
                        <ul class="product-list">
                            {report.products.into_iter().map(|p| view! {
                                <li><code>{p.id}</code>" "{p.name}{(!p.active).then_some(" (archived)")}</li>
                            }).collect_view()}
                        </ul>
                    </div>
                }.into_any(),
                Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn WebhookCard(
    settings: StripeSettingsView,
    register: ServerAction<RegisterStripeWebhook>,
) -> impl IntoView {
    let pending = register.pending();
    view! {
        <section class="card">
            <h2>"Webhook endpoint"</h2>
            <p class="muted">"Stripe sends events here. Register it in one click, or add it by hand in the Stripe dashboard."</p>
            <p>"URL: "<code class="webhook-url">{settings.webhook_url.clone()}</code></p>
            <details>
                <summary>{format!("{} events", settings.webhook_events.len())}</summary>
                <pre class="event-list">{settings.webhook_events.join("\n")}</pre>
            </details>
            <button type="button" class="button" disabled=pending on:click=move |_| { register.dispatch(RegisterStripeWebhook {}); }>
                {move || if pending.get() { "Registering…" } else { "Register webhook endpoint" }}
            </button>
            {move || register.value().get().map(|result| match result {
                Ok(r) => view! {
                    <p class="alert alert-ok" role="status">{format!(
                        "Registered {} for {}; its signing secret {} is stored.",
                        r.endpoint_id, r.url, r.secret_hint
                    )}</p>
                }.into_any(),
                Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
            })}
        </section>
    }
}
