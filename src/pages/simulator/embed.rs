//! A simulator inside a lesson. It starts only when the learner asks for it, so opening a
//! lesson runs no engine, and it is the same component as the full page in its embedded form.

use leptos::prelude::*;

use super::{GpuSimulator, WseSimulator};
use crate::catalog::{self, Status};

/// Whether `arch` has a simulator that can be embedded today.
pub fn embeddable(arch: &str) -> bool {
    matches!(arch, "wse" | "gpu")
        && catalog::simulator(arch).is_some_and(|s| s.status == Status::Ready)
}

/// A "Run it here" button that opens the simulator for `arch` with `query` in the lesson, and
/// closes it again (which stops and drops the engine). Nothing is shown for a simulator that is
/// not built yet: the lesson's card still says where it will be.
#[component]
pub fn SimEmbed(
    /// The simulator: `"wse"` or `"gpu"`.
    arch: String,
    /// The lesson's arguments (`preset`, sizes), as the simulator page reads them from its URL.
    query: Vec<(String, String)>,
) -> impl IntoView {
    if !embeddable(&arch) {
        return ().into_any();
    }
    let open = RwSignal::new(false);
    let region_id = crate::components::sim::unique_id("sim-embed");
    let name = catalog::simulator(&arch).map_or("simulator", |s| s.name);
    let toggle_label = move || {
        if open.get() {
            "Close the simulator".to_string()
        } else {
            format!("Run the {name} simulator here")
        }
    };
    let body = {
        let arch = arch.clone();
        move || {
            open.get().then(|| match arch.as_str() {
                "wse" => view! { <WseSimulator query=query.clone() embedded=true /> }.into_any(),
                _ => view! { <GpuSimulator query=query.clone() embedded=true /> }.into_any(),
            })
        }
    };
    view! {
        <div class="sim-embed" data-testid=format!("sim-embed-{arch}")>
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
