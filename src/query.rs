//! The one helper for settings in the address: a query string (`a=1&b=x%20y`) read into
//! ordered pairs and written back from them, for every simulator and lab page.
//!
//! Values are kept as text (a page parses them itself, so a bad value can stay visible beside
//! its sentence). Writing encodes everything but unreserved characters, so no value can add a
//! key of its own (`1&preset=cnn` stays one value) and reading gives back exactly what was
//! written, `+` included.

/// Reads `a=1&b=2` (without the `?`). Escapes are decoded; a key without `=` has an empty value.
pub fn parse(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// The first value of `key`, trimmed.
pub fn value<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim())
}

/// Writes pairs as a query string (without the `?`), each value encoded.
pub fn write<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes everything except unreserved characters (RFC 3986: letters, digits, `-._~`).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes and `+` (a space, as forms write it); anything malformed is kept as
/// written.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_reads_back_the_same() {
        let pairs = [
            ("preset", "gemv"),
            ("width", "1&preset=cnn"),
            ("lr", "1e+3"),
            ("name", "caf\u{e9} au lait"),
            ("empty", ""),
        ];
        let text = write(pairs);
        assert_eq!(
            text,
            "preset=gemv&width=1%26preset%3Dcnn&lr=1e%2B3&name=caf%C3%A9%20au%20lait&empty="
        );
        let back = parse(&text);
        let expected: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        assert_eq!(back, expected);
        assert_eq!(value(&back, "lr"), Some("1e+3"));
        assert_eq!(value(&back, "missing"), None);
    }

    #[test]
    fn malformed_escapes_are_kept() {
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz1"), "%zz1");
        assert_eq!(percent_decode("a+b"), "a b");
        assert_eq!(
            parse("a&&b=1&=x"),
            vec![
                ("a".to_string(), String::new()),
                ("b".to_string(), "1".to_string()),
                (String::new(), "x".to_string()),
            ]
        );
    }
}
