//! The simulator list and each simulator's page: a built machine gets the one shell
//! (`pages/simulator/`); the others say plainly that they are coming.

use leptos::prelude::*;

use crate::app::LocationContext;
use crate::catalog::{self, Status};
use crate::pages::NotFoundPage;
use crate::pages::catalogue::{coming_notice, status_badge};
use crate::pages::simulator::SimulatorShell;
use crate::route::Route;

#[component]
pub fn SimulatorsPage() -> impl IntoView {
    view! {
        <h1>"Simulators"</h1>
        <p class="page__lead">
            "Each simulator runs the same small workloads (an MNIST layer, a convolution, a "
            "BERT-tiny encoder layer) the way one machine would, and reports cycles, data moved "
            "and energy in the same units, so the machines can be compared."
        </p>
        <ul class="item-list">
            {catalog::SIMULATORS
                .iter()
                .map(|sim| {
                    view! {
                        <li class="item-list__item">
                            <a class="item-list__link" href=Route::Simulator { arch: sim.arch }.href()>
                                {sim.name}
                            </a>
                            {status_badge(sim.status)}
                            <p class="item-list__text">{sim.models}</p>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        <p class="page__lead">
            <a href=Route::Compare.href() data-testid="compare-link">
                "All five machines on one workload, side by side"
            </a>
            ": the table, where each spends its time, and the roofline."
        </p>
        <p class="page__lead">
            <a href=Route::Compile.href() data-testid="compile-link">
                "The compile workflow, stage by stage"
            </a>
            ": trace, partition, place, route, schedule and run for one machine, and what a new batch or sequence length makes it compile again."
        </p>
    }
}

#[component]
pub fn SimulatorPage(arch: course::SimArch) -> impl IntoView {
    // The setup comes from the query. A new address with another query (a link followed,
    // the address edited) rebuilds the simulator; the page's own `replaceState` writes fire
    // no `hashchange`, so they do not.
    let location = use_context::<LocationContext>().map(|c| c.0);
    let query = Memo::new(move |_| {
        location
            .map(|l| l.with(|l| l.query.clone()))
            .unwrap_or_default()
    });
    match catalog::simulator(arch) {
        None => view! { <NotFoundPage path=format!("/simulators/{}", arch.name()) /> }.into_any(),
        Some(sim) => {
            let machine = crate::simulation::machine(arch).filter(|_| sim.status == Status::Ready);
            let body = move || {
                machine.map(|machine| view! { <SimulatorShell machine query=query.get() /> })
            };
            view! {
                <p class="breadcrumb"><a href=Route::Simulators.href()>"Simulators"</a></p>
                <h1>{format!("{} simulator", sim.name)}</h1>
                {(sim.status == Status::Coming).then(|| coming_notice("simulator"))}
                <p class="page__lead">{sim.models}</p>
                {body}
            }
            .into_any()
        }
    }
}
