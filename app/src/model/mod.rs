//! Shared types: DTOs and validated newtypes. No I/O here; this module compiles for the browser too.

mod access;
mod api_tokens;
mod audit;
mod catalog;
mod console;
mod error;
mod events;
mod invoices;
mod local_path;
mod member;
mod money;
mod settings;
mod stripe_id;
mod user;

pub use access::{Access, AccessStatus, PaymentAction};
pub use api_tokens::{ApiTokenForm, ApiTokenView, CreatedApiToken};
pub use audit::{AuditEntry, AuditQuery};
pub use catalog::{
    ImportReport, PlanInterval, PriceDetail, PriceForm, PriceSummary, ProductDetail, ProductForm,
    ProductKind, ProductSummary, ProductSync, SyncState,
};
pub use console::{
    status_label, AdminsPage, CancelWhen, CreatedInvite, CustomerView, Dashboard, GrantForm,
    GrantView, HistoryEntry, InviteForm, InviteView, MemberDetail, MemberQuery, MemberRow,
    MemberSubscriptionView, PastDuePage, PastDueRow, RevenueSeries, SubscriptionQuery,
    SubscriptionRow, MEMBER_STATUSES, SUBSCRIPTION_STATUSES,
};
pub use error::AppError;
pub use events::{
    EventSummary, FieldDifference, ObjectComparison, ReconcileReport, EVENT_STATUSES,
};
pub use invoices::{
    refund_reason_label, Cursor, InvoiceProfile, InvoiceQuery, InvoiceSummary, Page, PaymentQuery,
    PaymentState, PaymentSummary, RefundForm, INVOICE_STATUSES, MAX_LOGO_BYTES, PAGE_SIZE,
    REFUND_REASONS,
};
pub use local_path::{encode_query_value, LocalPath, MAX_LOCAL_PATH};
pub use member::{
    check_tax_id, AddressForm, AddressPage, Card, ChangePreview, CheckoutStatus, MemberOverview,
    MemberSubscription, Offer, OfferPrice, PlansPage, PreviewLine, Redirect, TaxIdView,
    TaxLocation, TAX_ID_TYPES,
};
pub use money::{Currency, Money};
pub use settings::{
    mask_key, validate_key, AccountSummary, ConnectionReport, KeyField, KeyKind, ModeKeys,
    RemoteProductSummary, StripeMode, StripeSettingsForm, StripeSettingsView, TaxBehavior,
    WebhookRegistration,
};
pub use stripe_id::{StripeId, StripeIdError, MAX_STRIPE_ID_LEN};
pub use user::{CurrentUser, DisplayName, EmailAddress, MemberSummary, Password, Role, SignUp};
