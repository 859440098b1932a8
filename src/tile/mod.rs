//! Mapbox Vector Tiles from the catalog: search the buffered tile, clip,
//! simplify for the zoom, snap to the grid, repair or drop what snapping
//! broke, fix the winding, encode. Knows nothing of HTTP.

mod clip;
mod encode;
mod error;
mod export;
pub mod grid;
pub mod labels;
mod pmtiles;
mod render;
mod service;
mod snap;
pub mod tilejson;

pub use encode::{encode, EncodeError, EncodeFeature};
pub use error::TileError;
pub use export::{
    export, plan_tiles, ExportError, ExportPlan, ExportStats, FolderSink, TileSink,
    MAX_EXPORT_TILES,
};
pub use grid::TileCoord;
pub use pmtiles::{ArchiveMeta, ArchiveStats, PmtilesSink};
pub use render::{render, Tile, TileOptions};
pub use service::{Fetched, TileService};
pub use snap::{snap, twice_area, TileGeometry};
