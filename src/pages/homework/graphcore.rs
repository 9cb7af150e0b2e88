//! Graphcore: the MNIST example's learning rate, batch size and epochs (`ipu-…` keys).

use leptos::prelude::*;

use super::SectionFrame;
use crate::components::table::DataTable;
use crate::training::homework::reality::{self, Section};

#[component]
pub fn GraphcoreSection(query: Vec<(String, String)>) -> impl IntoView {
    let _ = query;
    view! {
        <SectionFrame at="graphcore">
            <p>
                "The homework: train the PopTorch MNIST example on one IPU, change the learning "
                "rate, the batch size and the number of epochs, and explain the results. The "
                "student varied only the learning rate (batch 8, 10 epochs):"
            </p>
            <DataTable
                testid="homework-graphcore-real"
                label="Test accuracy of the four learning rates on a Bow IPU"
                headers=&["learning rate", "test accuracy on the IPU"]
                rows=Signal::stored(
                    crate::training::mnist::config::IPU_SWEEP
                        .iter()
                        .map(|(lr, acc)| vec![lr.to_string(), format!("{acc:.2} %")])
                        .collect::<Vec<_>>(),
                )
            />
            <p class="homework-source">{format!("Source: {}.", reality::source(Section::Graphcore))}</p>
        </SectionFrame>
    }
}
