//! Bounds on what reaches the CQL2 parser, checked on the raw text in one
//! pass before it is parsed. The cql2-text grammar backtracks on a syntax
//! error at a cost that doubles with each level of nesting (twenty unclosed
//! parentheses took seconds), so a filter's length and nesting depth are
//! limited first.

use super::{CqlError, FilterLang};

/// What a filter may be before it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilterLimits {
    /// The longest filter accepted, in bytes.
    pub max_bytes: usize,
    /// The deepest nesting accepted: of parentheses and brackets in
    /// cql2-text; in cql2-json, where each level of CQL2 is an object and
    /// its `args` array, of objects and arrays, up to twice this plus four
    /// (room for a multipolygon's coordinates).
    pub max_depth: usize,
}

impl Default for FilterLimits {
    /// 32 KiB, and 10 levels: a multipolygon in a spatial function inside
    /// three levels of grouping fits; the parser's worst case stays at
    /// milliseconds.
    fn default() -> Self {
        FilterLimits {
            max_bytes: 32 * 1024,
            max_depth: 10,
        }
    }
}

impl FilterLimits {
    /// `Ok` when `text` in `lang` is within the limits, else the limit it
    /// breaks.
    pub fn check(&self, text: &str, lang: FilterLang) -> Result<(), CqlError> {
        if text.len() > self.max_bytes {
            return Err(CqlError::TooLong {
                bytes: text.len(),
                max: self.max_bytes,
            });
        }
        let (depth, max) = match lang {
            FilterLang::Cql2Text => (nesting(text, b"([", b")]", b"'\""), self.max_depth),
            FilterLang::Cql2Json => (nesting(text, b"[{", b"]}", b"\""), 2 * self.max_depth + 4),
        };
        if depth > max {
            return Err(CqlError::TooDeep {
                lang: lang.name(),
                depth,
                max,
            });
        }
        Ok(())
    }
}

/// The deepest nesting of `open`/`close` bytes outside quoted strings
/// (quotes in `quotes`; a backslash escapes the next byte in JSON strings,
/// and a doubled quote in CQL2 text is two toggles, so either way works).
fn nesting(text: &str, open: &[u8], close: &[u8], quotes: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    for &b in text.as_bytes() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if b == b'\\' && q == b'"' && quotes == b"\"" {
                    escaped = true;
                } else if b == q {
                    quote = None;
                }
            }
            None if quotes.contains(&b) => quote = Some(b),
            None if open.contains(&b) => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            None if close.contains(&b) => depth = depth.saturating_sub(1),
            None => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_counts_outside_strings_only() {
        let text = FilterLang::Cql2Text;
        let limits = FilterLimits::default();
        assert!(limits.check("(((a = '((((((((((((')))", text).is_ok());
        assert!(limits
            .check(
                "S_INTERSECTS(geometry, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0))))",
                text
            )
            .is_ok());
        let deep = format!("{}a = 1{}", "(".repeat(11), ")".repeat(11));
        assert!(matches!(
            limits.check(&deep, text),
            Err(CqlError::TooDeep {
                depth: 11,
                max: 10,
                ..
            })
        ));
        // An unclosed run counts as deep as it goes.
        assert!(limits.check(&"(".repeat(20), text).is_err());
        let json = r#"{"op":"=","args":[{"property":"name"},"[[[[[[[[[[[[[[[[[[[[[[[[[[\"["]}"#;
        assert!(limits.check(json, FilterLang::Cql2Json).is_ok());
        let deep_json = format!("{}{}", "[".repeat(25), "]".repeat(25));
        assert!(limits.check(&deep_json, FilterLang::Cql2Json).is_err());
    }

    #[test]
    fn length_is_bounded() {
        let limits = FilterLimits {
            max_bytes: 10,
            max_depth: 10,
        };
        assert!(matches!(
            limits.check("name = 'abcdef'", FilterLang::Cql2Text),
            Err(CqlError::TooLong { bytes: 15, max: 10 })
        ));
    }
}
