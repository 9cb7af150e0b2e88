//! Client-side full-text search over the lessons: an inverted index built once (at build time,
//! embedded with the course) and a pure query function ranking passages with BM25.
//!
//! A passage is one paragraph, list item, table row, figure caption or widget caption, or a
//! lesson's title and summary; each knows the section (heading anchor) it sits under, so a hit
//! links straight to it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::content::{Block, plain_text};

/// The search index over every lesson.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SearchIndex {
    /// `(slug, title)` per lesson, in course order; passages point here.
    pub lessons: Vec<(String, String)>,
    /// Every passage.
    pub passages: Vec<Passage>,
    /// Sorted, distinct normalized terms.
    pub terms: Vec<String>,
    /// `postings[term_idx]`: `[passage_idx, count]` pairs, by passage.
    pub postings: Vec<Vec<[u32; 2]>>,
}

/// A searchable piece of a lesson.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    /// Index into [`SearchIndex::lessons`].
    pub lesson_idx: u32,
    /// Anchor of the section it is in; `None` before the first heading.
    pub anchor: Option<String>,
    /// Title of that section (or the lesson's title).
    pub section: String,
    /// The passage as plain text.
    pub text: String,
    /// What it is, for ranking.
    pub kind: PassageKind,
    /// Number of terms in it.
    pub n_terms: u32,
}

/// What a passage is; headings and titles rank above body text with the same words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassageKind {
    /// The lesson's title and summary.
    Title,
    /// A heading.
    Heading,
    /// Anything else.
    Body,
}

impl PassageKind {
    fn boost(self) -> f32 {
        match self {
            PassageKind::Title => 2.0,
            PassageKind::Heading => 1.6,
            PassageKind::Body => 1.0,
        }
    }
}

/// One ranked search result.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// The lesson's slug.
    pub lesson_slug: String,
    /// The lesson's title.
    pub lesson_title: String,
    /// The section's anchor, to scroll to.
    pub anchor: Option<String>,
    /// The section's title.
    pub section: String,
    /// Up to [`SNIPPET_CHARS`] characters of the passage around the first match, with `…`
    /// where cut.
    pub snippet: String,
    /// Byte ranges `[start, end)` in `snippet` of words that matched, for highlighting.
    pub highlights: Vec<(usize, usize)>,
    /// Relevance; higher is better. Only meaningful relative to other hits of the same query.
    pub score: f32,
}

/// The longest snippet, in characters (not counting the `…`).
pub const SNIPPET_CHARS: usize = 180;

const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "of", "on",
    "or", "that", "the", "this", "to", "with",
];

/// Normalizes one word: lowercase, and a plural `s` dropped (`colors` → `color`, `PEs` → `pe`,
/// but `class`, `bus` and `analysis` stay).
pub fn normalize_term(word: &str) -> String {
    let lower = word.to_lowercase();
    let n_chars = lower.chars().count();
    if n_chars > 2
        && lower.ends_with('s')
        && !(lower.ends_with("ss") || lower.ends_with("us") || lower.ends_with("is"))
    {
        lower[..lower.len() - 1].to_owned()
    } else {
        lower
    }
}

/// The words of `text` with their byte ranges: runs of alphanumeric characters.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = None;
    let mut chars = text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')));
    std::iter::from_fn(move || {
        for (i, c) in chars.by_ref() {
            match (start, c.is_alphanumeric()) {
                (None, true) => start = Some(i),
                (Some(s), false) => {
                    start = None;
                    return Some((s, &text[s..i]));
                }
                _ => {}
            }
        }
        None
    })
}

/// The normalized terms of `text`, stop words removed.
pub fn terms(text: &str) -> Vec<String> {
    words(text)
        .map(|(_, word)| normalize_term(word))
        .filter(|term| !STOP_WORDS.contains(&term.as_str()))
        .collect()
}

struct PassageCollector {
    lesson_idx: u32,
    anchor: Option<String>,
    section: String,
    passages: Vec<Passage>,
}

