//! One lesson file: file name, front matter, body.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::error::{Problem, ValidationError};
use super::markdown::{Converter, LineIndex, PendingLink, QuizInclude, TextKind};
use crate::model::{Block, Lesson, Source};

/// The TOML front matter as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: Spanned<String>,
    summary: Spanned<String>,
    order: Spanned<u32>,
    objectives: Spanned<Vec<String>>,
    #[serde(default)]
    prerequisites: Vec<Spanned<String>>,
    #[serde(default)]
    sources: Vec<Spanned<RawSource>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    id: String,
    text: String,
    url: Option<String>,
}

/// A parsed lesson and what remains to check against the other lessons.
#[derive(Debug)]
pub struct ParsedLesson {
    pub file: String,
    pub prefix: u32,
    pub lesson: Lesson,
    /// Line of `order`.
    pub order_line: u32,
    /// Prerequisites with their lines.
    pub prerequisites: Vec<(String, u32)>,
    /// Every anchor in the lesson.
    pub anchors: Vec<String>,
    pub links: Vec<PendingLink>,
    pub quiz_includes: Vec<QuizInclude>,
}

/// `NN-slug.md` → `(NN, slug)`.
pub fn split_file_name(name: &str) -> Option<(u32, &str)> {
    let stem = name.strip_suffix(".md")?;
    let (number, slug) = stem.split_once('-')?;
    let valid_number = number.len() == 2 && number.bytes().all(|b| b.is_ascii_digit());
    let valid_slug = !slug.is_empty()
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if valid_number && valid_slug {
        Some((number.parse().ok()?, slug))
    } else {
        None
    }
}

/// Parses one lesson file's text. `file` is the label used in errors.
pub fn parse_lesson(
    file: &str,
    prefix: u32,
    slug: &str,
    text: &str,
    public_dir: &Path,
    errors: &mut Vec<ValidationError>,
) -> Option<ParsedLesson> {
    let lines = LineIndex::new(text);
    let error_at = |errors: &mut Vec<ValidationError>, line: u32, problem: Problem| {
        errors.push(ValidationError {
            file: file.to_owned(),
            line,
            problem,
        });
    };
    let mut line_iter = text.split_inclusive('\n');
    let first_line = line_iter.next().unwrap_or("");
    if first_line.trim_end() != "+++" {
        error_at(errors, 1, Problem::MissingFrontMatter);
        return None;
    }
    let toml_start = first_line.len();
    let mut offset = toml_start;
    let mut toml_end = None;
    for line in line_iter {
        if line.trim_end() == "+++" {
            toml_end = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let Some((toml_end, body_start)) = toml_end else {
        error_at(errors, 1, Problem::UnclosedFrontMatter);
        return None;
    };
    let toml_text = &text[toml_start..toml_end];
    let line_of = |span_start: usize| lines.line(toml_start + span_start);
    let front: FrontMatter = match toml::from_str(toml_text) {
        Ok(front) => front,
        Err(e) => {
            let line = e.span().map_or(1, |span| line_of(span.start));
            error_at(
                errors,
                line,
                Problem::FrontMatter {
                    message: e.message().trim().to_owned(),
                },
            );
            return None;
        }
    };

    for (field, value) in [("title", &front.title), ("summary", &front.summary)] {
        if value.get_ref().trim().is_empty() {
            error_at(
                errors,
                line_of(value.span().start),
                Problem::EmptyField { field },
            );
        }
    }
    if front
        .objectives
        .get_ref()
        .iter()
        .all(|o| o.trim().is_empty())
    {
        error_at(
            errors,
            line_of(front.objectives.span().start),
            Problem::EmptyField {
                field: "objectives",
            },
        );
    }
    let order = *front.order.get_ref();
    let order_line = line_of(front.order.span().start);
    if order != prefix {
        error_at(errors, order_line, Problem::OrderMismatch { order, prefix });
    }
    let mut sources: Vec<Source> = Vec::new();
    for raw in &front.sources {
        let line = line_of(raw.span().start);
        let RawSource { id, text, url } = raw.get_ref();
        if sources.iter().any(|s| s.id == *id) {
            error_at(errors, line, Problem::DuplicateSourceId { id: id.clone() });
            continue;
        }
        if let Some(url) = url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            error_at(errors, line, Problem::BadSourceUrl { url: url.clone() });
        }
        for (field, value) in [("sources.id", id), ("sources.text", text)] {
            if value.trim().is_empty() {
                error_at(errors, line, Problem::EmptyField { field });
            }
        }
        sources.push(Source {
            number: u32::try_from(sources.len() + 1).unwrap_or(u32::MAX),
            id: id.clone(),
            text: text.clone(),
            url: url.clone(),
        });
    }
    let source_ids: Vec<String> = sources.iter().map(|s| s.id.clone()).collect();

    let mut links = Vec::new();
    let mut converter = Converter {
        file,
        kind: TextKind::Lesson,
        lines: &lines,
        base_offset: body_start,
        fixed_line: None,
        slug,
        source_ids: &source_ids,
        public_dir,
        errors,
        links: &mut links,
        quiz_includes: Vec::new(),
        anchors: Vec::new(),
        n_words: 0,
    };
    let mut body = converter.blocks(&text[body_start..]);
    let body_first_line = lines.line(body_start);
    for unsourced in super::figures::unsourced_figures(&text[body_start..]) {
        let line_idx = u32::try_from(unsourced.line_idx).unwrap_or(u32::MAX);
        converter.errors.push(ValidationError {
            file: file.to_owned(),
            line: body_first_line.saturating_add(line_idx),
            problem: Problem::UnsourcedFigure {
                figure: unsourced.figure,
            },
        });
    }
    let anchors = std::mem::take(&mut converter.anchors);
    let quiz_includes = std::mem::take(&mut converter.quiz_includes);
    let n_words = converter.n_words;
    if !sources.is_empty() {
        body.push(Block::Sources { sources });
    }
    let mut quiz_ids = Vec::new();
    crate::model::visit_blocks(&body, &mut |block| {
        if let Block::Quiz { quiz_id } = block {
            quiz_ids.push(quiz_id.clone());
        }
    });
    Some(ParsedLesson {
        file: file.to_owned(),
        prefix,
        order_line,
        prerequisites: front
            .prerequisites
            .iter()
            .map(|p| (p.get_ref().clone(), line_of(p.span().start)))
            .collect(),
        anchors,
        links,
        quiz_includes,
        lesson: Lesson {
            slug: slug.to_owned(),
            order,
            title: front.title.into_inner().trim().to_owned(),
            summary: front.summary.into_inner().trim().to_owned(),
            objectives: front.objectives.into_inner(),
            prerequisites: front
                .prerequisites
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            body,
            quiz_ids,
            n_words,
        },
    })
}
