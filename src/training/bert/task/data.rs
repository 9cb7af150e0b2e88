//! The BERT lab's dataset: the vocabulary and two TSV files read, every sentence tokenized
//! once, and the Naive Bayes baseline fitted on the same tokens.

use nn::bert::corpus::{HELD_OUT_EVERY, MlmCorpus};
use nn::bert::naive_bayes::NaiveBayes;
use nn::bert::train::{EncodedExample, frame_examples, unigrams};
use nn::text_data::{LabelledSentence, read_labelled_tsv};
use nn::tokenizer::WordPiece;

use super::{BertFile, CorpusInfo, N_CLASSES};

/// Labelled sentences with their WordPiece ids.
#[derive(Clone, Debug)]
pub struct TokenizedSet {
    pub sentences: Vec<LabelledSentence>,
    pub ids: Vec<Vec<u32>>,
}

impl TokenizedSet {
    pub(super) fn new(tokenizer: &WordPiece, sentences: Vec<LabelledSentence>) -> Self {
        let ids = sentences
            .iter()
            .map(|s| tokenizer.token_ids(&s.sentence))
            .collect();
        Self { sentences, ids }
    }

    /// The first `n` (or all) sentences framed for a model of `max_len` tokens.
    pub fn examples(
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
    /// The masked-LM text, when it came.
    pub corpus: Option<Corpus>,
}

/// The masked-LM text, tokenized and split (`nn`'s [`MlmCorpus`]: every
/// [`HELD_OUT_EVERY`]th line held out), with what the page is told about it.
#[derive(Clone, Debug)]
pub struct Corpus {
    pub lines: MlmCorpus,
    pub info: CorpusInfo,
}

impl Corpus {
    /// Reads plain text, one sentence a line (blank lines skipped).
    ///
    /// # Errors
    /// Text that is not UTF-8, or too few lines to hold some back.
    pub fn read(tokenizer: &WordPiece, bytes: &[u8]) -> Result<Self, String> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| "The corpus text is not UTF-8 text.".to_string())?;
        let lines = MlmCorpus::split(text.lines().map(|l| tokenizer.token_ids(l)));
        let n_lines = lines.train.len() + lines.held_out.len();
        if lines.held_out.is_empty() {
            return Err(format!(
                "The corpus text has {n_lines} sentences; a masked-LM run needs at least {HELD_OUT_EVERY}, one of them held out."
            ));
        }
        let info = unigram_info(tokenizer, &lines.train, &lines.held_out);
        Ok(Self { lines, info })
    }
}

/// What knowing only the training part's WordPiece frequencies scores on the held-out part,
/// over the positions a masked-LM run may choose (special tokens never are).
fn unigram_info(tokenizer: &WordPiece, train: &[Vec<u32>], held_out: &[Vec<u32>]) -> CorpusInfo {
    let vocab = tokenizer.vocab_size();
    let special = [
        tokenizer.pad_id,
        tokenizer.unk_id,
        tokenizer.cls_id,
        tokenizer.sep_id,
        tokenizer.mask_id,
    ];
    let ordinary = |ids: &[Vec<u32>]| -> Vec<usize> {
        ids.iter()
            .flatten()
            .filter(|id| !special.contains(id))
            .map(|&id| id as usize)
            .filter(|&id| id < vocab)
            .collect()
    };
    let mut counts = vec![0_u64; vocab];
    let train_tokens = ordinary(train);
    for &id in &train_tokens {
        counts[id] += 1;
    }
    let top = (0..vocab)
        .max_by_key(|&id| (counts[id], std::cmp::Reverse(id)))
        .unwrap_or(0);
    let held = ordinary(held_out);
    let denominator = (train_tokens.len() + vocab) as f64;
    let loss_sum: f64 = held
        .iter()
        .map(|&id| -((counts[id] + 1) as f64 / denominator).ln())
        .sum();
    let n_held = held.len().max(1) as f64;
    CorpusInfo {
        n_train_sentences: train.len(),
        n_train_tokens: train.iter().map(Vec::len).sum(),
        n_held_out_sentences: held_out.len(),
        unigram_loss: (loss_sum / n_held) as f32,
        top_piece: tokenizer
            .id_to_token(top as u32)
            .unwrap_or("[UNK]")
            .to_string(),
        top_piece_share: (held.iter().filter(|&&id| id == top).count() as f64 / n_held) as f32,
    }
}

/// Reads the vocabulary, the two TSV files (raw or gzip) and, when a fourth file comes, the
/// masked-LM text.
///
/// # Errors
/// The file at fault and a sentence naming the line.
pub fn load_data(files: &[Vec<u8>]) -> Result<BertData, (Option<BertFile>, String)> {
    let (vocab, train, test, corpus) = match files {
        [vocab, train, test] => (vocab, train, test, None),
        [vocab, train, test, corpus] => (vocab, train, test, Some(corpus)),
        _ => {
            return Err((
                None,
                format!(
                    "Three files are needed (a fourth, the corpus text, may follow); {} arrived.",
                    files.len()
                ),
            ));
        }
    };
    let vocab = std::str::from_utf8(vocab).map_err(|_| {
        (
            Some(BertFile::Vocab),
            "The vocabulary is not UTF-8 text: a vocab.txt has one token per line.".to_string(),
        )
    })?;
    let tokenizer = WordPiece::from_vocab_txt(vocab).map_err(|e| {
        (
            Some(BertFile::Vocab),
            format!("{}.", crate::text::capitalised(&e.to_string())),
        )
    })?;
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
    let corpus = corpus
        .map(|bytes| Corpus::read(&tokenizer, bytes).map_err(|e| (Some(BertFile::Corpus), e)))
        .transpose()?;
    Ok(BertData {
        tokenizer,
        train,
        test,
        naive_bayes_accuracy,
        corpus,
    })
}
