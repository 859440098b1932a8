//! Glyphs for the web map's labels: MapLibre asks for signed-distance-field
//! glyphs in ranges of 256 code points (`/fonts/{fontstack}/{range}.pbf`),
//! and this module renders them from the fonts the project ships
//! (`styles/fonts/`, Noto Sans under the OFL) the first time a range is
//! asked for, then keeps them.
//!
//! The format is MapLibre's `glyphs.proto` (inherited from Mapbox GL), with
//! the conventions of the reference generators (node-fontnik, TinySDF):
//! 24 px glyphs, a 3 px buffer around each bitmap, an SDF radius of 8 px
//! and a cutoff of 0.25. Chinese labels are not served from here: MapLibre
//! draws CJK code points with a local font (`localIdeographFontFamily`).

mod fonts;
mod pbf;
mod range;
mod sdf;

pub use fonts::{FontLibrary, GlyphError};
pub use pbf::{Fontstack, Glyph, Glyphs};
pub use range::GlyphRange;
pub use sdf::signed_distance_field;

/// The size glyphs are rendered at, in pixels per em.
pub const FONT_SIZE: f32 = 24.0;
/// Pixels of padding around each glyph bitmap.
pub const BUFFER: usize = 3;
/// How far, in pixels, the distance field reaches either side of an edge.
pub const RADIUS: f64 = 8.0;
/// Where the edge sits in the 0..1 range of a bitmap value (0.25: 192).
pub const CUTOFF: f64 = 0.25;
