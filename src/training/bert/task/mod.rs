//! The BERT-tiny lab as a [`WorkerTask`]: its payloads (a vocabulary, two TSV files of
//! labelled sentences and the corpus text; a sentence, or the Groq example's dummy input, to
//! classify; the misclassified test sentences) and its runs ([`BertWork`]): fine-tuning a
//! from-scratch BERT-tiny one batch at a time, with the test set evaluated in chunks through
//! `nn`'s [`Evaluator`](nn::train::Evaluator) after each epoch; a masked-LM run on the corpus (`mlm`); or the
//! Cerebras section's masked-LM timing sweep.
//!
//! Every sentence is tokenized once, when the data loads (WordPiece ids without `[CLS]` and
//! `[SEP]`); a run frames and truncates them to its length. The Naive Bayes baseline is fitted
//! on the same tokens at load, so the page can show what the transformer buys.

mod data;
mod finetune;
mod mlm;
mod query;

use nn::bert::train::BertTrainer;
use serde::{Deserialize, Serialize};

use super::config::{BertInit, BertObjective, BertRunConfig};
use super::timing::{BatchTiming, MlmTimingRun, pack_sequences};
use crate::training::protocol::{LabTask, RunStarted};
use crate::training::session::{Step, WorkerTask};
pub use data::{BertData, Corpus, TokenizedSet, load_data};
pub use finetune::BertRun;
pub use mlm::{MlmRun, NO_CORPUS};
pub use query::{answer, test_set_answer};

/// Test sentences per evaluation step.
pub const EVAL_CHUNK: usize = 64;
/// Misclassified sentences sent at the end of a run.
pub const MAX_MISCLASSIFIED: usize = 40;
/// Tokens of a sentence whose attention is sent to the page (a 48×48 map per head and layer).
pub const MAX_ATTENTION_TOKENS: usize = 48;
/// The longest sentence the page may ask about, in characters.
pub const MAX_QUERY_CHARS: usize = 2_000;
/// The id the Groq example's dummy input repeats (`torch.ones`): `[unused0]` in this vocabulary.
pub const DUMMY_ID: u32 = 1;
/// The two classes, by label.
pub const CLASSES: [&str; 2] = ["negative", "positive"];
pub(super) const N_CLASSES: usize = 2;

/// The BERT-tiny lab (its payload types and its worker task).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bert;

/// The BERT lab's messages.
pub type ToWorker = crate::training::protocol::ToWorker<Bert>;
/// The BERT lab's messages.
pub type FromWorker = crate::training::protocol::FromWorker<Bert>;

/// One of the files a dataset is made of, in the order they travel: the vocabulary, the
/// labelled sentences, and the plain text of the masked-LM runs (optional: without it the
/// lab fine-tunes only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BertFile {
    Vocab,
    Train,
    Test,
    Corpus,
}

impl BertFile {
    /// The order of the buffers that go with a `LoadData` message.
    pub const ALL: [BertFile; 4] = [Self::Vocab, Self::Train, Self::Test, Self::Corpus];

    /// The bundled file's name under `public/data/`.
    pub fn bundled_name(self) -> &'static str {
        match self {
            Self::Vocab => "bert-base-uncased-vocab.txt",
            Self::Train => "sentiment-train.tsv.gz",
            Self::Test => "sentiment-test.tsv.gz",
            Self::Corpus => "brown-subset.txt",
        }
    }

    /// Words for a message.
    pub fn label(self) -> &'static str {
        match self {
            Self::Vocab => "The vocabulary",
            Self::Train => "The training sentences",
            Self::Test => "The test sentences",
            Self::Corpus => "The corpus text",
        }
    }

    /// A short key, used in `data-testid`s.
    pub fn key(self) -> &'static str {
        match self {
            Self::Vocab => "vocab",
            Self::Train => "train",
            Self::Test => "test",
            Self::Corpus => "corpus",
        }
    }
}

/// Where a dataset came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BertSource {
    /// The bundled sentences (VADER's crowd ratings on the movie-review snippets).
    Bundled,
    /// The learner's TSV files in place of the bundled ones, by name.
    Uploaded {
        train: Option<String>,
        test: Option<String>,
    },
}

