//! Reusable components.

pub mod sim;
mod site_chrome;
mod theme_toggle;

pub use site_chrome::{SiteFooter, SiteHeader, SkipLink};
pub use theme_toggle::ThemeToggle;
