use leptos::prelude::*;

use crate::theme::ThemeContext;

/// A button that switches between the light and dark theme and remembers the choice.
/// Needs a [`ThemeContext`] (see [`crate::theme::provide_theme`]).
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let context = expect_context::<ThemeContext>();
    let next = move || context.theme.get().toggled();
    view! {
        <button
            type="button"
            class="theme-toggle"
            data-testid="theme-toggle"
            aria-label=move || format!("Switch to the {} theme", next().as_str())
            title=move || format!("Switch to the {} theme", next().as_str())
            on:click=move |_| context.choose(next())
        >
            <span class="theme-toggle__icon" aria-hidden="true">
                {move || if next() == crate::theme::Theme::Dark { "☾" } else { "☀" }}
            </span>
            <span class="theme-toggle__label">{move || format!("{} theme", crate::text::capitalised(next().as_str()))}</span>
        </button>
    }
}
