//! The BERT lab's dataset: the vocabulary and two TSV files read, every sentence tokenized
//! once, and the Naive Bayes baseline fitted on the same tokens.

use nn::bert::naive_bayes::NaiveBayes;
use nn::bert::train::{EncodedExample, frame_examples, unigrams};
use nn::text_data::{LabelledSentence, read_labelled_tsv};
use nn::tokenizer::WordPiece;

use super::{BertFile, N_CLASSES};

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
    pub(super) fn examples(
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
