//! `#/compare`: one workload on the five machines. The settings live in the address; the
//! engines run in the worker (a build can take longer than a frame), which sends a report
//! after every slice; the page draws the table, the timeline and the roofline from it.

use std::rc::Rc;

use leptos::html::{A, Canvas};
use leptos::prelude::*;

use crate::components::ScrollBox;

use crate::app::LocationContext;
use crate::charts::canvas::use_resize_tick;
use crate::charts::palette::use_palette;
use crate::charts::timeline::{draw_timeline, kind_colour, timeline_height};
use crate::components::sim::{RooflineChart, SimLegend, size_inputs};
use crate::files::{download_bytes, download_text};
use crate::route::replace_url;
use crate::simulation::Preset;
use crate::simulation::compare::{
    CompareReport, CompareSetup, CompareWorker, FromCompare, PRESETS, ToCompare,
};
use crate::simulation::form::preset_fields;
use crate::simulation::session::SpanKind;
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

/// Share of each kind of time in a lane, as a sentence (the timeline's text alternative).
fn lane_summary(lane: &crate::simulation::compare::Lane) -> String {
    let total: f64 = lane.spans.iter().map(|s| s.1 - s.0).sum::<f64>().max(1e-12);
    let mut parts = Vec::new();
    for kind in [
        SpanKind::Compute,
        SpanKind::OffChip,
        SpanKind::Exchange,
        SpanKind::Overhead,
    ] {
        let t: f64 = lane
            .spans
            .iter()
            .filter(|s| s.2 == kind)
            .map(|s| s.1 - s.0)
            .sum();
        if t > 0.0 {
            parts.push(format!("{} {:.0} %", kind.label(), 100.0 * t / total));
        }
    }
    format!(
        "{:.3} µs in {} spans: {}.",
        lane.total_us,
        lane.spans.len(),
        parts.join(", ")
    )
}

