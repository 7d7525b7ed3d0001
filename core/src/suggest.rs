//! "Did you mean ...?" suggestions, the same everywhere: config keys, plugin names, attribute
//! keys of `external_plugins.yml`.
//!
//! ```
//! use pipeplug::suggest::closest;
//! assert_eq!(closest("intervl", ["interval", "Fields"]), Some("interval"));
//! assert_eq!(closest("fields", ["interval", "Fields"]), Some("Fields"));
//! assert_eq!(closest("zzz", ["interval", "Fields"]), None);
//! ```

/// The candidate closest to `input`, if it is close enough to be a likely typo: a
/// case-insensitive match, or a Jaro-Winkler similarity of at least 0.8.
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    best_match(input, candidates).map(|(_, c)| c)
}

/// Like [`closest`], with its score: 2.0 for a case-insensitive match, else the
/// Jaro-Winkler similarity (at least 0.8).
pub fn best_match<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<(f64, &'a str)> {
    let lower = input.to_lowercase();
    let mut best: Option<(f64, &'a str)> = None;
    for c in candidates {
        let candidate = c.to_lowercase();
        let score = if candidate == lower {
            2.0
        } else {
            strsim::jaro_winkler(&lower, &candidate)
        };
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, c));
        }
    }
    best.filter(|(score, _)| *score >= 0.8)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn suggests_typos_not_strangers() {
        let keys = ["interval", "Fields", "IgnoreIfExist"];
        assert_eq!(closest("intervl", keys), Some("interval"));
        assert_eq!(closest("fields", keys), Some("Fields"));
        assert_eq!(closest("zzz", keys), None);
        assert_eq!(closest("x", []), None);
    }
}
