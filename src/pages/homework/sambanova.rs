//! SambaNova: data-parallel tasks (`--ntasks`), here across Web Workers (`sn-…` keys).

use leptos::prelude::*;

use super::SectionFrame;
use crate::components::table::DataTable;
use crate::training::homework::reality::{self, Section};

#[component]
pub fn SambanovaSection(query: Vec<(String, String)>) -> impl IntoView {
    let _ = query;
    view! {
        <SectionFrame at="sambanova">
            <p>
                "The homework: train BERT-large data-parallel with 8, 16 and 32 tasks "
                "(replicas, each on its share of every batch) and compare the throughput. "
                "Throughput doubled with the tasks; the script's throughput check passed only at "
                "16 tasks, the count its window was tuned for:"
            </p>
            <DataTable
                testid="homework-sambanova-real"
                label="Samples per second of the three --ntasks runs on SN30"
                headers=&["--ntasks", "nodes", "505 steps", "samples per second"]
                rows=Signal::stored(
                    sim::rdu::scaling::REAL_RUNS
                        .iter()
                        .map(|run| {
                            vec![
                                run.ntasks.to_string(),
                                run.nodes.to_string(),
                                format!("{:.2} s", run.e2e_s),
                                format!("{:.0}", run.samples_per_s),
                            ]
                        })
                        .collect::<Vec<_>>(),
                )
            />
            <p class="homework-source">{format!("Source: {}.", reality::source(Section::Sambanova))}</p>
        </SectionFrame>
    }
}
