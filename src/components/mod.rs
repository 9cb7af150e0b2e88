//! Reusable components.

pub mod lab;
pub mod lesson;
mod search_box;
pub mod sim;
mod site_chrome;
pub mod table;
mod theme_toggle;

pub use search_box::SearchBox;
pub use site_chrome::{SiteFooter, SiteHeader, SkipLink};
pub use table::DataTable;
pub use theme_toggle::ThemeToggle;
