//! The BERT-tiny lab as a [`WorkerTask`]: its payloads (a vocabulary and two TSV files of
//! labelled sentences; a sentence, or the Groq example's dummy input, to classify; the
//! misclassified test sentences) and its run: fine-tuning a from-scratch BERT-tiny one batch at
//! a time, and after each epoch the test set evaluated in chunks through `nn`'s [`Evaluator`].
//!
//! Every sentence is tokenized once, when the data loads (WordPiece ids without `[CLS]` and
//! `[SEP]`); a run frames and truncates them to its length. The Naive Bayes baseline is fitted
//! on the same tokens at load, so the page can show what the transformer buys.

use nn::bert::TokenBatch;
use nn::bert::naive_bayes::NaiveBayes;
use nn::bert::train::{BertTrainer, EncodedExample, batch_of, frame_examples, unigrams};
use nn::loss::{softmax, softmax_cross_entropy};
use nn::text_data::{LabelledSentence, read_labelled_tsv};
use nn::tokenizer::WordPiece;
use nn::train::{BatchOutcome, DivergenceKind, EpochSummary, Evaluator, TrainStatus};
use serde::{Deserialize, Serialize};

use super::config::BertRunConfig;
use super::timing::{BatchTiming, MlmTimingRun, pack_sequences};
use crate::training::protocol::{LabTask, RunStarted};
use crate::training::session::{
    BatchStats, Mistake, Step, WorkerTask, epoch_row, judge, most_confident_first,
};

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
const N_CLASSES: usize = 2;

/// The BERT-tiny lab (its payload types and its worker task).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bert;

/// The BERT lab's messages.
pub type ToWorker = crate::training::protocol::ToWorker<Bert>;
/// The BERT lab's messages.
pub type FromWorker = crate::training::protocol::FromWorker<Bert>;

/// One of the three files a dataset is made of, in the order they travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BertFile {
    Vocab,
    Train,
    Test,
}

impl BertFile {
    /// The order of the buffers that go with a `LoadData` message.
    pub const ALL: [BertFile; 3] = [Self::Vocab, Self::Train, Self::Test];

    /// The bundled file's name under `public/data/`.
    pub fn bundled_name(self) -> &'static str {
        match self {
            Self::Vocab => "bert-base-uncased-vocab.txt",
            Self::Train => "sentiment-train.tsv.gz",
            Self::Test => "sentiment-test.tsv.gz",
        }
    }

    /// Words for a message.
    pub fn label(self) -> &'static str {
        match self {
            Self::Vocab => "The vocabulary",
            Self::Train => "The training sentences",
            Self::Test => "The test sentences",
        }
    }

    /// A short key, used in `data-testid`s.
    pub fn key(self) -> &'static str {
        match self {
            Self::Vocab => "vocab",
            Self::Train => "train",
            Self::Test => "test",
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
}

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

/// Labelled sentences with their WordPiece ids.
#[derive(Clone, Debug)]
pub struct TokenizedSet {
    pub sentences: Vec<LabelledSentence>,
    pub ids: Vec<Vec<u32>>,
}

impl TokenizedSet {
    fn new(tokenizer: &WordPiece, sentences: Vec<LabelledSentence>) -> Self {
        let ids = sentences
            .iter()
            .map(|s| tokenizer.token_ids(&s.sentence))
            .collect();
        Self { sentences, ids }
    }

    /// The first `n` (or all) sentences framed for a model of `max_len` tokens.
    fn examples(
        &self,
        tokenizer: &WordPiece,
        max_len: usize,
        n: Option<usize>,
    ) -> Vec<EncodedExample> {
        let n = n.unwrap_or(self.ids.len()).min(self.ids.len());
        frame_examples(
            self.ids
                .iter()
                .zip(&self.sentences)
                .take(n)
                .map(|(ids, s)| (ids.as_slice(), s.label)),
            tokenizer.cls_id,
            tokenizer.sep_id,
            max_len,
        )
    }
}

/// A loaded dataset.
#[derive(Clone, Debug)]
pub struct BertData {
    pub tokenizer: WordPiece,
    pub train: TokenizedSet,
    pub test: TokenizedSet,
    pub naive_bayes_accuracy: f32,
}

