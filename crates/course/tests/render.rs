//! What the valid fixture renders to: typed blocks and inlines, anchors, citations, widgets,
//! quizzes.

mod common;

use course::{
    Align, Block, ChoiceLayout, Inline, LabName, LinkTarget, QuestionKind, SimArch, plain_text,
};

fn text(s: &str) -> Inline {
    Inline::Text(s.to_owned())
}

#[test]
fn lesson_front_matter_becomes_metadata() {
    let course = common::valid_course();
    let intro = course.lesson("intro").expect("intro");
    assert_eq!(intro.order, 1);
    assert_eq!(intro.title, "Introduction");
    assert_eq!(intro.objectives, ["Read a lesson.", "Answer a quiz."]);
    assert_eq!(intro.quiz_ids, ["01-intro"]);
    let second = course.lesson("second").expect("second");
    assert_eq!(second.prerequisites, ["intro"]);
    assert_eq!(
        course.neighbours("second").0.map(|l| l.slug.as_str()),
        Some("intro")
    );
}

#[test]
fn headings_get_stable_deduplicated_anchors() {
    let course = common::valid_course();
    let toc = course.lesson("intro").expect("intro").toc();
    let anchors: Vec<&str> = toc.iter().map(|entry| entry.anchor).collect();
    assert_eq!(
        anchors,
        ["first-section", "a-later-section", "first-section-2"]
    );
    assert!(toc.iter().all(|entry| entry.level == 2));
}

