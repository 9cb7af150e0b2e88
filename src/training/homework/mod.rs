//! The homework lab's pure parts (`#/labs/homework`): what the real machines reported, the
//! "model vs reality" rows every section adds its figures to, and each section's settings and
//! results. Natively tested; the page only renders these.

pub mod cerebras;
pub mod dp;
pub mod grid;
pub mod groq;
pub mod reality;

/// The homework page's address with `own` replacing every key that starts with `prefix` in
/// `current` (the other sections' keys and `at=` stay).
#[must_use]
pub fn section_href(current: &[(String, String)], prefix: &str, own: &str) -> String {
    let mut pairs: Vec<(String, String)> = current
        .iter()
        .filter(|(k, _)| !k.starts_with(prefix))
        .cloned()
        .collect();
    pairs.extend(crate::query::parse(own));
    format!(
        "{}?{}",
        crate::route::Route::Lab {
            name: "homework".into()
        }
        .href(),
        crate::query::write(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    )
}

#[cfg(test)]
mod unit {
    #[test]
    fn a_section_rewrites_only_its_own_keys() {
        let current = crate::query::parse("at=groq&ipu-lr=0.5&groq-len=256");
        assert_eq!(
            super::section_href(&current, "ipu-", "ipu-lr=0.05&ipu-batch=8"),
            "#/labs/homework?at=groq&groq-len=256&ipu-lr=0.05&ipu-batch=8"
        );
    }
}
