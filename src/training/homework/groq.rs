//! The Groq section's pure parts: its settings in the address (`groq-len=128&groq-text=…`),
//! what each answer of the BERT worker was (the learner's sentence, the example's dummy input or
//! the timed test sentences), when a new length means a new compile, and the lines of its table.

use crate::training::bert::config::{LENGTHS, MIN_TRAIN};
use crate::training::bert::task::{BertAnswer, DUMMY_ID, MAX_QUERY_CHARS};
use crate::training::form::{Errors, FieldError, Form, LabFields};
use crate::training::text::parse_count;

/// Test sentences in the bundled file.
pub const BUNDLED_TEST_SENTENCES: usize = 2_014;

/// A field of the Groq section's form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroqField {
    Len,
    Text,
    Tests,
    Train,
}

/// The Groq section's settings as typed.
pub type GroqForm = Form<GroqField>;

/// The checked settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroqSettings {
    /// The input length the model is "compiled" for (tokens, `[CLS]` and `[SEP]` included).
    pub max_len: usize,
    /// The learner's sentence.
    pub text: String,
    /// How many bundled test sentences to time.
    pub n_tests: usize,
    /// Training sentences of the short fine-tune (`None`: all).
    pub n_train: Option<usize>,
}

impl LabFields for GroqField {
    type Settings = GroqSettings;
    const ALL: &'static [Self] = &[Self::Len, Self::Text, Self::Tests, Self::Train];
    const LAB: &'static str = "homework";

    fn key(self) -> &'static str {
        match self {
            Self::Len => "groq-len",
            Self::Text => "groq-text",
            Self::Tests => "groq-tests",
            Self::Train => "groq-train",
        }
    }

    /// The example's length, a sentence, 200 test sentences, and a fine-tune on every training
    /// sentence.
    fn default_text(self) -> &'static str {
        match self {
            Self::Len => "128",
            Self::Text => "A gripping, funny and generous film.",
            Self::Tests => "200",
            Self::Train => "all",
        }
    }

    fn parse(form: &GroqForm) -> Result<GroqSettings, Vec<FieldError<Self>>> {
        let mut e = Errors::default();
        let len_text = form.field(Self::Len).trim();
        let max_len = e.check(
            Self::Len,
            len_text
                .parse::<usize>()
                .ok()
                .filter(|n| LENGTHS.contains(n))
                .ok_or_else(|| {
                    format!(
                        "The input length must be 64, 128 or 256 (the lengths the BERT lab's model takes); “{len_text}” is not one of them."
                    )
                }),
        );
        let text = form.field(Self::Text).trim();
        let text = e.check(
            Self::Text,
            if text.is_empty() {
                Err("Type a sentence to classify.".to_owned())
            } else if text.chars().count() > MAX_QUERY_CHARS {
                Err(format!(
                    "That is {} characters; the model classifies at most {MAX_QUERY_CHARS}.",
                    text.chars().count()
                ))
            } else {
                Ok(text.to_owned())
            },
        );
        let n_tests = e.check(
            Self::Tests,
            parse_count(
                form.field(Self::Tests),
                "The number of test sentences",
                BUNDLED_TEST_SENTENCES,
            ),
        );
        let train_text = form.field(Self::Train).trim();
        let n_train = e.check(
            Self::Train,
            if train_text == "all" {
                Ok(None)
            } else {
                match train_text.parse::<usize>() {
                    Ok(n) if n >= MIN_TRAIN => Ok(Some(n)),
                    _ => Err(format!(
                        "The fine-tune takes “all” or a number of training sentences from {MIN_TRAIN}; “{train_text}” is neither."
                    )),
                }
            },
        );
        let settings = (|| {
            Some(GroqSettings {
                max_len: max_len?,
                text: text?,
                n_tests: n_tests?,
                n_train: n_train?,
            })
        })();
        e.finish(settings)
    }
}

/// What an answer was for.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// A sentence (its WordPieces joined).
    Sentence(String),
    /// The example's dummy input: every id 1, every position attended.
    Dummy,
    /// Test sentences: how many, and how many were right.
    TestSet { n: usize, n_correct: usize },
}

/// One answer of the worker, as the section shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct GroqResult {
    pub input: Input,
    /// The shape's length.
    pub max_len: usize,
    /// Probability of "positive" (a sentence or the dummy input).
    pub p_positive: Option<f32>,
    /// This browser's milliseconds per sentence (the worker's own clock).
    pub ms_per_sentence: f64,
}

