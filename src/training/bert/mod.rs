//! The BERT-tiny lab's own parts: its settings and their URL form, and its worker task
//! (vocabulary, TSV files and corpus text, fine-tuning and chunked evaluation, the masked-LM
//! run on the corpus, sentence and `[MASK]` queries with their attention maps), and its
//! masked-LM timing sweep (`timing`).

pub mod config;
pub mod results;
pub mod task;
pub mod timing;
