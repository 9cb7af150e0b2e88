//! What a person does, in headless Chromium against a release build served by a plain static
//! file server. Run by `cargo xtask test`, which builds the site and sets the environment.
//! One module per part of the site.
#![cfg(not(target_arch = "wasm32"))]

mod steps;
mod support;

mod a11y;
mod bert;
mod compare;
mod compile;
mod csp;
mod homework;
mod homework_cerebras;
mod homework_dp;
mod keyboard;
mod lesson_embeds;
mod lessons;
mod mnist;
mod offline;
mod predict;
mod shell;
mod simulators;