/// What the page learns about the data in use.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BertDataInfo {
    pub source: BertSource,
    pub n_train: usize,
    pub n_test: usize,
    pub vocab_size: usize,
    /// Test accuracy of Naive Bayes on WordPiece unigrams fitted on the training sentences.
    pub naive_bayes_accuracy: f32,
    /// Share of positive training labels.
    pub positive_share: f32,
    /// Training sentences longer than each of [`LENGTHS`](super::config::LENGTHS) (with
    /// `[CLS]` and `[SEP]`): what truncation cuts.
    pub n_cut: Vec<(usize, usize)>,
    /// The masked-LM runs' text, when one was loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corpus: Option<CorpusInfo>,
}

/// The masked-LM text: its split, and what knowing only WordPiece frequencies scores on its
/// held-out part (the bar a masked-LM run must pass to show it uses the context).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CorpusInfo {
    /// Lines (sentences) a run may train on.
    pub n_train_sentences: usize,
    /// Their WordPieces.
    pub n_train_tokens: usize,
    /// Lines held out for the evaluation after each epoch.
    pub n_held_out_sentences: usize,
    /// Cross-entropy (nats) of the held-out WordPieces under the training part's frequencies
    /// (add-one smoothed over the vocabulary): a masked-LM loss that ignores the context.
    pub unigram_loss: f32,
    /// The training part's commonest WordPiece…
    pub top_piece: String,
    /// …and its share of the held-out WordPieces: the masked-token accuracy of always
    /// guessing it.
    pub top_piece_share: f32,
}

/// A test sentence the model got wrong.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SentenceMistake {
    pub item_idx: usize,
    pub text: String,
    pub label: u8,
    pub predicted: u8,
    pub confidence: f32,
}

/// The end of a run: the last evaluation's mistakes, most confident first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SentenceMistakes {
    pub shown: Vec<SentenceMistake>,
    pub n_total: usize,
}

/// The end of a run: a fine-tuning run's mistakes, or a timing sweep's rows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BertReport {
    pub mistakes: SentenceMistakes,
    /// Masked-LM time per step at each batch size (a timing sweep only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timings: Vec<BatchTiming>,
}

/// What to classify.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BertQuery {
    /// A sentence, tokenized and padded to `max_len`.
    Sentence { text: String, max_len: usize },
    /// The Groq example's dummy input: `max_len` ids of 1, all attended.
    Dummy { max_len: usize },
    /// The first `n` test sentences, each classified alone (batch 1, padded to `max_len`, as a
    /// compiled batch-1 model takes them); the answer carries their score and the worker's
    /// time for all of them.
    TestSet { max_len: usize, n: usize },
    /// A sentence with `[MASK]` in it: the sentence's answer, and the masked-LM head's guesses
    /// for each `[MASK]` (weights loaded with a masked-LM head only).
    FillMask { text: String, max_len: usize },
}

/// The masked-LM head's guesses for one `[MASK]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MaskFill {
    /// Where it is in [`BertAnswer::pieces`].
    pub position: usize,
    /// The likeliest WordPieces with their probabilities, likeliest first.
    pub guesses: Vec<(String, f32)>,
}

/// Guesses shown for each `[MASK]`.
pub const MASK_GUESSES: usize = 5;

/// How the model did on the test sentences of a [`BertQuery::TestSet`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TestSetScore {
    /// Sentences classified.
    pub n: usize,
    /// Of which right.
    pub n_correct: usize,
    /// The first few: `(sentence, label, predicted, probability of positive)`.
    pub first: Vec<(String, u8, u8, f32)>,
}

/// Test sentences shown in a [`TestSetScore`].
pub const TEST_SET_SHOWN: usize = 3;

