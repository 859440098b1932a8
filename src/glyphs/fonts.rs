//! The fonts shanshui serves glyphs from, by fontstack name, each parsed
//! once and each range rendered once, on first use.

use super::{pbf, signed_distance_field, GlyphRange, BUFFER, CUTOFF, FONT_SIZE, RADIUS};
use prost::Message;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Why a glyph request cannot be answered.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GlyphError {
    /// A font in the fontstack is not one this server has.
    #[error("no font `{name}`; the fonts served are: {available}")]
    UnknownFont {
        /// The name asked for.
        name: String,
        /// The names served, comma-separated.
        available: String,
    },
    /// The range is not `START-END` with START a multiple of 256.
    #[error("malformed glyph range `{0}`; ranges are START-END.pbf with START a multiple of 256 and END = START + 255, e.g. 0-255.pbf")]
    MalformedRange(String),
    /// A bundled font file could not be read.
    #[error("the font `{name}` could not be parsed: {reason}")]
    BadFont {
        /// The fontstack name.
        name: String,
        /// The parser's message.
        reason: String,
    },
}

/// The bundled fonts: Noto Sans Regular and Bold (styles/fonts/, OFL-1.1).
const BUNDLED: [(&str, &[u8]); 2] = [
    (
        "Noto Sans Regular",
        include_bytes!("../../styles/fonts/NotoSans-Regular.ttf"),
    ),
    (
        "Noto Sans Bold",
        include_bytes!("../../styles/fonts/NotoSans-Bold.ttf"),
    ),
];

/// Encoded PBFs by (the stack's font indices, range).
type Rendered = HashMap<(Vec<usize>, GlyphRange), Arc<Vec<u8>>>;

/// A set of fonts served by fontstack name.
pub struct FontLibrary {
    fonts: Vec<Font>,
    rendered: Mutex<Rendered>,
}

impl std::fmt::Debug for FontLibrary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FontLibrary")
            .field("fonts", &self.names().collect::<Vec<_>>())
            .finish()
    }
}

struct Font {
    name: &'static str,
    bytes: &'static [u8],
    parsed: OnceLock<Result<fontdue::Font, String>>,
}

