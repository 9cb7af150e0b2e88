//! Validation errors: a file, a line, and what is wrong.

use std::fmt;

/// One problem in the course sources, displayed as `lessons/03-x.md:12: what is wrong`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// The file, relative to the folder holding `lessons/` (e.g. `lessons/03-x.md`).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.problem)
    }
}

impl std::error::Error for ValidationError {}

/// Everything that can be wrong with a lesson or quiz file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    // --- files
    /// A file or folder could not be read.
    #[error("cannot read: {detail}")]
    Unreadable {
        /// The I/O error.
        detail: String,
    },
    /// The lessons folder has no lesson.
    #[error("no lesson files (NN-slug.md) in this folder")]
    NoLessons,
    /// A `.md` file starting with a digit that is not `NN-slug.md`.
    #[error(
        "a lesson file is named NN-slug.md (two digits, a dash, then lowercase letters, digits and dashes); `{name}` is not"
    )]
    BadFileName {
        /// The file name.
        name: String,
    },
    /// Two files with the same slug.
    #[error("the slug `{slug}` is also used by {other}")]
    DuplicateSlug {
        /// The slug.
        slug: String,
        /// The other file.
        other: String,
    },

    // --- front matter
    /// The file does not start with `+++`.
    #[error("a lesson starts with a `+++` line opening its TOML front matter")]
    MissingFrontMatter,
    /// No closing `+++`.
    #[error("the front matter opened on line 1 is never closed by a `+++` line")]
    UnclosedFrontMatter,
    /// TOML syntax or schema error in the front matter.
    #[error("front matter: {message}")]
    FrontMatter {
        /// The TOML parser's message.
        message: String,
    },
    /// A required text field is empty.
    #[error("front matter: `{field}` is empty")]
    EmptyField {
        /// The field.
        field: &'static str,
    },
    /// `order` differs from the file's number.
    #[error(
        "front matter: order = {order}, but the file name starts with {prefix:02}; make them equal"
    )]
    OrderMismatch {
        /// The `order` field.
        order: u32,
        /// The file's `NN`.
        prefix: u32,
    },
    /// Two lessons with the same order.
    #[error("order {order} is also used by {other}")]
    DuplicateOrder {
        /// The order.
        order: u32,
        /// The other file.
        other: String,
    },
    /// A prerequisite that is not a lesson.
    #[error("prerequisite `{slug}` is not a lesson (lessons: {known})")]
    UnknownPrerequisite {
        /// The slug.
        slug: String,
        /// The lesson slugs, comma-separated.
        known: String,
    },
    /// A prerequisite that comes at or after this lesson.
    #[error("prerequisite `{slug}` does not come before this lesson in course order")]
    LaterPrerequisite {
        /// The slug.
        slug: String,
    },
    /// Two `[[sources]]` with the same id.
    #[error("source id `{id}` is used twice")]
    DuplicateSourceId {
        /// The id.
        id: String,
    },
    /// A source `url` that is not http(s).
    #[error("source url `{url}` is not an http:// or https:// address")]
    BadSourceUrl {
        /// The url.
        url: String,
    },

    // --- Markdown
    /// `[^id]` without a matching source.
    #[error("citation [^{id}] names no [[sources]] entry (sources: {known})")]
    UnknownCitation {
        /// The cited id.
        id: String,
        /// The lesson's source ids, comma-separated.
        known: String,
    },
    /// A `[^id]: text` definition.
    #[error(
        "footnote definitions are not used: put the reference in the front matter's [[sources]] and cite it as [^id]"
    )]
    FootnoteDefinition,
    /// A level-1 heading.
    #[error(
        "no `#` heading in a lesson (the title comes from the front matter): start sections at `##`"
    )]
    H1,
    /// Something not allowed in quiz text (headings, widgets, figures, citations…).
    #[error("{what} cannot appear in quiz text")]
    NotInQuiz {
        /// What it was.
        what: &'static str,
    },
    /// Raw HTML.
    #[error("raw HTML is not rendered: write Markdown instead (HTML comments are fine)")]
    RawHtml,
    /// A number with a unit, a percentage or a rate on a line with no citation.
    #[error(
        "the figure `{figure}` has no source on its line: cite one ([^id]) or say what it is derived from (\"derived from …\")"
    )]
    UnsourcedFigure {
        /// The figure as written.
        figure: String,
    },
    /// A link to a lesson that does not exist.
    #[error("link to lesson `{slug}`, which does not exist (lessons: {known})")]
    UnknownLesson {
        /// The slug.
        slug: String,
        /// The lesson slugs, comma-separated.
        known: String,
    },
    /// A link to an anchor that does not exist.
    #[error(
        "link to `#{anchor}` in lesson `{slug}`, which has no such heading (its anchors: {known})"
    )]
    UnknownAnchor {
        /// The lesson.
        slug: String,
        /// The anchor.
        anchor: String,
        /// That lesson's anchors, comma-separated.
        known: String,
    },
    /// A link target of no known kind.
    #[error(
        "link target `{href}` is not https://…, http://…, mailto:…, lesson:slug, lesson:slug#anchor or #anchor"
    )]
    UnsupportedLink {
        /// The target.
        href: String,
    },
    /// An image mixed with other content.
    #[error("an image must be alone in its paragraph (it becomes a figure)")]
    FigureNotAlone,
    /// A figure path outside `figures/`.
    #[error("figure paths are `figures/<file>` (a file in public/figures/); `{src}` is not")]
    BadFigurePath {
        /// The path.
        src: String,
    },
    /// A figure file that does not exist.
    #[error("figure `{src}` does not exist (looked for {looked_for})")]
    MissingFigure {
        /// The path in the lesson.
        src: String,
        /// Where it was looked for.
        looked_for: String,
    },
    /// A figure without alt text.
    #[error("figure `{src}` needs alt text: ![what the figure shows]({src})")]
    MissingAlt {
        /// The path.
        src: String,
    },
    /// A fence with key=value arguments whose first word is not a widget.
    #[error("unknown widget `{name}` (widgets: sim, lab)")]
    UnknownWidget {
        /// The first word of the fence.
        name: String,
    },
    /// A fence whose single word is no known language.
    #[error("unknown code language `{lang}` (known: {known})")]
    UnknownCodeLanguage {
        /// The word.
        lang: String,
        /// The known languages.
        known: String,
    },
    /// A `sim` fence with a missing or unknown architecture.
    #[error("`sim` needs an architecture first: one of gpu, wse, ipu, rdu, groq (found `{found}`)")]
    UnknownSimArch {
        /// What was there.
        found: String,
    },
    /// A `lab` fence with a missing or unknown lab.
    #[error(
        "`lab` needs a lab name first: one of mnist, cerebras-batch, groq-input, sambanova-ntasks (found `{found}`)"
    )]
    UnknownLab {
        /// What was there.
        found: String,
    },
    /// A widget argument that is not `key=value`.
    #[error(
        "widget argument `{arg}` is not key=value (letters, digits, `-`, `_` and `.`, nothing empty)"
    )]
    BadWidgetArg {
        /// The argument.
        arg: String,
    },
    /// A widget argument given twice.
    #[error("widget argument `{key}` is given twice")]
    DuplicateWidgetArg {
        /// The key.
        key: String,
    },
    /// A `sim`, `compile` or `compare` embed whose workload the simulators refuse.
    #[error("the `{fence}` embed: {message}")]
    BadWidgetSetup {
        /// The fence's first words (`sim wse`).
        fence: String,
        /// Why, from the simulators' own preset parser and workload builder.
        message: String,
    },
    /// A widget body of more than one line.
    #[error("a widget's caption is one line; this one has {n_lines}")]
    LongWidgetCaption {
        /// Non-empty lines found.
        n_lines: usize,
    },
    /// `{{#something}}` other than `{{#quiz …}}`.
    #[error(
        "unknown directive `{text}`: the only one is {{{{#quiz quizzes/NN-slug.toml}}}} on its own line"
    )]
    UnknownDirective {
        /// The paragraph's text.
        text: String,
    },
    /// A quiz path that is not `quizzes/<name>.toml`.
    #[error("the quiz path must be quizzes/<name>.toml, relative to lessons/; `{path}` is not")]
    BadQuizPath {
        /// The path.
        path: String,
    },
    /// A quiz file that does not exist.
    #[error("quiz file `{path}` does not exist")]
    MissingQuizFile {
        /// The path.
        path: String,
    },
    /// The same quiz included twice.
    #[error("quiz `{quiz_id}` is already included at {other}")]
    QuizIncludedTwice {
        /// The quiz.
        quiz_id: String,
        /// Where it was first included.
        other: String,
    },

    // --- quizzes
    /// TOML syntax or schema error in a quiz file.
    #[error("{message}")]
    QuizToml {
        /// The TOML parser's message.
        message: String,
    },
    /// A quiz with no questions.
    #[error("the quiz has no [[questions]]")]
    NoQuestions,
    /// A quiz file no lesson includes.
    #[error("no lesson includes this quiz: add {{{{#quiz quizzes/{file_name}}}}} to a lesson")]
    QuizNotIncluded {
        /// The quiz's file name.
        file_name: String,
    },
    /// A `type` that is not supported.
    #[error(
        "unknown question type `{found}` (types: MultipleChoice, ShortAnswer, Numeric, Order, Predict)"
    )]
    UnknownQuestionType {
        /// The type given.
        found: String,
    },
    /// A question without `id`.
    #[error("every question needs an `id`, unique across the course")]
    MissingQuestionId,
    /// The same id twice.
    #[error("question id `{id}` is also used at {other}")]
    DuplicateQuestionId {
        /// The id.
        id: String,
        /// Where it was first used.
        other: String,
    },
    /// A required field is missing for this question type.
    #[error("a {question_type} question needs `{field}`")]
    MissingQuestionField {
        /// The type.
        question_type: &'static str,
        /// The dotted field name.
        field: &'static str,
    },
    /// A field that this question type does not use.
    #[error("`{field}` is not used by {question_type} questions")]
    FieldNotForType {
        /// The type.
        question_type: &'static str,
        /// The dotted field name.
        field: &'static str,
    },
    /// A required text is empty.
    #[error("`{field}` is empty")]
    EmptyText {
        /// The dotted field name.
        field: &'static str,
    },
    /// `answer.answer` of the wrong TOML type.
    #[error("`answer.answer` of a {question_type} question must be {expected}")]
    WrongAnswerType {
        /// The type.
        question_type: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// No distractors.
    #[error(
        "`prompt.distractors` is empty: a MultipleChoice question needs at least one wrong choice"
    )]
    EmptyDistractors,
    /// An answer that is also a distractor.
    #[error("the answer `{answer}` is also listed among the distractors")]
    AnswerAmongDistractors {
        /// The answer.
        answer: String,
    },
    /// The same choice twice.
    #[error("the choice `{choice}` is listed twice")]
    DuplicateChoice {
        /// The choice.
        choice: String,
    },
    /// `prompt.answerIndex` outside the choices.
    #[error("`prompt.answerIndex` = {index} is not among the {n_choices} choices (0-based)")]
    AnswerIndexOutOfRange {
        /// The index.
        index: usize,
        /// How many choices there are.
        n_choices: usize,
    },
    /// `prompt.answerIndex` with several answers.
    #[error("`prompt.answerIndex` needs a single answer")]
    AnswerIndexWithMulti,
    /// A non-finite number or a negative tolerance.
    #[error("`{field}` must be a finite number{constraint}")]
    BadNumber {
        /// The field.
        field: &'static str,
        /// Extra constraint, e.g. " >= 0".
        constraint: &'static str,
    },
    /// A numeric question's known wrong answer that its tolerance would accept.
    #[error(
        "`answer.mistakes` lists {value}, but the tolerance ± {tolerance} around the answer {answer} accepts it: tighten the tolerance or drop the mistake"
    )]
    ToleranceAdmitsMistake {
        /// The listed wrong value, as written.
        value: String,
        /// The expected value.
        answer: String,
        /// The tolerance.
        tolerance: String,
    },
    /// A numeric question's known wrong answer without its explanation.
    #[error("each of `answer.mistakes` needs a `why`: the slip that leads to that number")]
    EmptyMistakeWhy,
    /// An ordering question with fewer than two items.
    #[error("`answer.order` needs at least two items")]
    TooFewItems,
    /// An ordering item that the GIFT export cannot represent.
    #[error("an `answer.order` item cannot contain `->` (the GIFT export uses it)")]
    ArrowInItem,
    /// A predict question's setup that is not a page and its query.
    #[error("question `{question_id}`: {problem}")]
    PredictSetup {
        /// The question.
        question_id: String,
        /// What is wrong, as [`crate::SetupRef::parse`] says it.
        problem: String,
    },
    /// A predict question's `answer.measure` that is not one of [`crate::Measure::ALL`].
    #[error(
        "question `{question_id}`: there is no measure `{found}` (measures: cycles, time_us, cycles_ratio, same_cycles, fastest)"
    )]
    UnknownMeasure {
        /// The question.
        question_id: String,
        /// The measure given.
        found: String,
    },
    /// A predict question with the wrong number or kind of setups for its measure.
    #[error("question `{question_id}`: the measure `{measure}` needs {needs}; it has {found}")]
    PredictSetupCount {
        /// The question.
        question_id: String,
        /// The measure.
        measure: &'static str,
        /// What it needs, in words ("two simulator setups").
        needs: &'static str,
        /// What it has, in words.
        found: String,
    },
    /// A predict question's tolerance that is missing, out of range or not wanted.
    #[error("question `{question_id}`: {problem}")]
    PredictTolerance {
        /// The question.
        question_id: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// mdbook-quiz features this course does not use.
    #[error("{what} is not supported here")]
    Unsupported {
        /// What.
        what: &'static str,
    },
}
