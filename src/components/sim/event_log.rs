//! The event log: every event of the run as a line of text, in a region screen readers
//! announce politely. It is also the canvas's text alternative, with the metrics.

use std::collections::VecDeque;

use leptos::html::Div;
use leptos::prelude::*;

/// Log lines kept on the page (older ones are dropped and counted).
pub const LOG_CAPACITY: usize = 400;

/// The lines shown, oldest first, each with a sequence number (its key in the list).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogLines {
    pub lines: VecDeque<(u64, String)>,
    pub next_seq: u64,
    /// Lines dropped from the front to keep [`LOG_CAPACITY`].
    pub dropped: u64,
}

impl LogLines {
    /// Appends a line, dropping the oldest beyond the capacity.
    pub fn push(&mut self, line: String) {
        self.lines.push_back((self.next_seq, line));
        self.next_seq += 1;
        while self.lines.len() > LOG_CAPACITY {
            self.lines.pop_front();
            self.dropped += 1;
        }
    }

    /// A log holding one line.
    pub fn starting_with(line: String) -> Self {
        let mut log = Self::default();
        log.push(line);
        log
    }
}

/// The log region.
#[component]
pub fn EventLog(
    /// The lines to show.
    #[prop(into)]
    log: Signal<LogLines>,
) -> impl IntoView {
    let list = NodeRef::<Div>::new();
    // Keep the newest line in view (a DOM write, not a signal write).
    Effect::new(move |_| {
        log.track();
        if let Some(el) = list.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });
    let title_id = super::unique_id("sim-log-title");
    view! {
        <section class="sim-panel sim-log" aria-labelledby=title_id.clone()>
            <h2 class="sim-panel__title" id=title_id.clone()>"Event log"</h2>
            <p class="sim-log__dropped">
                {move || {
                    let d = log.with(|l| l.dropped);
                    (d > 0).then(|| format!("{d} older lines not shown."))
                }}
            </p>
            // The log role goes on a box around the list: `role` on the `<ol>` itself would
            // take its list semantics away from the lines.
            <div
                class="sim-log__list"
                role="log"
                aria-live="polite"
                aria-labelledby=title_id.clone()
                data-testid="sim-log"
                tabindex="0"
                node_ref=list
            >
                <ol class="sim-log__lines">
                    <For
                        each=move || log.with(|l| l.lines.iter().cloned().collect::<Vec<_>>())
                        key=|(seq, _)| *seq
                        children=|(_, line)| view! { <li class="sim-log__line">{line}</li> }
                    />
                </ol>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_newest_lines_and_counts_the_rest() {
        let mut log = LogLines::starting_with("first".into());
        for i in 0..LOG_CAPACITY {
            log.push(format!("line {i}"));
        }
        assert_eq!(log.lines.len(), LOG_CAPACITY);
        assert_eq!(log.dropped, 1);
        assert_eq!(log.lines.front().map(|l| l.1.as_str()), Some("line 0"));
        assert_eq!(log.lines.back().map(|l| l.0), Some(LOG_CAPACITY as u64));
    }
}
