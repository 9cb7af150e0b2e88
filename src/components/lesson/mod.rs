//! The lesson page's pieces: the typed-content renderer and the quiz.

pub mod body;
pub mod predict;
pub mod quiz;

pub use quiz::QuizCard;
