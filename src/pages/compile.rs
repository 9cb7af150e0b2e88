//! `#/compile`: one machine's compile of one workload, stage by stage (trace, partition,
//! place, route, schedule, run), each stage a table read from the program the machine's
//! compiler made, with the real stack's tool beside it; and "change the shape", which
//! compiles a second shape and says what changed and whether the machine must recompile.
//!
//! The settings live in the address (`#/compile?machine=groq&preset=mlp&batch=4`). Compiles
//! run in the simulation worker (the BERT layer on the IPU takes a large part of a second),
//! so the page never freezes.

use std::rc::Rc;

use course::SimArch;
use leptos::prelude::*;

use crate::app::LocationContext;
use crate::components::DataTable;
use crate::components::sim::size_inputs;
use crate::route::replace_url;
use crate::simulation::Preset;
use crate::simulation::compare::{CompareWorker, FromCompare, PRESETS, ToCompare};
use crate::simulation::compile::{
    COMPILE_MACHINES, CompileDiff, CompileReport, CompileSetup, StageName, diff, verdict_rows,
};
use crate::simulation::form::preset_fields;
use crate::simulation::text::short_name;
use crate::training::client::WorkerClient;

/// The preset's name in the list.
fn preset_label(p: Preset) -> &'static str {
    match p {
        Preset::Gemv => "Tiny GEMV (y = W·x)",
        Preset::Mlp => "MNIST MLP layer (784 → 128, ReLU)",
        Preset::Cnn => "Graphcore example CNN, forward",
        Preset::BertLayer => "BERT-tiny encoder layer",
    }
}

/// The machine's name in the list.
fn machine_label(arch: SimArch) -> &'static str {
    match arch {
        SimArch::Gpu => "GPU (NVIDIA A100 model)",
        SimArch::Wse => "Cerebras WSE-2 mesh",
        SimArch::Ipu => "Graphcore IPU",
        SimArch::Rdu => "SambaNova RDU",
        SimArch::Groq => "Groq TSP",
    }
}

