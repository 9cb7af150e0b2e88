//! What the course offers: lessons, simulators and labs, with whether each is built yet.
//! Pages and routes look things up here; nothing else lists them.
//!
//! The lessons themselves are the embedded course (`course_data`); the entries here are the
//! names and titles routes need without decoding it, and a test checks that they agree with it
//! (same slugs, in course order, with the front matter's titles).

/// Whether a piece of the course can be used today.
use course::SimArch;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Built and usable.
    Ready,
    /// Planned and being built; its page says so plainly.
    Coming,
}

#[derive(Clone, Copy, Debug)]
pub struct LessonEntry {
    pub slug: &'static str,
    pub title: &'static str,
    pub status: Status,
}

#[derive(Clone, Copy, Debug)]
pub struct SimulatorEntry {
    pub arch: SimArch,
    pub name: &'static str,
    pub models: &'static str,
    pub status: Status,
}

#[derive(Clone, Copy, Debug)]
pub struct LabEntry {
    pub name: &'static str,
    pub title: &'static str,
    pub redoes: &'static str,
    pub status: Status,
}

pub const LESSONS: &[LessonEntry] = &[
    LessonEntry {
        slug: "why-dataflow",
        title: "Why AI workloads suit dataflow machines",
        status: Status::Ready,
    },
    LessonEntry {
        slug: "cerebras-wse",
        title: "Cerebras CS-2 and the WSE-2",
        status: Status::Ready,
    },
    LessonEntry {
        slug: "graphcore-ipu",
        title: "Graphcore IPU",
        status: Status::Ready,
    },
    LessonEntry {
        slug: "sambanova-rdu",
        title: "SambaNova SN30 RDU",
        status: Status::Ready,
    },
    LessonEntry {
        slug: "groq-tsp",
        title: "Groq LPU / TSP",
        status: Status::Ready,
    },
    LessonEntry {
        slug: "compared",
        title: "The four compared",
        status: Status::Ready,
    },
    LessonEntry {
        slug: "refactoring",
        title: "Refactoring a model for a testbed",
        status: Status::Ready,
    },
    LessonEntry {
        slug: "homework",
        title: "The homework, and what the machines reported",
        status: Status::Ready,
    },
];

pub const SIMULATORS: &[SimulatorEntry] = &[
    SimulatorEntry {
        arch: SimArch::Gpu,
        name: "GPU baseline",
        models: "A von Neumann baseline: one kernel per operation, each reading its inputs from HBM and writing its output back.",
        status: Status::Ready,
    },
    SimulatorEntry {
        arch: SimArch::Wse,
        name: "Cerebras WSE-2",
        models: "Wavelets hopping across a 2-D mesh of processing elements, one hop per cycle, on colored virtual channels.",
        status: Status::Ready,
    },
    SimulatorEntry {
        arch: SimArch::Ipu,
        name: "Graphcore IPU",
        models: "Bulk-synchronous supersteps: local compute on every tile, a barrier, then a compiler-scheduled exchange.",
        status: Status::Ready,
    },
    SimulatorEntry {
        arch: SimArch::Rdu,
        name: "SambaNova SN30 RDU",
        models: "A spatial pipeline of compute and memory units through which data streams, section by section.",
        status: Status::Ready,
    },
    SimulatorEntry {
        arch: SimArch::Groq,
        name: "Groq TSP",
        models: "A static schedule fixed to the cycle by the compiler: instructions flow north, data flows east and west.",
        status: Status::Ready,
    },
];

pub const LABS: &[LabEntry] = &[
    LabEntry {
        name: "mnist",
        title: "MNIST: learning rate, batch and epochs",
        redoes: "The Graphcore homework: train the MNIST example's network in your browser and sweep its settings, beside what the IPU reported.",
        status: Status::Ready,
    },
    LabEntry {
        name: "bert",
        title: "BERT-tiny: fine-tune, tokenize, look inside",
        redoes: "The model of the Groq homework, trained from scratch in your browser: WordPieces, attention maps, a Naive Bayes baseline, and the dummy input against your own sentence.",
        status: Status::Ready,
    },
    LabEntry {
        name: "homework",
        title: "The homework, redone",
        redoes: "All four homework experiments in one page: the Graphcore grid of learning rate, batch and epochs, the Cerebras batch-size timing, SambaNova's data-parallel tasks across Web Workers, and Groq's BERT-tiny on real input, each beside what the real machine reported.",
        status: Status::Ready,
    },
];