/// The model's answer, with what it saw.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BertAnswer {
    /// The tokens of the real (attended) positions, `[CLS]` … `[SEP]`.
    pub pieces: Vec<String>,
    /// Their ids.
    pub ids: Vec<u32>,
    /// The padded length the model ran at.
    pub max_len: usize,
    /// Whether the sentence lost its tail to `max_len`.
    pub truncated: bool,
    /// Class probabilities (negative, positive).
    pub probabilities: Vec<f32>,
    /// Attention of the first [`MAX_ATTENTION_TOKENS`] real tokens, `[layer][head][i][j]`.
    pub attention: Vec<Vec<Vec<Vec<f32>>>>,
    /// The score of a [`BertQuery::TestSet`] (the fields above are then empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_set: Option<TestSetScore>,
    /// A [`BertQuery::FillMask`]'s guesses, one per `[MASK]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fills: Vec<MaskFill>,
    /// What the learner should know about the weights that answered (after a masked-LM run:
    /// the classifier on top was never trained).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl LabTask for Bert {
    const NAME: &'static str = "bert";
    type Source = BertSource;
    type File = BertFile;
    type DataInfo = BertDataInfo;
    type Config = BertRunConfig;
    type Report = BertReport;
    type Query = BertQuery;
    type Answer = BertAnswer;

    fn describe_data(info: &BertDataInfo) -> String {
        match &info.source {
            BertSource::Bundled => format!("bundled {}/{}", info.n_train, info.n_test),
            BertSource::Uploaded { .. } => {
                format!("your files {}/{}", info.n_train, info.n_test)
            }
        }
    }
}

/// What the BERT worker runs: fine-tuning, a masked-LM run on the corpus, or a masked-LM
/// timing sweep.
#[derive(Clone, Debug)]
pub enum BertWork {
    FineTune(Box<BertRun>),
    MaskedLm(Box<MlmRun>),
    MlmTiming(Box<MlmTimingRun>),
}

impl BertWork {
    /// The weights a run from "the weights in use" starts from: the encoder (with its pooler
    /// and classifier) and the masked-LM head when there is one. A timing sweep has none.
    fn weights(&self) -> Option<(&nn::bert::BertClassifier, Option<&nn::bert::MlmHead>)> {
        match self {
            Self::FineTune(run) => Some((run.model(), run.mlm_head())),
            Self::MaskedLm(run) => Some((run.model(), Some(run.head()))),
            Self::MlmTiming(_) => None,
        }
    }
}

/// What an answer from a masked-LM run's weights says about its sentiment figures.
pub const CLASSIFIER_UNTRAINED: &str = "These weights come from a masked-LM run: the encoder has learnt from the corpus, but the sentiment classifier on top of it has never been trained, so P(negative) and P(positive) mean nothing yet. To train it, choose “Train: the sentiment classifier” and “Start from: the weights in use”.";

/// What a timing sweep answers when asked to classify.
const TIMING_ONLY: &str = "This run times masked-LM steps; it has no classifier to ask.";

impl WorkerTask for Bert {
    type Data = BertData;
    type Run = BertWork;
    const NO_MODEL: &'static str =
        "Train a model first (or load weights): there is nothing to ask yet.";

    fn load(_: &BertSource, files: Vec<Vec<u8>>) -> Result<BertData, (Option<BertFile>, String)> {
        load_data(&files)
    }

    fn data_info(source: &BertSource, data: &BertData) -> BertDataInfo {
        let n_train = data.train.ids.len();
        let positives = data.train.sentences.iter().filter(|s| s.label == 1).count();
        BertDataInfo {
            source: source.clone(),
            n_train,
            n_test: data.test.ids.len(),
            vocab_size: data.tokenizer.vocab_size(),
            naive_bayes_accuracy: data.naive_bayes_accuracy,
            positive_share: positives as f32 / n_train.max(1) as f32,
            n_cut: super::config::LENGTHS
                .iter()
                .map(|&len| {
                    let n = data
                        .train
                        .ids
                        .iter()
                        .filter(|ids| ids.len() + 2 > len)
                        .count();
                    (len, n)
                })
                .collect(),
            corpus: data.corpus.as_ref().map(|c| c.info.clone()),
        }
    }