impl GroqResult {
    /// What a worker's answer was, and its time per sentence.
    #[must_use]
    pub fn from_answer(answer: &BertAnswer, ms: f64) -> Self {
        let input = if let Some(score) = &answer.test_set {
            Input::TestSet {
                n: score.n,
                n_correct: score.n_correct,
            }
        } else if answer.ids.len() == answer.max_len && answer.ids.iter().all(|&id| id == DUMMY_ID)
        {
            Input::Dummy
        } else {
            let words: Vec<&str> = answer
                .pieces
                .iter()
                .map(String::as_str)
                .filter(|p| *p != "[CLS]" && *p != "[SEP]")
                .collect();
            Input::Sentence(words.join(" ").replace(" ##", ""))
        };
        let n = match input {
            Input::TestSet { n, .. } => n.max(1),
            _ => 1,
        };
        Self {
            input,
            max_len: answer.max_len,
            p_positive: answer.probabilities.get(1).copied(),
            ms_per_sentence: ms / n as f64,
        }
    }

    /// Test accuracy, for a test-set result.
    #[must_use]
    pub fn accuracy(&self) -> Option<f64> {
        match self.input {
            Input::TestSet { n, n_correct } if n > 0 => Some(n_correct as f64 / n as f64),
            _ => None,
        }
    }
}

/// What the compiler would do for an answer's length, given the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compile {
    /// The first shape: compiled once.
    First,
    /// The same shape as before: the compiled program is reused.
    Cached,
    /// A new shape: compiled again.
    Recompiled { from: usize },
}

/// The compile event of each result, in order.
#[must_use]
pub fn compiles(results: &[GroqResult]) -> Vec<Compile> {
    let mut last = None;
    results
        .iter()
        .map(|r| {
            let event = match last {
                None => Compile::First,
                Some(len) if len == r.max_len => Compile::Cached,
                Some(from) => Compile::Recompiled { from },
            };
            last = Some(r.max_len);
            event
        })
        .collect()
}

/// The sentence for a compile event at `len`, with the Groq model's latency there (µs) and
/// at the previous length.
#[must_use]
pub fn compile_sentence(
    event: Compile,
    len: usize,
    model_us: impl Fn(usize) -> Option<f64>,
) -> String {
    let us =
        |l: usize| model_us(l).map_or_else(|| "no figure".to_owned(), |u| format!("{u:.1} µs"));
    match event {
        Compile::First => format!(
            "Compiled for the shape (1, {len}): the Groq model's program takes {} per inference.",
            us(len)
        ),
        Compile::Cached => format!(
            "Same shape (1, {len}): the compiled program is reused, and its latency stays {} whatever the input.",
            us(len)
        ),
        Compile::Recompiled { from } => format!(
            "The input shape changed from (1, {from}) to (1, {len}): GroqFlow rebuilds the model, as the student's second run printed. The new program takes {} instead of {}.",
            us(len),
            us(from)
        ),
    }
}

/// The Groq model's latency for BERT-tiny's encoder at `len` on a GroqChip (µs): the course's
/// simulator, not the chip.
#[must_use]
pub fn model_us(len: usize) -> Option<f64> {
    sim::groq::latency::bert_latency(&sim::groq::GroqConfig::tsp(), len as u64)
        .ok()
        .map(|p| p.micros)
}

/// What the Groq section gives the reality table: the Groq model at both real lengths, and this
/// browser's latest time per sentence at each length (a test set's when there is one) and its
/// latest test accuracy.
#[must_use]
pub fn reality_figures(results: &[GroqResult]) -> crate::training::homework::reality::GroqOurs {
    let model_us = [128, 256]
        .into_iter()
        .filter_map(|len| model_us(len).map(|us| (len, us)))
        .collect();
    let browser_ms = LENGTHS
        .iter()
        .filter_map(|&len| {
            let at_len = || results.iter().rev().filter(|r| r.max_len == len);
            at_len()
                .find(|r| r.accuracy().is_some())
                .or_else(|| at_len().next())
                .map(|r| (len, r.ms_per_sentence))
        })
        .collect();
    let accuracy = results.iter().rev().find_map(|r| match r.input {
        Input::TestSet { n, .. } => r.accuracy().map(|a| (a, n)),
        _ => None,
    });
    crate::training::homework::reality::GroqOurs {
        model_us,
        browser_ms,
        accuracy,
    }
}

/// The real on-chip latency at `len`, where the student measured one (µs).
#[must_use]
pub fn real_us(len: usize) -> Option<f64> {
    match len {
        128 => Some(sim::groq::latency::REAL_SEQ128_US),
        256 => Some(sim::groq::latency::REAL_SEQ256_US),
        _ => None,
    }
}

