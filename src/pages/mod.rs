//! One module per page. Each page renders its own `<h1>`.

mod catalogue;
mod home;
mod not_found;

pub use catalogue::{LabPage, LabsPage, LessonPage, LessonsPage, SimulatorPage, SimulatorsPage};
pub use home::HomePage;
pub use not_found::NotFoundPage;
