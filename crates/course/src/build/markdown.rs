//! Markdown → typed blocks, with the checks that need only the file itself (and `public/` for
//! figures). Cross-file checks (links to lessons and anchors) are recorded as [`PendingLink`]s
//! and done once every lesson is parsed.

use std::ops::Range;
use std::path::Path;

use pulldown_cmark::{Alignment, CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::error::{Problem, ValidationError};
use crate::model::{
    Align, Block, CompareCard, Inline, LabCard, LabName, LinkTarget, SimArch, SimCard, slugify,
};
use crate::predict::{SetupRef, SetupTarget};

/// Languages a fenced code block may name.
pub const CODE_LANGUAGES: &[&str] = &[
    "rust", "python", "bash", "text", "toml", "yaml", "console", "json", "sh", "c", "cpp",
];

/// Byte offset → 1-based line.
#[derive(Debug)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { line_starts }
    }

    pub fn line(&self, offset: usize) -> u32 {
        let line = self.line_starts.partition_point(|&start| start <= offset);
        u32::try_from(line).unwrap_or(u32::MAX)
    }
}

/// A link to check once all lessons are known.
#[derive(Debug, Clone)]
pub struct PendingLink {
    pub file: String,
    pub line: u32,
    pub slug: String,
    pub anchor: Option<String>,
}

/// A `{{#quiz …}}` directive.
#[derive(Debug, Clone)]
pub struct QuizInclude {
    pub path: String,
    pub line: u32,
}

/// What kind of text is being converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// A lesson body: everything allowed.
    Lesson,
    /// A quiz prompt, choice or explanation: no headings, widgets, figures, directives or
    /// citations.
    Quiz,
}

/// Where errors go and what the converter learns about the text.
pub struct Converter<'a> {
    pub file: &'a str,
    pub kind: TextKind,
    /// Lines of the whole file and the offset of the converted text in it; for quiz text, the
    /// line every error is reported at instead.
    pub lines: &'a LineIndex,
    pub base_offset: usize,
    pub fixed_line: Option<u32>,
    /// The lesson's slug (for `#anchor` links).
    pub slug: &'a str,
    /// Source ids; citation number = position + 1.
    pub source_ids: &'a [String],
    pub public_dir: &'a Path,
    pub errors: &'a mut Vec<ValidationError>,
    pub links: &'a mut Vec<PendingLink>,
    pub quiz_includes: Vec<QuizInclude>,
    /// Anchors assigned so far, in order.
    pub anchors: Vec<String>,
    pub n_words: u32,
}

type Ev<'t> = (Event<'t>, Range<usize>);

struct Image {
    src: String,
    title: String,
    alt: String,
    offset: usize,
}