impl PassageCollector {
    fn push(&mut self, text: String, kind: PassageKind) {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            return;
        }
        self.passages.push(Passage {
            lesson_idx: self.lesson_idx,
            anchor: self.anchor.clone(),
            section: self.section.clone(),
            n_terms: u32::try_from(terms(&text).len()).unwrap_or(u32::MAX),
            text,
            kind,
        });
    }

    fn blocks(&mut self, blocks: &[Block]) {
        for block in blocks {
            match block {
                Block::Heading { anchor, text, .. } => {
                    self.anchor = Some(anchor.clone());
                    self.section = plain_text(text);
                    self.push(self.section.clone(), PassageKind::Heading);
                }
                Block::Paragraph { inlines } => self.push(plain_text(inlines), PassageKind::Body),
                Block::List { items, .. } => {
                    for item in items {
                        self.blocks(item);
                    }
                }
                Block::Quote { blocks } => self.blocks(blocks),
                Block::Table { head, rows, .. } => {
                    let header: Vec<String> = head.iter().map(|cell| plain_text(cell)).collect();
                    self.push(header.join(" · "), PassageKind::Body);
                    for row in rows {
                        let cells: Vec<String> = row.iter().map(|cell| plain_text(cell)).collect();
                        self.push(cells.join(" · "), PassageKind::Body);
                    }
                }
                Block::Figure { alt, caption, .. } => {
                    let text = match caption {
                        Some(caption) => format!("{caption} ({alt})"),
                        None => alt.clone(),
                    };
                    self.push(text, PassageKind::Body);
                }
                Block::SimCard(card) | Block::CompileCard(card) => {
                    if let Some(caption) = &card.caption {
                        self.push(caption.clone(), PassageKind::Body);
                    }
                }
                Block::LabCard(card) => {
                    if let Some(caption) = &card.caption {
                        self.push(caption.clone(), PassageKind::Body);
                    }
                }
                Block::CompareCard(card) => {
                    if let Some(caption) = &card.caption {
                        self.push(caption.clone(), PassageKind::Body);
                    }
                }
                Block::Code { .. } | Block::Quiz { .. } | Block::Rule | Block::Sources { .. } => {}
            }
        }
    }
}

/// What the index reads of a lesson (the model's `Lesson` gives it; the index does not depend
/// on the model).
#[derive(Debug, Clone, Copy)]
pub struct LessonText<'a> {
    /// The lesson's slug.
    pub slug: &'a str,
    /// Its title.
    pub title: &'a str,
    /// Its one-paragraph summary.
    pub summary: &'a str,
    /// Its body.
    pub body: &'a [Block],
}

impl SearchIndex {
    /// Builds the index over `lessons` (in course order).
    pub fn build(lessons: &[LessonText<'_>]) -> SearchIndex {
        let mut passages = Vec::new();
        for (lesson_idx, lesson) in lessons.iter().enumerate() {
            let mut collector = PassageCollector {
                lesson_idx: u32::try_from(lesson_idx).unwrap_or(u32::MAX),
                anchor: None,
                section: lesson.title.to_string(),
                passages: Vec::new(),
            };
            collector.push(
                format!("{}. {}", lesson.title, lesson.summary),
                PassageKind::Title,
            );
            collector.blocks(lesson.body);
            passages.append(&mut collector.passages);
        }
        let mut index: BTreeMap<String, Vec<[u32; 2]>> = BTreeMap::new();
        for (passage_idx, passage) in passages.iter().enumerate() {
            let passage_idx = u32::try_from(passage_idx).unwrap_or(u32::MAX);
            for term in terms(&passage.text) {
                let postings = index.entry(term).or_default();
                match postings.last_mut() {
                    Some(last) if last[0] == passage_idx => last[1] += 1,
                    _ => postings.push([passage_idx, 1]),
                }
            }
        }
        let (terms, postings) = index.into_iter().unzip();
        SearchIndex {
            lessons: lessons
                .iter()
                .map(|lesson| (lesson.slug.to_string(), lesson.title.to_string()))
                .collect(),
            passages,
            terms,
            postings,
        }
    }

    /// The best `limit` passages for `query`, best first, at most one per section.
    ///
    /// Every query word counts (BM25); the last word also matches as a prefix (so results
    /// follow typing), and passages containing all the words rank above those with some. Ties
    /// go to the earlier passage in the course. An empty query gives no hits.
    pub fn search(&self, query: &str, limit: usize) -> Vec<SearchHit> {
        let query_terms = terms(query);
        if query_terms.is_empty() || self.passages.is_empty() || limit == 0 {
            return Vec::new();
        }
        let ends_in_word = query.chars().last().is_some_and(char::is_alphanumeric);
        let n_passages = self.passages.len() as f32;
        let total_terms: f32 = self.passages.iter().map(|p| p.n_terms as f32).sum();
        let avg_len = (total_terms / n_passages).max(1.0);
        let (k1, b) = (1.2_f32, 0.75_f32);

        // Per passage: summed score and which query terms matched.
        let mut scores: BTreeMap<u32, (f32, Vec<bool>)> = BTreeMap::new();
        let mut matched_terms: Vec<&str> = Vec::new();
        for (query_idx, query_term) in query_terms.iter().enumerate() {
            let is_last = query_idx + 1 == query_terms.len();
            let mut candidates: Vec<(usize, f32)> = Vec::new();
            if let Ok(term_idx) = self.terms.binary_search(query_term) {
                candidates.push((term_idx, 1.0));
            }
            if is_last && ends_in_word && query_term.chars().count() >= 2 {
                let start = self
                    .terms
                    .partition_point(|t| t.as_str() < query_term.as_str());
                for term_idx in start..self.terms.len() {
                    if !self.terms[term_idx].starts_with(query_term.as_str()) {
                        break;
                    }
                    if self.terms[term_idx] != *query_term {
                        candidates.push((term_idx, 0.7));
                    }
                }
            }
            for (term_idx, weight) in candidates {
                matched_terms.push(&self.terms[term_idx]);
                let postings = &self.postings[term_idx];
                let n_with = postings.len() as f32;
                let idf = (1.0 + (n_passages - n_with + 0.5) / (n_with + 0.5)).ln();
                for &[passage_idx, count] in postings {
                    let Some(passage) = self.passages.get(passage_idx as usize) else {
                        continue;
                    };
                    let tf = count as f32;
                    let len_norm = 1.0 - b + b * passage.n_terms as f32 / avg_len;
                    let bm25 = idf * tf * (k1 + 1.0) / (tf + k1 * len_norm);
                    let entry = scores
                        .entry(passage_idx)
                        .or_insert_with(|| (0.0, vec![false; query_terms.len()]));
                    entry.0 += weight * bm25 * passage.kind.boost();
                    entry.1[query_idx] = true;
                }
            }
        }

        let n_query_terms = query_terms.len() as f32;
        let mut ranked: Vec<(u32, f32)> = scores
            .into_iter()
            .map(|(passage_idx, (score, found))| {
                let coverage = found.iter().filter(|&&f| f).count() as f32 / n_query_terms;
                (passage_idx, score * coverage * coverage)
            })
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));

