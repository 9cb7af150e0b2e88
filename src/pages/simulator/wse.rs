//! The WSE-2 mesh simulator page.

use leptos::prelude::*;
use sim::engine::Engine;
use sim::wse::MeshSnapshot;

use super::params::{Arch, SimForm};
use super::session::{
    CompareRow, DEFAULT_SPEED_IDX, MetricRow, Phase, Slice, WseSession, compare_rows, ending,
    inspect_rows, metric_rows, sentence, speeds,
};
use super::{SimPageLinks, replace_url};
use crate::charts::roofline::RooflineData;
use crate::components::sim::mesh_canvas::use_palette;
use crate::components::sim::{
    CompareTable, EventLog, LogLines, MeshCanvas, MetricsTable, PeInspector, Publish, SimControls,
    SimParamsForm, roofline_data, use_sim_loop,
};

/// Wavelets listed per snapshot: enough for every link of a 32×32 mesh to show traffic.
pub const WAVELET_LIMIT: usize = 8_192;

/// The mesh page for the setup in `query`.
#[component]
pub fn WseSimulator(
    /// The URL's query (`preset`, sizes).
    query: Vec<(String, String)>,
    /// Shown inside a lesson: no parameters form, no address-bar updates, and a link to the
    /// full simulator page instead of the link back to the lesson.
    #[prop(optional)]
    embedded: bool,
) -> impl IntoView {
    let arch = Arch::Wse;
    let form = RwSignal::new(SimForm::from_query(&query));
    let session = StoredValue::new(None::<WseSession>);
    let error = RwSignal::new(None::<String>);
    let snapshot = RwSignal::new(MeshSnapshot {
        wavelet_limit: WAVELET_LIMIT,
        ..MeshSnapshot::default()
    });
    let metrics = RwSignal::new(Vec::<MetricRow>::new());
    let compare = RwSignal::new(Vec::<CompareRow>::new());
    let roofline = RwSignal::new(None::<RooflineData>);
    let log = RwSignal::new(LogLines::default());
    let cycle = RwSignal::new(0u64);
    let outcome = RwSignal::new(None::<String>);
    let result = RwSignal::new(None::<String>);
    let selected = RwSignal::new(None::<(u32, u32)>);
    let capacity = RwSignal::new(0.0f64);

    let publish = move |s: &WseSession, slice: &Slice, what: Publish| {
        cycle.set(slice.cycle.0);
        if what.picture {
            snapshot.update(|snap| s.run.snapshot_into(snap));
        }
        if what.metrics {
            let m = s.run.metrics();
            metrics.set(metric_rows(&m));
            compare.set(compare_rows(&s.gpu, &m));
            roofline.set(Some(roofline_data(&s.gpu, &m)));
        }
        let end = ending(slice.status);
        if !slice.lines.is_empty() || end.is_some() {
            let check = end.as_ref().and_then(|_| s.result_check());
            log.update(|l| {
                for line in &slice.lines {
                    l.push(line.clone());
                }
                if let Some(text) = &end {
                    l.push(text.clone());
                }
                if let Some(text) = &check {
                    l.push(format!("Result check: {text}"));
                }
            });
            if end.is_some() {
                outcome.set(end);
                result.set(check);
            }
        }
    };
    let sim_loop = use_sim_loop(session, speeds(arch), DEFAULT_SPEED_IDX, publish);

    let build = move |f: &SimForm| {
        let built = f.parse(arch).and_then(|setup| WseSession::build(&setup));
        cycle.set(0);
        outcome.set(None);
        result.set(None);
        match built {
            Ok(s) => {
                snapshot.update(|snap| s.run.snapshot_into(snap));
                let m = s.run.metrics();
                metrics.set(metric_rows(&m));
                compare.set(compare_rows(&s.gpu, &m));
                roofline.set(Some(roofline_data(&s.gpu, &m)));
                let config = s.run.mesh().config();
                capacity.set(config.memory_per_pe.0 as f64);
                log.set(LogLines::starting_with(format!(
                    "Set up: {} on a {}×{} mesh, {} of W per PE at most. Press Play or Step.",
                    s.workload.name,
                    config.width,
                    config.height,
                    max_block(&s)
                )));
                if selected
                    .get_untracked()
                    .is_some_and(|(x, y)| x >= config.width || y >= config.height)
                {
                    selected.set(None);
                }
                session.set_value(Some(s));
                error.set(None);
            }
            Err(message) => {
                session.set_value(None);
                metrics.set(Vec::new());
                compare.set(Vec::new());
                roofline.set(None);
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
    let select = Callback::new(move |pe: (u32, u32)| selected.set(Some(pe)));
    let inspection = Memo::new(move |_| {
        cycle.track();
        let (x, y) = selected.get()?;
        Some(session.with_value(|s| {
            match s {
                Some(s) => s
                    .run
                    .inspect(x, y)
                    .map(|p| inspect_rows(&p))
                    .map_err(|e| sentence(&e)),
                None => Err("There is no run to inspect: fix the parameters first.".to_string()),
            }
        }))
    });
    let ready = Signal::derive(move || error.with(Option::is_none));
    let phase = sim_loop.phase;
    let palette = use_palette();

    view! {
        <div class="sim-page" class:sim-page--embedded=embedded data-testid="sim-page-wse">
            <SimPageLinks
                embedded
                full_href=Signal::derive(move || form.with(|f| f.href(arch)))
                lesson=("cerebras-wse", "Cerebras CS-2 and the WSE-2")
                other_href=Signal::derive(move || form.with(|f| f.href(Arch::Gpu)))
                other_text="The same workload on the GPU"
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
                        <MeshCanvas
                            snapshot=snapshot
                            selected=selected
                            memory_capacity=capacity
                            on_select=select
                        />
                        <ul class="sim-legend" aria-label="Legend">
                            {move || {
                                let p = palette.get();
                                [
                                    (p.idle, "idle PE", "sim-legend__swatch"),
                                    (p.busy, "busy PE (running a task)", "sim-legend__swatch"),
                                    (p.stalled, "stalled PE (waiting on a queue)", "sim-legend__swatch"),
                                    (p.memory_bar, "memory in use (bar: share of 48 KB)", "sim-legend__swatch sim-legend__swatch--bar"),
                                    (p.channel(0), "wavelet on color 0: x, broadcast south", "sim-legend__swatch sim-legend__swatch--dot"),
                                    (p.channel(1), "color 1: partial sums east (even columns)", "sim-legend__swatch sim-legend__swatch--dot"),
                                    (p.channel(2), "color 2: partial sums east (odd columns)", "sim-legend__swatch sim-legend__swatch--dot"),
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
                        <p class="sim-result" data-testid="sim-result">
                            {move || result.get()}
                        </p>
                        <MetricsTable rows=metrics />
                        <CompareTable rows=compare roofline wse_final=Signal::derive(move || phase.get() == Phase::Finished) />
                    </div>
                </div>
                <div class="sim-layout__side">
                    {(!embedded).then(|| view! { <SimParamsForm arch form on_apply=apply /> })}
                    <PeInspector selected rows=inspection on_select=select />
                    <EventLog log />
                </div>
            </div>
        </div>
    }
}

/// The biggest block of W on one PE, in bytes, for the set-up line.
fn max_block(s: &WseSession) -> sim::units::Bytes {
    let config = s.run.mesh().config();
    let p = s.run.problem();
    let cols = p.d_in.div_ceil(config.width.min(p.d_in).max(1));
    let rows = p.d_out.div_ceil(config.height.min(p.d_out).max(1));
    sim::units::Bytes(4 * u64::from(cols) * u64::from(rows))
}