/// The table's lines: input, length, what the model said, this browser's time per sentence,
/// the Groq model's latency for the shape, and the real one.
#[must_use]
pub fn table_rows(
    results: &[GroqResult],
    model_us: impl Fn(usize) -> Option<f64>,
) -> Vec<Vec<String>> {
    results
        .iter()
        .map(|r| {
            let (input, said) = match &r.input {
                Input::Sentence(text) => (
                    format!("your sentence: “{text}”"),
                    r.p_positive.map_or_else(String::new, positive_text),
                ),
                Input::Dummy => (
                    "the example's dummy input (all ones)".to_owned(),
                    r.p_positive.map_or_else(String::new, positive_text),
                ),
                Input::TestSet { n, .. } => (
                    format!("{n} bundled test sentences, one at a time"),
                    r.accuracy()
                        .map_or_else(String::new, |a| format!("accuracy {:.2} %", a * 100.0)),
                ),
            };
            vec![
                input,
                r.max_len.to_string(),
                said,
                format!("{:.2} ms", r.ms_per_sentence),
                model_us(r.max_len).map_or_else(|| "–".to_owned(), |u| format!("{u:.1} µs")),
                real_us(r.max_len).map_or_else(|| "not run".to_owned(), |u| format!("{u} µs")),
            ]
        })
        .collect()
}

fn positive_text(p: f32) -> String {
    let word = if p > 0.5 { "positive" } else { "negative" };
    format!("{word} (P(positive) = {p:.3})")
}

/// The point of the homework in the learner's own figures: the latest sentence and dummy
/// answers at one length, and the latest test score, or `None` before there are both.
#[must_use]
pub fn point(results: &[GroqResult], model_us: impl Fn(usize) -> Option<f64>) -> Option<String> {
    // The latest dummy answer that has a sentence answer at the same length, and that one.
    let (sentence, dummy) = results
        .iter()
        .rev()
        .filter(|r| r.input == Input::Dummy)
        .find_map(|dummy| {
            results
                .iter()
                .rev()
                .find(|r| matches!(r.input, Input::Sentence(_)) && r.max_len == dummy.max_len)
                .map(|sentence| (sentence, dummy))
        })?;
    let len = sentence.max_len;
    let latency = model_us(len).map_or_else(|| "the same".to_owned(), |u| format!("{u:.1} µs"));
    let (ps, pd) = (sentence.p_positive?, dummy.p_positive?);
    let mut text = format!(
        "Your sentence gave P(positive) = {ps:.3} and the dummy input {pd:.3}: the answer depends on the input. The Groq model's latency at length {len} is {latency} for both, because a compiled program's time depends only on its shape."
    );
    if let Some(accuracy) = results.iter().rev().find_map(GroqResult::accuracy) {
        text.push_str(&format!(
            " The accuracy ({:.2} % here) is measured on the test sentences, whatever input the compiler was shown: the student's “custom input” (random ids with an all-zero mask) was used by GroqFlow only for its shape, so the accuracy stayed 77.47 %.",
            accuracy * 100.0
        ));
    }
    Some(text)
}

#[cfg(test)]
mod unit {
    use super::*;
    use crate::route::Location;
    use crate::training::bert::task::TestSetScore;

    fn form(query: &str) -> GroqForm {
        GroqForm::from_query(&Location::parse(&format!("#/labs/homework?{query}")).query)
    }

    fn answer(ids: Vec<u32>, pieces: &[&str], max_len: usize, p: f32) -> BertAnswer {
        BertAnswer {
            pieces: pieces.iter().map(|s| (*s).to_owned()).collect(),
            ids,
            max_len,
            truncated: false,
            probabilities: vec![1.0 - p, p],
            attention: Vec::new(),
            test_set: None,
            fills: Vec::new(),
            note: None,
        }
    }

    fn sentence(len: usize, p: f32) -> GroqResult {
        GroqResult::from_answer(
            &answer(vec![2, 7, 8, 3], &["[CLS]", "fun", "##ny", "[SEP]"], len, p),
            3.0,
        )
    }

    fn dummy(len: usize, p: f32) -> GroqResult {
        GroqResult::from_answer(&answer(vec![DUMMY_ID; len], &[], len, p), 2.5)
    }

