//! A glyph range as MapLibre asks for it: `START-END`, 256 code points
//! starting at a multiple of 256 (`0-255`, `256-511`, … `65280-65535`, and
//! on through the supplementary planes).

use std::fmt;

/// 256 consecutive code points, `start..=start + 255`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlyphRange {
    start: u32,
}

/// The last code point Unicode has.
const MAX_CODE_POINT: u32 = 0x10_FFFF;

impl GlyphRange {
    /// Parses `START-END` (no extension); `None` unless START is a multiple
    /// of 256 within Unicode and END is START + 255.
    ///
    /// ```
    /// use shanshui::glyphs::GlyphRange;
    /// assert_eq!(GlyphRange::parse("256-511").map(|r| r.start()), Some(256));
    /// assert!(GlyphRange::parse("0-511").is_none());
    /// ```
    pub fn parse(text: &str) -> Option<GlyphRange> {
        let (a, b) = text.split_once('-')?;
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 7 && s.bytes().all(|c| c.is_ascii_digit());
        if !digits(a) || !digits(b) {
            return None;
        }
        let start: u32 = a.parse().ok()?;
        let end: u32 = b.parse().ok()?;
        (start.is_multiple_of(256) && start <= MAX_CODE_POINT && end == start + 255)
            .then_some(GlyphRange { start })
    }

    /// The range holding code point `c`.
    pub fn containing(c: u32) -> GlyphRange {
        GlyphRange {
            start: c.min(MAX_CODE_POINT) / 256 * 256,
        }
    }

    /// The first code point.
    pub fn start(&self) -> u32 {
        self.start
    }

    /// The last code point.
    pub fn end(&self) -> u32 {
        self.start + 255
    }

    /// Every code point of the range, as characters (surrogates skipped).
    pub fn chars(&self) -> impl Iterator<Item = (u32, char)> {
        (self.start..=self.end()).filter_map(|c| char::from_u32(c).map(|ch| (c, ch)))
    }
}

impl fmt::Display for GlyphRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_maplibre_asks_for() {
        for (text, start) in [("0-255", 0), ("8192-8447", 8192), ("65280-65535", 65280)] {
            let r = GlyphRange::parse(text).unwrap();
            assert_eq!(r.start(), start);
            assert_eq!(r.to_string(), text);
        }
        assert_eq!(GlyphRange::containing(0x4E2D).to_string(), "19968-20223");
    }

    #[test]
    fn malformed_ranges() {
        for text in [
            "",
            "0",
            "0-",
            "-255",
            "1-256",
            "0-256",
            "0-254",
            "256-255",
            "a-b",
            "+0-255",
            "0-255.pbf",
            "00000000-255",
            "1114368-1114623",
        ] {
            assert!(GlyphRange::parse(text).is_none(), "{text}");
        }
    }
}
