//! The BERT-tiny lab's own parts: its settings and their URL form, and its worker task
//! (vocabulary and TSV files, fine-tuning and chunked evaluation, sentence queries with their
//! attention maps).

pub mod config;
pub mod results;
pub mod task;
