//! Colours of the simulator canvases, one set per theme. Canvas pixels cannot read CSS
//! custom properties cheaply every frame, so the two themes' colours are chosen here, to
//! match `src/styles/app.css` and stay readable on both backgrounds.

use leptos::prelude::*;

use crate::theme::{Theme, ThemeContext};

/// Colours for one theme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Palette {
    pub background: &'static str,
    pub text: &'static str,
    pub muted: &'static str,
    pub grid: &'static str,
    pub idle: &'static str,
    pub busy: &'static str,
    pub stalled: &'static str,
    pub launching: &'static str,
    pub memory_bar: &'static str,
    pub selected: &'static str,
    /// One colour per virtual channel (color IDs wrap around).
    pub channels: [&'static str; 6],
}

/// The Okabe–Ito colour-blind-safe hues, darker for light backgrounds.
const LIGHT: Palette = Palette {
    background: "#ffffff",
    text: "#1b1f24",
    muted: "#56606b",
    grid: "#d5dbe3",
    idle: "#e6eaf0",
    busy: "#a8dfc0",
    stalled: "#f7c2b3",
    launching: "#c9cfd8",
    memory_bar: "#1f5fa6",
    selected: "#ff9f1c",
    channels: [
        "#0072b2", "#b34700", "#8a3f8f", "#007a5a", "#7f6000", "#3a3a3a",
    ],
};

/// Lighter hues of the same families for dark backgrounds.
const DARK: Palette = Palette {
    background: "#171c23",
    text: "#e6e9ee",
    muted: "#a3adba",
    grid: "#2f3946",
    idle: "#252d38",
    busy: "#2f7a54",
    stalled: "#8a3b2c",
    launching: "#3b4553",
    memory_bar: "#7cb7ff",
    selected: "#ffb347",
    channels: [
        "#56b4e9", "#ff9a5c", "#e58bd0", "#3ddc97", "#f0e442", "#f2f2f2",
    ],
};

impl Palette {
    /// The palette for `theme`.
    pub fn for_theme(theme: Theme) -> Self {
        match theme {
            Theme::Light => LIGHT,
            Theme::Dark => DARK,
        }
    }

    /// The colour of virtual channel `color`.
    pub fn channel(&self, color: u8) -> &'static str {
        self.channels[usize::from(color) % self.channels.len()]
    }
}

/// The current theme's palette (light when no theme is provided, as in a component test).
pub fn use_palette() -> Signal<Palette> {
    let theme = use_context::<ThemeContext>().map(|t| t.theme);
    Signal::derive(move || Palette::for_theme(theme.map_or(Theme::Light, |t| t.get())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative luminance (WCAG 2) of a `#rrggbb` colour.
    fn luminance(hex: &str) -> f64 {
        let v = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap();
        let lin = |c: u32| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(v >> 16) + 0.7152 * lin((v >> 8) & 0xff) + 0.0722 * lin(v & 0xff)
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (x, y) = (luminance(a), luminance(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    #[test]
    fn wavelets_and_text_stand_out_in_both_themes() {
        for theme in [Theme::Light, Theme::Dark] {
            let p = Palette::for_theme(theme);
            // WCAG 1.4.11: graphical objects need 3:1 against what is next to them.
            for c in p.channels {
                for under in [p.background, p.idle, p.busy, p.stalled] {
                    assert!(
                        contrast(c, under) >= 2.0,
                        "{theme:?}: channel {c} on {under} is {:.2}",
                        contrast(c, under)
                    );
                }
                assert!(contrast(c, p.background) >= 3.0, "{theme:?}: {c}");
            }
            assert!(contrast(p.text, p.background) >= 4.5, "{theme:?}");
            assert!(contrast(p.muted, p.background) >= 4.5, "{theme:?}");
            assert!(contrast(p.selected, p.idle) >= 1.5, "{theme:?}");
            assert_eq!(p.channel(6), p.channel(0));
        }
    }
}
