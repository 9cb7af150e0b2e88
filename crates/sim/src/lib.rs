//! Execution-model simulators for the machines the course compares: a GPU baseline and the
//! dataflow accelerators (Cerebras WSE-2, Graphcore IPU, SambaNova RDU, Groq TSP).
//!
//! Pure Rust: no I/O, no clock, no global randomness. The same config and workload give the
//! same cycles and numbers on every run and on every target (native and wasm).
