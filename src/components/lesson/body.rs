//! Renders a lesson's typed blocks and inlines (no HTML strings): headings with stable anchors,
//! paragraphs, lists, quotes, tables, figures, code, widget cards, quizzes and the sources list.

use course::{Align, Block, CompareCard, Inline, LabCard, LinkTarget, SimCard, Source};
use leptos::prelude::*;

use crate::catalog::{self, Status};
use crate::components::lesson::QuizCard;
use crate::route::Route;

/// The address of a section of a lesson: `#/lessons/<slug>?at=<anchor>` (the hash holds the route,
/// How a lesson's simulator card runs its simulator in place. The lesson page provides it
/// (components cannot name pages); without it a card only links to the simulator.
#[derive(Clone, Copy)]
pub struct SimEmbedView(pub fn(course::SimArch, Vec<(String, String)>) -> AnyView);

impl std::fmt::Debug for SimEmbedView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimEmbedView")
    }
}

/// so an anchor travels in the query; see ARCHITECTURE.md "Hash routing").
pub fn section_href(slug: &str, anchor: &str) -> String {
    format!(
        "{}?at={anchor}",
        Route::Lesson {
            slug: slug.to_owned()
        }
        .href()
    )
}

/// Where a link in lesson `current_slug` goes.
pub fn link_href(target: &LinkTarget, current_slug: &str) -> String {
    match target {
        LinkTarget::External { url } => url.clone(),
        LinkTarget::Lesson { slug, anchor: None } => Route::Lesson { slug: slug.clone() }.href(),
        LinkTarget::Lesson {
            slug,
            anchor: Some(anchor),
        } => section_href(slug, anchor),
        LinkTarget::Anchor { anchor } => section_href(current_slug, anchor),
    }
}

/// The `src` of a figure: figures live in `public/`, which trunk copies to `dist/public/`; the
/// path stays relative so the site works under any sub-path.
pub fn figure_src(src: &str) -> String {
    format!("public/{src}")
}

/// Renders `blocks` of lesson `slug` (the slug makes `#anchor` links and citations absolute).
pub fn render_blocks(blocks: &'static [Block], slug: &'static str) -> AnyView {
    blocks
        .iter()
        .map(|block| render_block(block, slug))
        .collect_view()
        .into_any()
}

fn render_block(block: &'static Block, slug: &'static str) -> AnyView {
    match block {
        Block::Heading {
            level,
            anchor,
            text,
        } => heading(*level, anchor, text, slug),
        Block::Paragraph { inlines } => view! { <p>{render_inlines(inlines, slug)}</p> }.into_any(),
        Block::List {
            start: Some(start),
            items,
        } => view! {
            <ol start=*start>
                {items.iter().map(|item| view! { <li>{render_blocks(item, slug)}</li> }).collect_view()}
            </ol>
        }
        .into_any(),
        Block::List { start: None, items } => view! {
            <ul>
                {items.iter().map(|item| view! { <li>{render_blocks(item, slug)}</li> }).collect_view()}
            </ul>
        }
        .into_any(),
        Block::Quote { blocks } => {
            view! { <blockquote class="lesson-quote">{render_blocks(blocks, slug)}</blockquote> }
                .into_any()
        }
        Block::Table { align, head, rows } => table(align, head, rows, slug),
        Block::Figure { src, alt, caption } => view! {
            <figure class="lesson-figure">
                <div class="lesson-figure__frame">
                    <img class="lesson-figure__img" src=figure_src(src) alt=alt.clone() loading="lazy" />
                </div>
                {caption
                    .as_ref()
                    .map(|caption| {
                        view! { <figcaption class="lesson-figure__caption">{caption.clone()}</figcaption> }
                    })}
            </figure>
        }
        .into_any(),
        Block::Code { lang, text } => view! {
            <pre class="lesson-code" data-lang=lang.clone() tabindex="0">
                <code>{text.clone()}</code>
            </pre>
        }
        .into_any(),
        Block::Quiz { quiz_id } => view! { <QuizCard quiz_id=quiz_id.clone() /> }.into_any(),
        Block::SimCard(card) => sim_card(card),
        Block::LabCard(card) => lab_card(card),
        Block::CompareCard(card) => compare_card(card),
        Block::CompileCard(card) => compile_card(card),
        Block::Rule => view! { <hr class="lesson-rule" /> }.into_any(),
        Block::Sources { sources } => sources_list(sources),
    }
}