pub fn lesson(slug: &str) -> Option<&'static LessonEntry> {
    LESSONS.iter().find(|l| l.slug == slug)
}

pub fn simulator(arch: SimArch) -> Option<&'static SimulatorEntry> {
    SIMULATORS.iter().find(|s| s.arch == arch)
}

pub fn lab(name: &str) -> Option<&'static LabEntry> {
    LABS.iter().find(|l| l.name == name)
}

/// One experiment of the homework page (`#/labs/homework?at=<at>`).
#[derive(Clone, Copy, Debug)]
pub struct HomeworkSection {
    /// The section's anchor and `at=` value.
    pub at: &'static str,
    /// The machine whose homework it redoes.
    pub machine: &'static str,
    pub title: &'static str,
    /// The lesson fences' lab name that opens this section (`lab cerebras-batch`), if any.
    pub lab: Option<course::LabName>,
    pub status: Status,
}

pub const HOMEWORK: &[HomeworkSection] = &[
    HomeworkSection {
        at: "graphcore",
        machine: "Graphcore IPU",
        title: "Learning rate, batch size and epochs (MNIST)",
        lab: None,
        status: Status::Ready,
    },
    HomeworkSection {
        at: "cerebras",
        machine: "Cerebras CS-2",
        title: "Batch size and run time (BERT)",
        lab: Some(course::LabName::CerebrasBatch),
        status: Status::Ready,
    },
    HomeworkSection {
        at: "sambanova",
        machine: "SambaNova SN30",
        title: "Data-parallel tasks (--ntasks)",
        lab: Some(course::LabName::SambanovaNtasks),
        status: Status::Ready,
    },
    HomeworkSection {
        at: "groq",
        machine: "Groq",
        title: "Your own input instead of dummy input (BERT-tiny)",
        lab: Some(course::LabName::GroqInput),
        status: Status::Ready,
    },
];

pub fn homework_section(at: &str) -> Option<&'static HomeworkSection> {
    HOMEWORK.iter().find(|s| s.at == at)
}