impl Converter<'_> {
    /// Converts `text` (which starts at `base_offset` in the file) into blocks.
    pub fn blocks(&mut self, text: &str) -> Vec<Block> {
        let options = Options::ENABLE_TABLES
            | Options::ENABLE_FOOTNOTES
            | Options::ENABLE_OLD_FOOTNOTES
            | Options::ENABLE_STRIKETHROUGH;
        let events: Vec<Ev<'_>> = Parser::new_ext(text, options).into_offset_iter().collect();
        let mut pos = 0;
        self.parse_blocks(&events, &mut pos, None)
    }

    fn line(&self, offset: usize) -> u32 {
        self.fixed_line
            .unwrap_or_else(|| self.lines.line(self.base_offset + offset))
    }

    fn error(&mut self, offset: usize, problem: Problem) {
        let line = self.line(offset);
        self.errors.push(ValidationError {
            file: self.file.to_owned(),
            line,
            problem,
        });
    }

    fn count_words(&mut self, inlines: &[Inline]) {
        let n = crate::model::plain_text(inlines).split_whitespace().count();
        self.n_words = self
            .n_words
            .saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
    }

    /// Blocks until the end tag `until` (consumed) or the end of the events.
    fn parse_blocks(
        &mut self,
        events: &[Ev<'_>],
        pos: &mut usize,
        until: Option<TagEnd>,
    ) -> Vec<Block> {
        let mut blocks = Vec::new();
        while let Some((event, range)) = events.get(*pos) {
            let offset = range.start;
            match event {
                Event::End(end) if Some(*end) == until => {
                    *pos += 1;
                    return blocks;
                }
                Event::Start(Tag::Paragraph) => {
                    *pos += 1;
                    let (inlines, images) =
                        self.parse_inlines(events, pos, Some(TagEnd::Paragraph));
                    if let Some(block) = self.paragraph(inlines, images, offset) {
                        blocks.push(block);
                    }
                }
                Event::Start(Tag::Heading { level: heading, .. }) => {
                    *pos += 1;
                    let end = TagEnd::Heading(*heading);
                    let level = heading_level(*heading);
                    let (text, images) = self.parse_inlines(events, pos, Some(end));
                    self.reject_images(&images);
                    if self.kind == TextKind::Quiz {
                        self.error(offset, Problem::NotInQuiz { what: "a heading" });
                    } else if level == 1 {
                        self.error(offset, Problem::H1);
                    }
                    self.count_words(&text);
                    let anchor = self.new_anchor(&crate::model::plain_text(&text));
                    blocks.push(Block::Heading {
                        level,
                        anchor,
                        text,
                    });
                }
                Event::Start(Tag::List(start)) => {
                    *pos += 1;
                    let start = *start;
                    let mut items = Vec::new();
                    while let Some((event, _)) = events.get(*pos) {
                        match event {
                            Event::Start(Tag::Item) => {
                                *pos += 1;
                                items.push(self.parse_blocks(events, pos, Some(TagEnd::Item)));
                            }
                            Event::End(TagEnd::List(_)) => {
                                *pos += 1;
                                break;
                            }
                            _ => *pos += 1,
                        }
                    }
                    blocks.push(Block::List { start, items });
                }
                Event::Start(Tag::BlockQuote(quote_kind)) => {
                    *pos += 1;
                    let end = TagEnd::BlockQuote(*quote_kind);
                    let inner = self.parse_blocks(events, pos, Some(end));
                    blocks.push(Block::Quote { blocks: inner });
                }
                Event::Start(Tag::CodeBlock(kind)) => {
                    *pos += 1;
                    let info = match kind {
                        CodeBlockKind::Fenced(info) => info.to_string(),
                        CodeBlockKind::Indented => String::new(),
                    };
                    let mut text = String::new();
                    while let Some((event, _)) = events.get(*pos) {
                        *pos += 1;
                        match event {
                            Event::Text(t) => text.push_str(t),
                            Event::End(TagEnd::CodeBlock) => break,
                            _ => {}
                        }
                    }
                    if let Some(block) = self.fence(&info, text, offset) {
                        blocks.push(block);
                    }
                }
                Event::Start(Tag::Table(aligns)) => {
                    *pos += 1;
                    let align = aligns.iter().map(|a| to_align(*a)).collect();
                    let (head, rows) = self.parse_table(events, pos);
                    blocks.push(Block::Table { align, head, rows });
                }
                Event::Start(Tag::HtmlBlock) => {
                    *pos += 1;
                    let mut html = String::new();
                    while let Some((event, _)) = events.get(*pos) {
                        *pos += 1;
                        match event {
                            Event::Html(t) | Event::Text(t) => html.push_str(t),
                            Event::End(TagEnd::HtmlBlock) => break,
                            _ => {}
                        }
                    }
                    if !is_only_comments(&html) {
                        self.error(offset, Problem::RawHtml);
                    }
                }
                Event::Start(Tag::FootnoteDefinition(_)) => {
                    self.error(offset, Problem::FootnoteDefinition);
                    skip_element(events, pos);
                }
                Event::Start(_) if is_inline_start(event) => {
                    // Tight list items hold inline content directly: one paragraph.
                    let (inlines, images) = self.parse_inlines(events, pos, None);
                    if let Some(block) = self.paragraph(inlines, images, offset) {
                        blocks.push(block);
                    }
                }
                Event::Text(_)
                | Event::Code(_)
                | Event::SoftBreak
                | Event::HardBreak
                | Event::FootnoteReference(_)
                | Event::InlineHtml(_) => {
                    let (inlines, images) = self.parse_inlines(events, pos, None);
                    if let Some(block) = self.paragraph(inlines, images, offset) {
                        blocks.push(block);
                    }
                }
                Event::Rule => {
                    *pos += 1;
                    blocks.push(Block::Rule);
                }
                Event::Start(_) => {
                    // Any other container (not enabled in the options): skip it whole.
                    skip_element(events, pos);
                }
                _ => *pos += 1,
            }
        }
        blocks
    }

    fn parse_table(
        &mut self,
        events: &[Ev<'_>],
        pos: &mut usize,
    ) -> (Vec<Vec<Inline>>, Vec<Vec<Vec<Inline>>>) {
        let mut head = Vec::new();
        let mut rows = Vec::new();
        let mut row: Vec<Vec<Inline>> = Vec::new();
        while let Some((event, _)) = events.get(*pos) {
            *pos += 1;
            match event {
                Event::End(TagEnd::TableHead) => head = std::mem::take(&mut row),
                Event::Start(Tag::TableRow) => row.clear(),
                Event::End(TagEnd::TableRow) => rows.push(std::mem::take(&mut row)),
                Event::Start(Tag::TableCell) => {
                    let (cell, images) = self.parse_inlines(events, pos, Some(TagEnd::TableCell));
                    self.reject_images(&images);
                    self.count_words(&cell);
                    row.push(cell);
                }
                Event::End(TagEnd::Table) => break,
                _ => {}
            }
        }
        (head, rows)
    }

    /// A paragraph, a figure (an image alone), a quiz directive, or an error.
    fn paragraph(
        &mut self,
        inlines: Vec<Inline>,
        images: Vec<Image>,
        offset: usize,
    ) -> Option<Block> {
        let text = crate::model::plain_text(&inlines);
        let trimmed = text.trim();
        if !images.is_empty() {
            if images.len() > 1 || !trimmed.is_empty() {
                self.error(offset, Problem::FigureNotAlone);
                return None;
            }
            let image = images.into_iter().next()?;
            return self.figure(image);
        }
        if trimmed.starts_with("{{#") {
            let only_text = inlines.iter().all(|i| matches!(i, Inline::Text(_)));
            let directive = trimmed
                .strip_prefix("{{#quiz ")
                .and_then(|rest| rest.strip_suffix("}}"))
                .map(str::trim);
            return match directive {
                Some(path) if only_text && self.kind == TextKind::Lesson => {
                    self.quiz_directive(path, offset)
                }
                Some(_) if only_text => {
                    self.error(
                        offset,
                        Problem::NotInQuiz {
                            what: "a quiz directive",
                        },
                    );
                    None
                }
                _ => {
                    self.error(
                        offset,
                        Problem::UnknownDirective {
                            text: trimmed.to_owned(),
                        },
                    );
                    None
                }
            };
        }
        self.count_words(&inlines);
        Some(Block::Paragraph { inlines })
    }

    fn quiz_directive(&mut self, path: &str, offset: usize) -> Option<Block> {
        let quiz_id = path
            .strip_prefix("quizzes/")
            .and_then(|rest| rest.strip_suffix(".toml"))
            .filter(|stem| {
                !stem.is_empty()
                    && stem.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
                    })
            });
        let Some(quiz_id) = quiz_id else {
            self.error(
                offset,
                Problem::BadQuizPath {
                    path: path.to_owned(),
                },
            );
            return None;
        };
        let line = self.line(offset);
        self.quiz_includes.push(QuizInclude {
            path: path.to_owned(),
            line,
        });
        Some(Block::Quiz {
            quiz_id: quiz_id.to_owned(),
        })
    }

    fn figure(&mut self, image: Image) -> Option<Block> {
        let Image {
            src,
            title,
            alt,
            offset,
        } = image;
        if self.kind == TextKind::Quiz {
            self.error(offset, Problem::NotInQuiz { what: "a figure" });
            return None;
        }
        let file_name = src.strip_prefix("figures/").filter(|rest| {
            !rest.is_empty()
                && !rest
                    .split('/')
                    .any(|part| part.is_empty() || part == "." || part == "..")
                && !rest.contains('\\')
                && !rest.contains(':')
        });
        if file_name.is_none() {
            self.error(offset, Problem::BadFigurePath { src });
            return None;
        }
        let on_disk = self.public_dir.join(&src);
        if !on_disk.is_file() {
            let looked_for = on_disk.display().to_string();
            self.error(
                offset,
                Problem::MissingFigure {
                    src: src.clone(),
                    looked_for,
                },
            );
        }
        if alt.trim().is_empty() {
            self.error(offset, Problem::MissingAlt { src: src.clone() });
        }
        self.n_words = self
            .n_words
            .saturating_add(u32::try_from(title.split_whitespace().count()).unwrap_or(u32::MAX));
        let caption = Some(title.trim().to_owned()).filter(|t| !t.is_empty());
        Some(Block::Figure {
            src,
            alt: alt.trim().to_owned(),
            caption,
        })
    }

    fn reject_images(&mut self, images: &[Image]) {
        for image in images {
            self.error(image.offset, Problem::FigureNotAlone);
        }
    }

    /// A fenced block: code in a known language, a widget, or an error.
    fn fence(&mut self, info: &str, text: String, offset: usize) -> Option<Block> {
        let mut words = info.split_whitespace();
        let Some(first) = words.next() else {
            return Some(Block::Code {
                lang: "text".to_owned(),
                text: trim_final_newline(text),
            });
        };
        let rest: Vec<&str> = words.collect();
        let is_widget = matches!(first, "sim" | "lab" | "compare" | "compile");
        if !is_widget {
            if !rest.is_empty() && rest.iter().any(|word| word.contains('=')) {
                self.error(
                    offset,
                    Problem::UnknownWidget {
                        name: first.to_owned(),
                    },
                );
                return None;
            }
            if !CODE_LANGUAGES.contains(&first) {
                self.error(
                    offset,
                    Problem::UnknownCodeLanguage {
                        lang: first.to_owned(),
                        known: CODE_LANGUAGES.join(", "),
                    },
                );
                return None;
            }
            return Some(Block::Code {
                lang: first.to_owned(),
                text: trim_final_newline(text),
            });
        }
        if self.kind == TextKind::Quiz {
            self.error(offset, Problem::NotInQuiz { what: "a widget" });
            return None;
        }
        // `compare` has no target word: every word is an argument.
        let (target, arg_words) = if first == "compare" {
            ("", rest.as_slice())
        } else {
            (
                rest.first().copied().unwrap_or(""),
                rest.get(1..).unwrap_or(&[]),
            )
        };
        let args = self.widget_args(arg_words, offset);
        let caption_lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if caption_lines.len() > 1 {
            self.error(
                offset,
                Problem::LongWidgetCaption {
                    n_lines: caption_lines.len(),
                },
            );
        }
        let caption = caption_lines.first().map(|line| (*line).to_owned());
        if let Some(caption) = &caption {
            self.n_words = self.n_words.saturating_add(
                u32::try_from(caption.split_whitespace().count()).unwrap_or(u32::MAX),
            );
        }
        // The workload an embed names is read by the simulators' own parsers now, so a
        // wrong preset or size fails the build, not the learner's page. (Whether one machine
        // maps that workload, e.g. the CNN on the WSE mesh, depends on the page's machine
        // settings: the app's native test builds every embed on its machine.)
        if matches!(first, "sim" | "compile" | "compare") && args.iter().any(|(k, _)| k == "preset")
        {
            let setup_target = if first == "compare" {
                Some(SetupTarget::Compare)
            } else {
                SimArch::from_name(target).map(SetupTarget::Simulator)
            };
            if let Some(setup_target) = setup_target {
                let query: Vec<String> = args.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let setup = SetupRef {
                    target: setup_target,
                    query: query.join("&"),
                };
                if let Err(message) = super::quiz::check_workload(&setup) {
                    self.error(
                        offset,
                        Problem::BadWidgetSetup {
                            fence: if first == "compare" {
                                first.to_owned()
                            } else {
                                format!("{first} {target}")
                            },
                            message,
                        },
                    );
                }
            }
        }
        if first == "compare" {
            return Some(Block::CompareCard(CompareCard { args, caption }));
        }
        if first == "sim" || first == "compile" {
            let Some(arch) = SimArch::from_name(target) else {
                self.error(
                    offset,
                    Problem::UnknownSimArch {
                        found: target.to_owned(),
                    },
                );
                return None;
            };
            let card = SimCard {
                arch,
                args,
                caption,
            };
            Some(if first == "sim" {
                Block::SimCard(card)
            } else {
                Block::CompileCard(card)
            })
        } else {
            let Some(lab) = LabName::from_name(target) else {
                self.error(
                    offset,
                    Problem::UnknownLab {
                        found: target.to_owned(),
                    },
                );
                return None;
            };
            Some(Block::LabCard(LabCard { lab, args, caption }))
        }
    }

    fn widget_args(&mut self, words: &[&str], offset: usize) -> Vec<(String, String)> {
        let is_arg_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        let mut args: Vec<(String, String)> = Vec::new();
        for word in words {
            let parsed = word.split_once('=').filter(|(key, value)| {
                !key.is_empty()
                    && !value.is_empty()
                    && key.chars().all(is_arg_char)
                    && value.chars().all(is_arg_char)
            });
            let Some((key, value)) = parsed else {
                self.error(
                    offset,
                    Problem::BadWidgetArg {
                        arg: (*word).to_owned(),
                    },
                );
                continue;
            };
            if args.iter().any(|(k, _)| k == key) {
                self.error(
                    offset,
                    Problem::DuplicateWidgetArg {
                        key: key.to_owned(),
                    },
                );
                continue;
            }
            args.push((key.to_owned(), value.to_owned()));
        }
        args
    }

    fn new_anchor(&mut self, text: &str) -> String {
        let base = match slugify(text) {
            s if s.is_empty() => "section".to_owned(),
            s => s,
        };
        let mut anchor = base.clone();
        let mut n = 2;
        while self.anchors.contains(&anchor) || anchor == "sources" {
            anchor = format!("{base}-{n}");
            n += 1;
        }
        self.anchors.push(anchor.clone());
        anchor
    }

    /// Inline content until the end tag `until` (consumed), or, with `until = None`, until the
    /// next event that is not inline (not consumed).
    fn parse_inlines(
        &mut self,
        events: &[Ev<'_>],
        pos: &mut usize,
        until: Option<TagEnd>,
    ) -> (Vec<Inline>, Vec<Image>) {
        let mut inlines: Vec<Inline> = Vec::new();
        let mut images = Vec::new();
        while let Some((event, range)) = events.get(*pos) {
            let offset = range.start;
            match event {
                Event::End(end) if Some(*end) == until => {
                    *pos += 1;
                    break;
                }
                Event::Text(text) => {
                    *pos += 1;
                    push_text(&mut inlines, text);
                }
                Event::Code(code) => {
                    *pos += 1;
                    inlines.push(Inline::Code(code.to_string()));
                }
                Event::SoftBreak => {
                    *pos += 1;
                    push_text(&mut inlines, " ");
                }
                Event::HardBreak => {
                    *pos += 1;
                    inlines.push(Inline::LineBreak);
                }
                Event::FootnoteReference(label) => {
                    *pos += 1;
                    self.citation(&mut inlines, label, offset);
                }
                Event::InlineHtml(html) => {
                    *pos += 1;
                    if !is_only_comments(html) {
                        self.error(offset, Problem::RawHtml);
                    }
                }
                Event::Start(Tag::Emphasis) => {
                    *pos += 1;
                    let (children, mut inner) =
                        self.parse_inlines(events, pos, Some(TagEnd::Emphasis));
                    images.append(&mut inner);
                    inlines.push(Inline::Emphasis(children));
                }
                Event::Start(Tag::Strong) => {
                    *pos += 1;
                    let (children, mut inner) =
                        self.parse_inlines(events, pos, Some(TagEnd::Strong));
                    images.append(&mut inner);
                    inlines.push(Inline::Strong(children));
                }
                Event::Start(Tag::Strikethrough) => {
                    *pos += 1;
                    let (children, mut inner) =
                        self.parse_inlines(events, pos, Some(TagEnd::Strikethrough));
                    images.append(&mut inner);
                    inlines.push(Inline::Strikethrough(children));
                }
                Event::Start(Tag::Link { dest_url, .. }) => {
                    *pos += 1;
                    let (children, mut inner) = self.parse_inlines(events, pos, Some(TagEnd::Link));
                    images.append(&mut inner);
                    if let Some(target) = self.link_target(dest_url, offset) {
                        inlines.push(Inline::Link { target, children });
                    } else {
                        inlines.extend(children);
                    }
                }
                Event::Start(Tag::Image {
                    dest_url, title, ..
                }) => {
                    *pos += 1;
                    let (alt, _) = self.parse_inlines(events, pos, Some(TagEnd::Image));
                    images.push(Image {
                        src: dest_url.to_string(),
                        title: title.to_string(),
                        alt: crate::model::plain_text(&alt),
                        offset,
                    });
                }
                _ if until.is_none() => break,
                Event::End(_) => {
                    // An end tag we did not open here: leave it to the caller.
                    break;
                }
                _ => *pos += 1,
            }
        }
        (inlines, images)
    }

    fn citation(&mut self, inlines: &mut Vec<Inline>, label: &str, offset: usize) {
        if self.kind == TextKind::Quiz {
            self.error(offset, Problem::NotInQuiz { what: "a citation" });
            return;
        }
        match self.source_ids.iter().position(|id| id == label) {
            Some(source_idx) => inlines.push(Inline::Citation {
                number: u32::try_from(source_idx + 1).unwrap_or(u32::MAX),
                source_id: label.to_owned(),
            }),
            None => {
                let known = if self.source_ids.is_empty() {
                    "this lesson has none".to_owned()
                } else {
                    self.source_ids.join(", ")
                };
                self.error(
                    offset,
                    Problem::UnknownCitation {
                        id: label.to_owned(),
                        known,
                    },
                );
            }
        }
    }

    fn link_target(&mut self, href: &str, offset: usize) -> Option<LinkTarget> {
        let line = self.line(offset);
        if href.starts_with("https://")
            || href.starts_with("http://")
            || href.starts_with("mailto:")
        {
            return Some(LinkTarget::External {
                url: href.to_owned(),
            });
        }
        if let Some(rest) = href.strip_prefix("lesson:") {
            let (slug, anchor) = match rest.split_once('#') {
                Some((slug, anchor)) => (slug, Some(anchor.to_owned())),
                None => (rest, None),
            };
            if !slug.is_empty() && anchor.as_ref().is_none_or(|a| !a.is_empty()) {
                self.links.push(PendingLink {
                    file: self.file.to_owned(),
                    line,
                    slug: slug.to_owned(),
                    anchor: anchor.clone(),
                });
                return Some(LinkTarget::Lesson {
                    slug: slug.to_owned(),
                    anchor,
                });
            }
        } else if let Some(anchor) = href.strip_prefix('#').filter(|a| !a.is_empty())
            && self.kind == TextKind::Lesson
        {
            self.links.push(PendingLink {
                file: self.file.to_owned(),
                line,
                slug: self.slug.to_owned(),
                anchor: Some(anchor.to_owned()),
            });
            return Some(LinkTarget::Anchor {
                anchor: anchor.to_owned(),
            });
        }
        self.error(
            offset,
            Problem::UnsupportedLink {
                href: href.to_owned(),
            },
        );
        None
    }
}