    fn start(
        config: &BertRunConfig,
        data: &BertData,
        previous: Option<&BertWork>,
    ) -> Result<(BertWork, RunStarted), String> {
        if let Some(timing) = &config.mlm_timing {
            let sequences = pack_sequences(
                &data.train.ids,
                data.tokenizer.cls_id,
                data.tokenizer.sep_id,
                config.max_len,
            );
            let run = MlmTimingRun::new(timing.clone(), config.max_len, config.seed, sequences)?;
            let started = RunStarted {
                n_batches_per_epoch: timing.batches.len() * (timing.n_warmup + timing.n_timed),
                n_samples_total: run.n_samples_total(),
                n_params: usize::try_from(nn::bert::pretrain::bert_mlm_params(
                    &nn::bert::BertConfig::bert_tiny(),
                ))
                .unwrap_or(usize::MAX),
            };
            return Ok((BertWork::MlmTiming(Box::new(run)), started));
        }
        let in_use = match config.init {
            BertInit::New => None,
            BertInit::Current => Some(
                previous
                    .and_then(BertWork::weights)
                    .ok_or(NO_WEIGHTS_IN_USE)?,
            ),
        };
        if config.objective == BertObjective::MaskedLm {
            let (run, started) = MlmRun::new(config, data, in_use)?;
            return Ok((BertWork::MaskedLm(Box::new(run)), started));
        }
        let train = data
            .train
            .examples(&data.tokenizer, config.max_len, config.n_train);
        let n_train = train.len();
        let test = data.test.examples(&data.tokenizer, config.max_len, None);
        let mut trainer =
            BertTrainer::new(config.train_config(), train).map_err(|e| e.to_string())?;
        let mut mlm_head = None;
        if let Some((model, head)) = in_use {
            trainer.set_model(model.clone());
            mlm_head = head.cloned();
        }
        let started = RunStarted {
            n_batches_per_epoch: trainer.n_batches_per_epoch(),
            n_samples_total: n_train * config.n_epochs,
            n_params: trainer.model().n_params(),
        };
        Ok((
            BertWork::FineTune(Box::new(
                BertRun::new(trainer, config.max_len, test, n_train).with_mlm_head(mlm_head),
            )),
            started,
        ))
    }

    fn step(work: &mut BertWork, data: &BertData) -> Step {
        match work {
            BertWork::FineTune(run) => run.step(data),
            BertWork::MaskedLm(run) => run.step(),
            BertWork::MlmTiming(run) => run.step(),
        }
    }

    fn step_timed(work: &mut BertWork, step_ms: f64) {
        if let BertWork::MlmTiming(run) = work {
            run.step_timed(step_ms);
        }
    }

    fn report(work: &mut BertWork, _: &BertData) -> BertReport {
        match work {
            BertWork::FineTune(run) => BertReport {
                mistakes: run.take_mistakes(),
                timings: Vec::new(),
            },
            BertWork::MaskedLm(_) => BertReport::default(),
            BertWork::MlmTiming(run) => BertReport {
                mistakes: SentenceMistakes::default(),
                timings: run.timings().to_vec(),
            },
        }
    }

    fn interim_report(work: &mut BertWork) -> Option<BertReport> {
        match work {
            BertWork::FineTune(_) | BertWork::MaskedLm(_) => None,
            BertWork::MlmTiming(run) => run.fresh_timings().map(|timings| BertReport {
                mistakes: SentenceMistakes::default(),
                timings,
            }),
        }
    }

    fn answer(work: &BertWork, data: &BertData, query: &BertQuery) -> Result<BertAnswer, String> {
        match work {
            BertWork::FineTune(run) => {
                if let BertQuery::TestSet { max_len, n } = *query {
                    return Ok(test_set_answer(run.model(), data, max_len, n));
                }
                answer(
                    run.model(),
                    run.mlm_head(),
                    &data.tokenizer,
                    query,
                    run.max_len(),
                )
            }
            BertWork::MaskedLm(run) => {
                let mut answer = match *query {
                    BertQuery::TestSet { max_len, n } => {
                        test_set_answer(run.model(), data, max_len, n)
                    }
                    _ => answer(
                        run.model(),
                        Some(run.head()),
                        &data.tokenizer,
                        query,
                        run.max_len(),
                    )?,
                };
                answer.note = Some(CLASSIFIER_UNTRAINED.into());
                Ok(answer)
            }
            BertWork::MlmTiming(_) => Err(TIMING_ONLY.into()),
        }
    }