/// A heading, and beside it (not inside it, so the heading's accessible name is its text alone)
/// a link to its section for copying.
fn heading(
    level: u8,
    anchor: &'static str,
    text: &'static [Inline],
    slug: &'static str,
) -> AnyView {
    let content = move || render_inlines(text, slug);
    let heading =
        match level {
            2 => view! { <h2 class="lesson-heading" id=anchor tabindex="-1">{content()}</h2> }
                .into_any(),
            3 => view! { <h3 class="lesson-heading" id=anchor tabindex="-1">{content()}</h3> }
                .into_any(),
            4 => view! { <h4 class="lesson-heading" id=anchor tabindex="-1">{content()}</h4> }
                .into_any(),
            5 => view! { <h5 class="lesson-heading" id=anchor tabindex="-1">{content()}</h5> }
                .into_any(),
            _ => view! { <h6 class="lesson-heading" id=anchor tabindex="-1">{content()}</h6> }
                .into_any(),
        };
    let label = format!("Link to the section “{}”", course::plain_text(text));
    view! {
        <div class="lesson-heading-row">
            {heading}
            <a class="lesson-heading__link" href=section_href(slug, anchor) aria-label=label>"#"</a>
        </div>
    }
    .into_any()
}

fn align_class(align: Option<&Align>) -> &'static str {
    match align {
        Some(Align::Left) => "lesson-table__cell--left",
        Some(Align::Center) => "lesson-table__cell--center",
        Some(Align::Right) => "lesson-table__cell--right",
        Some(Align::None) | None => "",
    }
}

