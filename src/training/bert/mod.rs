//! The BERT-tiny lab's own parts: its settings and their URL form, and its worker task
//! (vocabulary and TSV files, fine-tuning and chunked evaluation, sentence queries with their
//! attention maps), and its masked-LM timing sweep (`timing`).

pub mod config;
pub mod results;
pub mod task;
pub mod timing;
