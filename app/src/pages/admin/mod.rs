pub mod overview;
pub mod products;
pub mod settings_stripe;
pub mod product_editor;