impl FontLibrary {
    /// The fonts built into the binary, shared by the whole process (they
    /// never change; each range is rendered once).
    pub fn bundled() -> &'static FontLibrary {
        static LIBRARY: OnceLock<FontLibrary> = OnceLock::new();
        LIBRARY.get_or_init(|| FontLibrary::new(&BUNDLED))
    }

    /// A library over font files (TrueType/OpenType bytes) by name.
    pub fn new(fonts: &[(&'static str, &'static [u8])]) -> FontLibrary {
        FontLibrary {
            fonts: fonts
                .iter()
                .map(|&(name, bytes)| Font {
                    name,
                    bytes,
                    parsed: OnceLock::new(),
                })
                .collect(),
            rendered: Mutex::new(HashMap::new()),
        }
    }

    /// The fontstack names served, one per font.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.fonts.iter().map(|f| f.name)
    }

    /// Checks a fontstack (`Noto Sans Regular`, or several comma-separated
    /// names, as MapLibre joins a `text-font` list) and returns its fonts'
    /// indices, each once.
    fn stack(&self, fontstack: &str) -> Result<Vec<usize>, GlyphError> {
        let mut indices = Vec::new();
        for name in fontstack.split(',').map(str::trim) {
            let i = self
                .fonts
                .iter()
                .position(|f| f.name == name)
                .ok_or_else(|| GlyphError::UnknownFont {
                    name: name.to_string(),
                    available: self.names().collect::<Vec<_>>().join(", "),
                })?;
            if !indices.contains(&i) {
                indices.push(i);
            }
        }
        Ok(indices)
    }

    /// Checks that `fontstack` names only fonts this library has.
    pub fn check_stack(&self, fontstack: &str) -> Result<(), GlyphError> {
        self.stack(fontstack).map(|_| ())
    }

    /// The glyph PBF for `fontstack` and `range` (`0-255`): every glyph
    /// of the range that a font of the stack has, from the first that has
    /// it. A range none has is a valid PBF with no glyphs.
    pub fn range_pbf(&self, fontstack: &str, range: &str) -> Result<Arc<Vec<u8>>, GlyphError> {
        let stack = self.stack(fontstack)?;
        let range =
            GlyphRange::parse(range).ok_or_else(|| GlyphError::MalformedRange(range.into()))?;
        let key = (stack, range);
        if let Some(hit) = self.lock().get(&key) {
            return Ok(Arc::clone(hit));
        }
        let fonts = key
            .0
            .iter()
            .map(|&i| self.fonts[i].parsed())
            .collect::<Result<Vec<_>, _>>()?;
        let glyphs = range
            .chars()
            .filter_map(|(code, ch)| {
                fonts.iter().find_map(|font| {
                    let index = font.lookup_glyph_index(ch);
                    (index != 0).then(|| render(font, code, index))
                })
            })
            .collect();
        let message = pbf::Glyphs {
            stacks: vec![pbf::Fontstack {
                name: fontstack.to_string(),
                range: range.to_string(),
                glyphs,
            }],
        };
        let bytes = Arc::new(message.encode_to_vec());
        self.lock().insert(key, Arc::clone(&bytes));
        Ok(bytes)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Rendered> {
        match self.rendered.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

impl Font {
    fn parsed(&self) -> Result<&fontdue::Font, GlyphError> {
        self.parsed
            .get_or_init(|| {
                let settings = fontdue::FontSettings {
                    scale: FONT_SIZE,
                    ..fontdue::FontSettings::default()
                };
                fontdue::Font::from_bytes(self.bytes, settings).map_err(String::from)
            })
            .as_ref()
            .map_err(|reason| GlyphError::BadFont {
                name: self.name.to_string(),
                reason: reason.clone(),
            })
    }
}

/// One glyph: rasterized at 24 px, turned into a distance field, with its
/// metrics as node-fontnik gives them (`top` from the ascender line).
fn render(font: &fontdue::Font, code: u32, index: u16) -> pbf::Glyph {
    let (m, coverage) = font.rasterize_indexed(index, FONT_SIZE);
    let ascender = font
        .horizontal_line_metrics(FONT_SIZE)
        .map(|l| l.ascent.round() as i32)
        .unwrap_or(0);
    let (width, height) = (m.width, m.height);
    let bitmap = (width > 0 && height > 0)
        .then(|| signed_distance_field(&coverage, width, height, BUFFER, RADIUS, CUTOFF));
    pbf::Glyph {
        id: code,
        bitmap,
        width: width as u32,
        height: height as u32,
        left: m.xmin,
        top: m.ymin + height as i32 - ascender,
        advance: m.advance_width.round().max(0.0) as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_range_has_every_printable_glyph() {
        let lib = FontLibrary::bundled();
        let bytes = lib.range_pbf("Noto Sans Regular", "0-255").unwrap();
        let glyphs = pbf::Glyphs::decode(bytes.as_slice()).unwrap();
        let stack = &glyphs.stacks[0];
        assert_eq!(stack.range, "0-255");
        for c in (0x20..0x7F).chain(0xA0..0x100) {
            assert!(stack.glyphs.iter().any(|g| g.id == c), "U+{c:04X}");
        }
        let a = stack
            .glyphs
            .iter()
            .find(|g| g.id == u32::from('A'))
            .unwrap();
        let bitmap = a.bitmap.as_ref().unwrap();
        assert_eq!(bitmap.len() as u32, (a.width + 6) * (a.height + 6));
        // A capital sits on the baseline: about cap height (17 px) below
        // the ascender line (26 px) .
        assert!((-10..=-7).contains(&a.top), "top {}", a.top);
        let space = stack.glyphs.iter().find(|g| g.id == 32).unwrap();
        assert!(space.bitmap.is_none() && space.advance > 0);
    }

    #[test]
    fn ranges_the_font_lacks_are_empty_and_stacks_are_checked() {
        let lib = FontLibrary::bundled();
        let bytes = lib.range_pbf("Noto Sans Bold", "19968-20223").unwrap();
        let glyphs = pbf::Glyphs::decode(bytes.as_slice()).unwrap();
        assert!(glyphs.stacks[0].glyphs.is_empty());
        assert!(matches!(
            lib.range_pbf("Open Sans Regular", "0-255"),
            Err(GlyphError::UnknownFont { .. })
        ));
        assert!(matches!(
            lib.range_pbf("Noto Sans Regular", "0-256"),
            Err(GlyphError::MalformedRange(_))
        ));
        assert!(lib.check_stack("Noto Sans Bold,Noto Sans Regular").is_ok());
    }
}