/// Reads the vocabulary and the two TSV files (raw or gzip).
///
/// # Errors
/// The file at fault and a sentence naming the line.
pub fn load_data(files: &[Vec<u8>]) -> Result<BertData, (Option<BertFile>, String)> {
    let [vocab, train, test] = files else {
        return Err((
            None,
            format!("Three files are needed; {} arrived.", files.len()),
        ));
    };
    let vocab = std::str::from_utf8(vocab).map_err(|_| {
        (
            Some(BertFile::Vocab),
            "The vocabulary is not UTF-8 text: a vocab.txt has one token per line.".to_string(),
        )
    })?;
    let tokenizer = WordPiece::from_vocab_txt(vocab)
        .map_err(|e| (Some(BertFile::Vocab), sentence_case(&e.to_string())))?;
    let read = |file: BertFile, bytes: &[u8]| {
        let rows = read_labelled_tsv(bytes)
            .map_err(|e| (Some(file), format!("{}: {e}.", file.label())))?;
        if rows.is_empty() {
            return Err((
                Some(file),
                format!("{} file has no sentences.", file.label()),
            ));
        }
        if let Some(row) = rows.iter().find(|r| usize::from(r.label) >= N_CLASSES) {
            return Err((
                Some(file),
                format!("{}: the label {} is not 0 or 1.", file.label(), row.label),
            ));
        }
        Ok(TokenizedSet::new(&tokenizer, rows))
    };
    let train = read(BertFile::Train, train)?;
    let test = read(BertFile::Test, test)?;
    let framed = |set: &TokenizedSet| set.examples(&tokenizer, usize::MAX, None);
    let (train_examples, test_examples) = (framed(&train), framed(&test));
    let nb = NaiveBayes::fit(
        train_examples.iter().map(unigrams),
        tokenizer.vocab_size(),
        N_CLASSES,
        1.0,
    );
    let naive_bayes_accuracy = nb.accuracy(test_examples.iter().map(unigrams));
    Ok(BertData {
        tokenizer,
        train,
        test,
        naive_bayes_accuracy,
    })
}

fn sentence_case(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// The test-set pass after an epoch, a chunk at a time.
#[derive(Clone, Debug)]
struct EvalState {
    summary: EpochSummary,
    evaluator: Evaluator,
    mistakes: Vec<Mistake>,
}

/// A run of the BERT lab.
#[derive(Clone, Debug)]
pub struct BertRun {
    trainer: BertTrainer,
    max_len: usize,
    test: Vec<EncodedExample>,
    n_train: usize,
    n_samples_done: usize,
    eval: Option<Box<EvalState>>,
    last_mistakes: SentenceMistakes,
}

/// What the BERT worker runs: fine-tuning, or a masked-LM timing sweep.
#[derive(Clone, Debug)]
pub enum BertWork {
    FineTune(Box<BertRun>),
    MlmTiming(Box<MlmTimingRun>),
}

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
        }
    }

    fn start(config: &BertRunConfig, data: &BertData) -> Result<(BertWork, RunStarted), String> {
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
        let train = data
            .train
            .examples(&data.tokenizer, config.max_len, config.n_train);
        let n_train = train.len();
        let test = data.test.examples(&data.tokenizer, config.max_len, None);
        let trainer = BertTrainer::new(config.train_config(), train).map_err(|e| e.to_string())?;
        let started = RunStarted {
            n_batches_per_epoch: trainer.n_batches_per_epoch(),
            n_samples_total: n_train * config.n_epochs,
            n_params: trainer.model().n_params(),
        };
        Ok((
            BertWork::FineTune(Box::new(BertRun {
                trainer,
                max_len: config.max_len,
                test,
                n_train,
                n_samples_done: 0,
                eval: None,
                last_mistakes: SentenceMistakes::default(),
            })),
            started,
        ))
    }

    fn step(work: &mut BertWork, data: &BertData) -> Step {
        match work {
            BertWork::FineTune(run) if run.eval.is_some() => run.eval_step(data),
            BertWork::FineTune(run) => run.train_step(),
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
                mistakes: std::mem::take(&mut run.last_mistakes),
                timings: Vec::new(),
            },
            BertWork::MlmTiming(run) => BertReport {
                mistakes: SentenceMistakes::default(),
                timings: run.timings().to_vec(),
            },
        }
    }

    fn interim_report(work: &mut BertWork) -> Option<BertReport> {
        match work {
            BertWork::FineTune(_) => None,
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
                    return Ok(test_set_answer(run.trainer.model(), data, max_len, n));
                }
                answer(run.trainer.model(), &data.tokenizer, query, run.max_len)
            }
            BertWork::MlmTiming(_) => Err(TIMING_ONLY.into()),
        }
    }

    fn export_weights(work: &BertWork) -> Result<(String, Vec<u8>), String> {
        match work {
            BertWork::FineTune(run) => Ok((
                WEIGHTS_FILE_NAME.into(),
                nn::bert::safetensors::bert_to_safetensors(run.trainer.model()),
            )),
            BertWork::MlmTiming(_) => Err(TIMING_ONLY.into()),
        }
    }

    fn import_weights(bytes: &[u8], data: &BertData) -> Result<(BertWork, String), String> {
        let config = nn::bert::train::BertTrainConfig::bert_tiny(1e-3);
        let model = nn::bert::safetensors::bert_from_safetensors(bytes, &config.model)
            .map_err(|e| format!("That is not a BERT-tiny weights file this lab can use: {e}."))?;
        let n_params = model.n_params();
        // A trainer holds the model so the run answers like a trained one; one sentence is
        // enough to build it, and it is never stepped.
        let max_len = super::config::LENGTHS[0];
        let one = data.train.examples(&data.tokenizer, max_len, Some(1));
        let mut trainer = BertTrainer::new(config, one).map_err(|e| e.to_string())?;
        trainer.set_model(model);
        let run = BertRun {
            trainer,
            max_len,
            test: Vec::new(),
            n_train: 0,
            n_samples_done: 0,
            eval: None,
            last_mistakes: SentenceMistakes::default(),
        };
        Ok((
            BertWork::FineTune(Box::new(run)),
            format!(
                "Loaded BERT-tiny weights ({} parameters); your sentences are now classified with them.",
                sim::units::thousands(n_params as u64)
            ),
        ))
    }
}

