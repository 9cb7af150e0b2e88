//! The course model: lessons, quizzes, validation, grading and the progress schema.
//!
//! Lessons and quizzes are parsed and validated at build time; the app embeds typed data.