fn push_text(inlines: &mut Vec<Inline>, text: &str) {
    if let Some(Inline::Text(last)) = inlines.last_mut() {
        last.push_str(text);
    } else {
        inlines.push(Inline::Text(text.to_owned()));
    }
}

fn is_inline_start(event: &Event<'_>) -> bool {
    matches!(
        event,
        Event::Start(
            Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Link { .. } | Tag::Image { .. }
        )
    )
}

/// Skips a whole element starting at `events[*pos]` (a `Start`), through its matching `End`.
fn skip_element(events: &[Ev<'_>], pos: &mut usize) {
    let mut depth = 0_usize;
    while let Some((event, _)) = events.get(*pos) {
        *pos += 1;
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return;
                }
            }
            _ => {}
        }
    }
}

fn is_only_comments(html: &str) -> bool {
    let mut rest = html.trim();
    while !rest.is_empty() {
        let Some(after_open) = rest.strip_prefix("<!--") else {
            return false;
        };
        let Some(close) = after_open.find("-->") else {
            return false;
        };
        rest = after_open[close + 3..].trim();
    }
    true
}

fn trim_final_newline(mut text: String) -> String {
    if text.ends_with('\n') {
        text.pop();
    }
    text
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

fn to_align(align: Alignment) -> Align {
    match align {
        Alignment::None => Align::None,
        Alignment::Left => Align::Left,
        Alignment::Center => Align::Center,
        Alignment::Right => Align::Right,
    }
}
