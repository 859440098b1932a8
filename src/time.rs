//! Instants as people and files write them: RFC 3339 in UTC, and the
//! calendar months a report covers. Only what the service needs, over
//! `SystemTime`, with the proleptic Gregorian calendar (Howard Hinnant's
//! `days_from_civil` and `civil_from_days`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `t` as RFC 3339 UTC with whole seconds (`2026-12-02T08:30:00Z`).
pub fn rfc3339(t: SystemTime) -> String {
    let (date, secs, _) = parts(t);
    format!("{date}T{}Z", clock(secs))
}

/// `t` as RFC 3339 UTC with milliseconds (`2026-12-02T08:30:00.125Z`):
/// the journal's stamps, fine enough to order a day's edits.
pub fn rfc3339_millis(t: SystemTime) -> String {
    let (date, secs, millis) = parts(t);
    format!("{date}T{}.{millis:03}Z", clock(secs))
}

fn parts(t: SystemTime) -> (String, u64, u32) {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (y, m, day) = civil_from_days((secs / 86_400) as i64);
    (
        format!("{y:04}-{m:02}-{day:02}"),
        secs % 86_400,
        d.subsec_millis(),
    )
}

fn clock(secs: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Year, month and day of the day `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Days from 1970-01-01 to the given date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn instant(days: i64, secs: i64, nanos: u32) -> Option<SystemTime> {
    let total = days.checked_mul(86_400)?.checked_add(secs)?;
    let total = u64::try_from(total).ok()?;
    UNIX_EPOCH.checked_add(Duration::new(total, nanos))
}

/// Parses an instant: a date (`2026-11-30`, its midnight in UTC) or an
/// RFC 3339 date and time with `Z` or an offset
/// (`2026-11-30T18:00:00+08:00`, fractions of a second allowed). Says what
/// is wrong when it cannot.
pub fn parse_instant(text: &str) -> Result<SystemTime, String> {
    let bad = |why: &str| {
        format!(
            "`{text}` is not an instant: {why}; write a date (2026-11-30) or an RFC 3339 time (2026-11-30T18:00:00Z)"
        )
    };
    let t = text.trim();
    // Ten bytes of date, cut only where a character ends.
    let (date, rest) = match t.get(..10) {
        Some(date) => (date, &t[10..]),
        None if t.len() < 10 => (t, ""),
        None => return Err(bad("the date must be YYYY-MM-DD")),
    };
    let days = parse_date(date).ok_or_else(|| bad("the date must be YYYY-MM-DD"))?;
    if rest.is_empty() {
        return instant(days, 0, 0).ok_or_else(|| bad("it is before 1970"));
    }
    let rest = rest
        .strip_prefix(['T', 't', ' '])
        .ok_or_else(|| bad("a `T` must part the date from the time"))?;
    let (clock, offset) = match rest.find(['Z', 'z', '+', '-']) {
        Some(at) => rest.split_at(at),
        None => return Err(bad("the time needs `Z` or an offset such as +08:00")),
    };
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let f: Vec<&str> = hms.split(':').collect();
    let field = |s: &str, max: u32| {
        (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
            .filter(|&v| v <= max)
    };
    let (h, m, s) = match f.as_slice() {
        [h, m, s] => (field(h, 23), field(m, 59), field(s, 60)),
        _ => (None, None, None),
    };
    let (Some(h), Some(m), Some(s)) = (h, m, s) else {
        return Err(bad("the time must be HH:MM:SS"));
    };
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("the fraction of a second must be digits"));
    }
    let nanos = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(9)
        .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'));
    let offset_secs: i64 = match offset {
        "Z" | "z" => 0,
        o => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let (oh, om) = o[1..].split_once(':').unwrap_or(("", ""));
            match (field(oh, 23), field(om, 59)) {
                (Some(oh), Some(om)) => sign * i64::from(oh * 3600 + om * 60),
                _ => return Err(bad("the offset must be Z or ±HH:MM")),
            }
        }
    };
    let secs = i64::from(h * 3600 + m * 60 + s.min(59)) - offset_secs;
    instant(days, secs, nanos).ok_or_else(|| bad("it is before 1970"))
}

/// `YYYY-MM-DD` as days from 1970-01-01.
fn parse_date(date: &str) -> Option<i64> {
    let b = date.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |s: &str| {
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let (y, m, d) = (num(&date[..4])?, num(&date[5..7])?, num(&date[8..])?);
    let y = i64::from(y);
    ((1..=12).contains(&m) && (1..=days_in_month(y, m)).contains(&d))
        .then(|| days_from_civil(y, m, d))
}

/// A calendar month in UTC, as `--month 2026-11` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    /// The year.
    pub year: i64,
    /// The month, 1 to 12.
    pub month: u32,
}

impl Month {
    /// Parses `YYYY-MM`.
    pub fn parse(text: &str) -> Result<Month, String> {
        let t = text.trim();
        let ok = t.len() == 7 && t.as_bytes()[4] == b'-';
        let (y, m) = (t.get(..4), t.get(5..));
        match (
            ok,
            y.and_then(|y| y.parse::<i64>().ok()),
            m.and_then(|m| m.parse::<u32>().ok()),
        ) {
            (true, Some(year), Some(month))
                if (1970..=9999).contains(&year) && (1..=12).contains(&month) =>
            {
                Ok(Month { year, month })
            }
            _ => Err(format!(
                "`{text}` is not a month: write YYYY-MM, such as 2026-11"
            )),
        }
    }

    /// The month `t` falls in.
    pub fn of(t: SystemTime) -> Month {
        let days = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() / 86_400;
        let (year, month, _) = civil_from_days(days as i64);
        Month { year, month }
    }

    /// Its first instant and the first instant after it.
    pub fn span(self) -> (SystemTime, SystemTime) {
        let start = days_from_civil(self.year, self.month, 1);
        let end = start + i64::from(days_in_month(self.year, self.month));
        (
            instant(start, 0, 0).unwrap_or(UNIX_EPOCH),
            instant(end, 0, 0).unwrap_or(UNIX_EPOCH),
        )
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any text is an instant, a month or a plain error: never a panic
        /// (characters of several bytes anywhere, the date's tenth byte
        /// among them).
        #[test]
        fn any_text_parses_or_is_refused(s in "[0-9T:Z+.é\u{80}\u{10000}-]{0,30}") {
            let _ = parse_instant(&s);
            let _ = Month::parse(&s);
        }
    }

    #[test]
    fn known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_796_083_200 + 3_723);
        assert_eq!(rfc3339(t), "2026-12-01T01:02:03Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00Z");
        let t = t + Duration::from_millis(45);
        assert_eq!(rfc3339_millis(t), "2026-12-01T01:02:03.045Z");
    }

    #[test]
    fn instants_parse_back_to_what_printed_them() {
        for secs in [0u64, 951_782_400, 1_796_083_200 + 3_723, 4_102_444_799] {
            let t = UNIX_EPOCH + Duration::from_millis(secs * 1000 + 125);
            assert_eq!(parse_instant(&rfc3339_millis(t)), Ok(t));
        }
        let z = parse_instant("2026-11-30T10:00:00Z").unwrap();
        assert_eq!(parse_instant("2026-11-30T18:00:00+08:00"), Ok(z));
        assert_eq!(parse_instant("2026-11-30T05:30:00-04:30"), Ok(z));
        assert_eq!(
            parse_instant("2026-11-30"),
            Ok(z - Duration::from_secs(10 * 3600))
        );
    }

    #[test]
    fn a_bad_instant_says_what_to_write() {
        for bad in [
            "yesterday",
            "2026-13-01",
            "2026-02-29",
            "2026-11-30T25:00:00Z",
            "2026-11-30T10:00:00",
            "2026-11-30T10:00Z",
            "2026-11-30T10:00:00+8",
            "",
            "0\u{80}\u{10000}\u{10000}",
            "2026-11-3\u{e9}T10:00:00Z",
            "2026-11-30T10:00:00\u{e9}",
        ] {
            let e = parse_instant(bad).unwrap_err();
            assert!(e.contains("RFC 3339"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_month_spans_its_days() {
        let m = Month::parse("2026-11").unwrap();
        let (a, b) = m.span();
        assert_eq!(rfc3339(a), "2026-11-01T00:00:00Z");
        assert_eq!(rfc3339(b), "2026-12-01T00:00:00Z");
        let (_, feb) = Month::parse("2024-02").unwrap().span();
        assert_eq!(rfc3339(feb), "2024-03-01T00:00:00Z");
        let (_, dec) = Month::parse("2026-12").unwrap().span();
        assert_eq!(rfc3339(dec), "2027-01-01T00:00:00Z");
        assert_eq!(Month::of(a), m);
        assert_eq!(Month::of(b - Duration::from_millis(1)), m);
        assert_eq!(m.to_string(), "2026-11");
        for bad in ["2026-1", "2026-00", "2026-13", "26-11", "2026/11"] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }
}