    fn export_weights(work: &BertWork) -> Result<(String, Vec<u8>), String> {
        match work {
            BertWork::FineTune(run) => Ok((
                WEIGHTS_FILE_NAME.into(),
                nn::bert::weights::bert_to_safetensors(run.model(), run.mlm_head()),
            )),
            BertWork::MaskedLm(run) => Ok((
                MLM_WEIGHTS_FILE_NAME.into(),
                nn::bert::weights::bert_to_safetensors(run.model(), Some(run.head())),
            )),
            BertWork::MlmTiming(_) => Err(TIMING_ONLY.into()),
        }
    }

    fn import_weights(bytes: &[u8], data: &BertData) -> Result<(BertWork, String), String> {
        let config = nn::bert::train::BertTrainConfig::bert_tiny(1e-3);
        let loaded = nn::bert::weights::load_bert(bytes, &config.model)
            .map_err(|e| format!("That is not a BERT-tiny weights file this lab can use: {e}."))?;
        let summary = import_summary(&loaded);
        let mlm_head = loaded.mlm_head;
        let model = loaded.model;
        // A trainer holds the model so the run answers like a trained one; one sentence is
        // enough to build it, and it is never stepped.
        let max_len = super::config::LENGTHS[0];
        let one = data.train.examples(&data.tokenizer, max_len, Some(1));
        let mut trainer = BertTrainer::new(config, one).map_err(|e| e.to_string())?;
        trainer.set_model(model);
        let run = BertRun::new(trainer, max_len, Vec::new(), 0).with_mlm_head(mlm_head);
        Ok((BertWork::FineTune(Box::new(run)), summary))
    }
}

/// Why a run set to start from the weights in use cannot.
/// (The session says "The run cannot start: …." around it.)
pub const NO_WEIGHTS_IN_USE: &str = "there are no weights in use yet (load a weights file or train a model first, or start from new random weights)";

/// What the learner is told about a loaded file: its size, and what it did not supply.
fn import_summary(loaded: &nn::bert::weights::LoadedBert) -> String {
    let n_params = sim::units::thousands(loaded.model.n_params() as u64);
    let mut summary = if loaded.fresh_heads.is_empty() {
        format!(
            "Loaded BERT-tiny weights ({n_params} parameters); your sentences are now classified with them."
        )
    } else {
        let heads = loaded.fresh_heads.join(" and ");
        let plural = if loaded.fresh_heads.len() == 1 {
            ""
        } else {
            "s"
        };
        format!(
            "Loaded a BERT-tiny encoder without its {heads} head{plural}: a pre-trained model, not yet a sentiment classifier. The {heads} start{verb} from random weights, so its predictions mean nothing until you fine-tune it: set “Start from” to “the weights in use” and train.",
            verb = if plural.is_empty() { "s" } else { "" },
        )
    };
    if loaded.mlm_head.is_some() {
        summary.push_str(
            " Its masked-LM head came with it: write [MASK] in a sentence and press “Fill in [MASK]” to see what it guesses.",
        );
    }
    if !loaded.ignored.is_empty() {
        let n = loaded.ignored.len();
        summary.push_str(&format!(
            " The file's pre-training heads ({n} tensor{}: {}) are not used here.",
            if n == 1 { "" } else { "s" },
            head_names(&loaded.ignored)
        ));
    }
    summary
}

/// `cls.predictions…, cls.seq_relationship…`: the distinct heads of some tensor names.
fn head_names(names: &[String]) -> String {
    let mut heads: Vec<&str> = names
        .iter()
        .map(|n| n.splitn(3, '.').take(2).last().unwrap_or(n.as_str()))
        .collect();
    heads.dedup();
    heads
        .iter()
        .map(|h| format!("cls.{h}…"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The name of a saved weights file.
pub const WEIGHTS_FILE_NAME: &str = "bert-tiny-sentiment.safetensors";
/// The name of a masked-LM run's weights file (encoder and masked-LM head).
pub const MLM_WEIGHTS_FILE_NAME: &str = "bert-tiny-mlm.safetensors";

#[cfg(test)]
mod mlm_tests;
#[cfg(test)]
mod tests;
