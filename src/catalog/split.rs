//! Where the features of a layer file lie, found by quick passes over the
//! bytes that parse nothing: so that a big file's features can be read in
//! two halves on two threads ([`super::load`]).
//!
//! A pass finds where the `features` array opens ([`array_open`]); a guess
//! is made at a feature starting near the middle ([`element_start_after`]);
//! each half is then passed over on its own thread ([`elements`]), the
//! first confirming that the guess was a feature's start. The passes only
//! track strings, nesting and commas. Anything they do not expect (a top
//! level that is not an object, a stray comma, a guess inside a string)
//! makes the reader give up, and the file is read in one piece as before,
//! which then reports whatever is wrong in the usual words. The spans
//! found are still parsed in full, each on its own, and the rest of the
//! file too, so nothing the passes get wrong can let a bad file through.

/// The `features` array of a layer file: where it opens and closes, and
/// each element's first and last byte + 1 (found in one pass, the oracle
/// the tests hold the two-piece passes to).
#[cfg(test)]
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
#[cfg(test)]
pub(super) fn feature_spans(b: &[u8]) -> Option<Spans> {
    let (mut depth, mut i) = (0usize, top_object(b)?);
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
                i = string_end(b, i)?;
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

/// Where the top-level object opens, for files under 4 GiB whose spans
/// fit in `u32`s.
fn top_object(b: &[u8]) -> Option<usize> {
    if b.len() >= u32::MAX as usize {
        return None;
    }
    let first = b.iter().position(|&c| !is_space(c))?;
    (b[first] == b'{').then_some(first)
}

/// Where the `features` array of a FeatureCollection's bytes opens (its
/// `[`), found by the same pass as [`feature_spans`] stopping there; `None`
/// where the file is not plainly a FeatureCollection (or is 4 GiB or more).
pub(super) fn array_open(b: &[u8]) -> Option<usize> {
    let (mut depth, mut i) = (0usize, top_object(b)?);
    let (mut last, mut pending) = (None::<(usize, usize)>, false);
    while i < b.len() {
        let c = b[i];
        if is_space(c) {
            i += 1;
            continue;
        }
        if pending {
            return (c == b'[').then_some(i);
        }
        match c {
            b'"' => {
                let open = i;
                i = string_end(b, i)?;
                if depth == 1 {
                    last = Some((open + 1, i - 1));
                }
                continue;
            }
            b':' if depth == 1 && last.map(|(s, e)| &b[s..e]) == Some(b"features") => {
                pending = true;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.checked_sub(1)?,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The byte after the string that opens at `b[i]`.
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    loop {
        let j = i + memchr::memchr2(b'"', b'\\', &b[i..])?;
        if b[j] == b'\\' {
            i = j + 2;
        } else {
            return Some(j + 1);
        }
    }
}

/// Where an element of the array seems to start at or after `from`: the
/// `{` of the first `}` `,` `{` (blanks allowed between) there. Only a
/// guess, which may lie inside a string or deeper in a feature; the pass
/// that reads up to it from the array's start says whether it is one
/// ([`elements`]).
pub(super) fn element_start_after(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        i += memchr::memchr(b',', b.get(i..)?)?;
        let before = b[..i].iter().rposition(|&c| !is_space(c));
        let after = b[i + 1..]
            .iter()
            .position(|&c| !is_space(c))
            .map(|k| i + 1 + k);
        if let (Some(p), Some(n)) = (before, after) {
            if b[p] == b'}' && b[n] == b'{' {
                return Some(n);
            }
        }
        i += 1;
    }
}

/// The elements of the `features` array from `from` on, `from` being the
/// first byte after its `[` or an element's first byte: each element's
/// first and last byte + 1, and where the pass ended: at `stop`, if it
/// came to `stop` as an element's first byte, else at the array's `]` (the
/// caller tells which by the byte). `None` for anything unexpected, as
/// [`feature_spans`].
pub(super) fn elements(
    b: &[u8],
    from: usize,
    stop: Option<usize>,
) -> Option<(Vec<(u32, u32)>, usize)> {
    if b.len() >= u32::MAX as usize {
        return None;
    }
    // Depth inside the array (0: between elements); whether an element is
    // due (at the start, or after a comma), and where the current one
    // started.
    let (mut depth, mut i) = (0usize, from);
    let (mut due, mut start) = (true, None::<usize>);
    let mut items = Vec::new();
    while i < b.len() {
        if depth > 0 {
            // Inside an element, only strings and nesting matter.
            i += b[i..].iter().position(|&c| STRUCTURAL[usize::from(c)])?;
        }
        let c = b[i];
        if depth == 0 {
            if is_space(c) {
                i += 1;
                continue;
            }
            match c {
                b',' => {
                    let s = start.take()?;
                    items.push((s as u32, trimmed(b, s, i) as u32));
                    due = true;
                    i += 1;
                    continue;
                }
                b']' => {
                    match start.take() {
                        Some(s) => items.push((s as u32, trimmed(b, s, i) as u32)),
                        // `[]` is fine; `[…,]` is not.
                        None if !items.is_empty() => return None,
                        None => {}
                    }
                    return Some((items, i));
                }
                _ if due => {
                    if Some(i) == stop {
                        return Some((items, i));
                    }
                    (due, start) = (false, Some(i));
                }
                _ if start.is_none() => return None,
                _ => {}
            }
        }
        match c {
            b'"' => {
                i = string_end(b, i)?;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.checked_sub(1)?,
            _ => {}
        }
        i += 1;
    }
    None
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

    /// The array read in two pieces, split at a guessed element start,
    /// gives what one pass gives, whenever the guess is confirmed by the
    /// pass over the first piece; and the guess is confirmed in a plain
    /// file.
    fn in_two(b: &str, from: usize) -> Option<Vec<(u32, u32)>> {
        let b = b.as_bytes();
        let open = array_open(b)?;
        let split = element_start_after(b, from)?;
        let (mut first, end) = elements(b, open + 1, Some(split))?;
        if end != split {
            return None;
        }
        let (second, close) = elements(b, split, None)?;
        assert_eq!(b[close], b']');
        first.extend(second);
        Some(first)
    }

    #[test]
    fn two_pieces_give_what_one_pass_gives() {
        let file = r#" {"type": "FeatureCollection", "name": "a \"features\": [", "features": [
            {"type":"Feature","properties":{"s":"]},{[{\\"},"geometry":null} ,
            {"type":"Feature","properties":{"features":[{"a":1},{"b":2}]}, "geometry":{"type":"Point","coordinates":[1,2]}},
            {"type":"Feature","properties":{},"geometry":null},{"type":"Feature","properties":{},"geometry":null} ] , "after": {"features": []} }"#;
        let whole = feature_spans(file.as_bytes()).unwrap();
        let mut confirmed = 0;
        for from in 0..file.len() {
            if let Some(items) = in_two(file, from) {
                assert_eq!(items, whole.items, "split after {from}");
                confirmed += 1;
            }
        }
        assert!(confirmed > 0);
        // A guess inside the first feature's string, or inside the second
        // one's property, is refused; one between features is confirmed.
        assert_eq!(in_two(file, file.find("]},{[").unwrap()), None);
        assert_eq!(in_two(file, file.find("{\"a\":1}").unwrap()), None);
        let between = file.find("null},{").unwrap();
        assert_eq!(in_two(file, between), Some(whole.items.clone()));
        assert_eq!(array_open(file.as_bytes()), Some(whole.open));
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
