//! Plain text for masked-LM runs, made ready the one way the page and the native command
//! share: the lines split into training and held-out ones (every [`HELD_OUT_EVERY`]th held
//! out, so the held-out lines come from every part of the text), both packed end to end into
//! sequences of exactly the run's length (as BERT's pre-training data is packed), and the
//! held-out sequences scored in fixed chunks with fixed masks ([`held_out_chunk`]), so a
//! loss measured after any epoch, in a browser or natively, is the same measurement.

use super::pretrain::{MlmEvaluation, MlmTrainer};

/// Every this-many-th line is held out.
pub const HELD_OUT_EVERY: usize = 10;
/// Held-out sequences scored (at most): enough masked positions for a steady figure, few
/// enough that scoring them takes a fraction of an epoch.
pub const MAX_HELD_OUT: usize = 32;
/// Held-out sequences per scoring chunk (a bounded piece of work for a worker).
pub const HELD_OUT_CHUNK: usize = 8;
/// Seeds the held-out masks: chunk `k` uses this + `k`.
const HELD_OUT_SEED: u64 = 0x6d6c_6d00;

/// A corpus's lines (WordPiece ids without `[CLS]`/`[SEP]`), split.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MlmCorpus {
    /// Lines a run trains on.
    pub train: Vec<Vec<u32>>,
    /// Lines held out for scoring.
    pub held_out: Vec<Vec<u32>>,
}

impl MlmCorpus {
    /// Splits `lines` (empty ones dropped): every [`HELD_OUT_EVERY`]th held out.
    pub fn split(lines: impl IntoIterator<Item = Vec<u32>>) -> Self {
        let mut corpus = Self::default();
        for (idx, ids) in lines.into_iter().filter(|l| !l.is_empty()).enumerate() {
            if idx % HELD_OUT_EVERY == HELD_OUT_EVERY - 1 {
                corpus.held_out.push(ids);
            } else {
                corpus.train.push(ids);
            }
        }
        corpus
    }

    /// The first `n_lines` (or all) training lines packed into sequences of `seq` tokens.
    pub fn train_sequences(
        &self,
        n_lines: Option<usize>,
        cls_id: u32,
        sep_id: u32,
        seq: usize,
    ) -> Vec<Vec<u32>> {
        let n = n_lines.unwrap_or(usize::MAX).min(self.train.len());
        pack_sequences(&self.train[..n], cls_id, sep_id, seq)
    }

    /// The held-out lines packed into sequences of `seq` tokens, at most [`MAX_HELD_OUT`].
    pub fn held_out_sequences(&self, cls_id: u32, sep_id: u32, seq: usize) -> Vec<Vec<u32>> {
        let mut packed = pack_sequences(&self.held_out, cls_id, sep_id, seq);
        packed.truncate(MAX_HELD_OUT);
        packed
    }
}

/// Packs `sentences` (WordPiece ids without `[CLS]`/`[SEP]`) end to end into sequences of
/// exactly `seq` tokens, each framed `[CLS]` … `[SEP]`; the tail that does not fill one is
/// dropped. A `seq` of 2 or less holds no token and packs nothing.
#[must_use]
pub fn pack_sequences(
    sentences: &[Vec<u32>],
    cls_id: u32,
    sep_id: u32,
    seq: usize,
) -> Vec<Vec<u32>> {
    let Some(body) = seq.checked_sub(2).filter(|&b| b > 0) else {
        return Vec::new();
    };
    let stream: Vec<u32> = sentences.iter().flatten().copied().collect();
    stream
        .chunks_exact(body)
        .map(|chunk| {
            let mut ids = Vec::with_capacity(seq);
            ids.push(cls_id);
            ids.extend_from_slice(chunk);
            ids.push(sep_id);
            ids
        })
        .collect()
}

/// Chunk `chunk_idx` of the held-out scoring (`None` past the end): the same sequences with
/// the same masks whenever it is asked.
pub fn held_out_chunk(
    trainer: &MlmTrainer,
    held_out: &[Vec<u32>],
    chunk_idx: usize,
) -> Option<MlmEvaluation> {
    let chunk = held_out.chunks(HELD_OUT_CHUNK).nth(chunk_idx)?;
    Some(trainer.evaluate_chunk(chunk, HELD_OUT_SEED + chunk_idx as u64))
}

/// All of the held-out scoring at once (what [`held_out_chunk`] adds up to).
pub fn held_out_evaluation(trainer: &MlmTrainer, held_out: &[Vec<u32>]) -> MlmEvaluation {
    let mut total = MlmEvaluation::default();
    let mut chunk_idx = 0;
    while let Some(part) = held_out_chunk(trainer, held_out, chunk_idx) {
        total.add(&part);
        chunk_idx += 1;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_fills_every_sequence_to_its_length() {
        let sentences = vec![vec![10, 11, 12], vec![13, 14], vec![15, 16, 17, 18]];
        let packed = pack_sequences(&sentences, 1, 2, 5);
        // 9 tokens in bodies of 3: three sequences, nothing dropped.
        assert_eq!(
            packed,
            vec![
                vec![1, 10, 11, 12, 2],
                vec![1, 13, 14, 15, 2],
                vec![1, 16, 17, 18, 2]
            ]
        );
        assert_eq!(
            pack_sequences(&sentences, 1, 2, 10).len(),
            1,
            "the tail of 1 is dropped"
        );
        assert!(pack_sequences(&sentences, 1, 2, 2).is_empty());
        assert!(pack_sequences(&sentences, 1, 2, 0).is_empty());
    }

    #[test]
    fn every_tenth_line_is_held_out_and_both_parts_pack() {
        let lines: Vec<Vec<u32>> = (0..25_u32)
            .map(|i| {
                if i == 3 {
                    Vec::new()
                } else {
                    vec![1000 + i; 5]
                }
            })
            .collect();
        let corpus = MlmCorpus::split(lines);
        // 24 non-empty lines: the 10th and 20th of them are held out.
        assert_eq!((corpus.train.len(), corpus.held_out.len()), (22, 2));
        assert_eq!(corpus.held_out[0], vec![1010; 5], "the 10th non-empty line");
        assert_eq!(corpus.train_sequences(Some(4), 101, 102, 7).len(), 4);
        assert_eq!(corpus.train_sequences(None, 101, 102, 12).len(), 11);
        assert_eq!(corpus.held_out_sequences(101, 102, 7).len(), 2);
        let long = MlmCorpus::split((0..2_000).map(|_| vec![1000_u32; 30]));
        assert_eq!(long.held_out_sequences(101, 102, 32).len(), MAX_HELD_OUT);
    }
}
