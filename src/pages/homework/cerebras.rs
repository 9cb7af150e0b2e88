//! Cerebras: BERT's batch size against run time (`cs-…` keys).

use leptos::prelude::*;

use super::SectionFrame;
use crate::components::table::DataTable;
use crate::training::homework::reality::{self, CEREBRAS_RUNS, Section};

#[component]
pub fn CerebrasSection(query: Vec<(String, String)>) -> impl IntoView {
    let _ = query;
    view! {
        <SectionFrame at="cerebras">
            <p>
                "The homework: pre-train BERT-large on a CS-2 at three batch sizes and compare "
                "the run times. Time grew far slower than the batch, so throughput rose:"
            </p>
            <DataTable
                testid="homework-cerebras-real"
                label="Time and throughput of 1,000 steps at three batch sizes on a CS-2"
                headers=&["batch", "1,000 steps", "time per step", "samples per second"]
                rows=Signal::stored(
                    CEREBRAS_RUNS
                        .iter()
                        .map(|run| {
                            vec![
                                run.batch.to_string(),
                                format!("{:.2} s", run.seconds),
                                format!("{:.3} s", run.seconds / 1_000.0),
                                format!("{:.0}", run.samples_per_s),
                            ]
                        })
                        .collect::<Vec<_>>(),
                )
            />
            <p class="homework-source">{format!("Source: {}.", reality::source(Section::Cerebras))}</p>
        </SectionFrame>
    }
}