#[test]
fn a_paragraph_has_typed_inlines_with_numbered_citations() {
    let course = common::valid_course();
    let intro = course.lesson("intro").expect("intro");
    let Block::Paragraph { inlines } = &intro.body[1] else {
        panic!("expected a paragraph, got {:?}", intro.body[1]);
    };
    assert_eq!(
        inlines[..8],
        [
            text("A paragraph with "),
            Inline::Strong(vec![text("bold")]),
            text(", "),
            Inline::Emphasis(vec![text("emphasis")]),
            text(", "),
            Inline::Code("code".to_owned()),
            text(" and a "),
            Inline::Link {
                target: LinkTarget::External {
                    url: "https://example.org".to_owned()
                },
                children: vec![text("link")],
            },
        ]
    );
    let citations: Vec<(u32, &str)> = inlines
        .iter()
        .filter_map(|inline| match inline {
            Inline::Citation { number, source_id } => Some((*number, source_id.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(citations, [(1, "src-a"), (2, "src-b"), (1, "src-a")]);
    // One sentence per line: the line break is a space.
    assert!(plain_text(inlines).contains(". A second sentence"));
}

#[test]
fn lesson_and_anchor_links_are_typed() {
    let course = common::valid_course();
    let intro = course.lesson("intro").expect("intro");
    let Block::Paragraph { inlines } = &intro.body[1] else {
        panic!("expected a paragraph");
    };
    let targets: Vec<&LinkTarget> = inlines
        .iter()
        .filter_map(|inline| match inline {
            Inline::Link { target, .. } => Some(target),
            _ => None,
        })
        .collect();
    assert_eq!(
        targets[1..],
        [
            &LinkTarget::Anchor {
                anchor: "a-later-section".to_owned()
            },
            &LinkTarget::Lesson {
                slug: "second".to_owned(),
                anchor: Some("details".to_owned())
            },
            &LinkTarget::Anchor {
                anchor: "sources".to_owned()
            },
        ]
    );
}

#[test]
fn figures_tables_widgets_code_and_quizzes_are_blocks() {
    let course = common::valid_course();
    let body = &course.lesson("intro").expect("intro").body;
    assert_eq!(
        body[2],
        Block::Figure {
            src: "figures/diagram.svg".to_owned(),
            alt: "A diagram of a router".to_owned(),
            caption: Some("The caption".to_owned()),
        }
    );
    let Block::Table { align, head, rows } = &body[3] else {
        panic!("expected a table, got {:?}", body[3]);
    };
    assert_eq!(align, &[Align::Left, Align::Right]);
    assert_eq!(head, &[vec![text("Left")], vec![text("Right")]]);
    assert_eq!(rows, &[vec![vec![text("colors")], vec![text("24")]]]);
    let Block::List { start: None, items } = &body[5] else {
        panic!("expected a bullet list, got {:?}", body[5]);
    };
    assert_eq!(items.len(), 2);
    assert!(matches!(&body[6], Block::List { start: Some(1), .. }));
    let Block::SimCard(sim) = &body[7] else {
        panic!("expected a sim card, got {:?}", body[7]);
    };
    assert_eq!(sim.arch, SimArch::Wse);
    assert_eq!(sim.arg("preset"), Some("gemv"));
    assert_eq!(sim.caption.as_deref(), Some("Watch the wavelets hop."));
    assert_eq!(sim.route(), "/simulators/wse?preset=gemv");
    let Block::LabCard(lab) = &body[8] else {
        panic!("expected a lab card, got {:?}", body[8]);
    };
    assert_eq!(lab.lab, LabName::Mnist);
    assert_eq!(lab.route(), "/labs/mnist?lr=0.05&model=cnn");
    assert_eq!(lab.caption, None);
    assert_eq!(
        body[9],
        Block::Code {
            lang: "rust".to_owned(),
            text: "fn main() {}".to_owned()
        }
    );
    // The HTML comment is dropped.
    assert_eq!(
        body[10],
        Block::Quiz {
            quiz_id: "01-intro".to_owned()
        }
    );
    let Some(Block::Sources { sources }) = body.last() else {
        panic!("expected the sources list last");
    };
    assert_eq!(sources.len(), 2);
    assert_eq!(sources[1].number, 2);
    assert_eq!(sources[1].anchor(), "source-src-b");
    assert_eq!(sources[1].url, None);
}

#[test]
fn quiz_questions_of_every_kind_are_typed() {
    let course = common::valid_course();
    let intro = course.quiz("01-intro").expect("quiz");
    assert_eq!(intro.lesson_slug, "intro");
    let QuestionKind::MultipleChoice {
        answers,
        distractors,
        multi_select,
        layout,
    } = &intro.questions[0].kind
    else {
        panic!("expected multiple choice");
    };
    assert_eq!(answers[0].markdown, "24");
    assert_eq!(distractors.len(), 2);
    assert!(!multi_select);
    assert_eq!(*layout, ChoiceLayout::Shuffled);
    assert_eq!(
        plain_text(match &intro.questions[0].prompt.blocks[0] {
            Block::Paragraph { inlines } => inlines,
            other => panic!("expected a paragraph, got {other:?}"),
        }),
        "How many routable colors does the WSE-2 have?"
    );
    assert!(matches!(
        intro.questions[1].kind,
        QuestionKind::MultipleChoice {
            multi_select: true,
            ..
        }
    ));
    assert!(matches!(
        &intro.questions[2].kind,
        QuestionKind::ShortAnswer { alternatives, .. } if alternatives == &["a wavelet"]
    ));
    let second = course.quiz("02-second").expect("quiz");
    assert_eq!(
        second.questions[0].kind,
        QuestionKind::Numeric {
            answer: 6715.0,
            tolerance: 50.0,
            unit: Some("samples/s".to_owned()),
            mistakes: vec![course::NumericMistake {
                value: 0.000149,
                why: "That is seconds per sample: divide the samples by the time, not the time by the samples.".to_owned()
            }]
        }
    );
    assert!(matches!(&second.questions[1].kind, QuestionKind::Order { items } if items.len() == 3));
}

#[test]
fn word_counts_give_a_reading_time() {
    let course = common::valid_course();
    let intro = course.lesson("intro").expect("intro");
    assert!(intro.n_words > 30, "{}", intro.n_words);
    assert_eq!(intro.reading_minutes(), 1);
}
