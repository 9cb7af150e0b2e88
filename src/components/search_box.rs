//! The header's search over every lesson (`course.search`, built at build time): type, see
//! ranked hits with the matching passage, move with the arrow keys, Enter opens the section,
//! Escape closes. `/` anywhere outside a text field focuses it. An ARIA combobox: focus stays in
//! the input and the active hit is `aria-activedescendant`.

use course::SearchHit;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::components::lesson::body::section_href;
use crate::course_data::use_course;
use crate::route::Route;

/// Hits shown at most.
pub const MAX_HITS: usize = 8;

/// The address a hit opens: the lesson at the hit's section.
pub fn hit_href(hit: &SearchHit) -> String {
    match &hit.anchor {
        Some(anchor) => section_href(&hit.lesson_slug, anchor),
        None => Route::Lesson {
            slug: hit.lesson_slug.clone(),
        }
        .href(),
    }
}

/// `snippet` cut into `(text, highlighted)` pieces at the hit's highlight ranges. Ranges that
/// overlap, run backwards or do not fall on character boundaries are skipped, never panicked on.
pub fn snippet_pieces(snippet: &str, highlights: &[(usize, usize)]) -> Vec<(String, bool)> {
    let mut ranges: Vec<(usize, usize)> = highlights.to_vec();
    ranges.sort_unstable();
    let mut pieces = Vec::new();
    let mut at = 0;
    for (start, end) in ranges {
        if start < at || end <= start {
            continue;
        }
        let (Some(before), Some(marked)) = (snippet.get(at..start), snippet.get(start..end)) else {
            continue;
        };
        if !before.is_empty() {
            pieces.push((before.to_owned(), false));
        }
        pieces.push((marked.to_owned(), true));
        at = end;
    }
    if let Some(rest) = snippet.get(at..)
        && !rest.is_empty()
    {
        pieces.push((rest.to_owned(), false));
    }
    pieces
}

/// The next active hit for an arrow key: down from none is the first, wrapping at both ends.
pub fn step_active(active: Option<usize>, n_hits: usize, down: bool) -> Option<usize> {
    if n_hits == 0 {
        return None;
    }
    Some(match (active, down) {
        (None, true) => 0,
        (None, false) => n_hits - 1,
        (Some(i), true) => (i + 1) % n_hits,
        (Some(i), false) => (i + n_hits - 1) % n_hits,
    })
}

fn is_text_field(target: Option<web_sys::EventTarget>) -> bool {
    let Some(element) = target.and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) else {
        return false;
    };
    matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
        || element.is_content_editable()
}

