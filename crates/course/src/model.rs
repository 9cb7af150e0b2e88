//! The typed course: what the app embeds and renders. No Markdown, no HTML strings.
//!
//! A [`Course`] is built by `course::build::load_course` (feature `build`) at build time,
//! serialized with [`Course::to_json`] into the app's `OUT_DIR`, and read back in the app with
//! [`Course::from_json`].

use serde::{Deserialize, Serialize};

use crate::quiz::Quiz;
use crate::search::SearchIndex;

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
                if matches!(block, Block::SimCard(_) | Block::LabCard(_)) {
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

/// A block of a lesson body (or of a quiz prompt or explanation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// `##` … `######`; lesson bodies have no level 1.
    Heading {
        /// 2..=6.
        level: u8,
        /// Stable id: lowercase, ASCII letters and digits kept, runs of anything else become one
        /// `-`, trimmed; a repeated id gets `-2`, `-3`, …
        anchor: String,
        /// The heading's inline content.
        text: Vec<Inline>,
    },
    /// A paragraph.
    Paragraph {
        /// Its inline content.
        inlines: Vec<Inline>,
    },
    /// A bulleted or numbered list; each item is a list of blocks.
    List {
        /// `Some(first number)` for a numbered list, `None` for bullets.
        start: Option<u64>,
        /// The items.
        items: Vec<Vec<Block>>,
    },
    /// A block quote.
    Quote {
        /// The quoted blocks.
        blocks: Vec<Block>,
    },
    /// A pipe table.
    Table {
        /// Alignment per column.
        align: Vec<Align>,
        /// Header cells.
        head: Vec<Vec<Inline>>,
        /// Body rows of cells.
        rows: Vec<Vec<Vec<Inline>>>,
    },
    /// An image alone in its paragraph: `![alt](figures/x.svg "caption")`.
    Figure {
        /// Path relative to the site root, e.g. `figures/wse-router.svg` (a file in `public/`).
        src: String,
        /// Alternative text (plain).
        alt: String,
        /// The caption (the image title), if any.
        caption: Option<String>,
    },
    /// A fenced code block in a known language.
    Code {
        /// `rust`, `python`, `bash`, `text`, …; `text` when the fence has no info string.
        lang: String,
        /// The code, without the final newline.
        text: String,
    },
    /// A `{{#quiz quizzes/NN-slug.toml}}` directive: render the quiz with this id here.
    Quiz {
        /// Id of a quiz in [`Course::quizzes`].
        quiz_id: String,
    },
    /// A ```` ```sim <arch> key=value… ```` fence: a card linking into a simulator.
    SimCard(SimCard),
    /// A ```` ```lab <name> key=value… ```` fence: a card linking into a lab.
    LabCard(LabCard),
    /// A thematic break (`---`).
    Rule,
    /// The numbered list of sources the lesson cites; always the last block when present.
    /// Each entry's anchor is [`Source::anchor`].
    Sources {
        /// In number order.
        sources: Vec<Source>,
    },
}

/// Column alignment in a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    /// No alignment given.
    None,
    /// `:--`
    Left,
    /// `:-:`
    Center,
    /// `--:`
    Right,
}

/// Inline content. Serialized externally tagged (`{"text":"…"}`), the most compact form for the
/// most numerous values in the embedded course.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Inline {
    /// Plain text. A line break in the source (one sentence per line) is a space here.
    Text(String),
    /// `**bold**`
    Strong(Vec<Inline>),
    /// `*emphasis*`
    Emphasis(Vec<Inline>),
    /// `~~struck~~`
    Strikethrough(Vec<Inline>),
    /// `` `code` ``
    Code(String),
    /// A link.
    Link {
        /// Where it goes.
        target: LinkTarget,
        /// What it shows.
        children: Vec<Inline>,
    },
    /// `[^source-id]`: a superscript number linking to the sources list.
    Citation {
        /// 1-based position of the source in the lesson's `[[sources]]`.
        number: u32,
        /// The source's id; the anchor to link to is `source-<id>` ([`Source::anchor`]).
        source_id: String,
    },
    /// A hard line break (two trailing spaces or a backslash).
    LineBreak,
}

/// Where a link goes. Lesson and anchor targets were checked at build time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LinkTarget {
    /// `http://…`, `https://…` or `mailto:…`: open as is.
    External {
        /// The URL.
        url: String,
    },
    /// `lesson:slug` or `lesson:slug#anchor`.
    Lesson {
        /// An existing lesson's slug.
        slug: String,
        /// An anchor that exists in that lesson.
        anchor: Option<String>,
    },
    /// `#anchor`: a heading in the same lesson.
    Anchor {
        /// An anchor that exists in the lesson.
        anchor: String,
    },
}

/// One entry of a lesson's `[[sources]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// 1-based, the number citations show.
    pub number: u32,
    /// The id cited as `[^id]`.
    pub id: String,
    /// The reference as text.
    pub text: String,
    /// Optional link.
    pub url: Option<String>,
}

impl Source {
    /// The element id of this source in the rendered list: `source-<id>`.
    pub fn anchor(&self) -> String {
        format!("source-{}", self.id)
    }
}

