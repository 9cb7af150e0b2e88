//! One module per page or section. Each page renders its own `<h1>`.

pub mod bert;
mod catalogue;
mod compare;
mod compile;
mod home;
mod homework;
mod labs;
pub mod lessons;
pub mod mnist;
mod not_found;
mod progress;
pub mod simulator;
mod simulators;

pub use compare::ComparePage;
pub use compile::CompilePage;
pub use home::HomePage;
pub use labs::{LabPage, LabsPage};
pub use lessons::{LessonPage, LessonsPage};
pub use not_found::NotFoundPage;
pub use progress::ProgressPage;
pub use simulators::{SimulatorPage, SimulatorsPage};
