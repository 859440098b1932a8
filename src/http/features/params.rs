//! The query parameters of OGC API Features resources: checked against
//! what each resource takes, and parsed (`limit`, `offset`, `bbox`,
//! `datetime`); and the URL and time formatting the responses need.

use super::DEFAULT_LIMIT;
use crate::http::ApiError;
use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use geo::{Coord, Rect};

/// Query parameters, checked: each known, none repeated.
pub(in crate::http) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Checks the pairs against the parameters the resource takes.
    pub(in crate::http) fn new(
        query: Result<Query<Vec<(String, String)>>, QueryRejection>,
        known: &[&str],
    ) -> Result<Params, ApiError> {
        let Query(pairs) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
        for (i, (k, _)) in pairs.iter().enumerate() {
            if !known.contains(&k.as_str()) {
                return Err(ApiError::BadRequest(if known.is_empty() {
                    format!("unknown parameter `{k}`; this resource takes none")
                } else {
                    format!(
                        "unknown parameter `{k}`; the parameters here are: {}",
                        known.join(", ")
                    )
                }));
            }
            if pairs[..i].iter().any(|(seen, _)| seen == k) {
                return Err(ApiError::BadRequest(format!(
                    "parameter `{k}` is given more than once; give it once"
                )));
            }
        }
        Ok(Params { pairs })
    }

    /// Every parameter, in the order given.
    pub(in crate::http) fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The value of a parameter.
    pub(in crate::http) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The media type `f` asks for, among `choices` (`f` value, type).
    pub(in crate::http) fn format(
        &self,
        choices: &[(&str, &'static str)],
        default: &'static str,
    ) -> Result<&'static str, ApiError> {
        match self.get("f") {
            None => Ok(default),
            Some(f) => choices
                .iter()
                .find(|(name, _)| *name == f)
                .map(|(_, media)| *media)
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "unknown format f=`{f}`; use {}",
                        choices
                            .iter()
                            .map(|(n, _)| format!("f={n}"))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ))
                }),
        }
    }
}

pub(super) fn parse_count(s: &str, name: &str, min: usize) -> Result<usize, ApiError> {
    match s.parse::<u64>() {
        Ok(n) if n >= min as u64 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        _ => Err(ApiError::BadRequest(format!(
            "`{name}` must be a whole number, {min} or more, not `{s}`"
        ))),
    }
}

/// `limit`: 1 or more; a value above `max` (`--max-features`) is served
/// as `max`, as OGC API Features has it.
pub(super) fn parse_limit(s: &str, max: usize) -> Result<usize, ApiError> {
    parse_count(s, "limit", 1)
        .map(|n| n.min(max))
        .map_err(|_| {
            ApiError::BadRequest(format!(
                "`limit` must be a whole number, 1 or more, not `{s}` (default {DEFAULT_LIMIT}, at most {max})"
            ))
        })
}

/// `bbox=minlon,minlat,maxlon,maxlat` (or six numbers with heights, which
/// are ignored), in CRS84.
pub(super) fn parse_bbox(s: &str) -> Result<Rect<f64>, ApiError> {
    let bad = |why: String| ApiError::BadRequest(format!("`bbox={s}`: {why}"));
    let n: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad("give 4 numbers: minlon,minlat,maxlon,maxlat".into()))?;
    let [w, s_, e, n_] = match n.as_slice() {
        [w, s, e, n] | [w, s, _, e, n, _] => [*w, *s, *e, *n],
        _ => {
            return Err(bad(format!(
                "give 4 numbers (minlon,minlat,maxlon,maxlat), not {}",
                n.len()
            )))
        }
    };
    if ![w, s_, e, n_].iter().all(|x| x.is_finite()) {
        return Err(bad("every number must be finite".into()));
    }
    for lon in [w, e] {
        if !(-180.0..=180.0).contains(&lon) {
            return Err(bad(format!("longitude {lon} is outside -180..180")));
        }
    }
    for lat in [s_, n_] {
        if !(-90.0..=90.0).contains(&lat) {
            return Err(bad(format!("latitude {lat} is outside -90..90")));
        }
    }
    if w > e {
        return Err(bad(format!(
            "minlon {w} exceeds maxlon {e}; boxes across the antimeridian are not supported"
        )));
    }
    if s_ > n_ {
        return Err(bad(format!("minlat {s_} exceeds maxlat {n_}")));
    }
    Ok(Rect::new(Coord { x: w, y: s_ }, Coord { x: e, y: n_ }))
}

