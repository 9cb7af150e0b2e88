//! Training in the browser for the MNIST lab: the settings and their URL form, the messages
//! between the page and its Web Worker, what the worker does (as plain, natively tested Rust),
//! the drawn-digit preprocessing, and the results the page keeps.
//!
//! The worker bin (`src/bin/worker.rs`) calls [`worker::start`]; the page talks to it through
//! [`client::WorkerClient`]. The glue modules compile everywhere but only work in a browser.

pub mod client;
pub mod config;
pub mod drawing;
pub mod protocol;
pub mod results;
pub mod session;
pub mod worker;
