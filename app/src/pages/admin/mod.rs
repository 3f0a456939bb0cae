pub mod events;
pub mod overview;
pub mod product_editor;
pub mod products;
pub mod settings_stripe;