/// The search box in the site header.
#[component]
pub fn SearchBox() -> impl IntoView {
    let course = use_course().ok();
    let query = RwSignal::new(String::new());
    let open = RwSignal::new(false);
    let active = RwSignal::new(None::<usize>);
    let hits = Memo::new(move |_| {
        let query = query.get();
        match course {
            Some(course) if !query.trim().is_empty() => course.search.search(&query, MAX_HITS),
            _ => Vec::new(),
        }
    });
    let input_ref = NodeRef::<leptos::html::Input>::new();

    // `/` focuses the box unless the person is typing somewhere.
    let handle = window_event_listener(leptos::ev::keydown, move |event| {
        if event.key() == "/"
            && !event.ctrl_key()
            && !event.meta_key()
            && !event.alt_key()
            && !is_text_field(event.target())
            && let Some(input) = input_ref.get_untracked()
        {
            event.prevent_default();
            let _ = input.focus();
            input.select();
        }
    });
    on_cleanup(move || handle.remove());

    let go = move |hit: &SearchHit| {
        let href = hit_href(hit);
        open.set(false);
        active.set(None);
        query.set(String::new());
        if let Some(window) = web_sys::window() {
            let _ = window.location().set_hash(&href);
        }
    };
    let on_keydown = move |event: leptos::ev::KeyboardEvent| match event.key().as_str() {
        "ArrowDown" | "ArrowUp" => {
            event.prevent_default();
            open.set(true);
            let n_hits = hits.with_untracked(Vec::len);
            active.update(|a| *a = step_active(*a, n_hits, event.key() == "ArrowDown"));
        }
        "Enter" => {
            let chosen =
                hits.with_untracked(|hits| hits.get(active.get_untracked().unwrap_or(0)).cloned());
            if let Some(hit) = chosen {
                event.prevent_default();
                go(&hit);
            }
        }
        "Escape" => {
            if open.get_untracked() && !query.with_untracked(String::is_empty) {
                open.set(false);
                active.set(None);
            } else {
                query.set(String::new());
                if let Some(input) = input_ref.get_untracked() {
                    let _ = input.blur();
                }
            }
        }
        _ => {}
    };
    let expanded = move || open.get() && !query.with(|q| q.trim().is_empty());
    let status = move || {
        if !expanded() {
            return String::new();
        }
        match hits.with(Vec::len) {
            0 => "No results.".to_owned(),
            1 => "1 result; arrow keys to choose, Enter to open.".to_owned(),
            n => format!("{n} results; arrow keys to choose, Enter to open."),
        }
    };

    view! {
        <div class="site-search" role="search">
            <label class="visually-hidden" for="site-search">"Search the lessons"</label>
            <input
                node_ref=input_ref
                class="site-search__input"
                id="site-search"
                type="text"
                role="combobox"
                autocomplete="off"
                spellcheck="false"
                placeholder="Search lessons"
                aria-autocomplete="list"
                aria-controls="site-search-results"
                aria-expanded=move || expanded().to_string()
                aria-activedescendant=move || active.get().filter(|_| expanded()).map(|i| format!("site-search-hit-{i}"))
                aria-keyshortcuts="/"
                data-testid="search-input"
                prop:value=move || query.get()
                on:input=move |event| {
                    query.set(event_target_value(&event));
                    active.set(None);
                    open.set(true);
                }
                on:focus=move |_| open.set(true)
                on:blur=move |_| open.set(false)
                on:keydown=on_keydown
            />
            <kbd class="site-search__key" aria-hidden="true">"/"</kbd>
            <div class="site-search__panel" hidden=move || !expanded() data-testid="search-panel">
                <ul
                    class="site-search__hits"
                    id="site-search-results"
                    role="listbox"
                    aria-label="Search results"
                    // Keep focus in the input while a hit is clicked.
                    on:mousedown=|event| event.prevent_default()
                >
                    {move || {
                        hits.get()
                            .into_iter()
                            .enumerate()
                            .map(|(i, hit)| {
                                let is_active = move || active.get() == Some(i);
                                let location = if hit.section == hit.lesson_title {
                                    hit.lesson_title.clone()
                                } else {
                                    format!("{} › {}", hit.lesson_title, hit.section)
                                };
                                let pieces = snippet_pieces(&hit.snippet, &hit.highlights);
                                let href = hit_href(&hit);
                                view! {
                                    <li
                                        class="site-search__hit"
                                        class:site-search__hit--active=is_active
                                        id=format!("site-search-hit-{i}")
                                        role="option"
                                        aria-selected=move || is_active().to_string()
                                        data-testid="search-hit"
                                        data-href=href
                                        on:click=move |_| go(&hit)
                                        on:mousemove=move |_| {
                                            if active.get_untracked() != Some(i) {
                                                active.set(Some(i));
                                            }
                                        }
                                    >
                                        <span class="site-search__where">{location}</span>
                                        <span class="site-search__snippet">
                                            {pieces
                                                .into_iter()
                                                .map(|(text, marked)| {
                                                    if marked {
                                                        view! { <mark class="site-search__mark">{text}</mark> }.into_any()
                                                    } else {
                                                        text.into_any()
                                                    }
                                                })
                                                .collect_view()}
                                        </span>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
                {move || hits.with(Vec::is_empty).then(|| view! {
                    <p class="site-search__empty">{format!("No lesson mentions “{}”.", query.get().trim())}</p>
                })}
            </div>
            <p class="visually-hidden" aria-live="polite">{status}</p>
        </div>
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn snippets_split_at_highlights_and_survive_bad_ranges() {
        let pieces = snippet_pieces("a wavelet hops", &[(2, 9)]);
        assert_eq!(
            pieces,
            vec![
                ("a ".to_owned(), false),
                ("wavelet".to_owned(), true),
                (" hops".to_owned(), false)
            ]
        );
        // Out of range, backwards, overlapping and mid-character ranges are skipped.
        let pieces = snippet_pieces("né x", &[(1, 2), (0, 50), (3, 1), (4, 5)]);
        assert_eq!(pieces.concat_text(), "né x");
    }

    trait ConcatText {
        fn concat_text(&self) -> String;
    }
    impl ConcatText for Vec<(String, bool)> {
        fn concat_text(&self) -> String {
            self.iter().map(|(t, _)| t.as_str()).collect()
        }
    }

    #[test]
    fn arrow_keys_wrap_around() {
        assert_eq!(step_active(None, 0, true), None);
        assert_eq!(step_active(None, 3, true), Some(0));
        assert_eq!(step_active(None, 3, false), Some(2));
        assert_eq!(step_active(Some(2), 3, true), Some(0));
        assert_eq!(step_active(Some(0), 3, false), Some(2));
    }

    #[test]
    fn wavelet_finds_the_wse_lesson_first() {
        let course = crate::course_data::course().expect("course");
        let hits = course.search.search("wavelet", MAX_HITS);
        let first = hits.first().expect("a hit for wavelet");
        assert_eq!(first.lesson_slug, "cerebras-wse");
        assert!(hit_href(first).starts_with("#/lessons/cerebras-wse"));
    }
}