    #[test]
    fn the_settings_read_from_the_address_and_bad_ones_get_a_sentence() {
        let ok = form("groq-len=256&groq-text=Dull.&groq-tests=50&groq-train=64")
            .parse()
            .unwrap();
        assert_eq!(
            ok,
            GroqSettings {
                max_len: 256,
                text: "Dull.".into(),
                n_tests: 50,
                n_train: Some(64)
            }
        );
        assert_eq!(GroqForm::default().parse().unwrap().n_train, None);
        let errors = form("groq-len=100&groq-text=%20&groq-tests=0&groq-train=5")
            .parse()
            .unwrap_err();
        let messages: Vec<(GroqField, &str)> = errors
            .iter()
            .map(|e| (e.field, e.message.as_str()))
            .collect();
        assert_eq!(
            messages,
            vec![
                (
                    GroqField::Len,
                    "The input length must be 64, 128 or 256 (the lengths the BERT lab's model takes); “100” is not one of them."
                ),
                (GroqField::Text, "Type a sentence to classify."),
                (
                    GroqField::Tests,
                    "The number of test sentences must be at least 1, not 0."
                ),
                (
                    GroqField::Train,
                    "The fine-tune takes “all” or a number of training sentences from 32; “5” is neither."
                ),
            ]
        );
    }

    #[test]
    fn answers_are_told_apart_and_timed_per_sentence() {
        assert_eq!(sentence(128, 0.9).input, Input::Sentence("funny".into()));
        assert_eq!(dummy(128, 0.4).input, Input::Dummy);
        let scored = GroqResult::from_answer(
            &BertAnswer {
                test_set: Some(TestSetScore {
                    n: 200,
                    n_correct: 150,
                    first: Vec::new(),
                }),
                probabilities: Vec::new(),
                ..answer(Vec::new(), &[], 128, 0.0)
            },
            400.0,
        );
        // 400 ms for 200 sentences: 2 ms each; 150 of 200 right.
        assert_eq!(scored.ms_per_sentence, 2.0);
        assert_eq!(scored.accuracy(), Some(0.75));
        assert_eq!(scored.p_positive, None);
    }

    #[test]
    fn a_new_length_recompiles_and_the_same_one_reuses_the_program() {
        let results = [
            sentence(128, 0.9),
            dummy(128, 0.4),
            sentence(256, 0.8),
            dummy(256, 0.3),
        ];
        assert_eq!(
            compiles(&results),
            vec![
                Compile::First,
                Compile::Cached,
                Compile::Recompiled { from: 128 },
                Compile::Cached
            ]
        );
        let model = |len: usize| Some(len as f64 / 10.0);
        assert_eq!(
            compile_sentence(Compile::Recompiled { from: 128 }, 256, model),
            "The input shape changed from (1, 128) to (1, 256): GroqFlow rebuilds the model, as the student's second run printed. The new program takes 25.6 µs instead of 12.8 µs."
        );
        let rows = table_rows(&results, model);
        assert_eq!(
            rows[0],
            vec![
                "your sentence: “funny”",
                "128",
                "positive (P(positive) = 0.900)",
                "3.00 ms",
                "12.8 µs",
                "26.6 µs"
            ]
        );
        assert_eq!(rows[3][0], "the example's dummy input (all ones)");
        assert_eq!(rows[3][5], "42.8 µs");
    }

    #[test]
    fn the_groq_model_is_faster_at_128_than_at_256_and_the_reality_rows_take_the_latest() {
        let (short, long) = (model_us(128).unwrap(), model_us(256).unwrap());
        assert!(short > 0.0 && long > short, "{short} {long}");
        let results = [sentence(128, 0.9), dummy(256, 0.4)];
        let ours = reality_figures(&results);
        assert_eq!(ours.model_us, vec![(128, short), (256, long)]);
        assert_eq!(ours.browser_ms, vec![(128, 3.0), (256, 2.5)]);
        assert_eq!(ours.accuracy, None);
    }

    #[test]
    fn the_point_is_made_with_the_learners_figures_at_one_length() {
        let model = |_: usize| Some(20.0);
        assert_eq!(point(&[sentence(128, 0.9)], model), None);
        assert_eq!(point(&[sentence(128, 0.9), dummy(256, 0.4)], model), None);
        // A later length without a sentence keeps the pair at 128.
        let later = point(
            &[sentence(128, 0.9), dummy(128, 0.4), dummy(256, 0.3)],
            model,
        )
        .unwrap();
        assert!(later.contains("at length 128"), "{later}");
        let text = point(&[sentence(128, 0.9), dummy(128, 0.4)], model).unwrap();
        assert!(
            text.starts_with("Your sentence gave P(positive) = 0.900 and the dummy input 0.400"),
            "{text}"
        );
        assert!(text.contains("is 20.0 µs for both"), "{text}");
    }
}