/// What a lesson's lab card opens: its title and whether it is built. A homework experiment
/// opens its section of the homework page.
pub fn lab_card_target(lab: course::LabName) -> Option<(&'static str, Status)> {
    match lab.page() {
        (_, Some(at)) => homework_section(at).map(|s| (s.title, s.status)),
        (page, None) => self::lab(page).map(|l| (l.title, l.status)),
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn names_are_unique_and_url_safe() {
        fn check(names: &[&str]) {
            for (i, name) in names.iter().enumerate() {
                assert!(!names[..i].contains(name), "duplicate {name}");
                assert!(
                    name.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                    "{name} is not a URL-safe slug"
                );
            }
        }
        check(&LESSONS.iter().map(|l| l.slug).collect::<Vec<_>>());
        check(&SIMULATORS.iter().map(|s| s.arch.name()).collect::<Vec<_>>());
        assert_eq!(
            SIMULATORS.iter().map(|s| s.arch).collect::<Vec<_>>(),
            SimArch::ALL,
            "one entry per machine, in course order"
        );
        for entry in SIMULATORS {
            assert_eq!(
                entry.status == Status::Ready,
                crate::simulation::machine(entry.arch).is_some(),
                "{:?}: a simulator is ready exactly when its machine is built",
                entry.arch
            );
        }
        check(&LABS.iter().map(|l| l.name).collect::<Vec<_>>());
    }

    #[test]
    fn lesson_entries_agree_with_the_embedded_course() {
        let course = crate::course_data::course().expect("the embedded course decodes");
        let from_course: Vec<(&str, &str)> = course
            .lessons
            .iter()
            .map(|l| (l.slug.as_str(), l.title.as_str()))
            .collect();
        let from_catalog: Vec<(&str, &str)> = LESSONS.iter().map(|l| (l.slug, l.title)).collect();
        assert_eq!(
            from_catalog, from_course,
            "catalog::LESSONS and lessons/ disagree"
        );
        assert!(LESSONS.iter().all(|l| l.status == Status::Ready));
    }

    #[test]
    fn every_widget_card_in_the_course_names_a_catalogued_simulator_or_lab() {
        let course = crate::course_data::course().expect("the embedded course decodes");
        for (lesson, block) in course.widget_cards() {
            match block {
                course::Block::SimCard(card) => {
                    assert!(
                        simulator(card.arch).is_some(),
                        "{}: {:?}",
                        lesson.slug,
                        card
                    );
                    if let Some(preset) = card.arg("preset") {
                        assert!(
                            crate::simulation::Preset::parse(preset).is_some(),
                            "{}: unknown preset {preset}",
                            lesson.slug
                        );
                    }
                    // The embed builds on its machine with its settings (the build checks the
                    // workload alone; whether this machine maps it, e.g. the CNN on the WSE
                    // mesh, shows only here).
                    let machine = crate::simulation::machine(card.arch).expect("a machine");
                    let built = crate::simulation::SimForm::from_query(machine, &card.args)
                        .parse(machine)
                        .and_then(|setup| machine.build(&setup).map(drop));
                    assert!(built.is_ok(), "{}: {:?}: {built:?}", lesson.slug, card);
                }
                course::Block::CompileCard(card) => {
                    // The card's address opens and compiles on the compile page.
                    let query = card
                        .compile_route()
                        .split_once('?')
                        .map(|(_, q)| crate::query::parse(q))
                        .unwrap_or_default();
                    let compiled = crate::simulation::compile::CompileSetup::from_query(&query)
                        .and_then(|s| s.compile());
                    assert!(
                        compiled.is_ok(),
                        "{}: {:?}: {compiled:?}",
                        lesson.slug,
                        card
                    );
                }
                course::Block::LabCard(card) => {
                    assert!(
                        lab_card_target(card.lab).is_some(),
                        "{}: {:?}",
                        lesson.slug,
                        card
                    );
                    // The card's settings are ones its lab's form accepts.
                    use crate::training::{bert, homework, mnist};
                    let accepted = match card.lab {
                        course::LabName::Mnist => accepts::<mnist::config::LabField>(&card.args),
                        course::LabName::Bert => accepts::<bert::config::BertField>(&card.args),
                        course::LabName::SambanovaNtasks => {
                            accepts::<homework::dp::DpField>(&card.args)
                        }
                        course::LabName::CerebrasBatch => {
                            accepts::<homework::cerebras::CerebrasField>(&card.args)
                        }
                        course::LabName::GroqInput => {
                            accepts::<homework::groq::GroqField>(&card.args)
                        }
                    };
                    assert!(accepted.is_ok(), "{}: {card:?}: {accepted:?}", lesson.slug);
                }
                course::Block::CompareCard(card) => {
                    if let Err(e) = crate::simulation::compare::CompareSetup::from_query(&card.args)
                    {
                        panic!("{}: {:?}: {e}", lesson.slug, card.args);
                    }
                }
                _ => {}
            }
        }
    }

    /// Whether lab `F`'s form accepts a card's arguments (the sentences if not).
    fn accepts<F: crate::training::form::LabFields>(
        args: &[(String, String)],
    ) -> Result<(), String> {
        crate::training::form::Form::<F>::from_query(args)
            .parse()
            .map(|_| ())
            .map_err(|errors| {
                errors
                    .iter()
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
    }

    /// Every simulator a lesson embeds runs the lesson's setup: the machine exists, its form
    /// reads the card's arguments, and the engine builds the run (a preset the machine does
    /// not map would fail here, not in front of a learner). A test rather than a build.rs
    /// check: the machines' mapping lives in this crate, which build.rs cannot link.
    #[test]
    fn every_embedded_simulator_builds_its_lessons_setup() {
        let course = crate::course_data::course().expect("the embedded course decodes");
        let mut n = 0;
        for (lesson, block) in course.widget_cards() {
            if let course::Block::SimCard(card) = block {
                let machine = crate::simulation::machine(card.arch)
                    .unwrap_or_else(|| panic!("{}: {:?} is not built", lesson.slug, card.arch));
                let setup = crate::simulation::SimForm::from_query(machine, &card.args)
                    .parse(machine)
                    .unwrap_or_else(|e| panic!("{}: {:?}: {e}", lesson.slug, card.args));
                if let Err(e) = machine.build(&setup) {
                    panic!("{}: {:?} does not run: {e}", lesson.slug, card);
                }
                n += 1;
            }
        }
        assert!(n >= 8, "the lessons embed {n} simulators");
    }
}
