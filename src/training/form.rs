//! A lab's settings form, written once for every lab: the text of each field as typed (or as
//! read from the URL, so a bad value stays visible beside its sentence), the lab's address with
//! those settings, and the per-field errors of parsing it. A lab names its fields (a
//! [`LabFields`] enum: query key, default) and how the texts become a run's settings.

use std::fmt::Debug;
use std::marker::PhantomData;

use crate::route::Route;

/// The fields of one lab's form.
pub trait LabFields: Copy + Eq + Debug + Send + Sync + 'static {
    /// The run settings the form parses into.
    type Settings;
    /// Every field, in form order (also the order in the URL).
    const ALL: &'static [Self];
    /// The lab's name in its route (`#/labs/<name>`).
    const LAB: &'static str;
    /// The URL query key, also the control's `data-testid` suffix.
    fn key(self) -> &'static str;
    /// The text a new form starts with.
    fn default_text(self) -> &'static str;
    /// Checks every field of `form`.
    ///
    /// # Errors
    /// One sentence per bad field, in form order.
    fn parse(form: &Form<Self>) -> Result<Self::Settings, Vec<FieldError<Self>>>;
}

/// One field's problem, as a sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError<F> {
    pub field: F,
    pub message: String,
}

/// The settings as typed: one text per field of `F`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Form<F> {
    texts: Vec<String>,
    fields: PhantomData<F>,
}

impl<F: LabFields> Default for Form<F> {
    fn default() -> Self {
        Self {
            texts: F::ALL.iter().map(|f| f.default_text().to_owned()).collect(),
            fields: PhantomData,
        }
    }
}

impl<F: LabFields> Form<F> {
    /// The form for a URL query; missing keys take the defaults, unknown keys are ignored.
    pub fn from_query(query: &[(String, String)]) -> Self {
        let mut form = Self::default();
        for (key, value) in query {
            if let Some(i) = F::ALL.iter().position(|f| f.key() == key) {
                form.texts[i].clone_from(value);
            }
        }
        form
    }

    /// A form holding `texts`, given as `(field, text)`; the others keep their defaults.
    pub fn with(pairs: &[(F, &str)]) -> Self {
        pairs
            .iter()
            .fold(Self::default(), |form, &(f, text)| form.with_field(f, text))
    }

    fn index(field: F) -> usize {
        // Every field is in ALL (a lab's test checks it through `from_query`'s round trip).
        F::ALL.iter().position(|&f| f == field).unwrap_or(0)
    }

    /// The text of `field`.
    pub fn field(&self, field: F) -> &str {
        &self.texts[Self::index(field)]
    }

    /// A copy with `field` set to `value`.
    #[must_use]
    pub fn with_field(&self, field: F, value: &str) -> Self {
        let mut next = self.clone();
        value.clone_into(&mut next.texts[Self::index(field)]);
        next
    }

    /// The address of the lab with these settings (as typed, so a link keeps them).
    pub fn href(&self) -> String {
        let query = crate::query::write(F::ALL.iter().map(|&f| (f.key(), self.field(f).trim())));
        format!(
            "{}?{query}",
            Route::Lab {
                name: F::LAB.into()
            }
            .href()
        )
    }

    /// The same address, keeping every key of `current` that is not one of this form's
    /// (the homework page's other sections and `at=`), with this form's keys after them.
    pub fn href_keeping(&self, current: &[(String, String)]) -> String {
        let own = |key: &str| F::ALL.iter().any(|f| f.key() == key);
        let pairs = current
            .iter()
            .filter(|(k, _)| !own(k))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(F::ALL.iter().map(|&f| (f.key(), self.field(f).trim())));
        format!(
            "{}?{}",
            Route::Lab {
                name: F::LAB.into()
            }
            .href(),
            crate::query::write(pairs)
        )
    }

    /// Checks every field.
    ///
    /// # Errors
    /// One sentence per bad field, in form order.
    pub fn parse(&self) -> Result<F::Settings, Vec<FieldError<F>>> {
        F::parse(self)
    }

    /// The sentence for `field`, if its text is not accepted.
    pub fn error(&self, field: F) -> Option<String> {
        self.parse()
            .err()?
            .into_iter()
            .find(|e| e.field == field)
            .map(|e| e.message)
    }
}

