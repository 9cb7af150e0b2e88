//! The text panels beside a simulator's canvas: metrics, the comparison with other machines,
//! the unit inspector and the GPU's per-kernel HBM traffic. With the event log they say in words
//! everything the canvas shows.

use leptos::prelude::*;

use crate::components::ScrollBox;

use super::RooflineChart;
use crate::charts::roofline::RooflineData;
use crate::simulation::gpu::KernelTraffic;
use crate::simulation::text::short_name;
use crate::simulation::{CompareTable as CompareData, InspectRows, MetricRow};

/// Live metrics as a definition list; each value has `data-testid="sim-metric-<key>"`.
#[component]
pub fn MetricsTable(
    /// The rows to show (empty before the first slice).
    #[prop(into)]
    rows: Signal<Vec<MetricRow>>,
) -> impl IntoView {
    let title_id = super::unique_id("sim-metrics-title");
    view! {
        <section class="sim-panel sim-metrics" aria-labelledby=title_id.clone()>
            <h2 class="sim-panel__title" id=title_id.clone()>"Metrics"</h2>
            <dl class="sim-metrics__list">
                <For
                    each=move || rows.get()
                    key=|r| (r.key, r.value.clone())
                    children=|r| {
                        view! {
                            <div class="sim-metrics__row">
                                <dt>{r.label}</dt>
                                <dd data-testid=format!("sim-metric-{}", r.key)>{r.value}</dd>
                            </div>
                        }
                    }
                />
            </dl>
        </section>
    }
}

/// The same workload on several machines: one column each, this run last.
#[component]
pub fn CompareTable(
    /// The table (columns and rows).
    #[prop(into)]
    table: Signal<CompareData>,
    /// Whether this run (the last column) is final.
    #[prop(into)]
    run_final: Signal<bool>,
    /// The roofline chart's data.
    #[prop(into)]
    roofline: Signal<Option<RooflineData>>,
) -> impl IntoView {
    let title_id = super::unique_id("sim-compare-title");
    let title = move || {
        table.with(|t| {
            let names: Vec<&str> = t.columns.iter().map(|a| short_name(*a)).collect();
            format!("{} on the same workload", names.join(" and "))
        })
    };
    view! {
        <section class="sim-panel sim-compare" aria-labelledby=title_id.clone()>
            <h2 class="sim-panel__title" id=title_id.clone()>{title}</h2>
            <p class="sim-panel__note">
                "The other columns are the models of those machines running this workload to the end. "
                {move || {
                    if run_final.get() {
                        "The last column is this run, finished."
                    } else {
                        "The last column is this run so far; press Play to finish it."
                    }
                }}
            </p>
            <ScrollBox label="This run beside the other machines">
                <table class="sim-table" data-testid="sim-compare">
                    <thead>
                        <tr>
                            <th scope="col">"Metric"</th>
                            {move || {
                                table.with(|t| {
                                    t.columns
                                        .iter()
                                        .map(|a| view! { <th scope="col">{short_name(*a)}</th> })
                                        .collect_view()
                                })
                            }}
                        </tr>
                    </thead>
                    <tbody>
                        {move || {
                            let t = table.get();
                            t.rows
                                .into_iter()
                                .map(|r| {
                                    let cells = r
                                        .values
                                        .into_iter()
                                        .zip(t.columns.iter())
                                        .map(|(v, arch)| {
                                            view! {
                                                <td data-testid=format!("sim-compare-{}-{}", arch.name(), r.key)>
                                                    {v}
                                                </td>
                                            }
                                        })
                                        .collect_view();
                                    view! {
                                        <tr>
                                            <th scope="row">{r.label}</th>
                                            {cells}
                                        </tr>
                                    }
                                })
                                .collect_view()
                        }}
                    </tbody>
                </table>
            </ScrollBox>
            <h3 class="sim-panel__subtitle">"Roofline"</h3>
            <RooflineChart data=roofline />
        </section>
    }
}

