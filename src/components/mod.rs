//! Reusable components.

pub mod lab;
pub mod lesson;
mod search_box;
pub mod sim;
mod site_chrome;
pub mod table;
mod theme_toggle;
mod update_banner;

pub use search_box::SearchBox;
pub use site_chrome::{SiteFooter, SiteHeader, SkipLink};
pub use table::{DataTable, ScrollBox};
pub use theme_toggle::ThemeToggle;
pub use update_banner::UpdateBanner;
