//! "Model against reality": every real figure of the homework beside this site's figure for the
//! same setting, the ratio, and what the model leaves out.

use leptos::prelude::*;

use crate::components::table::DataTable;
use crate::training::homework::reality::real_rows;

#[component]
pub fn RealitySection() -> impl IntoView {
    let rows = real_rows()
        .into_iter()
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
        .collect::<Vec<_>>();
    view! {
        <section class="homework-section" id="reality" tabindex="-1" aria-labelledby="reality-heading">
            <h2 id="reality-heading">"Model against reality"</h2>
            <p>
                "Every figure the real machines reported in the homework, beside this site's "
                "figure for the same setting: a simulator's (a model, not the machine) or this "
                "browser's own run. The ratio is ours over the real one."
            </p>
            <DataTable
                testid="homework-reality"
                label="Every real figure of the homework beside this site's"
                headers=&["machine", "setting", "quantity", "real", "here", "from", "here ÷ real", "what ours leaves out"]
                rows=Signal::stored(rows)
                row_header=1
            />
        </section>
    }
}
