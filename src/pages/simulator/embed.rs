//! A simulator inside a lesson. It starts only when the learner asks for it, so opening a
//! lesson runs no engine, and it is the same shell as the full page in its embedded form.

use course::SimArch;
use leptos::prelude::*;

use super::SimulatorShell;
use crate::catalog::{self, Status};

/// Whether `arch` has a simulator that can be embedded today.
pub fn embeddable(arch: SimArch) -> bool {
    crate::simulation::machine(arch).is_some()
        && catalog::simulator(arch).is_some_and(|s| s.status == Status::Ready)
}

/// A "Run it here" button that opens the simulator for `arch` with `query` in the lesson, and
/// closes it again (which stops and drops the engine). Nothing is shown for a simulator that is
/// not built yet: the lesson's card still says where it will be.
#[component]
pub fn SimEmbed(
    /// The simulator.
    arch: SimArch,
    /// The lesson's arguments (`preset`, sizes), as the simulator page reads them from its URL.
    query: Vec<(String, String)>,
) -> impl IntoView {
    let (Some(machine), true) = (crate::simulation::machine(arch), embeddable(arch)) else {
        return ().into_any();
    };
    let open = RwSignal::new(false);
    let region_id = crate::components::sim::unique_id("sim-embed");
    let name = catalog::simulator(arch).map_or("simulator", |s| s.name);
    let toggle_label = move || {
        if open.get() {
            "Close the simulator".to_string()
        } else {
            format!("Run the {name} simulator here")
        }
    };
    let body = move || {
        open.get()
            .then(|| view! { <SimulatorShell machine query=query.clone() embedded=true /> })
    };
    view! {
        <div class="sim-embed" data-testid=format!("sim-embed-{}", arch.name())>
            <button
                type="button"
                class="sim-embed__toggle"
                aria-expanded=move || open.get().to_string()
                aria-controls=region_id.clone()
                data-testid="sim-embed-toggle"
                on:click=move |_| open.update(|o| *o = !*o)
            >
                {toggle_label}
            </button>
            <div id=region_id class="sim-embed__body">
                {body}
            </div>
        </div>
    }
    .into_any()
}
