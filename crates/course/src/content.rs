//! The content a lesson, a quiz prompt and the search index are made of: typed blocks and
//! inlines, sources, simulator and lab cards, and the text helpers over them. A leaf module:
//! it depends on nothing else in the crate, so `model`, `quiz` and `search` all build on it
//! without depending on each other.

use serde::{Deserialize, Serialize};

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
        /// Id of a quiz in [`Course::quizzes`](crate::model::Course::quizzes).
        quiz_id: String,
    },
    /// A ```` ```sim <arch> key=value… ```` fence: a card linking into a simulator.
    SimCard(SimCard),
    /// A ```` ```lab <name> key=value… ```` fence: a card linking into a lab.
    LabCard(LabCard),
    /// A ```` ```compare key=value… ```` fence: a card linking into the five-machine
    /// comparison (`/compare?key=value…`).
    CompareCard(CompareCard),
    /// A ```` ```compile <arch> key=value… ```` fence: a card linking into the compile
    /// page (`/compile?machine=<arch>&key=value…`), the machine's compile stage by stage.
    CompileCard(SimCard),
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
    /// Fine-tune BERT-tiny, look at its tokens and attention.
    Bert,
    /// The Cerebras batch-size experiment.
    CerebrasBatch,
    /// The Groq input-size experiment.
    GroqInput,
    /// The SambaNova task-count experiment.
    SambanovaNtasks,
}

impl LabName {
    /// Every lab.
    pub const ALL: [LabName; 5] = [
        LabName::Mnist,
        LabName::Bert,
        LabName::CerebrasBatch,
        LabName::GroqInput,
        LabName::SambanovaNtasks,
    ];

    /// The name used in fences and URLs (`cerebras-batch`).
    pub fn name(self) -> &'static str {
        match self {
            LabName::Mnist => "mnist",
            LabName::Bert => "bert",
            LabName::CerebrasBatch => "cerebras-batch",
            LabName::GroqInput => "groq-input",
            LabName::SambanovaNtasks => "sambanova-ntasks",
        }
    }

    /// Where the lab lives in the site: its page under `/labs/`, and for the homework
    /// experiments the section of the homework page (`/labs/homework?at=cerebras`).
    pub fn page(self) -> (&'static str, Option<&'static str>) {
        match self {
            LabName::Mnist => ("mnist", None),
            LabName::Bert => ("bert", None),
            LabName::CerebrasBatch => ("homework", Some("cerebras")),
            LabName::GroqInput => ("homework", Some("groq")),
            LabName::SambanovaNtasks => ("homework", Some("sambanova")),
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

    /// The compile page's route for the same machine and arguments:
    /// `/compile?machine=<arch>&key=value…`.
    pub fn compile_route(&self) -> String {
        let mut args = vec![("machine".to_owned(), self.arch.name().to_owned())];
        args.extend(self.args.iter().cloned());
        format!("/compile{}", query_string(&args))
    }
}

/// A card linking into the comparison of one workload on every machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompareCard {
    /// The `key=value` arguments in fence order (e.g. `preset=bert-layer`, `seq=128`).
    pub args: Vec<(String, String)>,
    /// The one-line caption inside the fence, if any.
    pub caption: Option<String>,
}

impl CompareCard {
    /// The app route: `/compare` plus the arguments as a query string.
    pub fn route(&self) -> String {
        format!("/compare{}", query_string(&self.args))
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
    /// The app route: `/labs/<page>` plus the arguments as a query string, with `at=<section>`
    /// first for a homework experiment (`/labs/homework?at=cerebras&…`).
    pub fn route(&self) -> String {
        let (page, section) = self.lab.page();
        let mut args = Vec::with_capacity(self.args.len() + 1);
        if let Some(section) = section {
            args.push(("at".to_owned(), section.to_owned()));
        }
        args.extend(self.args.iter().cloned());
        format!("/labs/{page}{}", query_string(&args))
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
