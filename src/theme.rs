//! Light and dark themes. The page follows the OS (`prefers-color-scheme`) until the learner
//! picks one with the toggle; that choice is kept in localStorage and wins from then on.
//!
//! `src/scripts/theme.js` applies the stored or system theme before the wasm loads, so there
//! is no flash; this module takes over once the app runs.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// The key under which the learner's explicit choice is stored.
pub const STORAGE_KEY: &str = "testbed-lab.theme";
const DARK_QUERY: &str = "(prefers-color-scheme: dark)";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }

    /// Reads a stored value; anything else (older formats, junk) is no choice at all.
    pub fn parse(stored: &str) -> Option<Self> {
        match stored.trim() {
            "light" => Some(Self::Light),
            "dark" => Some(Self::Dark),
            _ => None,
        }
    }

    /// The browser's own bar colour (`<meta name="theme-color">`) for this theme: the light
    /// theme's accent, the dark theme's background. `index.html` starts with these two for the
    /// OS preference; `apply` sets the learner's theme.
    pub fn browser_bar_colour(self) -> &'static str {
        match self {
            Self::Light => "#1f5fa6",
            Self::Dark => "#0f1318",
        }
    }

    pub fn toggled(self) -> Self {
        match self {
            Self::Light => Self::Dark,
            Self::Dark => Self::Light,
        }
    }
}

/// The theme in context: what is shown, and whether the learner chose it.
#[derive(Clone, Copy, Debug)]
pub struct ThemeContext {
    pub theme: RwSignal<Theme>,
    pub chosen: RwSignal<bool>,
}

impl ThemeContext {
    /// Shows `theme`, remembers it as the learner's choice.
    pub fn choose(self, theme: Theme) {
        self.theme.set(theme);
        self.chosen.set(true);
        apply(theme);
        if let Some(storage) = local_storage() {
            // A full or disabled storage only loses the memory of the choice, not the choice.
            let _ = storage.set_item(STORAGE_KEY, theme.as_str());
        }
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn system_prefers_dark() -> Option<web_sys::MediaQueryList> {
    web_sys::window()?.match_media(DARK_QUERY).ok().flatten()
}

fn apply(theme: Theme) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(root) = document.document_element() {
        let _ = root.set_attribute("data-theme", theme.as_str());
    }
    // Both theme-color tags (one per OS preference) take the shown theme's colour.
    if let Ok(metas) = document.query_selector_all("meta[name='theme-color']") {
        for idx in 0..metas.length() {
            if let Some(meta) = metas
                .item(idx)
                .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
            {
                let _ = meta.set_attribute("content", theme.browser_bar_colour());
            }
        }
    }
}

/// Reads the stored choice or the OS preference, applies it, follows OS changes while the
/// learner has not chosen, and puts the [`ThemeContext`] in context.
pub fn provide_theme() -> ThemeContext {
    let stored = local_storage()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .and_then(|v| Theme::parse(&v));
    let media = system_prefers_dark();
    let system = if media.as_ref().is_some_and(web_sys::MediaQueryList::matches) {
        Theme::Dark
    } else {
        Theme::Light
    };
    let context = ThemeContext {
        theme: RwSignal::new(stored.unwrap_or(system)),
        chosen: RwSignal::new(stored.is_some()),
    };
    apply(context.theme.get_untracked());
    if let Some(media) = media {
        let on_change = Closure::<dyn Fn(web_sys::MediaQueryListEvent)>::new(
            move |event: web_sys::MediaQueryListEvent| {
                if !context.chosen.get_untracked() {
                    let theme = if event.matches() {
                        Theme::Dark
                    } else {
                        Theme::Light
                    };
                    context.theme.set(theme);
                    apply(theme);
                }
            },
        );
        let _ =
            media.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
        // The listener lives as long as the page.
        on_change.forget();
    }
    provide_context(context);
    context
}

#[cfg(test)]
mod unit {
    use super::Theme;

    #[test]
    fn stored_values_parse_and_junk_is_no_choice() {
        assert_eq!(Theme::parse("dark"), Some(Theme::Dark));
        assert_eq!(Theme::parse(" light\n"), Some(Theme::Light));
        assert_eq!(Theme::parse("{\"v\":1}"), None);
        assert_eq!(Theme::parse(""), None);
        assert_eq!(Theme::Dark.toggled().toggled(), Theme::Dark);
        assert_eq!(Theme::parse(Theme::Light.as_str()), Some(Theme::Light));
    }

    #[test]
    fn the_browser_bar_colours_agree_with_index_html_and_the_manifest() {
        let index = include_str!("../index.html");
        for (query, theme) in [("light", Theme::Light), ("dark", Theme::Dark)] {
            let tag = format!(
                "<meta name=\"theme-color\" media=\"(prefers-color-scheme: {query})\" content=\"{}\" />",
                theme.browser_bar_colour()
            );
            assert!(index.contains(&tag), "index.html lacks {tag}");
        }
        let manifest: serde_json::Value =
            serde_json::from_str(include_str!("../public/manifest.webmanifest")).expect("JSON");
        assert_eq!(manifest["theme_color"], Theme::Light.browser_bar_colour());
    }

    /// Every stylesheet's blocks close, rule by rule: a lost `}` (a merge dropping one)
    /// silently swallows the rules after it, which no browser reports.
    #[test]
    fn every_stylesheet_closes_each_block_before_the_next_rule() {
        for (name, css) in [
            ("app.css", include_str!("styles/app.css")),
            ("labs.css", include_str!("styles/labs.css")),
            ("lessons.css", include_str!("styles/lessons.css")),
            ("simulators.css", include_str!("styles/simulators.css")),
        ] {
            let mut depth = 0_i32;
            let mut in_comment = false;
            let bytes = css.as_bytes();
            let mut i = 0;
            let mut line = 1;
            while i < bytes.len() {
                let rest = &bytes[i..];
                if in_comment {
                    if rest.starts_with(b"*/") {
                        in_comment = false;
                        i += 1;
                    }
                } else if rest.starts_with(b"/*") {
                    in_comment = true;
                    i += 1;
                } else {
                    match bytes[i] {
                        b'{' => depth += 1,
                        b'}' => depth -= 1,
                        _ => {}
                    }
                    assert!(depth >= 0, "{name}:{line}: a `}}` closes nothing");
                }
                if bytes[i] == b'\n' {
                    line += 1;
                }
                i += 1;
            }
            assert_eq!(depth, 0, "{name}: a block is never closed");
            // A selector line at depth 1 inside a plain rule: the previous rule lost its `}`.
            let mut depth = 0_i32;
            let mut at_rule = Vec::new();
            for (n, text) in css.lines().enumerate() {
                let t = text.trim();
                if t.ends_with('{') && depth >= 1 && !at_rule.last().copied().unwrap_or(false) {
                    panic!(
                        "{name}:{}: a rule opens inside another rule: the one before lacks its `}}`",
                        n + 1
                    );
                }
                for c in t.chars() {
                    match c {
                        '{' => {
                            depth += 1;
                            at_rule.push(t.starts_with('@'));
                        }
                        '}' => {
                            depth -= 1;
                            at_rule.pop();
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}