        let mut hits: Vec<SearchHit> = Vec::new();
        let mut sections_seen: Vec<(u32, Option<&str>)> = Vec::new();
        for (passage_idx, score) in ranked {
            if hits.len() == limit {
                break;
            }
            let Some(passage) = self.passages.get(passage_idx as usize) else {
                continue;
            };
            let section_key = (passage.lesson_idx, passage.anchor.as_deref());
            if sections_seen.contains(&section_key) {
                continue;
            }
            sections_seen.push(section_key);
            let Some((slug, title)) = self.lessons.get(passage.lesson_idx as usize) else {
                continue;
            };
            let (snippet, highlights) = snippet(&passage.text, &matched_terms);
            hits.push(SearchHit {
                lesson_slug: slug.clone(),
                lesson_title: title.clone(),
                anchor: passage.anchor.clone(),
                section: passage.section.clone(),
                snippet,
                highlights,
                score,
            });
        }
        hits
    }
}

/// A window of `text` around its first matching word, and the matching words' ranges in it.
fn snippet(text: &str, matched_terms: &[&str]) -> (String, Vec<(usize, usize)>) {
    let is_match = |word: &str| matched_terms.contains(&normalize_term(word).as_str());
    let first_match = words(text)
        .find(|(_, word)| is_match(word))
        .map_or(0, |(start, _)| start);
    // Start a few words before the match, on a character boundary.
    let n_chars_before = text[..first_match].chars().count();
    let start_char = n_chars_before.saturating_sub(40);
    let mut start = text
        .char_indices()
        .nth(start_char)
        .map_or(text.len(), |(i, _)| i);
    if start > 0 {
        // Move to the start of the next word so the snippet does not begin mid-word.
        if let Some((offset, _)) = words(&text[start..]).next() {
            start += offset;
        }
    }
    let end = text[start..]
        .char_indices()
        .nth(SNIPPET_CHARS)
        .map_or(text.len(), |(i, _)| start + i);
    let mut end = end;
    if end < text.len()
        && let Some(space) = text[start..end].rfind(' ')
    {
        end = start + space;
    }
    let prefix = if start > 0 { "…" } else { "" };
    let suffix = if end < text.len() { "…" } else { "" };
    let body = &text[start..end];
    let highlights = words(body)
        .filter(|(_, word)| is_match(word))
        .map(|(s, word)| (prefix.len() + s, prefix.len() + s + word.len()))
        .collect();
    (format!("{prefix}{body}{suffix}"), highlights)
}
