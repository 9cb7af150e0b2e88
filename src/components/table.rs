//! The one data table: column headings, rows of text, one cell per row naming it (a row
//! header, so a screen reader announces it with every cell), and optionally a marked row.

use leptos::prelude::*;

/// A box that scrolls sideways when its content is wider than the screen (a wide table on a
/// phone). It takes focus, so the arrow keys can scroll it without a pointer, and its name
/// says what a screen reader's user lands on. A `group`, not a `region`: a page can hold many,
/// and landmarks must each have a name of their own.
#[component]
pub fn ScrollBox(
    /// What it holds ("Program table").
    #[prop(into)]
    label: String,
    /// Its CSS class (`sim-table-wrap` on simulator pages, `lab-scroll` in the labs).
    #[prop(default = "sim-table-wrap")]
    class: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <div class=class tabindex="0" role="group" aria-label=label>
            {children()}
        </div>
    }
}

/// A table of text inside a [`ScrollBox`] (`sim-table` styles).
#[component]
pub fn DataTable(
    /// The table's `data-testid`.
    testid: &'static str,
    /// What the table shows, for screen readers ("Operations").
    #[prop(into)]
    label: String,
    /// Column headings.
    #[prop(default = &[])]
    headers: &'static [&'static str],
    /// Column headings that change with the data (used instead of `headers` when given).
    #[prop(optional, into)]
    dynamic_headers: Option<Signal<Vec<String>>>,
    /// The rows, one text per column.
    #[prop(into)]
    rows: Signal<Vec<Vec<String>>>,
    /// Which column names the row (`<th scope="row">`).
    #[prop(default = 0)]
    row_header: usize,
    /// The row to mark as current, if any.
    #[prop(optional, into)]
    current: Option<Signal<Option<usize>>>,
    /// What a table with no rows says in its body (a table that starts empty says why and
    /// what fills it, rather than showing bare headings).
    #[prop(optional)]
    empty: Option<&'static str>,
) -> impl IntoView {
    let n_columns = move || {
        dynamic_headers
            .map_or(headers.len(), |d| d.with(Vec::len))
            .max(1)
    };
    view! {
        <ScrollBox label=label>
            <table class="sim-table" data-testid=testid>
                <thead>
                    <tr>
                        {move || {
                            dynamic_headers
                                .map_or_else(
                                    || headers.iter().map(|h| (*h).to_owned()).collect(),
                                    |d| d.get(),
                                )
                                .into_iter()
                                .map(|h| view! { <th scope="col">{h}</th> })
                                .collect_view()
                        }}
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        let rows = rows.get();
                        let placeholder = empty.filter(|_| rows.is_empty()).map(|text| {
                            view! {
                                <tr class="sim-table__empty">
                                    <td colspan=n_columns().to_string()>{text}</td>
                                </tr>
                            }
                        });
                        let rows = rows
                            .into_iter()
                            .enumerate()
                            .map(|(i, cells)| {
                                let is_current = move || {
                                    current.is_some_and(|c| c.get() == Some(i))
                                };
                                view! {
                                    <tr class:sim-table__row--current=is_current>
                                        {cells
                                            .into_iter()
                                            .enumerate()
                                            .map(|(j, text)| {
                                                if j == row_header {
                                                    view! { <th scope="row">{text}</th> }.into_any()
                                                } else {
                                                    view! { <td>{text}</td> }.into_any()
                                                }
                                            })
                                            .collect_view()}
                                    </tr>
                                }
                            })
                            .collect_view();
                        (placeholder, rows)
                    }}
                </tbody>
            </table>
        </ScrollBox>
    }
}
