//! Training in the browser, for every lab: the messages between a lab's page and its Web
//! Worker (one envelope, each lab's payloads inside), what the worker does (a generic
//! session over a lab's [`session::WorkerTask`], plain and natively tested), what the page
//! knows (a pure reducer, [`state::LabModel`]), and the browser glue. Each lab's own parts
//! live in a module of their own ([`mnist`], [`bert`]).
//!
//! The worker bin (`src/bin/worker.rs`) calls [`worker::start`], which serves the lab named in
//! its address; the page talks to it through [`client::WorkerClient`]. The glue modules
//! compile everywhere but only work in a browser.

pub mod bert;
pub mod client;
pub mod form;
pub mod homework;
pub mod mnist;
pub mod protocol;
pub mod session;
pub mod state;
pub mod text;
pub mod worker;
