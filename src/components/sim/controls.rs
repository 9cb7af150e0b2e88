//! Play, pause, step, reset and speed, and the run's status line.

use leptos::prelude::*;

use crate::simulation::Phase;

/// The run controls. Play and pause are one button whose label says what it will do.
#[component]
pub fn SimControls(
    /// Where the run is.
    #[prop(into)]
    phase: Signal<Phase>,
    /// Whether there is a run at all (no run while the parameters are wrong).
    #[prop(into)]
    ready: Signal<bool>,
    /// The speeds offered, in cycles per frame.
    speeds: &'static [u64],
    /// The index of the speed in use.
    speed_idx: RwSignal<usize>,
    /// Starts or resumes.
    on_play: Callback<()>,
    /// Pauses.
    on_pause: Callback<()>,
    /// Advances one cycle.
    on_step: Callback<()>,
    /// Starts over with the same parameters.
    on_reset: Callback<()>,
) -> impl IntoView {
    let running = move || phase.get() == Phase::Running;
    let over = move || phase.get().is_over();
    view! {
        <div class="sim-controls" role="group" aria-label="Run controls">
            <button
                type="button"
                class="sim-button sim-button--primary"
                data-testid="sim-play"
                disabled=move || !ready.get() || (over() && !running())
                on:click=move |_| {
                    if running() { on_pause.run(()) } else { on_play.run(()) }
                }
            >
                {move || if running() { "Pause" } else { "Play" }}
            </button>
            <button
                type="button"
                class="sim-button"
                data-testid="sim-step"
                disabled=move || !ready.get() || over()
                on:click=move |_| on_step.run(())
            >
                "Step one cycle"
            </button>
            <button
                type="button"
                class="sim-button"
                data-testid="sim-reset"
                disabled=move || !ready.get()
                on:click=move |_| on_reset.run(())
            >
                "Reset"
            </button>
            <label class="sim-controls__speed">
                "Speed "
                <select
                    data-testid="sim-speed"
                    on:change=move |ev| {
                        if let Ok(i) = event_target_value(&ev).parse::<usize>() {
                            speed_idx.set(i.min(speeds.len().saturating_sub(1)));
                        }
                    }
                >
                    {speeds
                        .iter()
                        .enumerate()
                        .map(|(i, s)| {
                            let unit = if *s == 1 { "cycle" } else { "cycles" };
                            view! {
                                <option value=i.to_string() selected=move || speed_idx.get() == i>
                                    {format!("{s} {unit} per frame")}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
        </div>
    }
}

/// A simulator's legend: a swatch and a phrase per colour of its picture.
#[component]
pub fn SimLegend(
    /// (colour, phrase, swatch class) for each entry.
    #[prop(into)]
    items: Signal<Vec<(&'static str, &'static str, &'static str)>>,
) -> impl IntoView {
    view! {
        <ul class="sim-legend" aria-label="Legend">
            {move || {
                items
                    .get()
                    .into_iter()
                    .map(|(colour, text, class)| {
                        view! {
                            <li class="sim-legend__item">
                                <span class=class style:background=colour></span>
                                {text}
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ul>
    }
}