/// Collects the sentences of a form's bad fields while it is parsed.
#[derive(Debug)]
pub struct Errors<F> {
    errors: Vec<FieldError<F>>,
}

impl<F> Default for Errors<F> {
    fn default() -> Self {
        Self { errors: Vec::new() }
    }
}

impl<F: Copy> Errors<F> {
    /// The value, or `None` with its sentence kept against `field`.
    pub fn check<T>(&mut self, field: F, result: Result<T, String>) -> Option<T> {
        result
            .map_err(|message| self.errors.push(FieldError { field, message }))
            .ok()
    }

    /// `Ok(settings)` when no field failed (then `settings` is `Some`).
    ///
    /// # Errors
    /// Every sentence collected, in the order they were found.
    pub fn finish<T>(self, settings: Option<T>) -> Result<T, Vec<FieldError<F>>> {
        match settings {
            Some(s) if self.errors.is_empty() => Ok(s),
            _ => Err(self.errors),
        }
    }
}

/// A seed: any whole number a `u64` holds.
///
/// # Errors
/// The sentence naming the text.
pub fn parse_seed(text: &str) -> Result<u64, String> {
    text.trim().parse::<u64>().map_err(|_| {
        format!(
            "The seed must be a whole number from 0 to {}; “{}” is not.",
            u64::MAX,
            text.trim()
        )
    })
}

/// One of a fixed set of choices, by its text.
///
/// # Errors
/// "“x” is not a `what` here: choose a, b or c."
pub fn parse_choice<T: Copy>(text: &str, what: &str, choices: &[(&str, T)]) -> Result<T, String> {
    let text = text.trim();
    choices
        .iter()
        .find(|(name, _)| *name == text)
        .map(|&(_, value)| value)
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            let list = match names.split_last() {
                Some((last, [])) => (*last).to_owned(),
                Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                None => String::new(),
            };
            format!("“{text}” is not {what} here: choose {list}.")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Toy {
        Size,
        Seed,
    }

    impl LabFields for Toy {
        type Settings = (u64, u64);
        const ALL: &'static [Self] = &[Self::Size, Self::Seed];
        const LAB: &'static str = "toy";
        fn key(self) -> &'static str {
            match self {
                Self::Size => "size",
                Self::Seed => "seed",
            }
        }
        fn default_text(self) -> &'static str {
            match self {
                Self::Size => "3",
                Self::Seed => "1",
            }
        }
        fn parse(form: &Form<Self>) -> Result<(u64, u64), Vec<FieldError<Self>>> {
            let mut e = Errors::default();
            let size = e.check(
                Self::Size,
                parse_choice(form.field(Self::Size), "a size", &[("3", 3), ("5", 5)]),
            );
            let seed = e.check(Self::Seed, parse_seed(form.field(Self::Seed)));
            e.finish(size.zip(seed))
        }
    }

    #[test]
    fn a_form_reads_its_query_and_writes_its_link() {
        let form =
            Form::<Toy>::from_query(&[("seed".into(), "7".into()), ("other".into(), "x".into())]);
        assert_eq!(form.field(Toy::Size), "3");
        assert_eq!(form.parse(), Ok((3, 7)));
        assert_eq!(form.href(), "#/labs/toy?size=3&seed=7");
        assert_eq!(Form::<Toy>::with(&[(Toy::Seed, "7")]), form);
    }

    #[test]
    fn every_bad_field_gets_its_sentence_in_form_order() {
        let form = Form::<Toy>::with(&[(Toy::Size, "4"), (Toy::Seed, "-1")]);
        let errors = form.parse().unwrap_err();
        assert_eq!(
            errors.iter().map(|e| e.field).collect::<Vec<_>>(),
            [Toy::Size, Toy::Seed]
        );
        assert_eq!(
            form.error(Toy::Size).unwrap(),
            "“4” is not a size here: choose 3 or 5."
        );
        assert!(form.error(Toy::Seed).unwrap().contains("“-1” is not"));
        // The bad text stays in the link.
        assert!(form.href().contains("size=4"));
    }
}
