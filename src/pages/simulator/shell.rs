//! The one page shell every simulator uses: settings from the URL, the run driven frame by
//! frame, status, metrics, the comparison with other machines, the inspector and the event
//! log. It knows machines only through `simulation::Machine` and `SimSession`; the picture
//! and the machine's own panels come from [`super::stage`].

use course::SimArch;
use leptos::prelude::*;
use sim::metrics::RunMetrics;

use crate::components::sim::{
    CompareTable, EventLog, LogLines, MetricsTable, PeInspector, Publish, SessionSlot, SimControls,
    SimParamsForm, use_sim_loop,
};
use crate::route::{Route, replace_url};
use crate::simulation::session::DEFAULT_SPEED_IDX;
use crate::simulation::text::{RooflineData, short_name};
use crate::simulation::{
    CompareTable as CompareData, Machine, MetricRow, Phase, SimForm, SimSession, Slice, UnitAt,
    compare_rows, ending, machines, metric_rows, roofline_data,
};

/// Something a stage redraws from: called with the session after it is built (`true`) and
/// after every slice whose picture is due (`false`).
type PictureHook = Box<dyn Fn(&dyn SimSession, bool) + Send + Sync>;

/// What a machine's stage (its picture and panels) gets from the shell.
#[derive(Clone, Copy)]
pub struct StageContext {
    /// The run (none while the settings are wrong).
    pub session: SessionSlot,
    /// The unit selected for inspection.
    pub selected: RwSignal<Option<UnitAt>>,
    /// Selects a unit (a click on the picture).
    pub on_select: Callback<UnitAt>,
    hooks: StoredValue<Vec<PictureHook>>,
}

impl std::fmt::Debug for StageContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StageContext")
    }
}

impl StageContext {
    /// Registers `hook` to copy what the stage draws out of the session: after each build
    /// (`built == true`) and each slice whose picture is due.
    pub fn on_picture(&self, hook: impl Fn(&dyn SimSession, bool) + Send + Sync + 'static) {
        self.hooks.update_value(|h| h.push(Box::new(hook)));
    }

    /// Runs the stage's hooks on `s`.
    fn run_hooks(&self, s: &dyn SimSession, built: bool) {
        self.hooks.with_value(|hooks| {
            for hook in hooks {
                hook(s, built);
            }
        });
    }

    /// Runs the stage's hooks on the stored session, if any.
    fn publish(&self, built: bool) {
        self.session.with_value(|s| {
            if let Some(s) = s {
                self.run_hooks(s.as_ref(), built);
            }
        });
    }

    /// The session as its concrete type, to read in a stage.
    pub fn with_session<T: 'static, R>(&self, f: impl FnOnce(&T) -> R) -> Option<R> {
        self.session.with_value(|s| {
            s.as_ref()
                .and_then(|s| s.as_any().downcast_ref::<T>())
                .map(f)
        })
    }
}

/// The comparison rows and the roofline of this run beside its references.
fn comparison(
    s: &dyn SimSession,
    arch: SimArch,
    metrics: &RunMetrics,
) -> Option<(CompareData, RooflineData)> {
    if s.references().is_empty() {
        return None;
    }
    let mut runs = s.references().to_vec();
    runs.push((arch, metrics.clone()));
    let bandwidth = |a: SimArch| crate::simulation::machine(a).and_then(Machine::roof_bandwidth);
    Some((compare_rows(&runs), roofline_data(&runs, bandwidth)))
}

