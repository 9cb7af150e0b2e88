//! The typed course: what the app embeds and renders. No Markdown, no HTML strings.
//!
//! A [`Course`] is built by `course::build::load_course` (feature `build`) at build time,
//! serialized with [`Course::to_json`] into the app's `OUT_DIR`, and read back in the app with
//! [`Course::from_json`].

use serde::{Deserialize, Serialize};

use crate::quiz::Quiz;
use crate::search::SearchIndex;

pub use crate::content::{
    Align, Block, CompareCard, Inline, LabCard, LabName, LinkTarget, SimArch, SimCard, Source,
    plain_text, slugify,
};

/// The version of the embedded course data format. [`Course::from_json`] refuses any other, so a
/// stale build artefact fails loudly instead of rendering half a lesson.
pub const COURSE_FORMAT_VERSION: u32 = 1;

/// Every lesson and quiz of the course, plus the search index over the lessons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Course {
    /// Always [`COURSE_FORMAT_VERSION`] for data this crate wrote.
    pub format_version: u32,
    /// Lessons sorted by [`Lesson::order`].
    pub lessons: Vec<Lesson>,
    /// Quizzes sorted by id (the quiz file's stem, e.g. `02-cerebras-wse`).
    pub quizzes: Vec<Quiz>,
    /// The client-side search index over all lessons; query it with [`SearchIndex::search`].
    pub search: SearchIndex,
}

/// Why embedded course data could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CourseDataError {
    /// The bytes are not a serialized [`Course`].
    #[error("the embedded course data is not valid: {0}")]
    Malformed(#[from] serde_json::Error),
    /// The data was written by another version of this crate.
    #[error("the embedded course data has format version {found}, this build reads {expected}")]
    WrongVersion {
        /// Version found in the data.
        found: u32,
        /// [`COURSE_FORMAT_VERSION`].
        expected: u32,
    },
}

impl Course {
    /// Serializes the course as compact JSON, the form the app embeds.
    pub fn to_json(&self) -> String {
        // A `Course` is plain data (strings, numbers, vectors, enums with string keys), so
        // serialization to a String cannot fail; fall back to an empty string rather than panic.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a course written by [`Course::to_json`].
    ///
    /// # Errors
    /// [`CourseDataError`] if the text is not course data or has another format version.
    pub fn from_json(json: &str) -> Result<Course, CourseDataError> {
        let course: Course = serde_json::from_str(json)?;
        if course.format_version != COURSE_FORMAT_VERSION {
            return Err(CourseDataError::WrongVersion {
                found: course.format_version,
                expected: COURSE_FORMAT_VERSION,
            });
        }
        Ok(course)
    }

    /// The lesson with this slug.
    pub fn lesson(&self, slug: &str) -> Option<&Lesson> {
        self.lessons.iter().find(|lesson| lesson.slug == slug)
    }

    /// The quiz with this id (its file stem, e.g. `02-cerebras-wse`).
    pub fn quiz(&self, quiz_id: &str) -> Option<&Quiz> {
        self.quizzes.iter().find(|quiz| quiz.id == quiz_id)
    }

    /// The lessons before and after `slug` in course order.
    pub fn neighbours(&self, slug: &str) -> (Option<&Lesson>, Option<&Lesson>) {
        let Some(lesson_idx) = self.lessons.iter().position(|lesson| lesson.slug == slug) else {
            return (None, None);
        };
        let previous = lesson_idx.checked_sub(1).and_then(|i| self.lessons.get(i));
        (previous, self.lessons.get(lesson_idx + 1))
    }

    /// Every sim and lab card in the course, with the lesson it is in, so the app can check in a
    /// test that each preset and lab argument names something that exists.
    pub fn widget_cards(&self) -> Vec<(&Lesson, &Block)> {
        let mut cards = Vec::new();
        for lesson in &self.lessons {
            visit_blocks(&lesson.body, &mut |block| {
                if matches!(
                    block,
                    Block::SimCard(_)
                        | Block::LabCard(_)
                        | Block::CompareCard(_)
                        | Block::CompileCard(_)
                ) {
                    cards.push((lesson, block));
                }
            });
        }
        cards
    }
}

/// Calls `f` on every block, depth first, including blocks nested in lists and quotes.
pub fn visit_blocks<'a>(blocks: &'a [Block], f: &mut impl FnMut(&'a Block)) {
    for block in blocks {
        f(block);
        match block {
            Block::List { items, .. } => {
                for item in items {
                    visit_blocks(item, f);
                }
            }
            Block::Quote { blocks } => visit_blocks(blocks, f),
            _ => {}
        }
    }
}

/// One lesson: its front matter and its rendered body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lesson {
    /// File stem without the `NN-` prefix, e.g. `cerebras-wse`; the lesson's URL segment.
    pub slug: String,
    /// Position in the course (front matter `order`, equal to the file's `NN`).
    pub order: u32,
    /// Title (front matter); the body has no H1.
    pub title: String,
    /// One or two sentences (front matter).
    pub summary: String,
    /// Learning objectives, in the author's order.
    pub objectives: Vec<String>,
    /// Slugs of lessons to read first.
    pub prerequisites: Vec<String>,
    /// The body as typed blocks. Ends with [`Block::Sources`] when the lesson cites anything.
    pub body: Vec<Block>,
    /// Ids of the quizzes the lesson includes, in order of appearance.
    pub quiz_ids: Vec<String>,
    /// Words in the body (prose, tables, captions; not code), for a reading-time estimate.
    pub n_words: u32,
}

impl Lesson {
    /// The table of contents: every heading in the body, in order.
    pub fn toc(&self) -> Vec<TocEntry<'_>> {
        let mut entries = Vec::new();
        visit_blocks(&self.body, &mut |block| {
            if let Block::Heading {
                level,
                anchor,
                text,
            } = block
            {
                entries.push(TocEntry {
                    level: *level,
                    anchor,
                    text,
                });
            }
        });
        entries
    }

    /// Minutes to read the body at 200 words a minute, at least one.
    pub fn reading_minutes(&self) -> u32 {
        self.n_words.div_ceil(200).max(1)
    }

    /// The sources this lesson cites, numbered as the citations show them.
    pub fn sources(&self) -> &[Source] {
        self.body
            .iter()
            .rev()
            .find_map(|block| match block {
                Block::Sources { sources } => Some(sources.as_slice()),
                _ => None,
            })
            .unwrap_or(&[])
    }
}

/// A heading, as listed by [`Lesson::toc`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TocEntry<'a> {
    /// 2 for `##`, 3 for `###`, …
    pub level: u8,
    /// The heading's anchor id.
    pub anchor: &'a str,
    /// The heading's inline content.
    pub text: &'a [Inline],
}
