//! The simulator pages (`#/simulators/<machine>`): one shell for every machine
//! ([`SimulatorShell`]) and, per machine, the picture and panels beside it (a "stage").
//!
//! This module is the one place in the app that matches on the machine for views: [`stage`].
//! Settings, sessions and text come from `crate::simulation`, whose [`crate::simulation::machine`]
//! is the matching dispatch for runs.

mod embed;
mod gpu;
mod groq;
mod ipu;
mod rdu;
mod shell;
mod wse;

pub use embed::{SimEmbed, embeddable};
pub use shell::{SimulatorShell, StageContext};

use course::SimArch;
use leptos::prelude::*;

/// The picture and the machine's own panels of `arch`'s page.
pub fn stage(arch: SimArch, ctx: StageContext) -> AnyView {
    match arch {
        SimArch::Gpu => view! { <gpu::GpuStage ctx /> }.into_any(),
        SimArch::Wse => view! { <wse::WseStage ctx /> }.into_any(),
        SimArch::Ipu => view! { <ipu::IpuStage ctx /> }.into_any(),
        SimArch::Rdu => view! { <rdu::RduStage ctx /> }.into_any(),
        SimArch::Groq => view! { <groq::GroqStage ctx /> }.into_any(),
    }
}