/// What a clicked unit holds. A small form picks one by column and row (or number), for the
/// keyboard.
#[component]
pub fn PeInspector(
    /// What a unit is called ("PE", "tile").
    unit: &'static str,
    /// Whether a unit is picked by column and row (a mesh) or by one index (tiles).
    two_d: bool,
    /// The selected unit, if any.
    #[prop(into)]
    selected: Signal<Option<(u32, u32)>>,
    /// Its inspection, as label/value rows (or an error sentence).
    #[prop(into)]
    rows: Signal<Option<InspectRows>>,
    /// Called with a PE picked in the form.
    on_select: Callback<(u32, u32)>,
) -> impl IntoView {
    // The fields show the selected PE (a click on the canvas fills them in); what the
    // learner types is read from the fields on submit, so no signal mirrors them.
    let x_input = NodeRef::<leptos::html::Input>::new();
    let y_input = NodeRef::<leptos::html::Input>::new();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // Junk becomes u32::MAX, which the engine reports as outside the mesh.
        let read = |r: NodeRef<leptos::html::Input>| {
            r.get()
                .and_then(|el| el.value().trim().parse::<u32>().ok())
                .unwrap_or(u32::MAX)
        };
        let y = if two_d { read(y_input) } else { 0 };
        on_select.run((read(x_input), y));
    };
    let shown = move |pick: fn((u32, u32)) -> u32| {
        selected
            .get()
            .map_or_else(|| "0".to_string(), |pe| pick(pe).to_string())
    };
    let title_id = super::unique_id("sim-inspector-title");
    view! {
        <section class="sim-panel sim-inspector" aria-labelledby=title_id.clone()>
            <h2 class="sim-panel__title" id=title_id.clone() data-testid="sim-inspector-title">
                {move || match selected.get() {
                    Some((x, y)) if two_d => format!("{unit} ({x}, {y})"),
                    Some((x, _)) => format!("{unit} {x}"),
                    None => format!("Inspect a {unit}"),
                }}
            </h2>
            <form class="sim-inspector__pick" on:submit=on_submit>
                <label>
                    {if two_d { "Column " } else { "Number " }}
                    <input
                        type="text"
                        inputmode="numeric"
                        size="4"
                        data-testid="sim-inspect-x"
                        node_ref=x_input
                        prop:value=move || shown(|(x, _)| x)
                    />
                </label>
                <label class:sim-inspector__hidden=!two_d>
                    "Row "
                    <input
                        type="text"
                        inputmode="numeric"
                        size="4"
                        data-testid="sim-inspect-y"
                        node_ref=y_input
                        prop:value=move || shown(|(_, y)| y)
                    />
                </label>
                <button type="submit" class="sim-button" data-testid="sim-inspect">
                    "Inspect"
                </button>
            </form>
            {move || match rows.get() {
                None => {
                    view! {
                        <p class="sim-panel__note">
                            {format!("Click a {unit} in the picture, or pick one here, to see what it holds and does.")}
                        </p>
                    }
                        .into_any()
                }
                Some(Err(message)) => {
                    view! { <p class="sim-error" role="alert">{message}</p> }.into_any()
                }
                Some(Ok(rows)) => view! { <LabelValueList rows testid="sim-inspector" /> }.into_any(),
            }}
        </section>
    }
}

/// Every GPU kernel's trips to HBM.
#[component]
pub fn TrafficTable(
    /// One row per kernel.
    #[prop(into)]
    rows: Signal<Vec<KernelTraffic>>,
    /// The summary sentence.
    #[prop(into)]
    summary: Signal<String>,
) -> impl IntoView {
    let title_id = super::unique_id("sim-traffic-title");
    view! {
        <section class="sim-panel sim-traffic" aria-labelledby=title_id.clone()>
            <h2 class="sim-panel__title" id=title_id.clone()>
                "What a dataflow machine avoids: HBM round trips per kernel"
            </h2>
            <p data-testid="sim-round-trips">{summary}</p>
            <ScrollBox label="HBM round trips per kernel">
                <table class="sim-table" data-testid="sim-traffic">
                    <thead>
                        <tr>
                            <th scope="col">"Kernel"</th>
                            <th scope="col">"Reads from HBM"</th>
                            <th scope="col">"of them activations"</th>
                            <th scope="col">"Writes to HBM"</th>
                            <th scope="col">"Cache hits"</th>
                            <th scope="col">"Cycles"</th>
                            <th scope="col">"Bound by"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || {
                            rows.get()
                                .into_iter()
                                .map(|r| {
                                    let bound = match r.bound {
                                        sim::trace::Bound::Compute => "compute",
                                        sim::trace::Bound::Memory => "memory",
                                    };
                                    let written = if r.output_read_later {
                                        format!("{} (read back later)", r.hbm_written)
                                    } else {
                                        format!("{} (the result)", r.hbm_written)
                                    };
                                    view! {
                                        <tr>
                                            <th scope="row">{format!("{} ({})", r.name, r.kind)}</th>
                                            <td>{r.hbm_read.to_string()}</td>
                                            <td>{r.activations_in.to_string()}</td>
                                            <td>{written}</td>
                                            <td>{r.cache_read.to_string()}</td>
                                            <td>{r.cycles.0.to_string()}</td>
                                            <td>{bound}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()
                        }}
                    </tbody>
                </table>
            </ScrollBox>
        </section>
    }
}

/// Label/value pairs as a definition list (an inspection, an estimate).
#[component]
pub fn LabelValueList(
    /// The pairs, in order.
    rows: Vec<(String, String)>,
    /// The list's `data-testid`.
    #[prop(optional)]
    testid: &'static str,
) -> impl IntoView {
    view! {
        <dl class="sim-metrics__list" data-testid=testid>
            {rows
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
}

/// A machine's own experiment as label/value rows, or the sentence saying why there are none.
pub type ExperimentRows = Result<Vec<(String, String)>, String>;

/// What a machine's own experiment gives: the model's figures beside the real machine's, as
/// label/value rows, or the sentence saying why this setup has none. Nothing is shown until
/// the stage has computed it (`None`).
#[component]
pub fn ModelBesideReal(
    /// The section's `data-testid`.
    testid: &'static str,
    /// The panel's heading.
    title: &'static str,
    /// What the figures are: whose, and what to compare.
    note: &'static str,
    /// The rows, or why there are none.
    rows: Signal<Option<ExperimentRows>>,
) -> impl IntoView {
    move || {
        rows.get().map(|result| {
            let body = match result {
                Ok(rows) => view! { <LabelValueList rows /> }.into_any(),
                Err(message) => {
                    view! { <p class="sim-error" role="alert">{message}</p> }.into_any()
                }
            };
            view! {
                <section class="sim-panel" data-testid=testid>
                    <h2 class="sim-panel__title">{title}</h2>
                    <p class="sim-panel__note">{note}</p>
                    {body}
                </section>
            }
        })
    }
}
