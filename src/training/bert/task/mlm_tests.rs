//! The masked-LM run on the corpus, driven through the worker session's messages: the bundled
//! vocabulary and the first Brown sentences, a short run, its held-out losses, [MASK] filled in
//! with the head it trained, its weights saved and loaded, and a sentiment run from them.

use super::*;
use crate::training::protocol::{EpochRow, RunOutcome};
use crate::training::session::WorkerSession;
use crate::training::session::testing::{run_to_end, start};

type Session = WorkerSession<Bert>;

fn bundled(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("public/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The first `n` lines of the bundled Brown subset.
fn brown(n: usize) -> Vec<u8> {
    let text = String::from_utf8(bundled(BertFile::Corpus.bundled_name())).unwrap();
    let lines: Vec<&str> = text.lines().take(n).collect();
    lines.join("\n").into_bytes()
}

fn sentences(n: usize) -> Vec<u8> {
    let mut out = String::new();
    for i in 0..n {
        let (word, label) = if i % 2 == 0 { ("good", 1) } else { ("bad", 0) };
        out.push_str(&format!("the film was {word} .\t{label}\n"));
    }
    out.into_bytes()
}

/// A session with the real vocabulary, a few labelled sentences and `corpus` (if any).
fn loaded(corpus: Option<Vec<u8>>) -> (Session, BertDataInfo) {
    let mut files = vec![
        bundled(BertFile::Vocab.bundled_name()),
        sentences(40),
        sentences(8),
    ];
    files.extend(corpus);
    let mut session = Session::new();
    let out = session.handle(
        ToWorker::LoadData {
            source: BertSource::Bundled,
        },
        files,
        0.0,
    );
    match out.as_slice() {
        [FromWorker::DataLoaded { info }] => {
            let info = info.clone();
            (session, info)
        }
        other => panic!("{other:?}"),
    }
}

fn mlm(epochs: usize, init: BertInit) -> BertRunConfig {
    BertRunConfig {
        batch_size: 8,
        lr: 2e-3,
        n_epochs: epochs,
        max_len: 64,
        seed: 1,
        n_train: None,
        init,
        objective: BertObjective::MaskedLm,
        mlm_timing: None,
    }
}

fn rows(out: &[FromWorker]) -> Vec<EpochRow> {
    out.iter()
        .filter_map(|m| match m {
            FromWorker::EpochResult { row, .. } => Some(row.clone()),
            _ => None,
        })
        .collect()
}

fn fill(session: &mut Session, text: &str) -> Result<BertAnswer, String> {
    let out = session.handle(
        ToWorker::Query {
            request_id: 5,
            query: BertQuery::FillMask {
                text: text.into(),
                max_len: 64,
            },
        },
        Vec::new(),
        0.0,
    );
    match out.as_slice() {
        [FromWorker::Answer { answer, .. }] => Ok(answer.clone()),
        [FromWorker::QueryError { message, .. }] => Err(message.clone()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_corpus_is_split_and_its_frequency_baseline_computed_at_load() {
    let (_, info) = loaded(Some(brown(400)));
    let corpus = info.corpus.expect("the corpus came");
    assert_eq!(
        (corpus.n_train_sentences, corpus.n_held_out_sentences),
        (360, 40),
        "every {}th line is held out",
        nn::bert::corpus::HELD_OUT_EVERY
    );
    assert!(corpus.n_train_tokens > 5_000, "{}", corpus.n_train_tokens);
    // Frequencies alone beat a uniform guess over 30,522 pieces (10.33 nats) by far, and
    // the commonest piece is a function word or a punctuation mark.
    assert!(
        corpus.unigram_loss > 5.0 && corpus.unigram_loss < 8.5,
        "{}",
        corpus.unigram_loss
    );
    assert!(
        ["the", ",", "."].contains(&corpus.top_piece.as_str()),
        "{}",
        corpus.top_piece
    );
    assert!(corpus.top_piece_share > 0.03 && corpus.top_piece_share < 0.2);
    let (_, without) = loaded(None);
    assert_eq!(without.corpus, None);
}

#[test]
fn a_masked_lm_run_learns_from_the_corpus_and_its_head_fills_in_a_mask() {
    let (mut session, _) = loaded(Some(brown(400)));
    let out = start(&mut session, 1, mlm(2, BertInit::New));
    let [FromWorker::Started { run, .. }] = out.as_slice() else {
        panic!("{out:?}");
    };
    let steps = run.n_batches_per_epoch;
    assert!(steps >= 10, "{steps} steps an epoch");
    assert_eq!(run.n_samples_total, 2 * steps * 8);
    let out = run_to_end(&mut session, 50.0);
    assert!(
        matches!(
            out.last(),
            Some(FromWorker::Done {
                outcome: RunOutcome::Finished,
                ..
            })
        ),
        "{:?}",
        out.last()
    );
    let first_loss = out
        .iter()
        .find_map(|m| match m {
            FromWorker::Progress { progress, .. } => progress.points.first().map(|p| p.loss),
            _ => None,
        })
        .expect("a curve point");
    let ln_vocab = 30_522_f32.ln();
    assert!(
        (first_loss - ln_vocab).abs() < 0.5,
        "the loss starts near ln 30,522: {first_loss}"
    );
    let rows = rows(&out);
    assert_eq!(rows.len(), 2, "{rows:?}");
    let held_out: Vec<f32> = rows.iter().map(|r| r.test_loss.unwrap()).collect();
    assert!(
        held_out[1] < held_out[0] && held_out[1] < ln_vocab - 2.0,
        "the held-out loss falls: {held_out:?}"
    );
    assert!(
        rows.iter()
            .all(|r| r.confusion.is_empty() && r.dominant_share == 0.0)
    );
    assert!(rows[1].test_accuracy > 0.0 && rows[1].mean_grad_norm > 0.0);

    // The head it trained answers a [MASK]; the sentiment figures come with their warning.
    let filled = fill(&mut session, "he said that [MASK] was here .").unwrap();
    assert_eq!(filled.fills.len(), 1);
    assert_eq!(filled.fills[0].guesses.len(), MASK_GUESSES);
    assert_eq!(filled.note.as_deref(), Some(CLASSIFIER_UNTRAINED));

    // Saved with its head, the weights fill in the same guesses in another session.
    let out = session.handle(ToWorker::ExportWeights { request_id: 6 }, Vec::new(), 0.0);
    let [
        FromWorker::Weights {
            file_name, bytes, ..
        },
    ] = out.as_slice()
    else {
        panic!("{out:?}");
    };
    assert_eq!(file_name, MLM_WEIGHTS_FILE_NAME);
    let (mut other, _) = loaded(None);
    let out = other.handle(
        ToWorker::ImportWeights {
            request_id: 7,
            name: file_name.clone(),
        },
        vec![bytes.clone()],
        0.0,
    );
    assert!(
        matches!(out.as_slice(), [FromWorker::WeightsLoaded { summary, .. }] if summary.contains("masked-LM head came with it")),
        "{out:?}"
    );
    let again = fill(&mut other, "he said that [MASK] was here .").unwrap();
    assert_eq!(again.fills, filled.fills);

    // A sentiment run can start from the pre-trained encoder, and keeps the head.
    let from_mlm = BertRunConfig {
        objective: BertObjective::Sentiment,
        n_epochs: 1,
        ..mlm(1, BertInit::Current)
    };
    let out = start(&mut session, 2, from_mlm);
    assert!(
        matches!(out.as_slice(), [FromWorker::Started { .. }]),
        "{out:?}"
    );
    let _ = run_to_end(&mut session, 50.0);
    let after = fill(&mut session, "he said that [MASK] was here .").unwrap();
    assert_eq!(after.note, None, "the classifier is trained now");
    assert_eq!(after.fills.len(), 1);
}

#[test]
fn a_masked_lm_run_without_text_enough_is_refused_with_a_sentence() {
    let (mut session, _) = loaded(None);
    let out = start(&mut session, 1, mlm(1, BertInit::New));
    assert!(
        matches!(out.as_slice(), [FromWorker::Error { message, .. }]
            if *message == format!("The run cannot start: {NO_CORPUS}.")),
        "{out:?}"
    );
    let (mut session, _) = loaded(Some(brown(30)));
    let batch = |batch_size| BertRunConfig {
        batch_size,
        ..mlm(1, BertInit::New)
    };
    let out = start(&mut session, 2, batch(32));
    assert!(
        matches!(out.as_slice(), [FromWorker::Error { message, .. }]
            if message.starts_with("The run cannot start: 27 corpus sentences pack into")
                && message.ends_with("sequences of 64 tokens, fewer than one batch of 32.")),
        "{out:?}"
    );
    let out = start(&mut session, 2, batch(128));
    assert!(
        matches!(out.as_slice(), [FromWorker::Error { message, .. }]
            if message.starts_with("The run cannot start: a masked-LM step at batch 128 and length 64 would hold about")),
        "{out:?}"
    );
    let out = start(&mut session, 3, mlm(1, BertInit::Current));
    assert!(
        matches!(out.as_slice(), [FromWorker::Error { message, .. }]
            if *message == format!("The run cannot start: {NO_WEIGHTS_IN_USE}.")),
        "{out:?}"
    );
}

#[test]
fn a_corpus_that_is_not_text_is_refused_and_names_its_file() {
    let mut session = Session::new();
    let out = session.handle(
        ToWorker::LoadData {
            source: BertSource::Bundled,
        },
        vec![
            bundled(BertFile::Vocab.bundled_name()),
            sentences(40),
            sentences(8),
            vec![0xff, 0xfe, 0x00, 0x80],
        ],
        0.0,
    );
    assert!(
        matches!(out.as_slice(), [FromWorker::DataRejected { file: Some(BertFile::Corpus), message }]
            if message == "The corpus text is not UTF-8 text."),
        "{out:?}"
    );
    let short = Corpus::read(
        &nn::tokenizer::WordPiece::from_vocab_txt(
            std::str::from_utf8(&bundled(BertFile::Vocab.bundled_name())).unwrap(),
        )
        .unwrap(),
        b"one line .\n\n  \nanother line .",
    )
    .unwrap_err();
    assert_eq!(
        short,
        "The corpus text has 2 sentences; a masked-LM run needs at least 10, one of them held out."
    );
}
