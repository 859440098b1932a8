//! A tile pyramid as one PMTiles v3 archive
//! (<https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md>),
//! written with the `pmtiles` crate: tiles gzipped, identical tiles
//! stored once, the directory in tile-id (Hilbert) order, and the TileJSON
//! (with `vector_layers`) as the archive's metadata.

use super::export::{ExportError, TileSink};
use super::TileCoord;
use geo::Rect;
use pmtiles::{Compression, PmTilesWriter, TileType};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Collects rendered tiles, then writes them in tile-id order.
#[derive(Debug, Default)]
pub struct PmtilesSink {
    tiles: Mutex<Vec<(u64, TileCoord, Vec<u8>)>>,
}

/// What went into an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveStats {
    /// Tiles addressed.
    pub tiles: u64,
    /// Distinct tile contents stored.
    pub unique: u64,
    /// The archive's size in bytes.
    pub bytes: u64,
}

/// The header's description of the pyramid.
#[derive(Debug, Clone)]
pub struct ArchiveMeta {
    /// Lowest and highest zoom.
    pub zooms: (u8, u8),
    /// The area.
    pub bounds: Rect<f64>,
    /// The TileJSON, written as the archive's metadata.
    pub metadata: serde_json::Value,
}

impl TileSink for PmtilesSink {
    fn put(&self, coord: TileCoord, bytes: &[u8]) -> Result<(), ExportError> {
        let id = pmtiles::TileCoord::new(coord.z, coord.x, coord.y)
            .map(|c| pmtiles::TileId::from(c).value())
            .map_err(|e| archive_error(Path::new("."), e))?;
        if let Ok(mut tiles) = self.tiles.lock() {
            tiles.push((id, coord, bytes.to_vec()));
        }
        Ok(())
    }
}

impl PmtilesSink {
    /// An empty sink.
    pub fn new() -> PmtilesSink {
        PmtilesSink::default()
    }

    /// Writes the archive to `path` (through a temporary file beside it,
    /// renamed into place when complete).
    pub fn finish(self, path: &Path, meta: &ArchiveMeta) -> Result<ArchiveStats, ExportError> {
        let mut tiles = self.tiles.into_inner().unwrap_or_else(|p| p.into_inner());
        tiles.sort_unstable_by_key(|(id, _, _)| *id);
        let unique = tiles
            .iter()
            .map(|(_, _, b)| b.as_slice())
            .collect::<HashSet<_>>()
            .len() as u64;
        let tmp = path.with_extension("pmtiles.partial");
        let io = |p: &Path| {
            let path = p.to_path_buf();
            move |source| ExportError::Io { path, source }
        };
        let file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        let b = meta.bounds;
        let c = b.center();
        let mut writer = PmTilesWriter::new(TileType::Mvt)
            .tile_compression(Compression::Gzip)
            .internal_compression(Compression::Gzip)
            .min_zoom(meta.zooms.0)
            .max_zoom(meta.zooms.1)
            .bounds(b.min().x, b.min().y, b.max().x, b.max().y)
            .center_zoom(meta.zooms.0.max(meta.zooms.1.min(10)))
            .center(c.x, c.y)
            .metadata(meta.metadata.to_string())
            .create(std::io::BufWriter::new(file))
            .map_err(|e| archive_error(&tmp, e))?;
        for (_, coord, bytes) in &tiles {
            let at = pmtiles::TileCoord::new(coord.z, coord.x, coord.y)
                .map_err(|e| archive_error(&tmp, e))?;
            writer
                .add_tile(at, bytes)
                .map_err(|e| archive_error(&tmp, e))?;
        }
        writer.finalize().map_err(|e| archive_error(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(io(path))?;
        let bytes = std::fs::metadata(path).map_err(io(path))?.len();
        Ok(ArchiveStats {
            tiles: tiles.len() as u64,
            unique,
            bytes,
        })
    }
}

fn archive_error(path: &Path, e: pmtiles::PmtError) -> ExportError {
    ExportError::Io {
        path: PathBuf::from(path),
        source: std::io::Error::other(e.to_string()),
    }
}
