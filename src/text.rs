//! Small text helpers every layer of the app uses.

/// `text` with its first letter upper-cased ("the MNIST digits" → "The MNIST digits"); an
/// error's `Display` (lower-case, as Rust writes them) becomes the start of a sentence.
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_letter_only_is_upper_cased() {
        assert_eq!(capitalised("the MNIST digits"), "The MNIST digits");
        assert_eq!(capitalised("ébauche"), "Ébauche");
        assert_eq!(capitalised("ß"), "SS");
        assert_eq!(capitalised(""), "");
        assert_eq!(capitalised("42 rows"), "42 rows");
    }
}