fn table(
    align: &'static [Align],
    head: &'static [Vec<Inline>],
    rows: &'static [Vec<Vec<Inline>>],
    slug: &'static str,
) -> AnyView {
    view! {
        <div class="lesson-table" tabindex="0" role="group" aria-label="Table (scrolls sideways)">
            <table class="lesson-table__table">
                <thead>
                    <tr>
                        {head
                            .iter()
                            .enumerate()
                            .map(|(col, cell)| {
                                // An empty corner cell heads nothing: a `td`, so a screen
                                // reader does not announce an empty column header.
                                if cell.is_empty() {
                                    view! { <td class=align_class(align.get(col))></td> }.into_any()
                                } else {
                                    view! { <th scope="col" class=align_class(align.get(col))>{render_inlines(cell, slug)}</th> }.into_any()
                                }
                            })
                            .collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .iter()
                        .map(|row| {
                            view! {
                                <tr>
                                    {row
                                        .iter()
                                        .enumerate()
                                        .map(|(col, cell)| {
                                            view! { <td class=align_class(align.get(col))>{render_inlines(cell, slug)}</td> }
                                        })
                                        .collect_view()}
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

fn status_note(status: Status) -> Option<&'static str> {
    (status == Status::Coming).then_some("Being built: the link shows what it will do.")
}

fn sim_card(card: &'static SimCard) -> AnyView {
    let entry = catalog::simulator(card.arch);
    let name = entry.map_or(card.arch.name(), |e| e.name);
    let status = entry.map_or(Status::Coming, |e| e.status);
    let preset = card.arg("preset").map(|p| format!("Preset: {p}"));
    // The card and the button that runs the simulator in place are one unit (`lesson-sim`), so
    // the button reads as part of the card and the simulator opens inside it.
    view! {
        <div class="lesson-sim" data-testid="lesson-sim">
        <a class="lesson-card lesson-card--sim" href=format!("#{}", card.route()) data-testid="lesson-sim-card">
            <span class="lesson-card__kind">"Simulator"</span>
            <span class="lesson-card__title">{format!("Open the {name} simulator")}</span>
            {preset.map(|p| view! { <span class="lesson-card__meta">{p}</span> })}
            {card.caption.clone().map(|c| view! { <span class="lesson-card__text">{c}</span> })}
            {status_note(status).map(|n| view! { <span class="lesson-card__note">{n}</span> })}
        </a>
        {use_context::<SimEmbedView>().map(|embed| (embed.0)(card.arch, card.args.clone()))}
        </div>
    }
    .into_any()
}

fn compile_card(card: &'static SimCard) -> AnyView {
    let name = catalog::simulator(card.arch).map_or(card.arch.name(), |e| e.name);
    let preset = card.arg("preset").map(|p| format!("Preset: {p}"));
    view! {
        <a class="lesson-card lesson-card--sim" href=format!("#{}", card.compile_route()) data-testid="lesson-compile-card">
            <span class="lesson-card__kind">"Compile, stage by stage"</span>
            <span class="lesson-card__title">{format!("See how the {name} compiles it")}</span>
            {preset.map(|p| view! { <span class="lesson-card__meta">{p}</span> })}
            {card.caption.clone().map(|c| view! { <span class="lesson-card__text">{c}</span> })}
        </a>
    }
    .into_any()
}

fn lab_card(card: &'static LabCard) -> AnyView {
    let (title, status) =
        catalog::lab_card_target(card.lab).unwrap_or((card.lab.name(), Status::Coming));
    let settings: Vec<String> = card
        .args
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    let settings = (!settings.is_empty()).then(|| format!("Settings: {}", settings.join(", ")));
    view! {
        <a class="lesson-card lesson-card--lab" href=format!("#{}", card.route()) data-testid="lesson-lab-card">
            <span class="lesson-card__kind">"Lab"</span>
            <span class="lesson-card__title">{title}</span>
            {settings.map(|s| view! { <span class="lesson-card__meta">{s}</span> })}
            {card.caption.clone().map(|c| view! { <span class="lesson-card__text">{c}</span> })}
            {status_note(status).map(|n| view! { <span class="lesson-card__note">{n}</span> })}
        </a>
    }
    .into_any()
}

fn compare_card(card: &'static CompareCard) -> AnyView {
    let settings: Vec<String> = card
        .args
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    let settings = (!settings.is_empty()).then(|| format!("Settings: {}", settings.join(", ")));
    view! {
        <a class="lesson-card lesson-card--sim" href=format!("#{}", card.route()) data-testid="lesson-compare-card">
            <span class="lesson-card__kind">"Comparison"</span>
            <span class="lesson-card__title">"One workload on all five machines"</span>
            {settings.map(|s| view! { <span class="lesson-card__meta">{s}</span> })}
            {card.caption.clone().map(|c| view! { <span class="lesson-card__text">{c}</span> })}
        </a>
    }
    .into_any()
}

fn sources_list(sources: &'static [Source]) -> AnyView {
    view! {
        <section class="lesson-sources" aria-labelledby="sources">
            <h2 class="lesson-heading" id="sources" tabindex="-1">"Sources"</h2>
            <ol class="lesson-sources__list">
                {sources
                    .iter()
                    .map(|source| {
                        view! {
                            <li class="lesson-sources__item" id=source.anchor() tabindex="-1">
                                {source.text.clone()}
                                {source
                                    .url
                                    .as_ref()
                                    .map(|url| {
                                        view! {
                                            " "
                                            <a class="lesson-sources__link" href=url.clone() rel="noopener noreferrer">
                                                {url.clone()}
                                            </a>
                                        }
                                    })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </section>
    }
    .into_any()
}

/// Renders inline content of lesson `slug`.
pub fn render_inlines(inlines: &'static [Inline], slug: &'static str) -> AnyView {
    inlines
        .iter()
        .map(|inline| render_inline(inline, slug))
        .collect_view()
        .into_any()
}

fn render_inline(inline: &'static Inline, slug: &'static str) -> AnyView {
    match inline {
        Inline::Text(text) => text.clone().into_any(),
        Inline::Strong(children) => {
            view! { <strong>{render_inlines(children, slug)}</strong> }.into_any()
        }
        Inline::Emphasis(children) => {
            view! { <em>{render_inlines(children, slug)}</em> }.into_any()
        }
        Inline::Strikethrough(children) => {
            view! { <s>{render_inlines(children, slug)}</s> }.into_any()
        }
        Inline::Code(text) => view! { <code>{text.clone()}</code> }.into_any(),
        Inline::Link { target, children } => {
            let external = matches!(target, LinkTarget::External { .. });
            view! {
                <a
                    href=link_href(target, slug)
                    class:lesson-link--external=external
                    rel=external.then_some("noopener noreferrer")
                >
                    {render_inlines(children, slug)}
                </a>
            }
            .into_any()
        }
        Inline::Citation { number, source_id } => view! {
            <sup class="lesson-cite">
                <a
                    class="lesson-cite__link"
                    href=section_href(slug, &format!("source-{source_id}"))
                    aria-label=format!("source {number}")
                >
                    {format!("[{number}]")}
                </a>
            </sup>
        }
        .into_any(),
        Inline::LineBreak => view! { <br /> }.into_any(),
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn links_become_hash_routes_with_the_anchor_in_the_query() {
        let check = |target: LinkTarget, expected: &str| {
            assert_eq!(link_href(&target, "cerebras-wse"), expected, "{target:?}");
        };
        check(
            LinkTarget::External {
                url: "https://example.org/x".into(),
            },
            "https://example.org/x",
        );
        check(
            LinkTarget::Lesson {
                slug: "homework".into(),
                anchor: None,
            },
            "#/lessons/homework",
        );
        check(
            LinkTarget::Lesson {
                slug: "homework".into(),
                anchor: Some("cerebras".into()),
            },
            "#/lessons/homework?at=cerebras",
        );
        check(
            LinkTarget::Anchor {
                anchor: "colors".into(),
            },
            "#/lessons/cerebras-wse?at=colors",
        );
        let location = crate::route::Location::parse(&section_href("groq-tsp", "streams"));
        assert_eq!(location.query_value("at"), Some("streams"));
        assert_eq!(
            figure_src("figures/wse-router.svg"),
            "public/figures/wse-router.svg"
        );
    }
}
