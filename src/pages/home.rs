use leptos::prelude::*;

use crate::route::Route;

/// The landing page: what the course is, and the way into its three pillars.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <section class="hero">
            <h1>"Testbed Lab"</h1>
            <p class="hero__lead">
                "How do the machines built for AI differ from a GPU, and why? This course takes "
                "four of them: the Cerebras CS-2, the Graphcore IPU, the SambaNova SN30 and the "
                "Groq chip, and lets you see them work. You read how each is built and programmed, "
                "watch a simulation of how it runs a model, and redo the homework of a "
                "supercomputing centre's training session, all in this page. No account on a "
                "supercomputer, no install."
            </p>
        </section>
        <section class="pillars" aria-label="The three parts of the course">
            <a class="pillar" href=Route::Lessons.href()>
                <h2 class="pillar__title">"Lessons and quizzes"</h2>
                <p>
                    "What makes these systems suit AI workloads: dataflow instead of an "
                    "instruction stream, memory spread among the cores instead of far away. How "
                    "the four differ, and how a model is refactored, compiled and run on each."
                </p>
                <span class="pillar__go">"Start reading →"</span>
            </a>
            <a class="pillar" href=Route::Simulators.href()>
                <h2 class="pillar__title">"Simulators"</h2>
                <p>
                    "The execution model of each machine, step by step on the same workloads: "
                    "wavelets crossing the wafer's mesh, the IPU's compute–sync–exchange "
                    "supersteps, the RDU's spatial pipeline, Groq's cycle-exact schedule, and a "
                    "GPU baseline that goes back to memory for every kernel."
                </p>
                <span class="pillar__go">"Open the simulators →"</span>
            </a>
            <a class="pillar" href=Route::Labs.href()>
                <h2 class="pillar__title">"Labs"</h2>
                <p>
                    "Real training at small scale, in your browser: MNIST and BERT-tiny. Sweep "
                    "the learning rate, the batch size and the epochs, or the number of "
                    "data-parallel tasks, and compare with what the real testbeds reported."
                </p>
                <span class="pillar__go">"Go to the labs →"</span>
            </a>
        </section>
    }
}
