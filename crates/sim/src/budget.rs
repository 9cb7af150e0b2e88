//! The host-memory budget: how much memory the simulation's own data (weights, inputs,
//! queues, tables) may take in the learner's browser tab.
//!
//! Every public constructor that allocates in proportion to a size it is given estimates
//! those bytes first and refuses, with [`SimError::OverMemoryBudget`], anything above
//! [`HOST_MEMORY_BUDGET`], so a typo in a size is a sentence on the page instead of a tab
//! that aborts allocating terabytes.

use crate::error::SimError;
use crate::units::Bytes;

/// 256 MiB: the most host memory a simulation's own data may take. A modelling limit of
/// this site (a browser tab has a few GiB at most, shared with the page), not a machine
/// figure.
pub const HOST_MEMORY_BUDGET: Bytes = Bytes(256 << 20);

/// Refuses `estimate` bytes for `what` when over [`HOST_MEMORY_BUDGET`]. Build the estimate
/// with saturating arithmetic: an overflow is over the budget too.
pub(crate) fn check_budget(what: &str, estimate: u64) -> Result<(), SimError> {
    if estimate > HOST_MEMORY_BUDGET.0 {
        Err(SimError::OverMemoryBudget {
            what: what.to_owned(),
            estimate: Bytes(estimate),
            budget: HOST_MEMORY_BUDGET,
        })
    } else {
        Ok(())
    }
}

/// `4 · (a · b + c · d + e)` bytes of f32 values, saturating.
pub(crate) fn f32_bytes(products: &[(u64, u64)]) -> u64 {
    products
        .iter()
        .fold(0_u64, |sum, &(a, b)| {
            sum.saturating_add(a.saturating_mul(b))
        })
        .saturating_mul(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_is_stated_in_words() {
        let err = check_budget("the weights", 1 << 40).unwrap_err();
        assert_eq!(
            err.to_string(),
            "The weights would need about 1024.00 GiB of memory in your browser, above the \
             simulator's budget of 256.00 MiB; use smaller sizes."
        );
        assert!(check_budget("x", HOST_MEMORY_BUDGET.0).is_ok());
        assert_eq!(f32_bytes(&[(u64::MAX, 2)]), u64::MAX);
        assert_eq!(f32_bytes(&[(2, 3), (1, 1)]), 28);
    }
}