/// Classifies the first `n` test sentences one at a time, padded to `max_len`.
pub fn test_set_answer(
    model: &nn::bert::BertClassifier,
    data: &BertData,
    max_len: usize,
    n: usize,
) -> BertAnswer {
    let examples = data.test.examples(&data.tokenizer, max_len, Some(n));
    let mut score = TestSetScore {
        n: examples.len(),
        ..TestSetScore::default()
    };
    for (item_idx, example) in examples.iter().enumerate() {
        let logits = model.infer(&TokenBatch::padded(&example.ids, max_len));
        let probabilities = softmax(logits.view());
        let p_positive = probabilities[(0, 1)];
        let predicted = u8::from(p_positive > probabilities[(0, 0)]);
        if predicted == example.label {
            score.n_correct += 1;
        }
        if item_idx < TEST_SET_SHOWN {
            score.first.push((
                data.test.sentences[item_idx].sentence.clone(),
                example.label,
                predicted,
                p_positive,
            ));
        }
    }
    BertAnswer {
        pieces: Vec::new(),
        ids: Vec::new(),
        max_len,
        truncated: false,
        probabilities: Vec::new(),
        attention: Vec::new(),
        test_set: Some(score),
    }
}

/// The name of a saved weights file.
pub const WEIGHTS_FILE_NAME: &str = "bert-tiny-sentiment.safetensors";

/// Classifies `query` with `model`; `default_len` is used when the query's length is not one
/// the lab offers.
///
/// # Errors
/// An empty or over-long sentence.
pub fn answer(
    model: &nn::bert::BertClassifier,
    tokenizer: &WordPiece,
    query: &BertQuery,
    default_len: usize,
) -> Result<BertAnswer, String> {
    let pick = |len: usize| {
        if super::config::LENGTHS.contains(&len) {
            len
        } else {
            default_len
        }
    };
    let (ids, max_len, truncated) = match query {
        BertQuery::Sentence { text, max_len } => {
            if text.trim().is_empty() {
                return Err("Type a sentence first.".into());
            }
            if text.chars().count() > MAX_QUERY_CHARS {
                return Err(format!(
                    "That is {} characters; the lab classifies at most {MAX_QUERY_CHARS}.",
                    text.chars().count()
                ));
            }
            let max_len = pick(*max_len);
            let all = tokenizer.token_ids(text);
            let truncated = all.len() + 2 > max_len;
            let framed = frame_examples(
                [(all.as_slice(), 0)],
                tokenizer.cls_id,
                tokenizer.sep_id,
                max_len,
            );
            let ids = framed.into_iter().next().map(|e| e.ids).unwrap_or_default();
            (ids, max_len, truncated)
        }
        BertQuery::Dummy { max_len } => {
            let max_len = pick(*max_len);
            (vec![DUMMY_ID; max_len], max_len, false)
        }
        BertQuery::TestSet { .. } => {
            return Err(
                "The test sentences are classified by the worker, which holds them.".into(),
            );
        }
    };
    // Padded to max_len with the mask hiding the padding, as a fixed-shape compiled model
    // would see it.
    let batch = TokenBatch::padded(&ids, max_len);
    let (logits, maps) = model.infer_with_attention(&batch);
    let probabilities = softmax(logits.view()).row(0).to_vec();
    let shown = ids.len().min(MAX_ATTENTION_TOKENS);
    let attention = maps
        .iter()
        .map(|map| {
            (0..map.dim().1)
                .map(|h| {
                    (0..shown)
                        .map(|i| (0..shown).map(|j| map[(0, h, i, j)]).collect())
                        .collect()
                })
                .collect()
        })
        .collect();
    let pieces = ids
        .iter()
        .map(|&id| tokenizer.id_to_token(id).unwrap_or("[UNK]").to_string())
        .collect();
    Ok(BertAnswer {
        pieces,
        ids,
        max_len,
        truncated,
        probabilities,
        attention,
        test_set: None,
    })
}

