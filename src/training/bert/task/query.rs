//! The BERT lab's answers: a sentence or the dummy input classified with its attention, and
//! the test set classified one sentence at a time.

use nn::bert::TokenBatch;
use nn::bert::train::frame_examples;
use nn::loss::softmax;
use nn::tokenizer::WordPiece;

use super::{
    BertAnswer, BertData, BertQuery, DUMMY_ID, MASK_GUESSES, MAX_ATTENTION_TOKENS, MAX_QUERY_CHARS,
    MaskFill, TEST_SET_SHOWN, TestSetScore,
};

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
        fills: Vec::new(),
        note: None,
    }
}

/// Classifies `query` with `model`; `default_len` is used when the query's length is not one
/// the lab offers.
///
/// # Errors
/// An empty or over-long sentence.
pub fn answer(
    model: &nn::bert::BertClassifier,
    mlm_head: Option<&nn::bert::MlmHead>,
    tokenizer: &WordPiece,
    query: &BertQuery,
    default_len: usize,
) -> Result<BertAnswer, String> {
    let pick = |len: usize| {
        if super::super::config::LENGTHS.contains(&len) {
            len
        } else {
            default_len
        }
    };
    let (ids, max_len, truncated) = match query {
        BertQuery::Sentence { text, max_len } | BertQuery::FillMask { text, max_len } => {
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
            let all = if matches!(query, BertQuery::FillMask { .. }) {
                if mlm_head.is_none() {
                    return Err(NO_MLM_HEAD.into());
                }
                let ids = ids_with_masks(tokenizer, text);
                if !ids.contains(&tokenizer.mask_id) {
                    return Err(NO_MASK_WRITTEN.into());
                }
                ids
            } else {
                tokenizer.token_ids(text)
            };
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
    let fills = match (query, mlm_head) {
        (BertQuery::FillMask { .. }, Some(head)) => {
            let positions: Vec<usize> = ids
                .iter()
                .enumerate()
                .filter(|&(_, &id)| id == tokenizer.mask_id)
                .map(|(at, _)| at)
                .collect();
            if positions.is_empty() {
                return Err(format!(
                    "{NO_MASK_WRITTEN} (The [MASK] was cut off at {max_len} tokens.)"
                ));
            }
            model
                .fill_mask(head, &batch, &positions, MASK_GUESSES)
                .into_iter()
                .zip(&positions)
                .map(|(guesses, &position)| MaskFill {
                    position,
                    guesses: guesses
                        .into_iter()
                        .map(|(id, p)| {
                            (tokenizer.id_to_token(id).unwrap_or("[UNK]").to_string(), p)
                        })
                        .collect(),
                })
                .collect()
        }
        _ => Vec::new(),
    };
    Ok(BertAnswer {
        pieces,
        ids,
        max_len,
        truncated,
        probabilities,
        attention,
        test_set: None,
        fills,
        note: None,
    })
}

/// Why a fill-in query has no answer without a masked-LM head.
pub const NO_MLM_HEAD: &str = "The weights in use have no masked-LM head to guess a [MASK] with: load a pre-trained BERT-tiny that has one (Google's bert_uncased_L-2_H-128_A-2 keeps its cls.predictions tensors). Or train one here: choose “Train: masked LM on the corpus”.";

/// Why a fill-in query without `[MASK]` has no answer.
pub const NO_MASK_WRITTEN: &str =
    "Write [MASK] where a word should be guessed, e.g. “the film was [MASK] .”";

/// The ids of `text` with each `[MASK]` (any letter case) as the mask token, not split into
/// pieces as ordinary text would be.
pub fn ids_with_masks(tokenizer: &WordPiece, text: &str) -> Vec<u32> {
    // ASCII upper-casing keeps every byte offset, so offsets found in `upper` cut `text`.
    let upper = text.to_ascii_uppercase();
    let mut ids = Vec::new();
    let mut from = 0;
    while let Some(at) = upper[from..].find("[MASK]") {
        ids.extend(tokenizer.token_ids(&text[from..from + at]));
        ids.push(tokenizer.mask_id);
        from += at + "[MASK]".len();
    }
    ids.extend(tokenizer.token_ids(&text[from..]));
    ids
}