/// A simulator page for `machine` with the setup in `query`.
#[component]
pub fn SimulatorShell(
    /// The machine.
    machine: &'static dyn Machine,
    /// The URL's query (`preset`, sizes, the machine's settings).
    query: Vec<(String, String)>,
    /// Shown inside a lesson: no parameters form, no address-bar updates, and a link to the
    /// full simulator page instead of the link back to the lesson.
    #[prop(optional)]
    embedded: bool,
) -> impl IntoView {
    let arch = machine.arch();
    let form = RwSignal::new(SimForm::from_query(machine, &query));
    let session: SessionSlot = StoredValue::new(None);
    let error = RwSignal::new(None::<String>);
    let metrics = RwSignal::new(Vec::<MetricRow>::new());
    let compare = RwSignal::new(None::<(CompareData, RooflineData)>);
    let log = RwSignal::new(LogLines::default());
    let cycle = RwSignal::new(0u64);
    let total = RwSignal::new(None::<u64>);
    let outcome = RwSignal::new(None::<String>);
    let result = RwSignal::new(None::<String>);
    let assumptions = RwSignal::new(Vec::<String>::new());
    let selected = RwSignal::new(None::<UnitAt>);
    let ctx = StageContext {
        session,
        selected,
        on_select: Callback::new(move |at: UnitAt| selected.set(Some(at))),
        hooks: StoredValue::new(Vec::new()),
    };
    let stage_view = super::stage(arch, ctx);

    let publish = move |s: &dyn SimSession, slice: &Slice, what: Publish| {
        cycle.set(slice.cycle.0);
        if what.metrics {
            let m = s.metrics();
            metrics.set(metric_rows(&m));
            compare.set(comparison(s, arch, &m));
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
        if what.picture {
            ctx.run_hooks(s, false);
        }
    };
    let sim_loop = use_sim_loop(session, machine.speeds(), DEFAULT_SPEED_IDX, publish);

    let build = move |f: &SimForm| {
        let built = f.parse(machine).and_then(|setup| machine.build(&setup));
        cycle.set(0);
        outcome.set(None);
        result.set(None);
        match built {
            Ok(s) => {
                let m = s.metrics();
                metrics.set(metric_rows(&m));
                compare.set(comparison(s.as_ref(), arch, &m));
                total.set(s.total_cycles().map(|c| c.0));
                assumptions.set(s.assumptions());
                log.set(LogLines::starting_with(s.setup_line()));
                let still_there = selected
                    .get_untracked()
                    .is_none_or(|at| s.inspect(at).is_ok());
                if !still_there {
                    selected.set(None);
                }
                session.set_value(Some(s));
                error.set(None);
                ctx.publish(true);
            }
            Err(message) => {
                session.set_value(None);
                metrics.set(Vec::new());
                compare.set(None);
                total.set(None);
                assumptions.set(Vec::new());
                log.set(LogLines::starting_with(message.clone()));
                error.set(Some(message));
            }
        }
    };
    build(&form.get_untracked());
    let apply = Callback::new(move |f: SimForm| {
        sim_loop.stop.run(());
        if !embedded {
            replace_url(&f.href(machine));
        }
        build(&f);
    });
    let reset = Callback::new(move |()| {
        sim_loop.stop.run(());
        build(&form.get_untracked());
    });
    let inspection = Memo::new(move |_| {
        cycle.track();
        let at = selected.get()?;
        Some(session.with_value(|s| match s {
            Some(s) => s.inspect(at),
            None => Err("There is no run to inspect: fix the parameters first.".to_string()),
        }))
    });
    let ready = Signal::derive(move || error.with(Option::is_none));
    let phase = sim_loop.phase;
    let (slug, title) = machine.lesson();
    let first_link = if embedded {
        view! {
            <a href=move || form.with(|f| f.href(machine)) data-testid="sim-full-page-link">
                "Open the full simulator"
            </a>
            " (parameters, presets and sizes)"
        }
        .into_any()
    } else {
        view! {
            "Lesson: "
            <a href=Route::Lesson { slug: slug.into() }.href() data-testid="sim-lesson-link">{title}</a>
        }
        .into_any()
    };
    let others = machines()
        .filter(|m| m.arch() != arch)
        .map(|other| {
            view! {
                " · "
                <a
                    href=move || form.with(|f| f.href_on(other))
                    data-testid=format!("sim-other-{}", other.arch().name())
                >
                    {format!("The same workload on the {}", short_name(other.arch()))}
                </a>
            }
        })
        .collect_view();

    view! {
        <div class="sim-page" class:sim-page--embedded=embedded data-testid=format!("sim-page-{}", arch.name())>
            <p class="sim-page__links">{first_link} {others}</p>
            <div class="sim-layout">
                <div class="sim-layout__main">
                    <SimControls
                        phase
                        ready
                        speeds=machine.speeds()
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
                        {move || total.get().map(|t| format!(" of {t}"))}
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
                        {stage_view}
                        <p class="sim-result" data-testid="sim-result">
                            {move || result.get()}
                        </p>
                        <MetricsTable rows=metrics />
                        {move || {
                            compare
                                .get()
                                .map(|(table, roofline)| {
                                    view! {
                                        <CompareTable
                                            table
                                            roofline=Some(roofline)
                                            run_final=Signal::derive(move || phase.get() == Phase::Finished)
                                        />
                                    }
                                })
                        }}
                        {move || {
                            let items = assumptions.get();
                            (!items.is_empty())
                                .then(|| {
                                    view! {
                                        <section class="sim-panel sim-assumptions" data-testid="sim-assumptions">
                                            <h2 class="sim-panel__title">"What this model assumes"</h2>
                                            <ul>
                                                {items.into_iter().map(|a| view! { <li>{a}</li> }).collect_view()}
                                            </ul>
                                        </section>
                                    }
                                })
                        }}
                    </div>
                </div>
                <div class="sim-layout__side">
                    {(!embedded).then(|| view! { <SimParamsForm machine form on_apply=apply /> })}
                    {machine
                        .unit_name()
                        .map(|unit| {
                            view! {
                                <PeInspector
                                    unit
                                    two_d=machine.units_in_a_grid()
                                    selected
                                    rows=inspection
                                    on_select=ctx.on_select
                                />
                            }
                        })}
                    <EventLog log />
                </div>
            </div>
        </div>
    }
}
