//! GIFT export: the exact text per question kind, escaping, and a round trip of the question
//! count through an independent minimal GIFT reader.

mod common;

use common::read_gift;
use course::gift::{course_to_gift, escape, quiz_to_gift};

#[test]
fn each_question_kind_has_its_gift_form() {
    let course = common::valid_course();
    let intro = quiz_to_gift(course.quiz("01-intro").expect("quiz"));
    assert!(
        intro.starts_with(
            "// Testbed Lab quiz 01-intro\n$CATEGORY: $course$/Testbed Lab/01-intro\n\n"
        )
    );
    assert!(intro.contains(
        "::intro-colors::[markdown]How many routable colors does the **WSE-2** have? {=24 ~8 ~16 ####[markdown]See the lesson.}"
    ), "{intro}");
    assert!(
        intro.contains("{~%50%the ramp ~%50%north ~%-100%a bus ####"),
        "{intro}"
    );
    assert!(intro.contains("{=wavelet =a wavelet ####"), "{intro}");
    let second = quiz_to_gift(course.quiz("02-second").expect("quiz"));
    assert!(
        second.contains("(Answer in samples/s.) {#6715:50 ####"),
        "{second}"
    );
    assert!(
        second.contains("\n// second-predict: a Predict question, left out: its answer is what Testbed Lab's simulator measures when it is run in the page.\n"),
        "{second}"
    );
    assert!(second.contains("(Match each item to its position\\: 1 is first.) {=Compile -> 1 =Submit -> 2 =Read the log -> 3 ####"), "{second}");
}

#[test]
fn links_into_the_site_become_plain_text() {
    assert_eq!(
        course::gift::strip_lesson_links(
            "See [the lesson](lesson:intro#first-section) and [docs](https://example.org)."
        ),
        "See the lesson and [docs](https://example.org)."
    );
}

#[test]
fn special_characters_and_newlines_are_escaped() {
    assert_eq!(
        escape("a=b ~c #d {e} f:g \\h"),
        "a\\=b \\~c \\#d \\{e\\} f\\:g \\\\h"
    );
    assert_eq!(escape("line one\n\nline two"), "line one\\n\\nline two");
}

#[test]
fn the_question_count_round_trips() {
    let course = common::valid_course();
    let read_back = read_gift(&course_to_gift(&course));
    assert_eq!(read_back.len(), 5);
    assert_eq!(read_back, common::expected_gift(&course));
}

#[test]
fn each_quiz_has_its_own_gift_file_name() {
    let course = common::valid_course();
    let names: Vec<String> = course
        .quizzes
        .iter()
        .map(course::gift::quiz_file_name)
        .collect();
    assert_eq!(
        names,
        ["testbed-lab-01-intro.gift", "testbed-lab-02-second.gift"]
    );
}
