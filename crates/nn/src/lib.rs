//! A small training engine on ndarray: layers as forward/backward pairs, losses, optimizers,
//! models (MLP, the Graphcore MNIST CNN) and dataset readers (IDX).
//!
//! Pure Rust: no I/O beyond the bytes a caller hands in, no clock, all randomness seeded.