impl BertRun {
    fn train_step(&mut self) -> Step {
        match self.trainer.train_batch() {
            BatchOutcome::Trained(metrics) => {
                self.n_samples_done += metrics.n_samples;
                let epoch_ended = self.trainer.history().len() > metrics.epoch_idx;
                if let Some(summary) = self.trainer.history().last().filter(|_| epoch_ended) {
                    self.eval = Some(Box::new(EvalState {
                        summary: *summary,
                        evaluator: Evaluator::new(self.test.len(), N_CLASSES),
                        mistakes: Vec::new(),
                    }));
                }
                Step::Trained {
                    batch: BatchStats {
                        loss: metrics.loss,
                        accuracy: metrics.accuracy,
                        n_samples: metrics.n_samples,
                    },
                    epoch: (self.n_samples_done as f64 / self.n_train.max(1) as f64) as f32,
                    epoch_ended,
                }
            }
            BatchOutcome::Diverged(d) => {
                let what = match d.kind {
                    DivergenceKind::NonFiniteLoss => "the loss was not a finite number".to_string(),
                    DivergenceKind::ExplodingLoss { loss } => {
                        format!("the loss exploded to {loss:.3e}")
                    }
                };
                Step::Diverged(format!(
                    "Training diverged in epoch {}, batch {}: {what}. No update was applied from that batch; try a smaller learning rate.",
                    d.epoch_idx + 1,
                    d.batch_idx + 1
                ))
            }
            // Nothing left to train (cannot happen while a run is live): end it cleanly.
            BatchOutcome::Stopped(_) => Step::Evaluated {
                row: None,
                last: true,
            },
        }
    }

    fn eval_step(&mut self, data: &BertData) -> Step {
        let not_yet = Step::Evaluated {
            row: None,
            last: false,
        };
        let Some(state) = self.eval.as_mut() else {
            return not_yet;
        };
        if let Some(range) = state.evaluator.next_chunk(EVAL_CHUNK) {
            let indices: Vec<usize> = range.collect();
            let (batch, labels) = batch_of(&self.test, &indices);
            let logits = self.trainer.model().infer(&batch);
            let loss = softmax_cross_entropy(logits.view(), &labels).loss;
            state.evaluator.record(logits.view(), &labels, loss);
            let probabilities = softmax(logits.view());
            for ((row, &label), &item_idx) in
                probabilities.rows().into_iter().zip(&labels).zip(&indices)
            {
                state
                    .mistakes
                    .extend(judge(item_idx, label, row.iter().copied()));
            }
        }
        if !state.evaluator.is_done() {
            return not_yet;
        }
        let Some(state) = self.eval.take() else {
            return not_yet;
        };
        let mut state = *state;
        let row = epoch_row(&state.summary, &state.evaluator.finish());
        most_confident_first(&mut state.mistakes);
        self.last_mistakes = SentenceMistakes {
            n_total: state.mistakes.len(),
            shown: state
                .mistakes
                .iter()
                .take(MAX_MISCLASSIFIED)
                .map(
                    |&(item_idx, label, predicted, confidence)| SentenceMistake {
                        item_idx,
                        text: data
                            .test
                            .sentences
                            .get(item_idx)
                            .map(|s| s.sentence.clone())
                            .unwrap_or_default(),
                        label,
                        predicted,
                        confidence,
                    },
                )
                .collect(),
        };
        Step::Evaluated {
            row: Some(row),
            last: self.trainer.status() == TrainStatus::Finished,
        }
    }
}

#[cfg(test)]
mod tests {
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
        let busy = session.handle(
            ToWorker::ImportWeights {
                request_id: 2,
                name: "w.safetensors".into(),
            },
            vec![vec![0; 8]],
            0.0,
        );
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
        let out = other.handle(
            ToWorker::ImportWeights {
                request_id: 4,
                name: "mine.safetensors".into(),
            },
            vec![bytes.clone()],
            0.0,
        );
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
            let out = session.handle(
                ToWorker::ImportWeights {
                    request_id: 1,
                    name: "bad.safetensors".into(),
                },
                vec![bytes],
                0.0,
            );
            assert!(
                matches!(out.as_slice(), [FromWorker::WeightsRefused { message, .. }] if message.contains(part)),
                "{out:?}"
            );
        }
        let two = session.handle(
            ToWorker::ImportWeights {
                request_id: 2,
                name: "two".into(),
            },
            vec![vec![1], vec![2]],
            0.0,
        );
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
}
