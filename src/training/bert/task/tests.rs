//! The BERT lab's worker session driven through its messages: loading, fine-tuning,
//! evaluation, queries, weights and the masked-LM timing sweep.

use super::*;
use crate::training::protocol::{RunOutcome, RunProgress};
use crate::training::session::WorkerSession;
use crate::training::session::testing::start;

type Session = WorkerSession<Bert>;

/// A vocabulary with the specials, a few words and a `##` piece.
fn vocab() -> Vec<u8> {
    let mut lines = vec!["[PAD]", "[unused0]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
    lines.extend([
        "good", "great", "bad", "awful", "film", "plot", "the", "was", "##s", "!",
    ]);
    lines.join("\n").into_bytes()
}

/// `n` sentences: positive ones say good/great, negative ones bad/awful.
fn tsv(n: usize, offset: usize) -> Vec<u8> {
    let mut out = String::from("sentence\tlabel\n");
    for i in 0..n {
        let positive = (i + offset).is_multiple_of(2);
        let word = match (positive, i % 3) {
            (true, 0) => "good",
            (true, _) => "great",
            (false, 0) => "bad",
            (false, _) => "awful",
        };
        out.push_str(&format!("the film was {word} !\t{}\n", u8::from(positive)));
    }
    out.into_bytes()
}

fn loaded(n_train: usize, n_test: usize) -> Session {
    let mut session = Session::new();
    let out = session.handle(
        ToWorker::LoadData {
            source: BertSource::Bundled,
        },
        vec![vocab(), tsv(n_train, 0), tsv(n_test, 1)],
        0.0,
    );
    match out.as_slice() {
        [FromWorker::DataLoaded { info }] => {
            assert_eq!(
                (info.n_train, info.n_test, info.vocab_size),
                (n_train, n_test, 16)
            );
            assert_eq!(
                info.naive_bayes_accuracy, 1.0,
                "the words give the label away"
            );
        }
        other => panic!("{other:?}"),
    }
    session
}

fn config(epochs: usize) -> BertRunConfig {
    BertRunConfig {
        batch_size: 8,
        lr: 3e-3,
        n_epochs: epochs,
        max_len: 64,
        seed: 1,
        n_train: None,
        init: Default::default(),
        objective: Default::default(),
        mlm_timing: None,
    }
}

fn run_to_end(session: &mut Session) -> Vec<FromWorker> {
    crate::training::session::testing::run_to_end(session, 20.0)
}

/// The sweep over the packed training text: 64 sentences of 5 tokens pack into 22
/// sequences of 16; batches 2 and 4, 1 warm-up and 2 timed steps each, so 18 sentences.
/// The ticking clock advances 1 ms per read and the session reads it once before and once
/// after each step: every timed step takes 1 ms.
#[test]
fn a_timing_sweep_times_each_batch_and_refuses_what_does_not_fit() {
    let mut session = loaded(64, 8);
    let timing = |batches: Vec<usize>| BertRunConfig {
        max_len: 16,
        mlm_timing: Some(super::super::timing::MlmTimingConfig {
            batches,
            n_warmup: 1,
            n_timed: 2,
        }),
        ..config(1)
    };
    let started = start(&mut session, 1, timing(vec![2, 4]));
    assert!(
        matches!(started.as_slice(), [FromWorker::Started { run, .. }] if run.n_samples_total == 18),
        "{started:?}"
    );
    let asked = session.handle(
        ToWorker::Query {
            request_id: 1,
            query: BertQuery::Dummy { max_len: 64 },
        },
        Vec::new(),
        0.0,
    );
    assert!(
        matches!(asked.as_slice(), [FromWorker::QueryError { message, .. }] if message == TIMING_ONLY)
    );
    let out = run_to_end(&mut session);
    // Each batch size's row reaches the page as soon as it is timed.
    let interim: Vec<Vec<usize>> = out
        .iter()
        .filter_map(|m| match m {
            FromWorker::Report { report, .. } => {
                Some(report.timings.iter().map(|t| t.batch).collect())
            }
            _ => None,
        })
        .collect();
    assert_eq!(interim, vec![vec![2], vec![2, 4]], "{out:?}");
    let Some(FromWorker::Done {
        outcome: RunOutcome::Finished,
        report,
        ..
    }) = out.last()
    else {
        panic!("{out:?}");
    };
    let rows: Vec<(usize, usize, f64, f64)> = report
        .timings
        .iter()
        .map(|t| (t.batch, t.n_timed, t.ms_per_step, t.samples_per_s))
        .collect();
    assert_eq!(rows, vec![(2, 2, 1.0, 2_000.0), (4, 2, 1.0, 4_000.0)]);
    assert!(
        report.timings.iter().all(|t| t.last_loss > 5.0),
        "{report:?}"
    );

    let refused = start(&mut session, 2, timing(vec![2, 4_096]));
    assert!(
        matches!(refused.as_slice(), [FromWorker::Error { message, .. }]
            if message.starts_with("The run cannot start: the text packs into 22 sequences")),
        "{refused:?}"
    );
}

#[test]
fn bert_tiny_learns_an_easy_split_and_answers_with_its_attention() {
    let mut session = loaded(64, 32);
    let started = start(&mut session, 1, config(3));
    assert!(matches!(
        started.as_slice(),
        [FromWorker::Started { run_id: 1, run }] if run.n_batches_per_epoch == 8 && run.n_samples_total == 192
    ));
    let out = run_to_end(&mut session);
    let accuracies: Vec<f32> = out
        .iter()
        .filter_map(|m| match m {
            FromWorker::EpochResult { row, .. } => Some(row.test_accuracy),
            _ => None,
        })
        .collect();
    assert_eq!(accuracies.len(), 3);
    assert!(
        *accuracies.last().unwrap() > 0.9,
        "a from-scratch BERT-tiny reads good/bad: {accuracies:?}"
    );
    assert!(out.iter().any(|m| matches!(
        m,
        FromWorker::Progress {
            progress: RunProgress {
                n_samples_done: 192,
                ..
            },
            ..
        }
    )));
    assert!(matches!(
        out.last(),
        Some(FromWorker::Done {
            outcome: RunOutcome::Finished,
            ..
        })
    ));
    let ask = |session: &mut Session, query: BertQuery| match session
        .handle(
            ToWorker::Query {
                request_id: 1,
                query,
            },
            Vec::new(),
            0.0,
        )
        .as_slice()
    {
        [FromWorker::Answer { answer, .. }] => answer.clone(),
        other => panic!("{other:?}"),
    };
    let good = ask(
        &mut session,
        BertQuery::Sentence {
            text: "The films was GREAT!".into(),
            max_len: 128,
        },
    );
    assert_eq!(
        good.pieces,
        ["[CLS]", "the", "film", "##s", "was", "great", "!", "[SEP]"]
    );
    assert_eq!((good.max_len, good.truncated), (128, false));
    assert!(good.probabilities[1] > 0.5, "{:?}", good.probabilities);
    assert_eq!(good.attention.len(), 2);
    assert_eq!(good.attention[0].len(), 2);
    assert_eq!(good.attention[0][0].len(), 8);
    let row_sum: f32 = good.attention[1][1][3].iter().sum();
    assert!(
        (row_sum - 1.0).abs() < 1e-4,
        "attention rows of real tokens sum to 1"
    );
    // The Groq example's dummy input: all ones, every position attended.
    let dummy = ask(&mut session, BertQuery::Dummy { max_len: 256 });
    assert_eq!((dummy.ids.len(), dummy.max_len), (256, 256));
    assert!(dummy.ids.iter().all(|&id| id == DUMMY_ID));
    assert_eq!(dummy.attention[0][0].len(), MAX_ATTENTION_TOKENS);
    // Padding does not change a sentence's answer: 64 and 256 give the same probabilities.
    let short = ask(
        &mut session,
        BertQuery::Sentence {
            text: "the film was bad".into(),
            max_len: 64,
        },
    );
    let long = ask(
        &mut session,
        BertQuery::Sentence {
            text: "the film was bad".into(),
            max_len: 256,
        },
    );
    for (a, b) in short.probabilities.iter().zip(&long.probabilities) {
        assert!((a - b).abs() < 1e-5);
    }
    assert!(short.probabilities[0] > 0.5);
}

#[test]
fn bad_files_are_refused_with_a_sentence_and_the_data_in_use_stays() {
    let mut session = loaded(16, 8);
    let check =
        |session: &mut Session, files: Vec<Vec<u8>>, file: BertFile, start: &str| match session
            .handle(
                ToWorker::LoadData {
                    source: BertSource::Uploaded {
                        train: Some("mine.tsv".into()),
                        test: None,
                    },
                },
                files,
                0.0,
            )
            .as_slice()
        {
            [
                FromWorker::DataRejected {
                    file: Some(f),
                    message,
                },
            ] => {
                assert_eq!(*f, file);
                assert!(message.starts_with(start), "{message}");
            }
            other => panic!("{other:?}"),
        };
    check(
        &mut session,
        vec![vocab(), b"only one column\n".to_vec(), tsv(4, 0)],
        BertFile::Train,
        "The training sentences: line 1",
    );
    check(
        &mut session,
        vec![vocab(), tsv(4, 0), b"a sentence\t7\n".to_vec()],
        BertFile::Test,
        "The test sentences",
    );
    check(
        &mut session,
        vec![vec![0xff, 0xfe, 0], tsv(4, 0), tsv(4, 0)],
        BertFile::Vocab,
        "The vocabulary is not UTF-8 text",
    );
    check(
        &mut session,
        vec![b"hello\nworld".to_vec(), tsv(4, 0), tsv(4, 0)],
        BertFile::Vocab,
        "",
    );
    // The bundled-like set is still in use.
    let _ = start(&mut session, 2, config(1));
    let out = run_to_end(&mut session);
    assert!(out.iter().any(|m| matches!(
        m,
        FromWorker::Progress {
            progress: RunProgress {
                n_samples_total: 16,
                ..
            },
            ..
        }
    )));
}

#[test]
fn a_subset_and_questions_out_of_bounds_are_handled() {
    let mut session = loaded(64, 8);
    let out = session.handle(
        ToWorker::Start {
            run_id: 1,
            config: BertRunConfig {
                n_train: Some(40),
                ..config(1)
            },
        },
        Vec::new(),
        0.0,
    );
    assert!(matches!(
        out.as_slice(),
        [FromWorker::Started { run, .. }] if run.n_samples_total == 40
    ));
    for (query, start) in [
        (
            BertQuery::Sentence {
                text: "   ".into(),
                max_len: 64,
            },
            "Type a sentence first.",
        ),
        (
            BertQuery::Sentence {
                text: "x".repeat(MAX_QUERY_CHARS + 1),
                max_len: 64,
            },
            "That is 2001 characters",
        ),
    ] {
        match session
            .handle(
                ToWorker::Query {
                    request_id: 5,
                    query,
                },
                Vec::new(),
                0.0,
            )
            .as_slice()
        {
            [FromWorker::QueryError { message, .. }] => {
                assert!(message.starts_with(start), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn the_test_sentences_are_scored_one_at_a_time_as_the_last_evaluation_scored_them() {
    let mut session = loaded(64, 10);
    let _ = start(&mut session, 1, config(3));
    let out = run_to_end(&mut session);
    let last_accuracy = out
        .iter()
        .rev()
        .find_map(|m| match m {
            FromWorker::EpochResult { row, .. } => Some(row.test_accuracy),
            _ => None,
        })
        .unwrap();
    let reply = session.handle(
        ToWorker::Query {
            request_id: 4,
            query: BertQuery::TestSet { max_len: 64, n: 50 },
        },
        Vec::new(),
        0.0,
    );
    let [FromWorker::Answer { answer, .. }] = reply.as_slice() else {
        panic!("{reply:?}");
    };
    let score = answer.test_set.clone().unwrap();
    // Only 10 test sentences: all of them, the first three shown.
    assert_eq!((score.n, score.first.len()), (10, TEST_SET_SHOWN));
    // Batch 1 with padding masked gives what the batched evaluation gave.
    assert!((score.n_correct as f32 / 10.0 - last_accuracy).abs() < 1e-6);
    assert_eq!(score.first[0].0, "the film was bad !");
    assert!(answer.pieces.is_empty() && answer.probabilities.is_empty());
}

/// Hands the session a weights file (the learner's "Load"), as `files` beside the request.
fn import(
    session: &mut Session,
    request_id: u32,
    name: &str,
    files: Vec<Vec<u8>>,
) -> Vec<FromWorker> {
    session.handle(
        ToWorker::ImportWeights {
            request_id,
            name: name.into(),
        },
        files,
        0.0,
    )
}

fn ask(session: &mut Session, text: &str) -> BertAnswer {
    let out = session.handle(
        ToWorker::Query {
            request_id: 9,
            query: BertQuery::Sentence {
                text: text.into(),
                max_len: 64,
            },
        },
        Vec::new(),
        0.0,
    );
    match out.as_slice() {
        [FromWorker::Answer { answer, .. }] => answer.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn saved_weights_load_into_another_session_and_answer_the_same() {
    let mut session = loaded(16, 8);
    let before_any = session.handle(ToWorker::ExportWeights { request_id: 1 }, Vec::new(), 0.0);
    assert!(matches!(
        before_any.as_slice(),
        [FromWorker::WeightsRefused { message, .. }] if message == Bert::NO_MODEL
    ));
    let _ = start(&mut session, 1, config(1));
    let busy = import(&mut session, 2, "w.safetensors", vec![vec![0; 8]]);
    assert!(matches!(
        busy.as_slice(),
        [FromWorker::WeightsRefused { message, .. }] if message.starts_with("A run is in progress")
    ));
    let _ = run_to_end(&mut session);
    let trained = ask(&mut session, "the plot was great !");
    let out = session.handle(ToWorker::ExportWeights { request_id: 3 }, Vec::new(), 0.0);
    let [
        FromWorker::Weights {
            run_id: 1,
            file_name,
            bytes,
            ..
        },
    ] = out.as_slice()
    else {
        panic!("{out:?}");
    };
    assert_eq!(file_name, WEIGHTS_FILE_NAME);
    assert!(bytes.len() > 4_000_000 * 4, "{} bytes", bytes.len());

    let mut other = loaded(16, 8);
    let out = import(&mut other, 4, "mine.safetensors", vec![bytes.clone()]);
    assert!(
        matches!(out.as_slice(), [FromWorker::WeightsLoaded { name, summary, .. }]
            if name == "mine.safetensors" && summary.starts_with("Loaded BERT-tiny weights")),
        "{out:?}"
    );
    let loaded_answer = ask(&mut other, "the plot was great !");
    assert_eq!(loaded_answer.probabilities, trained.probabilities);
    assert_eq!(loaded_answer.ids, trained.ids);
    // And it saves them again, byte for byte, as run 0.
    let out = other.handle(ToWorker::ExportWeights { request_id: 5 }, Vec::new(), 0.0);
    assert!(matches!(
        out.as_slice(),
        [FromWorker::Weights { run_id: 0, bytes: again, .. }] if again == bytes
    ));
}

#[test]
fn a_bad_weights_file_gets_a_sentence_and_the_model_in_use_stays() {
    let mut session = loaded(16, 8);
    for (bytes, part) in [
        (vec![1, 2, 3], "not a BERT-tiny weights file"),
        (
            nn::bert::safetensors::write(&[("x".into(), vec![2], vec![1.0, 2.0])], &[]),
            "not a BERT-tiny weights file",
        ),
    ] {
        let out = import(&mut session, 1, "bad.safetensors", vec![bytes]);
        assert!(
            matches!(out.as_slice(), [FromWorker::WeightsRefused { message, .. }] if message.contains(part)),
            "{out:?}"
        );
    }
    let two = import(&mut session, 2, "two", vec![vec![1], vec![2]]);
    assert!(matches!(
        two.as_slice(),
        [FromWorker::WeightsRefused { message, .. }] if message == "One file is needed; 2 arrived."
    ));
    let out = session.handle(
        ToWorker::Query {
            request_id: 3,
            query: BertQuery::Dummy { max_len: 64 },
        },
        Vec::new(),
        0.0,
    );
    assert!(
        matches!(out.as_slice(), [FromWorker::QueryError { message, .. }] if message == Bert::NO_MODEL)
    );
}

/// A seeded BERT-tiny as a pre-trained checkpoint: no classifier; with `favourite`, a
/// masked-LM head planted to guess that token ([`nn::bert::checkpoints`]).
fn pretrained_tensors(seed: u64, favourite: Option<u32>) -> Vec<nn::bert::checkpoints::Tensor> {
    let model = nn::bert::BertClassifier::new(
        &nn::bert::BertConfig::bert_tiny(),
        &mut nn::rng::rng_from_seed(seed),
    )
    .unwrap();
    nn::bert::checkpoints::pretrained_tensors(&model, favourite)
}

/// A pre-trained encoder as Hugging Face stores Google's BERT-tiny: no classifier, and
/// pre-training heads this lab does not use (an incomplete masked-LM head, the next-sentence
/// head) beside the encoder.
fn pretrained_encoder_file(seed: u64) -> Vec<u8> {
    let mut tensors = pretrained_tensors(seed, None);
    tensors.push((
        "cls.predictions.bias".into(),
        vec![30_522],
        vec![0.0; 30_522],
    ));
    tensors.push(("cls.seq_relationship.bias".into(), vec![2], vec![0.0; 2]));
    nn::bert::safetensors::write(&tensors, &[])
}

/// A pre-trained model with a complete masked-LM head whose bias makes `favourite` the
/// likeliest token anywhere.
fn pretrained_file_with_head(seed: u64, favourite: u32) -> Vec<u8> {
    nn::bert::safetensors::write(&pretrained_tensors(seed, Some(favourite)), &[])
}

#[test]
fn a_masked_lm_head_that_came_with_the_weights_fills_in_a_mask() {
    let mut session = loaded(16, 8);
    let fill = |session: &mut Session, text: &str| {
        session.handle(
            ToWorker::Query {
                request_id: 2,
                query: BertQuery::FillMask {
                    text: text.into(),
                    max_len: 64,
                },
            },
            Vec::new(),
            0.0,
        )
    };
    // Without a head: a sentence, not a guess.
    let out = import(
        &mut session,
        1,
        "encoder.safetensors",
        vec![pretrained_encoder_file(7)],
    );
    assert!(matches!(out.as_slice(), [FromWorker::WeightsLoaded { .. }]));
    let out = fill(&mut session, "the film was [MASK] !");
    assert!(
        matches!(out.as_slice(), [FromWorker::QueryError { message, .. }] if message == query::NO_MLM_HEAD),
        "{out:?}"
    );
    // With one: "great" (id 7 in the test vocabulary) wins at the [MASK], whatever its case.
    let out = import(
        &mut session,
        3,
        "pretrained.safetensors",
        vec![pretrained_file_with_head(7, 7)],
    );
    let [FromWorker::WeightsLoaded { summary, .. }] = out.as_slice() else {
        panic!("{out:?}");
    };
    assert!(
        summary.contains("Its masked-LM head came with it"),
        "{summary}"
    );
    let out = fill(&mut session, "the film was [mask] !");
    let [FromWorker::Answer { answer, .. }] = out.as_slice() else {
        panic!("{out:?}");
    };
    assert_eq!(
        answer.pieces,
        ["[CLS]", "the", "film", "was", "[MASK]", "!", "[SEP]"]
    );
    assert_eq!(answer.fills.len(), 1);
    assert_eq!(answer.fills[0].position, 4);
    assert_eq!(answer.fills[0].guesses.len(), MASK_GUESSES);
    assert_eq!(answer.fills[0].guesses[0].0, "great");
    let out = fill(&mut session, "no mask here");
    assert!(
        matches!(out.as_slice(), [FromWorker::QueryError { message, .. }] if message == query::NO_MASK_WRITTEN),
        "{out:?}"
    );
}

#[test]
fn a_pretrained_encoder_loads_with_its_sentence_and_a_run_can_start_from_it() {
    let mut session = loaded(16, 8);
    // Nothing in use yet: a run from the weights in use is refused with a sentence.
    let out = start(
        &mut session,
        1,
        BertRunConfig {
            init: BertInit::Current,
            ..config(1)
        },
    );
    assert!(
        matches!(out.as_slice(), [FromWorker::Error { message, .. }]
            if *message == format!("The run cannot start: {NO_WEIGHTS_IN_USE}.")),
        "{out:?}"
    );
    let out = import(
        &mut session,
        1,
        "bert_uncased_L-2_H-128_A-2.safetensors",
        vec![pretrained_encoder_file(7)],
    );
    let [FromWorker::WeightsLoaded { summary, .. }] = out.as_slice() else {
        panic!("{out:?}");
    };
    assert_eq!(
        summary,
        "Loaded a BERT-tiny encoder without its classifier head: a pre-trained model, not yet a sentiment classifier. \
         The classifier starts from random weights, so its predictions mean nothing until you fine-tune it: \
         set “Start from” to “the weights in use” and train. \
         The file's pre-training heads (2 tensors: cls.predictions…, cls.seq_relationship…) are not used here."
    );
    let imported = ask(&mut session, "the plot was great !");

    // At a learning rate of 1e-12 the steps are below f32's resolution of these weights: a run
    // from the weights in use answers as the imported weights do, one from new weights not.
    let frozen = |init| BertRunConfig {
        lr: 1e-12,
        init,
        ..config(1)
    };
    let out = start(&mut session, 2, frozen(BertInit::Current));
    assert!(
        matches!(out.first(), Some(FromWorker::Started { .. })),
        "{out:?}"
    );
    let _ = run_to_end(&mut session);
    assert_eq!(
        ask(&mut session, "the plot was great !").probabilities,
        imported.probabilities
    );
    let out = start(&mut session, 3, frozen(BertInit::New));
    assert!(
        matches!(out.first(), Some(FromWorker::Started { .. })),
        "{out:?}"
    );
    let _ = run_to_end(&mut session);
    assert_ne!(
        ask(&mut session, "the plot was great !").probabilities,
        imported.probabilities
    );
}
