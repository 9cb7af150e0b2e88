//! Masking for masked-LM pre-training, BERT's recipe: each ordinary token is chosen with
//! probability `p` (0.15); a chosen token becomes `[MASK]` 80% of the time, a random token 10%,
//! and stays itself 10%. The model predicts the original token at every chosen position
//! (through [`super::MlmHead`]).

use crate::rng::{Rng, index_below, uniform_unit};

/// A masked sequence and what to predict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaskedSequence {
    /// The input ids, with some tokens replaced.
    pub ids: Vec<u32>,
    /// `(position, original id)` of every chosen token, in order.
    pub targets: Vec<(usize, u32)>,
}

/// Masks `ids` (special tokens such as `[CLS]`, `[SEP]`, `[PAD]`, listed in `special`, are never
/// chosen). Random replacements are drawn from ids `first_ordinary..vocab_size`.
pub fn mask_tokens(
    ids: &[u32],
    special: &[u32],
    mask_id: u32,
    first_ordinary: u32,
    vocab_size: u32,
    p: f32,
    rng: &mut Rng,
) -> MaskedSequence {
    let mut out = ids.to_vec();
    let mut targets = Vec::new();
    for (position, &id) in ids.iter().enumerate() {
        if special.contains(&id) || uniform_unit(rng) >= p {
            continue;
        }
        targets.push((position, id));
        let roll = uniform_unit(rng);
        if roll < 0.8 {
            out[position] = mask_id;
        } else if roll < 0.9 && vocab_size > first_ordinary {
            out[position] =
                first_ordinary + index_below(rng, (vocab_size - first_ordinary) as usize) as u32;
        }
    }
    MaskedSequence { ids: out, targets }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::rng_from_seed;

    #[test]
    fn about_15_percent_are_chosen_and_80_percent_of_those_masked() {
        let ids: Vec<u32> = (0..20_000).map(|i| 1000 + (i % 500)).collect();
        let mut with_specials = vec![101];
        with_specials.extend(&ids);
        with_specials.push(102);
        let masked = mask_tokens(
            &with_specials,
            &[0, 101, 102],
            103,
            999,
            30_522,
            0.15,
            &mut rng_from_seed(1),
        );
        assert_eq!(masked.ids[0], 101);
        assert_eq!(masked.ids.last(), Some(&102));
        let chosen = masked.targets.len() as f64 / ids.len() as f64;
        assert!((0.14..0.16).contains(&chosen), "chosen {chosen}");
        let n_masked = masked
            .targets
            .iter()
            .filter(|&&(p, _)| masked.ids[p] == 103)
            .count();
        let share = n_masked as f64 / masked.targets.len() as f64;
        assert!((0.77..0.83).contains(&share), "masked share {share}");
        for &(position, original) in &masked.targets {
            assert_eq!(with_specials[position], original);
        }
    }
}
