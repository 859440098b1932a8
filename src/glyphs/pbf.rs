//! MapLibre's glyph PBF messages (`glyphs.proto`, package `llmr`, proto2):
//! <https://github.com/maplibre/maplibre-gl-js/blob/main/src/style/parse_glyph_pbf.ts>
//! reads them; node-fontnik's `proto/glyphs.proto` defines them.

/// The file: one fontstack per range (`message glyphs`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Glyphs {
    /// The fontstacks (one here).
    #[prost(message, repeated, tag = "1")]
    pub stacks: Vec<Fontstack>,
}

/// A fontstack's glyphs for one range (`message fontstack`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Fontstack {
    /// The fontstack's name, as the style asks for it.
    #[prost(string, required, tag = "1")]
    pub name: String,
    /// The range, `START-END`.
    #[prost(string, required, tag = "2")]
    pub range: String,
    /// The glyphs the font has in the range.
    #[prost(message, repeated, tag = "3")]
    pub glyphs: Vec<Glyph>,
}

/// One glyph (`message glyph`): an SDF bitmap of `(width + 6) × (height +
/// 6)` bytes (3 px of buffer each side), absent when the glyph draws
/// nothing (a space), and its metrics in pixels at 24 px per em.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Glyph {
    /// The code point.
    #[prost(uint32, required, tag = "1")]
    pub id: u32,
    /// The signed distance field, row by row, one byte per pixel.
    #[prost(bytes = "vec", optional, tag = "2")]
    pub bitmap: Option<Vec<u8>>,
    /// The glyph's width without the buffer.
    #[prost(uint32, required, tag = "3")]
    pub width: u32,
    /// The glyph's height without the buffer.
    #[prost(uint32, required, tag = "4")]
    pub height: u32,
    /// From the pen position to the bitmap's left edge.
    #[prost(sint32, required, tag = "5")]
    pub left: i32,
    /// From the line's top (the font's ascender) to the bitmap's top edge,
    /// negative downwards.
    #[prost(sint32, required, tag = "6")]
    pub top: i32,
    /// How far the pen moves.
    #[prost(uint32, required, tag = "7")]
    pub advance: u32,
}
