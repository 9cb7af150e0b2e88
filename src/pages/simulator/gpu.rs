//! The GPU baseline page.

use leptos::prelude::*;
use sim::engine::Engine;
use sim::gpu::{GpuSnapshot, Kernel};

use super::params::{Arch, SimForm};
use super::session::{
    DEFAULT_SPEED_IDX, GpuSession, KernelTraffic, MetricRow, Slice, ending, metric_rows,
    round_trip_summary, speeds,
};
use super::{SimPageLinks, replace_url};
use crate::components::sim::mesh_canvas::use_palette;
use crate::components::sim::{
    EventLog, GpuCanvas, LogLines, MetricsTable, Publish, SimControls, SimParamsForm, TrafficTable,
    use_sim_loop,
};

/// The GPU page for the setup in `query`.
#[component]
pub fn GpuSimulator(
    /// The URL's query (`preset`, `machine`, sizes).
    query: Vec<(String, String)>,
    /// Shown inside a lesson: no parameters form, no address-bar updates, and a link to the
    /// full simulator page instead of the link back to the lesson.
    #[prop(optional)]
    embedded: bool,
) -> impl IntoView {
    let arch = Arch::Gpu;
    let form = RwSignal::new(SimForm::from_query(&query));
    let session = StoredValue::new(None::<GpuSession>);
    let error = RwSignal::new(None::<String>);
    let snapshot = RwSignal::new(None::<GpuSnapshot>);
    let kernels = RwSignal::new(Vec::<Kernel>::new());
    let n_sms = RwSignal::new(1u32);
    let traffic = RwSignal::new(Vec::<KernelTraffic>::new());
    let metrics = RwSignal::new(Vec::<MetricRow>::new());
    let log = RwSignal::new(LogLines::default());
    let cycle = RwSignal::new(0u64);
    let total = RwSignal::new(0u64);
    let outcome = RwSignal::new(None::<String>);

    let publish = move |s: &GpuSession, slice: &Slice, what: Publish| {
        cycle.set(slice.cycle.0);
        if what.picture {
            snapshot.set(Some(s.sim.snapshot()));
        }
        if what.metrics {
            metrics.set(metric_rows(&s.sim.metrics()));
        }
        let end = ending(slice.status);
        if !slice.lines.is_empty() || end.is_some() {
            log.update(|l| {
                for line in slice.lines.iter().chain(&end) {
                    l.push(line.clone());
                }
            });
        }
        if end.is_some() {
            outcome.set(end);
        }
    };
    let sim_loop = use_sim_loop(session, speeds(arch), DEFAULT_SPEED_IDX, publish);

    let build = move |f: &SimForm| {
        let built = f.parse(arch).and_then(|setup| GpuSession::build(&setup));
        cycle.set(0);
        outcome.set(None);
        match built {
            Ok(s) => {
                snapshot.set(Some(s.sim.snapshot()));
                kernels.set(s.sim.kernels().to_vec());
                n_sms.set(s.sim.config().n_sms);
                traffic.set(s.traffic.clone());
                total.set(s.sim.total_cycles().0);
                metrics.set(metric_rows(&s.sim.metrics()));
                log.set(LogLines::starting_with(format!(
                    "Set up: {} on the {}: {} kernels, {} cycles in all. Press Play or Step.",
                    s.workload.name,
                    s.sim.config().name,
                    s.sim.kernels().len(),
                    s.sim.total_cycles().0
                )));
                session.set_value(Some(s));
                error.set(None);
            }
            Err(message) => {
                session.set_value(None);
                snapshot.set(None);
                kernels.set(Vec::new());
                traffic.set(Vec::new());
                metrics.set(Vec::new());
                log.set(LogLines::starting_with(message.clone()));
                error.set(Some(message));
            }
        }
    };
    build(&form.get_untracked());
    let apply = Callback::new(move |f: SimForm| {
        sim_loop.stop.run(());
        if !embedded {
            replace_url(&f.href(arch));
        }
        build(&f);
    });
    let reset = Callback::new(move |()| {
        sim_loop.stop.run(());
        build(&form.get_untracked());
    });
    let ready = Signal::derive(move || error.with(Option::is_none));
    let phase = sim_loop.phase;
    let summary = Signal::derive(move || traffic.with(|t| round_trip_summary(t)));
    let palette = use_palette();

    view! {
        <div class="sim-page" class:sim-page--embedded=embedded data-testid="sim-page-gpu">
            <SimPageLinks
                embedded
                full_href=Signal::derive(move || form.with(|f| f.href(arch)))
                lesson=("why-dataflow", "Why AI workloads suit dataflow machines")
                other_href=Signal::derive(move || form.with(|f| f.href(Arch::Wse)))
                other_text="The same workload on the WSE"
            />
            <div class="sim-layout">
                <div class="sim-layout__main">
                    <SimControls
                        phase
                        ready
                        speeds=speeds(arch)
                        speed_idx=sim_loop.speed_idx
                        on_play=sim_loop.play
                        on_pause=sim_loop.pause
                        on_step=sim_loop.step
                        on_reset=reset
                    />
                    <p class="sim-status">
                        <span class="sim-status__phase" data-testid="sim-status">
                            {move || phase.get().label()}
                        </span>
                        " · cycle "
                        <span class="sim-status__cycle" data-testid="sim-cycle">{move || cycle.get()}</span>
                        {move || format!(" of {}", total.get())}
                    </p>
                    <p class="sim-status__message" role="status" data-testid="sim-outcome">
                        {move || {
                            if sim_loop.paused_hidden.get() {
                                Some("Paused because the tab was hidden; press Play to go on.".to_string())
                            } else {
                                outcome.get()
                            }
                        }}
                    </p>
                    {move || {
                        error
                            .get()
                            .map(|message| {
                                view! {
                                    <p class="sim-error" role="alert" data-testid="sim-error">
                                        {message}
                                    </p>
                                }
                            })
                    }}
                    <div class="sim-stage" class:sim-stage--hidden=move || error.with(Option::is_some)>
                        <GpuCanvas snapshot kernels n_sms />
                        <ul class="sim-legend" aria-label="Legend">
                            {move || {
                                let p = palette.get();
                                [
                                    (p.launching, "kernel launch (fixed overhead)", "sim-legend__swatch"),
                                    (p.busy, "SMs computing", "sim-legend__swatch"),
                                    (p.stalled, "SMs done, waiting on HBM", "sim-legend__swatch"),
                                    (p.channel(0), "bytes moving between HBM and the SMs", "sim-legend__swatch sim-legend__swatch--dot"),
                                ]
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
                        <MetricsTable rows=metrics />
                        <TrafficTable rows=traffic summary />
                    </div>
                </div>
                <div class="sim-layout__side">
                    {(!embedded).then(|| view! { <SimParamsForm arch form on_apply=apply /> })}
                    <EventLog log />
                </div>
            </div>
        </div>
    }
}
