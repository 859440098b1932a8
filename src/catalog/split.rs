//! Where the features of a layer file lie, found by a quick pass over the
//! bytes that parses nothing: so that a big file's features can be read
//! in two halves on two threads ([`super::load`]).
//!
//! The pass only tracks strings, nesting and commas. Anything it does not
//! expect (a top level that is not an object, two `features` members, a
//! stray comma) makes it give up, and the file is read in one piece as
//! before, which then reports whatever is wrong in the usual words. The
//! spans it finds are still parsed in full, each on its own, and the rest
//! of the file too, so nothing it gets wrong can let a bad file through.

/// The `features` array of a layer file: where it opens and closes, and
/// each element's first and last byte + 1.
#[derive(Debug, PartialEq)]
pub(super) struct Spans {
    pub open: usize,
    pub close: usize,
    pub items: Vec<(u32, u32)>,
}

/// The bytes that open or close a string, an object or an array.
const STRUCTURAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b'{' as usize] = true;
    t[b'}' as usize] = true;
    t[b'[' as usize] = true;
    t[b']' as usize] = true;
    t
};

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// The spans of the `features` array of a FeatureCollection's bytes, or
/// `None` where the file is not plainly one (or is 4 GiB or more).
pub(super) fn feature_spans(b: &[u8]) -> Option<Spans> {
    if b.len() >= u32::MAX as usize {
        return None;
    }
    let first = b.iter().position(|&c| !is_space(c))?;
    if b[first] != b'{' {
        return None;
    }
    let (mut depth, mut i) = (0usize, first);
    // The last string seen at depth 1 (a key, or a value), and whether a
    // `"features":` is waiting for its value.
    let (mut last, mut pending) = (None::<(usize, usize)>, false);
    let mut found: Option<Spans> = None;
    // Inside the array: whether an element is due (after `[` or `,`), and
    // where the current one started.
    let (mut in_array, mut due, mut start) = (false, false, None::<usize>);
    while i < b.len() {
        if depth >= 3 {
            // Inside a feature, only strings and nesting matter: skip
            // the numbers, commas and blanks between them at once.
            match b[i..].iter().position(|&c| STRUCTURAL[usize::from(c)]) {
                Some(k) => i += k,
                None => return None,
            }
        }
        let c = b[i];
        if is_space(c) {
            i += 1;
            continue;
        }
        if pending && c != b'[' {
            return None;
        }
        if in_array && depth == 2 && c != b',' && c != b']' {
            if due {
                (due, start) = (false, Some(i));
            } else if start.is_none() {
                return None;
            }
        }
        match c {
            b'"' => {
                let open = i;
                i += 1;
                loop {
                    let j = i + memchr::memchr2(b'"', b'\\', &b[i..])?;
                    if b[j] == b'\\' {
                        i = j + 2;
                    } else {
                        i = j + 1;
                        break;
                    }
                }
                if depth == 1 {
                    last = Some((open + 1, i - 1));
                }
                continue;
            }
            b':' if depth == 1 && last.map(|(s, e)| &b[s..e]) == Some(b"features") => {
                if found.is_some() {
                    return None;
                }
                pending = true;
            }
            b'[' if pending => {
                pending = false;
                found = Some(Spans {
                    open: i,
                    close: 0,
                    items: Vec::new(),
                });
                (in_array, due) = (true, true);
                depth += 1;
            }
            b'{' | b'[' => depth += 1,
            b',' if in_array && depth == 2 => {
                let s = start.take()?;
                found
                    .as_mut()?
                    .items
                    .push((s as u32, trimmed(b, s, i) as u32));
                due = true;
            }
            b']' if in_array && depth == 2 => {
                let spans = found.as_mut()?;
                match start.take() {
                    Some(s) => spans.items.push((s as u32, trimmed(b, s, i) as u32)),
                    // `[]` is fine; `[…,]` is not.
                    None if !spans.items.is_empty() => return None,
                    None => {}
                }
                spans.close = i;
                in_array = false;
                depth -= 1;
            }
            b'}' | b']' => depth = depth.checked_sub(1)?,
            _ => {}
        }
        i += 1;
    }
    found.filter(|s| s.close > s.open && !in_array && depth == 0)
}

/// The end of what lies between `start` and `end`, trailing blanks left out.
fn trimmed(b: &[u8], start: usize, mut end: usize) -> usize {
    while end > start && is_space(b[end - 1]) {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(b: &str) -> Option<Vec<&str>> {
        let spans = feature_spans(b.as_bytes())?;
        assert_eq!(b.as_bytes()[spans.open], b'[');
        assert_eq!(b.as_bytes()[spans.close], b']');
        Some(
            spans
                .items
                .iter()
                .map(|&(s, e)| &b[s as usize..e as usize])
                .collect(),
        )
    }

    #[test]
    fn finds_each_feature_whatever_it_holds() {
        let file = r#" {"type": "FeatureCollection", "name": "a \"features\": [", "features": [
            {"type":"Feature","properties":{"s":"]},[{\\"},"geometry":null} ,
            {"type":"Feature","properties":{"features":[1,2]}, "geometry":{"type":"Point","coordinates":[1,2]}},
            7 , "x,y" ] , "after": {"features": []} }"#;
        assert_eq!(
            texts(file).unwrap(),
            vec![
                r#"{"type":"Feature","properties":{"s":"]},[{\\"},"geometry":null}"#,
                r#"{"type":"Feature","properties":{"features":[1,2]}, "geometry":{"type":"Point","coordinates":[1,2]}}"#,
                "7",
                r#""x,y""#,
            ]
        );
        assert_eq!(texts(r#"{"features":[]}"#).unwrap(), Vec::<&str>::new());
        // Two values with no comma between make one span, which parsing
        // then refuses.
        assert_eq!(texts(r#"{"features":[1 2]}"#).unwrap(), vec!["1 2"]);
    }

    #[test]
    fn gives_up_on_anything_unusual() {
        for bad in [
            r#"[{"features":[1]}]"#,
            r#"{"features":[1,]}"#,
            r#"{"features":[,1]}"#,
            r#"{"features":[1],"features":[2]}"#,
            r#"{"features":{"a":1}}"#,
            r#"{"features":[1]"#,
            r#"{"features":[{"a":"unclosed]}"#,
            r#"{"type":"FeatureCollection"}"#,
            r#"{"features":[1]}]]"#,
        ] {
            assert_eq!(texts(bad), None, "{bad}");
        }
    }
}