/// Which simulator a [`SimCard`] opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SimArch {
    /// A GPU (the baseline).
    Gpu,
    /// Cerebras WSE.
    Wse,
    /// Graphcore IPU.
    Ipu,
    /// SambaNova RDU.
    Rdu,
    /// Groq TSP.
    Groq,
}

impl SimArch {
    /// Every architecture, in the order the course introduces them.
    pub const ALL: [SimArch; 5] = [
        SimArch::Gpu,
        SimArch::Wse,
        SimArch::Ipu,
        SimArch::Rdu,
        SimArch::Groq,
    ];

    /// The name used in fences and URLs (`wse`).
    pub fn name(self) -> &'static str {
        match self {
            SimArch::Gpu => "gpu",
            SimArch::Wse => "wse",
            SimArch::Ipu => "ipu",
            SimArch::Rdu => "rdu",
            SimArch::Groq => "groq",
        }
    }

    /// The architecture with this fence/URL name.
    pub fn from_name(name: &str) -> Option<SimArch> {
        SimArch::ALL.into_iter().find(|arch| arch.name() == name)
    }
}

/// Which lab a [`LabCard`] opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LabName {
    /// Train a small MNIST model.
    Mnist,
    /// The Cerebras batch-size experiment.
    CerebrasBatch,
    /// The Groq input-size experiment.
    GroqInput,
    /// The SambaNova task-count experiment.
    SambanovaNtasks,
}

impl LabName {
    /// Every lab.
    pub const ALL: [LabName; 4] = [
        LabName::Mnist,
        LabName::CerebrasBatch,
        LabName::GroqInput,
        LabName::SambanovaNtasks,
    ];

    /// The name used in fences and URLs (`cerebras-batch`).
    pub fn name(self) -> &'static str {
        match self {
            LabName::Mnist => "mnist",
            LabName::CerebrasBatch => "cerebras-batch",
            LabName::GroqInput => "groq-input",
            LabName::SambanovaNtasks => "sambanova-ntasks",
        }
    }

    /// The lab with this fence/URL name.
    pub fn from_name(name: &str) -> Option<LabName> {
        LabName::ALL.into_iter().find(|lab| lab.name() == name)
    }
}

/// A card linking into a simulator with a preset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimCard {
    /// The simulator.
    pub arch: SimArch,
    /// The `key=value` arguments in fence order (e.g. `preset=gemv`).
    pub args: Vec<(String, String)>,
    /// The one-line caption inside the fence, if any.
    pub caption: Option<String>,
}

impl SimCard {
    /// The app route: `/simulators/<arch>` plus the arguments as a query string.
    pub fn route(&self) -> String {
        format!(
            "/simulators/{}{}",
            self.arch.name(),
            query_string(&self.args)
        )
    }

    /// The value of argument `key`, e.g. `preset`.
    pub fn arg(&self, key: &str) -> Option<&str> {
        find_arg(&self.args, key)
    }
}

/// A card linking into a lab with preset arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabCard {
    /// The lab.
    pub lab: LabName,
    /// The `key=value` arguments in fence order (e.g. `lr=0.05`).
    pub args: Vec<(String, String)>,
    /// The one-line caption inside the fence, if any.
    pub caption: Option<String>,
}

impl LabCard {
    /// The app route: `/labs/<name>` plus the arguments as a query string.
    pub fn route(&self) -> String {
        format!("/labs/{}{}", self.lab.name(), query_string(&self.args))
    }

    /// The value of argument `key`.
    pub fn arg(&self, key: &str) -> Option<&str> {
        find_arg(&self.args, key)
    }
}

fn find_arg<'a>(args: &'a [(String, String)], key: &str) -> Option<&'a str> {
    args.iter()
        .find(|(k, _)| k == key)
        .map(|(_, value)| value.as_str())
}

/// `?k=v&k2=v2`, or empty. Keys and values were checked at build time to need no escaping.
fn query_string(args: &[(String, String)]) -> String {
    if args.is_empty() {
        return String::new();
    }
    let pairs: Vec<String> = args.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("?{}", pairs.join("&"))
}

/// Plain text of inline content (for search, alt text, titles in `<title>`).
pub fn plain_text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    push_plain_text(inlines, &mut out);
    out
}

fn push_plain_text(inlines: &[Inline], out: &mut String) {
    for inline in inlines {
        match inline {
            Inline::Text(text) | Inline::Code(text) => out.push_str(text),
            Inline::Strong(children)
            | Inline::Emphasis(children)
            | Inline::Strikethrough(children)
            | Inline::Link { children, .. } => push_plain_text(children, out),
            Inline::Citation { .. } => {}
            Inline::LineBreak => out.push(' '),
        }
    }
}

/// The anchor id of a heading with this text: lowercase; ASCII letters and digits kept; every run
/// of other characters becomes a single `-`; leading and trailing `-` trimmed. Deduplication
/// (`-2`, `-3`) is the caller's job, since it depends on the headings before.
pub fn slugify(text: &str) -> String {
    let mut anchor = String::with_capacity(text.len());
    let mut pending_dash = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_dash && !anchor.is_empty() {
                anchor.push('-');
            }
            pending_dash = false;
            anchor.push(c.to_ascii_lowercase());
        } else {
            pending_dash = true;
        }
    }
    anchor
}
