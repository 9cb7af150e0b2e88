//! The MNIST lab's own parts: its settings and their URL form, its worker task (IDX files,
//! training and chunked evaluation, digit queries), the drawn-digit preprocessing, and its
//! results (CSV, the Graphcore sweep beside the IPU's figures).

pub mod config;
pub mod drawing;
pub mod results;
pub mod task;
