//! Search: ranked hits with the matching passage, over the fixture course.

mod common;

use course::search::{SNIPPET_CHARS, normalize_term, terms};
use course::{Course, SearchHit};
use proptest::prelude::*;

fn hits(course: &Course, query: &str) -> Vec<SearchHit> {
    course.search.search(query, 10)
}

/// The highlighted words of a hit.
fn highlighted(hit: &SearchHit) -> Vec<&str> {
    hit.highlights
        .iter()
        .map(|&(start, end)| &hit.snippet[start..end])
        .collect()
}

#[test]
fn words_are_normalized_and_stop_words_dropped() {
    assert_eq!(normalize_term("Colors"), "color");
    assert_eq!(normalize_term("class"), "class");
    assert_eq!(normalize_term("bus"), "bus");
    assert_eq!(normalize_term("PEs"), "pe");
    assert_eq!(normalize_term("is"), "is");
    assert_eq!(terms("The WSE-2 and its colors"), ["wse", "2", "color"]);
}

#[test]
fn a_word_finds_its_passage_with_the_section_to_link_to() {
    let course = common::valid_course();
    let found = hits(&course, "wavelets");
    assert!(!found.is_empty());
    let body_hit = found
        .iter()
        .find(|hit| hit.anchor.as_deref() == Some("first-section"))
        .expect("the paragraph about wavelets");
    assert_eq!(body_hit.lesson_slug, "intro");
    assert_eq!(body_hit.lesson_title, "Introduction");
    assert_eq!(body_hit.section, "First section");
    assert!(
        body_hit.snippet.contains("wavelets"),
        "{}",
        body_hit.snippet
    );
    assert_eq!(highlighted(body_hit), ["wavelets"]);
}

#[test]
fn the_title_ranks_above_body_text() {
    let course = common::valid_course();
    let found = hits(&course, "wavelet");
    assert_eq!(found[0].anchor, None, "{found:?}");
    assert!(found.windows(2).all(|pair| pair[0].score >= pair[1].score));
}

#[test]
fn passages_with_every_word_rank_first() {
    let course = common::valid_course();
    let found = hits(&course, "later section");
    assert_eq!(found[0].anchor.as_deref(), Some("a-later-section"));
}

#[test]
fn the_last_word_matches_as_a_prefix() {
    let course = common::valid_course();
    let found = hits(&course, "wavel");
    assert!(found.iter().any(|hit| hit.lesson_slug == "intro"));
    // A finished word (followed by a space) is not a prefix any more.
    assert!(hits(&course, "wavel ").is_empty());
}

#[test]
fn empty_and_stop_word_queries_find_nothing() {
    let course = common::valid_course();
    assert!(hits(&course, "").is_empty());
    assert!(hits(&course, "  the and of ").is_empty());
    assert!(hits(&course, "zyxwvut").is_empty());
    assert!(course.search.search("wavelet", 0).is_empty());
}

#[test]
fn at_most_one_hit_per_section_and_at_most_the_limit() {
    let course = common::valid_course();
    let all = hits(&course, "section");
    assert!(all.len() > 2, "{all:?}");
    assert_eq!(course.search.search("section", 2).len(), 2);
    let found = all;
    let mut sections: Vec<(&str, Option<&str>)> = found
        .iter()
        .map(|hit| (hit.lesson_slug.as_str(), hit.anchor.as_deref()))
        .collect();
    let n_hits = sections.len();
    sections.sort_unstable();
    sections.dedup();
    assert_eq!(sections.len(), n_hits);
}

proptest! {
    #[test]
    fn any_query_gives_well_formed_hits(query in ".{0,30}") {
        let course = common::valid_course();
        for hit in course.search.search(&query, 5) {
            prop_assert!(hit.snippet.chars().count() <= SNIPPET_CHARS + 2);
            for &(start, end) in &hit.highlights {
                prop_assert!(start < end && end <= hit.snippet.len());
                prop_assert!(hit.snippet.is_char_boundary(start) && hit.snippet.is_char_boundary(end));
            }
        }
    }
}
