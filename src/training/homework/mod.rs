//! The homework lab's pure parts (`#/labs/homework`): what the real machines reported, the
//! "model vs reality" rows every section adds its figures to, and each section's settings and
//! results. Natively tested; the page only renders these.

pub mod cerebras;
pub mod dp;
pub mod grid;
pub mod groq;
pub mod reality;

#[cfg(test)]
mod unit {
    use super::grid::GridForm;

    /// A section writes its own keys and keeps the others' (`Form::href_keeping`).
    #[test]
    fn a_section_rewrites_only_its_own_keys() {
        let current = crate::query::parse("at=groq&ipu-lr=0.5&groq-len=256");
        let form = GridForm::from_query(&crate::query::parse("ipu-lr=0.05&ipu-batch=8"));
        let href = form.href_keeping(&current);
        assert!(
            href.starts_with("#/labs/homework?at=groq&groq-len=256&ipu-"),
            "{href}"
        );
        assert!(href.contains("ipu-lr=0.05&ipu-batch=8"), "{href}");
        assert!(!href.contains("ipu-lr=0.5&"), "{href}");
    }
}
