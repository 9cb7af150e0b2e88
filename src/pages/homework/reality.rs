//! "Model against reality": every real figure of the homework beside this site's figure for the
//! same setting, the ratio, and what the model leaves out; live as the sections' runs finish,
//! and as CSV.

use leptos::html::A;
use leptos::prelude::*;

use super::HomeworkFigures;
use crate::components::table::DataTable;
use crate::training::homework::grid::ipu_setting_result;
use crate::training::homework::groq::reality_figures;
use crate::training::homework::reality::{
    GraphcoreOurs, RealityRow, fill_graphcore, fill_groq, real_rows, to_csv,
};
use crate::training::mnist::config::IPU_SWEEP;

/// Every row with what this visit has of ours.
fn live_rows(figures: Option<HomeworkFigures>, model_epoch_s: Option<f64>) -> Vec<RealityRow> {
    let mut rows = real_rows();
    let accuracy = figures
        .and_then(|f| f.graphcore_records.get())
        .map(|records| {
            records.with(|r| {
                IPU_SWEEP
                    .iter()
                    .filter_map(|&(lr, _)| ipu_setting_result(r, lr).map(|(a, ipu)| (lr, a, ipu)))
                    .collect()
            })
        })
        .unwrap_or_default();
    fill_graphcore(
        &mut rows,
        &GraphcoreOurs {
            accuracy,
            model_epoch_s,
        },
    );
    let groq = figures
        .and_then(|f| f.groq_results.get())
        .map(|results| results.with(|r| reality_figures(r)))
        .unwrap_or_else(|| reality_figures(&[]));
    fill_groq(&mut rows, &groq);
    rows
}

#[component]
pub fn RealitySection() -> impl IntoView {
    let figures = use_context::<HomeworkFigures>();
    let model_epoch_s = super::graphcore::model_epoch_s(8).ok();
    let rows = Memo::new(move |_| live_rows(figures, model_epoch_s));
    let table = Signal::derive(move || {
        rows.with(|rows| {
            rows.iter()
                .map(|row| {
                    let (ours, from) = row
                        .ours
                        .as_ref()
                        .map_or(("not run yet".to_owned(), ""), |(_, text, from)| {
                            (text.clone(), *from)
                        });
                    vec![
                        row.section.at().to_owned(),
                        row.setting.clone(),
                        row.quantity.to_owned(),
                        row.real.clone(),
                        ours,
                        from.to_owned(),
                        row.ratio().map_or_else(String::new, |r| format!("{r:.2}×")),
                        row.leaves_out.to_owned(),
                    ]
                })
                .collect::<Vec<_>>()
        })
    });
    let anchor = NodeRef::<A>::new();
    let download_error = RwSignal::new(None::<String>);
    let download = move |_| {
        let Some(a) = anchor.get_untracked() else {
            return;
        };
        let csv = rows.with_untracked(|r| to_csv(r));
        download_error.set(
            crate::files::download_text(&a, "homework-model-vs-reality.csv", "text/csv", &csv)
                .err(),
        );
    };
    view! {
        <section class="homework-section" id="reality" tabindex="-1" aria-labelledby="reality-heading">
            <h2 id="reality-heading">"Model against reality"</h2>
            <p>
                "Every figure the real machines reported in the homework, beside this site's "
                "figure for the same setting. The “from” column says whose figure it is: a "
                "simulator's (a model of the machine, not the machine) or this browser's own "
                "measurement. The ratio is ours over the real one. The table fills in as you run "
                "the sections above."
            </p>
            <DataTable
                testid="homework-reality"
                label="Every real figure of the homework beside this site's"
                headers=&["machine", "setting", "quantity", "real", "here", "from", "here ÷ real", "what ours leaves out"]
                rows=table
                row_header=1
            />
            <div class="lab-form__actions">
                <button type="button" class="lab-button" data-testid="homework-reality-csv" on:click=download>
                    "Download the table (CSV)"
                </button>
                <a node_ref=anchor data-testid="homework-reality-csv-file" hidden aria-hidden="true"></a>
            </div>
            <p class="lab-form__error" role="alert">{move || download_error.get()}</p>
        </section>
    }
}
