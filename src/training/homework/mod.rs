//! The homework lab's pure parts (`#/labs/homework`): what the real machines reported, and the
//! "model vs reality" rows every section adds its figures to. Natively tested; the page only
//! renders these.

pub mod cerebras;
pub mod dp;
pub mod reality;