/// The query of a machine, a preset and sizes as typed.
fn query_of(arch: SimArch, preset: Preset, sizes: &[(&'static str, String)]) -> String {
    let mut q = vec![
        ("machine".to_owned(), arch.name().to_owned()),
        ("preset".to_owned(), preset.as_str().to_owned()),
    ];
    q.extend(sizes.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    crate::query::write(q.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// The compile page.
#[component]
pub fn CompilePage() -> impl IntoView {
    let location = use_context::<LocationContext>().map(|c| c.0);
    let query = location
        .map(|l| l.with_untracked(|l| l.query.clone()))
        .unwrap_or_default();
    let initial = CompileSetup::from_query(&query);
    let arch = RwSignal::new(initial.as_ref().map_or(SimArch::Groq, |s| s.arch));
    let preset = RwSignal::new(initial.as_ref().map_or(Preset::Mlp, |s| s.workload.preset));
    let sizes = RwSignal::new(initial.as_ref().map_or_else(
        |_| {
            preset_fields(Preset::Mlp)
                .iter()
                .map(|f| (f.key, (f.default)(Preset::Mlp).to_owned()))
                .collect()
        },
        |s| s.workload.sizes.clone(),
    ));
    // The shape to compare with, as typed.
    let new_sizes = RwSignal::new(sizes.get_untracked());
    let error = RwSignal::new(initial.as_ref().err().cloned());
    let diff_error = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<String>);
    let report = RwSignal::new(None::<CompileReport>);
    let compared = RwSignal::new(None::<(CompileReport, CompileDiff, CompileSetup)>);
    let busy = RwSignal::new(false);
    let report_id = RwSignal::new(0u32);
    let diff_id = RwSignal::new(0u32);
    let next_id = RwSignal::new(0u32);
    // The new shape's setup, kept until its compile answers.
    let diff_setup = RwSignal::new(None::<CompileSetup>);
    // The same change on every machine: its request and its table.
    let shape_id = RwSignal::new(0u32);
    let every = RwSignal::new(None::<Vec<Vec<String>>>);
    // The setup the report below is for.
    let applied = RwSignal::new(None::<CompileSetup>);

    let client: Rc<Option<WorkerClient<CompareWorker>>> = Rc::new(
        WorkerClient::<CompareWorker>::spawn(
            move |message| match message {
                FromCompare::Compiled { id, report: r } if id == report_id.get_untracked() => {
                    busy.set(false);
                    report.set(Some(*r));
                }
                FromCompare::Compiled { id, report: r } if id == diff_id.get_untracked() => {
                    busy.set(false);
                    if let (Some(old), Some(setup)) =
                        (report.get_untracked(), diff_setup.get_untracked())
                    {
                        let d = diff(&old, &r);
                        compared.set(Some((*r, d, setup)));
                    }
                }
                FromCompare::Shaped { id, machines } if id == shape_id.get_untracked() => {
                    every.set(Some(verdict_rows(&machines)));
                }
                FromCompare::Refused { id, message } if id == report_id.get_untracked() => {
                    busy.set(false);
                    error.set(Some(message));
                }
                FromCompare::Refused { id, message } if id == diff_id.get_untracked() => {
                    busy.set(false);
                    diff_error.set(Some(message));
                }
                _ => {}
            },
            move |message| failure.set(Some(message)),
        )
        .map_err(|m| failure.set(Some(m)))
        .ok(),
    );
    let send = {
        let client = Rc::clone(&client);
        move |query: String| -> u32 {
            let id = next_id.get_untracked().wrapping_add(1);
            next_id.set(id);
            busy.set(true);
            if let Some(c) = client.as_ref() {
                c.send(&ToCompare::Compile { id, query });
            }
            id
        }
    };
    let send = Rc::new(send);
    let send_shape = {
        let client = Rc::clone(&client);
        move |old: &CompileSetup, new: &CompileSetup| -> u32 {
            let id = next_id.get_untracked().wrapping_add(1);
            next_id.set(id);
            let query = |s: &CompileSetup| {
                let q = s.workload.query();
                crate::query::write(q.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            };
            if let Some(c) = client.as_ref() {
                c.send(&ToCompare::Shape {
                    id,
                    old_query: query(old),
                    new_query: query(new),
                });
            }
            id
        }
    };
    let start = {
        let send = Rc::clone(&send);
        move |setup: &CompileSetup| {
            error.set(None);
            diff_error.set(None);
            compared.set(None);
            every.set(None);
            report.set(None);
            replace_url(&setup.href());
            applied.set(Some(setup.clone()));
            new_sizes.set(setup.workload.sizes.clone());
            report_id.set(send(setup.query_string()));
        }
    };
    if let Ok(setup) = &initial {
        start(setup);
    }
    let start = Rc::new(start);
    let on_submit = {
        let start = Rc::clone(&start);
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let q = query_of(
                arch.get_untracked(),
                preset.get_untracked(),
                &sizes.get_untracked(),
            );
            match CompileSetup::from_query(&crate::query::parse(&q)) {
                Ok(setup) => start(&setup),
                Err(message) => {
                    report.set(None);
                    compared.set(None);
                    error.set(Some(message));
                }
            }
        }
    };
    let on_change_shape = {
        let send = Rc::clone(&send);
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            diff_error.set(None);
            compared.set(None);
            every.set(None);
            let Some(current) = applied.get_untracked() else {
                return;
            };
            let q = query_of(
                current.arch,
                current.workload.preset,
                &new_sizes.get_untracked(),
            );
            match CompileSetup::from_query(&crate::query::parse(&q)) {
                Ok(setup) => {
                    diff_setup.set(Some(setup.clone()));
                    diff_id.set(send(setup.query_string()));
                    shape_id.set(send_shape(&current, &setup));
                }
                Err(message) => diff_error.set(Some(message)),
            }
        }
    };
    // The new shape's report is already compiled: it becomes the page's.
    let on_open_new = move |_| {
        if let Some((new, _, setup)) = compared.get_untracked() {
            replace_url(&setup.href());
            new_sizes.set(setup.workload.sizes.clone());
            sizes.set(setup.workload.sizes.clone());
            preset.set(setup.workload.preset);
            arch.set(setup.arch);
            applied.set(Some(setup));
            report.set(Some(new));
            compared.set(None);
            every.set(None);
        }
    };
    let on_preset = move |ev: leptos::ev::Event| {
        if let Some(p) = Preset::parse(&event_target_value(&ev)) {
            preset.set(p);
            sizes.set(
                preset_fields(p)
                    .iter()
                    .map(|f| (f.key, (f.default)(p).to_owned()))
                    .collect(),
            );
        }
    };
    let on_machine = move |ev: leptos::ev::Event| {
        if let Some(a) = SimArch::from_name(&event_target_value(&ev)) {
            arch.set(a);
        }
    };
    let shown_preset = Signal::derive(move || preset.get());
    let applied_preset = Signal::derive(move || {
        applied.with(|a| a.as_ref().map_or(Preset::Mlp, |a| a.workload.preset))
    });

    let stages = move || {
        report.with(|r| {
            r.as_ref().map(|r| {
                let href = r.simulator_href.clone();
                let machine = short_name(r.arch);
                r.stages
                    .iter()
                    .map(|s| {
                        let key = s.name.key();
                        let headers = s.headers.clone();
                        let rows = s.rows.clone();
                        // The run is a list of figures: the headline ones (which the shape's
                        // diff compares) with their test ids, then the stage's other rows.
                        let more: Vec<(String, String)> = s
                            .rows
                            .iter()
                            .filter(|row| !r.figures.iter().any(|f| row.first() == Some(&f.label)))
                            .filter_map(|row| Some((row.first()?.clone(), row.get(1)?.clone())))
                            .collect();
                        let figures = (s.name == StageName::Run).then(|| {
                            view! {
                                <dl class="sim-metrics__list compile-figures">
                                    {r
                                        .figures
                                        .iter()
                                        .map(|f| {
                                            view! {
                                                <div class="sim-metrics__row">
                                                    <dt>{f.label.clone()}</dt>
                                                    <dd data-testid=format!(
                                                        "compile-figure-{}",
                                                        f.key,
                                                    )>{sim::units::thousands(f.value)}</dd>
                                                </div>
                                            }
                                        })
                                        .collect_view()}
                                    {more
                                        .into_iter()
                                        .map(|(label, value)| {
                                            view! {
                                                <div class="sim-metrics__row">
                                                    <dt>{label}</dt>
                                                    <dd>{value}</dd>
                                                </div>
                                            }
                                        })
                                        .collect_view()}
                                </dl>
                            }
                        });
                        view! {
                            <section
                                class="sim-panel compile-stage"
                                data-testid=format!("compile-stage-{key}")
                                aria-labelledby=format!("compile-stage-{key}-title")
                            >
                                <h2 class="sim-panel__title" id=format!("compile-stage-{key}-title")>
                                    {s.name.title()}
                                </h2>
                                <p class="compile-stage__tool" data-testid=format!("compile-tool-{key}")>
                                    <span class="compile-stage__tool-label">"On the real machine: "</span>
                                    {s.tool.clone()}
                                </p>
                                <p data-testid=format!("compile-summary-{key}")>{s.summary.clone()}</p>
                                {figures}
                                {(s.name != StageName::Run)
                                    .then(|| {
                                        view! {
                                            <DataTable
                                                testid="compile-table"
                                                label=format!("The {key} stage")
                                                dynamic_headers=Signal::derive(move || headers.clone())
                                                rows=Signal::derive(move || rows.clone())
                                            />
                                        }
                                    })}
                                <p class="sim-panel__note">
                                    <a href=href.clone() data-testid=format!("compile-sim-{key}")>
                                        {format!("See this on the {machine} simulator, same setup")}
                                    </a>
                                </p>
                            </section>
                        }
                    })
                    .collect_view()
            })
        })
    };

    view! {
        <h1>"The compile workflow, stage by stage"</h1>
        <p class="page__lead">
            "Every testbed machine compiles a model before it runs it: trace the graph with its shapes, partition it, place the parts on the chip's units, route the data between them, schedule the work, then run. Pick a machine and a workload: each stage below is read from the program this site's simulator of that machine compiled, with the real stack's tool for the stage beside it. Then change the batch or the sequence length to see what a new shape does to the program and whether the machine must compile again."
        </p>
        <form class="sim-form compile-form" on:submit=on_submit data-testid="compile-form">
            <label class="sim-form__field">
                <span class="sim-form__label">"Machine"</span>
                <select
                    class="sim-form__input"
                    data-testid="compile-machine"
                    on:change=on_machine
                    prop:value=move || arch.get().name()
                >
                    {COMPILE_MACHINES
                        .iter()
                        .map(|a| view! { <option value=a.name()>{machine_label(*a)}</option> })
                        .collect_view()}
                </select>
            </label>
            <label class="sim-form__field">
                <span class="sim-form__label">"Workload"</span>
                <select
                    class="sim-form__input"
                    data-testid="compile-preset"
                    on:change=on_preset
                    prop:value=move || preset.get().as_str()
                >
                    {PRESETS
                        .iter()
                        .map(|p| view! { <option value=p.as_str()>{preset_label(*p)}</option> })
                        .collect_view()}
                </select>
            </label>
            {size_inputs(shown_preset, sizes, "compile")}
            <button type="submit" class="sim-button sim-button--primary" data-testid="compile-run">
                "Compile"
            </button>
        </form>
        {move || {
            error
                .get()
                .map(|m| {
                    view! {
                        <p class="sim-error" role="alert" data-testid="compile-error">
                            {m}
                        </p>
                    }
                })
        }}
        {move || {
            failure
                .get()
                .map(|m| {
                    view! {
                        <p class="sim-error" role="alert" data-testid="compile-failure">
                            {m}
                        </p>
                    }
                })
        }}
        <p class="sim-status" aria-live="polite" data-testid="compile-status">
            {move || {
                if busy.get() {
                    "Compiling in the simulation worker…".to_owned()
                } else {
                    report
                        .with(|r| {
                            r.as_ref()
                                .map_or_else(
                                    String::new,
                                    |r| format!("Compiled {} for the {}.", r.workload, r.config),
                                )
                        })
                }
            }}
        </p>
                        <section
                            class="sim-panel compile-shape"
                            data-testid="compile-shape"
                            aria-labelledby="compile-shape-title"
                            hidden=move || report.with(Option::is_none)
                        >
                            <h2 class="sim-panel__title" id="compile-shape-title">
                                "Change the shape"
                            </h2>
                            <p class="sim-panel__note">
                                "Type another size and compile it: the page compares the new program with the one below and says whether this machine would have to compile again on the real system, and why."
                            </p>
                            <form
                                class="sim-form compile-form"
                                on:submit=on_change_shape
                                data-testid="compile-shape-form"
                            >
                                {size_inputs(applied_preset, new_sizes, "compile-new")}
                                <button type="submit" class="sim-button" data-testid="compile-shape-run">
                                    "Compile this shape and compare"
                                </button>
                            </form>
                            {move || {
                                diff_error
                                    .get()
                                    .map(|m| {
                                        view! {
                                            <p class="sim-error" role="alert" data-testid="compile-diff-error">
                                                {m}
                                            </p>
                                        }
                                    })
                            }}
                            {move || {
                                compared
                                    .get()
                                    .map(|(_, d, _)| {
                                        let changes: Vec<Vec<String>> = d
                                            .changes
                                            .iter()
                                            .map(|(w, a, b)| vec![w.clone(), a.clone(), b.clone()])
                                            .collect();
                                        view! {
                                            <p
                                                class=if d.recompile {
                                                    "compile-verdict compile-verdict--recompile"
                                                } else {
                                                    "compile-verdict"
                                                }
                                                data-testid="compile-diff-verdict"
                                            >
                                                {d.verdict.clone()}
                                            </p>
                                            <p data-testid="compile-diff-reason">{d.reason.clone()}</p>
                                            <DataTable
                                                testid="compile-diff-table"
                                                label="What the new shape changes"
                                                headers=&["What", "Now", "New shape"]
                                                rows=Signal::derive(move || changes.clone())
                                            />
                                        }
                                    })
                            }}
                            <div
                                class="compile-every"
                                data-testid="compile-every"
                                hidden=move || every.with(Option::is_none)
                            >
                                <h3 class="compile-every__title">"The same change on every machine"</h3>
                                <DataTable
                                    testid="compile-every-machine"
                                    label="Which machines must recompile"
                                    headers=&["Machine", "Must recompile?", "What happens"]
                                    rows=Signal::derive(move || every.get().unwrap_or_default())
                                />
                            </div>
                            <p class="sim-panel__note" hidden=move || compared.with(Option::is_none)>
                                <button
                                    type="button"
                                    class="sim-button"
                                    data-testid="compile-diff-open"
                                    on:click=on_open_new
                                >
                                    "Show every stage for the new shape"
                                </button>
                            </p>
                        </section>
        {stages}
        {move || {
            applied
                .get()
                .filter(|_| report.with(Option::is_some))
                .map(|a| {
                    view! {
                        <p class="sim-panel__note">
                            "The workload on all five machines at once: "
                            <a href=a.workload.href() data-testid="compile-compare">
                                "the compare page"
                            </a>
                            "."
                        </p>
                    }
                })
        }}
    }
}