/// `datetime`: an RFC 3339 date or date-time, or an interval of two with
/// `..` or nothing for an open end. The layers have no times, so every
/// feature matches any valid value.
pub(super) fn check_datetime(s: &str) -> Result<(), ApiError> {
    let bad = || {
        ApiError::BadRequest(format!(
            "`datetime={s}` is not an RFC 3339 date or date-time (2024-05-01, 2024-05-01T08:00:00Z) nor an interval of them (2024-01-01/.., ../2024-12-31T23:59:59Z)"
        ))
    };
    let instant = |p: &str| is_date(p) || is_date_time(p);
    match s.split_once('/') {
        None => instant(s).then_some(()).ok_or_else(bad),
        Some((a, b)) => {
            let open = |p: &str| p.is_empty() || p == "..";
            let ok = (open(a) || instant(a)) && (open(b) || instant(b)) && !(open(a) && open(b));
            ok.then_some(()).ok_or_else(bad)
        }
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&i| b[i].is_ascii_digit())
        && matches!(s[5..7].parse::<u8>(), Ok(1..=12))
        && matches!(s[8..10].parse::<u8>(), Ok(1..=31))
}

fn is_date_time(s: &str) -> bool {
    let Some((date, time)) = s.split_once(['T', 't']) else {
        return false;
    };
    let (clock, zone) = if let Some(c) = time.strip_suffix(['Z', 'z']) {
        (c, "")
    } else if let Some(at) = time.rfind(['+', '-']) {
        (&time[..at], &time[at + 1..])
    } else {
        return false;
    };
    let hms = |t: &str, parts: usize| {
        let fields: Vec<&str> = t.split(':').collect();
        fields.len() == parts
            && fields.iter().enumerate().all(|(i, f)| {
                let f = if i == 2 {
                    f.split('.').next().unwrap_or("")
                } else {
                    f
                };
                f.len() == 2 && f.bytes().all(|c| c.is_ascii_digit())
            })
    };
    is_date(date) && hms(clock, 3) && (zone.is_empty() || hms(zone, 2))
}

/// Now, as RFC 3339 UTC with seconds.
pub(super) fn timestamp_now() -> String {
    crate::time::rfc3339(std::time::SystemTime::now())
}

/// `k=v&…`, percent-encoded.
pub(super) fn encode_query(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes all but RFC 3986's unreserved characters.
pub(in crate::http) fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes() {
        for ok in [
            "2024-05-01",
            "2024-05-01T08:00:00Z",
            "2024-05-01T08:00:00.5+08:00",
            "2024-01-01/..",
            "../2024-12-31T23:59:59Z",
            "/2024-01-01",
            "2020-01-01/2024-01-01",
        ] {
            assert!(check_datetime(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "..",
            "../..",
            "2024-13-01",
            "yesterday",
            "2024-05-01T08:00",
        ] {
            assert!(check_datetime(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timestamp_is_rfc3339() {
        let t = timestamp_now();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.starts_with("20") && t.ends_with('Z'), "{t}");
        assert!(is_date_time(&t), "{t}");
    }

    #[test]
    fn encoding() {
        assert_eq!(encode_component("a b,c;d=é"), "a%20b%2Cc%3Bd%3D%C3%A9");
        assert_eq!(
            encode_query(&[("bbox".into(), "1,2,3,4".into())]),
            "bbox=1%2C2%2C3%2C4"
        );
    }

    #[test]
    fn bboxes() {
        assert!(parse_bbox("116.8,40.3,117.1,40.6").is_ok());
        assert!(parse_bbox("116.8,40.3,0,117.1,40.6,100").is_ok());
        assert!(parse_bbox("1,2,3").is_err());
        assert!(parse_bbox("1,2,3,x").is_err());
        assert!(parse_bbox("200,0,210,1").is_err());
        assert!(parse_bbox("10,0,5,1").is_err());
        assert!(parse_bbox("0,91,1,92").is_err());
        assert!(parse_bbox("0,0,inf,1").is_err());
    }
}
