//! Groq: BERT-tiny on real input instead of the example's dummy input (`groq-…` keys).

use leptos::prelude::*;

use super::SectionFrame;
use crate::components::table::DataTable;
use crate::training::homework::reality::{self, Section};

#[component]
pub fn GroqSection(query: Vec<(String, String)>) -> impl IntoView {
    let _ = query;
    view! {
        <SectionFrame at="groq">
            <p>
                "The homework: replace the example's dummy input with your own, then double the "
                "input length. The accuracy stayed at 77.47 % (GroqFlow took the given input only "
                "for its shape), and the new length meant a new compile and a new latency:"
            </p>
            <DataTable
                testid="homework-groq-real"
                label="On-chip latency of BERT-tiny at two input lengths on a GroqChip"
                headers=&["input length", "on-chip latency"]
                rows=Signal::stored(vec![
                    vec!["128".to_owned(), format!("{} µs", sim::groq::latency::REAL_SEQ128_US)],
                    vec!["256".to_owned(), format!("{} µs", sim::groq::latency::REAL_SEQ256_US)],
                ])
            />
            <p class="homework-source">{format!("Source: {}.", reality::source(Section::Groq))}</p>
        </SectionFrame>
    }
}