/// The compare page.
#[component]
pub fn ComparePage() -> impl IntoView {
    let location = use_context::<LocationContext>().map(|c| c.0);
    let query = location
        .map(|l| l.with_untracked(|l| l.query.clone()))
        .unwrap_or_default();
    let initial = CompareSetup::from_query(&query);
    let preset = RwSignal::new(initial.as_ref().map_or(Preset::Gemv, |s| s.preset));
    // The sizes as typed, by key.
    let sizes = RwSignal::new(
        initial
            .as_ref()
            .map(|s| s.sizes.clone())
            .unwrap_or_default(),
    );
    let error = RwSignal::new(initial.as_ref().err().cloned());
    let report = RwSignal::new(None::<CompareReport>);
    let run_id = RwSignal::new(0u32);
    let failure = RwSignal::new(None::<String>);
    let applied = RwSignal::new(None::<CompareSetup>);

    let client: Rc<Option<WorkerClient<CompareWorker>>> = Rc::new(
        WorkerClient::<CompareWorker>::spawn(
            move |message| match message {
                FromCompare::Report { id, report: r } if id == run_id.get_untracked() => {
                    report.set(Some(r));
                }
                FromCompare::Refused { id, message } if id == run_id.get_untracked() => {
                    error.set(Some(message));
                }
                _ => {}
            },
            move |message| failure.set(Some(message)),
        )
        .map_err(|m| failure.set(Some(m)))
        .ok(),
    );
    let start = {
        let client = Rc::clone(&client);
        move |setup: &CompareSetup| {
            let id = run_id.get_untracked().wrapping_add(1);
            run_id.set(id);
            report.set(None);
            error.set(None);
            replace_url(&setup.href());
            applied.set(Some(setup.clone()));
            if let Some(c) = client.as_ref() {
                let query: Vec<(String, String)> = setup.query();
                c.send(&ToCompare::Start {
                    id,
                    query: crate::query::write(query.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
                });
            }
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
            let mut q = vec![(
                "preset".to_owned(),
                preset.get_untracked().as_str().to_owned(),
            )];
            q.extend(
                sizes
                    .get_untracked()
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v)),
            );
            match CompareSetup::from_query(&q) {
                Ok(setup) => start(&setup),
                Err(message) => error.set(Some(message)),
            }
        }
    };
    let on_preset = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        if let Some(p) = Preset::parse(&text) {
            preset.set(p);
            sizes.set(
                preset_fields(p)
                    .iter()
                    .map(|f| (f.key, (f.default)(p).to_owned()))
                    .collect(),
            );
        }
    };

    let csv_anchor = NodeRef::<A>::new();
    let png_anchor = NodeRef::<A>::new();
    let timeline_ref = NodeRef::<Canvas>::new();
    let palette = use_palette();
    let resized = use_resize_tick();
    Effect::new(move |_| {
        resized.track();
        let palette = palette.get();
        if let Some(canvas) = timeline_ref.get() {
            report.with(|r| {
                if let Some(r) = r {
                    let _ = draw_timeline(&canvas, &r.lanes, &palette);
                }
            });
        }
    });
    let download_csv = move |_| {
        let Some(anchor) = csv_anchor.get() else {
            return;
        };
        let text = report.with_untracked(|r| r.as_ref().map(|r| r.table.csv()));
        if let Some(text) = text
            && let Err(m) = download_text(&anchor, "compare.csv", "text/csv", &text)
        {
            failure.set(Some(m));
        }
    };
    let download_png = move |_| {
        let (Some(anchor), Some(canvas)) = (png_anchor.get(), timeline_ref.get()) else {
            return;
        };
        match canvas_png(&canvas) {
            Ok(bytes) => {
                if let Err(m) = download_bytes(&anchor, "compare-timeline.png", "image/png", &bytes)
                {
                    failure.set(Some(m));
                }
            }
            Err(m) => failure.set(Some(m)),
        }
    };
    let done = move || report.with(|r| r.as_ref().is_some_and(|r| r.done));

    view! {
        <h1>"One workload on five machines"</h1>
        <p class="page__lead">
            "Pick a workload: the GPU, the Cerebras mesh, the Graphcore IPU, the SambaNova RDU and the Groq TSP models each run it, and the table, timeline and roofline put what their engines measured side by side. Every machine does the same work, one pass of the workload (the RDU streams one micro-batch), in the small configuration its own page starts with (named in the first row). Every figure is a simulator's, not a vendor's measurement; the lessons give the real ones with their sources."
        </p>
        <form class="sim-form compare-form" on:submit=on_submit data-testid="compare-form">
            <label class="sim-form__field">
                <span class="sim-form__label">"Workload"</span>
                <select
                    class="sim-form__input"
                    data-testid="compare-preset"
                    on:change=on_preset
                    prop:value=move || preset.get().as_str()
                >
                    {PRESETS
                        .iter()
                        .map(|p| {
                            view! { <option value=p.as_str()>{preset_label(*p)}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            {size_inputs(preset.into(), sizes, "compare")}
            <button type="submit" class="sim-button" data-testid="compare-run">
                "Run on all five"
            </button>
        </form>
        {move || {
            error
                .get()
                .map(|m| {
                    view! {
                        <p class="sim-error" role="alert" data-testid="compare-error">
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
                        <p class="sim-error" role="alert" data-testid="compare-failure">
                            {m}
                        </p>
                    }
                })
        }}
        <p class="sim-status" aria-live="polite" data-testid="compare-progress">
            {move || {
                report
                    .with(|r| match r {
                        Some(r) => format!("{}: {}", r.workload, r.progress),
                        None => "Waiting for the simulation worker…".to_owned(),
                    })
            }}
        </p>
        <section class="sim-panel" aria-labelledby="compare-table-title">
            <h2 class="sim-panel__title" id="compare-table-title">
                "The table"
            </h2>
            <ScrollBox label="The table">
                <table class="sim-table" data-testid="compare-table">
                    <thead>
                        <tr>
                            <th scope="col">"Metric"</th>
                            {move || {
                                report
                                    .with(|r| {
                                        r.as_ref()
                                            .map(|r| {
                                                r.table
                                                    .columns
                                                    .iter()
                                                    .map(|a| {
                                                        view! { <th scope="col">{short_name(*a)}</th> }
                                                    })
                                                    .collect_view()
                                            })
                                    })
                            }}
                        </tr>
                    </thead>
                    <tbody>
                        {move || {
                            report
                                .with(|r| {
                                    r.as_ref()
                                        .map(|r| {
                                            r.table
                                                .rows
                                                .iter()
                                                .map(|row| {
                                                    let cells = row
                                                        .values
                                                        .iter()
                                                        .zip(&r.table.columns)
                                                        .map(|(v, a)| {
                                                            let id = format!(
                                                                "compare-{}-{}",
                                                                a.name(),
                                                                row.key,
                                                            );
                                                            view! { <td data-testid=id>{v.clone()}</td> }
                                                        })
                                                        .collect_view();
                                                    view! {
                                                        <tr>
                                                            <th scope="row">{row.label.clone()}</th>
                                                            {cells}
                                                        </tr>
                                                    }
                                                })
                                                .collect_view()
                                        })
                                })
                        }}
                    </tbody>
                </table>
            </ScrollBox>
            <p class="sim-panel__note">
                "Open one machine on its own page with this workload, to watch it run: "
                {move || {
                    applied
                        .get()
                        .map(|setup| {
                            crate::simulation::machines()
                                .map(|m| {
                                    view! {
                                        <a class="compare-link" href=setup.machine_href(m)>
                                            {short_name(m.arch())}
                                        </a>
                                        " "
                                    }
                                })
                                .collect_view()
                        })
                }}
            </p>
            <p class="sim-panel__note">
                "See how each machine compiles it, stage by stage: "
                {move || {
                    applied
                        .get()
                        .map(|setup| {
                            crate::simulation::compile::COMPILE_MACHINES
                                .iter()
                                .map(|arch| {
                                    let href = crate::simulation::compile::CompileSetup {
                                        arch: *arch,
                                        workload: setup.clone(),
                                    }
                                        .href();
                                    view! {
                                        <a
                                            class="compare-link"
                                            href=href
                                            data-testid=format!("compare-compile-{}", arch.name())
                                        >
                                            {short_name(*arch)}
                                        </a>
                                        " "
                                    }
                                })
                                .collect_view()
                        })
                }}
            </p>
            <p class="sim-panel__note">
                <button
                    type="button"
                    class="sim-button"
                    data-testid="compare-csv"
                    prop:disabled=move || !done()
                    on:click=download_csv
                >
                    "Download the table (CSV)"
                </button>
                <a node_ref=csv_anchor class="visually-hidden" aria-hidden="true" tabindex="-1"></a>
            </p>
        </section>
        <section class="sim-panel" aria-labelledby="compare-timeline-title">
            <h2 class="sim-panel__title" id="compare-timeline-title">
                "Where each machine spends its time"
            </h2>
            <p class="sim-panel__note">
                "One lane per machine on one axis in microseconds, each at its own clock. "
            </p>
            <SimLegend items=Signal::derive(move || {
                let p = palette.get();
                [SpanKind::Compute, SpanKind::OffChip, SpanKind::Exchange, SpanKind::Overhead]
                    .into_iter()
                    .map(|k| (kind_colour(k, &p), k.label(), "sim-legend__swatch sim-legend__swatch--bar"))
                    .collect::<Vec<_>>()
            }) />
            <canvas
                class="sim-canvas compare-timeline"
                data-testid="compare-timeline"
                node_ref=timeline_ref
                role="img"
                aria-label="Timeline: one lane per machine; the list below gives each lane in words"
                height=move || {
                    report.with(|r| timeline_height(r.as_ref().map_or(5, |r| r.lanes.len())))
                }
            ></canvas>
            <ul class="compare-lanes" data-testid="compare-lanes">
                {move || {
                    report
                        .with(|r| {
                            r.as_ref()
                                .map(|r| {
                                    r.lanes
                                        .iter()
                                        .map(|l| {
                                            view! {
                                                <li>
                                                    <strong>{short_name(l.arch)}</strong>
                                                    ": "
                                                    {lane_summary(l)}
                                                </li>
                                            }
                                        })
                                        .collect_view()
                                })
                        })
                }}
            </ul>
            <p class="sim-panel__note">
                <button
                    type="button"
                    class="sim-button"
                    data-testid="compare-png"
                    prop:disabled=move || !done()
                    on:click=download_png
                >
                    "Download the timeline (PNG)"
                </button>
                <a node_ref=png_anchor class="visually-hidden" aria-hidden="true" tabindex="-1"></a>
            </p>
        </section>
        <section class="sim-panel" aria-labelledby="compare-roofline-title">
            <h2 class="sim-panel__title" id="compare-roofline-title">
                "The roofline: every machine's roof and this workload's point"
            </h2>
            <RooflineChart data=Signal::derive(move || {
                report.with(|r| r.as_ref().map(|r| r.roofline.clone()))
            }) />
        </section>
    }
}

/// The canvas as PNG bytes.
fn canvas_png(canvas: &web_sys::HtmlCanvasElement) -> Result<Vec<u8>, String> {
    let refused = |_| "Your browser refused to make a picture of the timeline.".to_owned();
    let url = canvas.to_data_url_with_type("image/png").map_err(refused)?;
    let b64 = url
        .split_once(',')
        .map(|(_, b)| b)
        .ok_or_else(|| "The timeline's picture came back empty.".to_owned())?;
    let window = web_sys::window().ok_or_else(|| "No window.".to_owned())?;
    let binary = window.atob(b64).map_err(refused)?;
    Ok(binary.chars().map(|c| c as u32 as u8).collect())
}
