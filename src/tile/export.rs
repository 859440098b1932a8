//! Writing a tile pyramid for static hosting or a CDN: every tile that has
//! features, over the data's bounds or a given box, rendered in parallel
//! into a [`TileSink`] — a folder of `{z}/{x}/{y}.mvt` ([`FolderSink`]) or
//! a PMTiles archive ([`super::pmtiles::PmtilesSink`]).

use super::{render, TileCoord, TileError, TileOptions};
use crate::catalog::{rect_union, Catalog};
use geo::Rect;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

/// The most tiles one export may render; beyond it, narrow the zooms or
/// the box.
pub const MAX_EXPORT_TILES: u64 = 5_000_000;

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportPlan {
    /// Lowest zoom.
    pub minzoom: u8,
    /// Highest zoom.
    pub maxzoom: u8,
    /// The area; the data's bounds when `None`.
    pub bbox: Option<Rect<f64>>,
    /// Layers to include; all when `None`.
    pub layers: Option<Vec<String>>,
}

impl ExportPlan {
    /// The area exported: the plan's box, else the data's bounds.
    pub fn area(&self, catalog: &Catalog) -> Result<Rect<f64>, ExportError> {
        match self.bbox {
            Some(b) => Ok(b),
            None => catalog
                .layers()
                .iter()
                .filter_map(|l| l.bounds())
                .reduce(rect_union)
                .ok_or(ExportError::NoBounds),
        }
    }
}

/// What an export did.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ExportStats {
    /// Tiles rendered (empty ones included).
    pub rendered: u64,
    /// Tiles written (those with features).
    pub written: u64,
    /// Bytes written in tiles.
    pub bytes: u64,
}

/// An export that cannot be done as asked.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Zooms out of order or range.
    #[error("zooms {0}..{1}: minzoom must not exceed maxzoom, and both must be 0 to 22")]
    Zooms(u8, u8),
    /// Too many tiles.
    #[error("{0} tiles is more than the {MAX_EXPORT_TILES} one export renders; lower --maxzoom or give a smaller --bbox")]
    TooMany(u64),
    /// No data to bound the export.
    #[error("the layers have no features, so there is nothing to export; give --bbox to export empty tiles' area anyway")]
    NoBounds,
    /// A tile failed.
    #[error(transparent)]
    Tile(#[from] TileError),
    /// Writing failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Where an export's tiles go. Called from every rendering thread.
pub trait TileSink: Sync {
    /// Keeps one non-empty tile.
    fn put(&self, coord: TileCoord, bytes: &[u8]) -> Result<(), ExportError>;
}

/// Tiles as files, `out/{z}/{x}/{y}.mvt`.
#[derive(Debug)]
pub struct FolderSink {
    out: PathBuf,
}

impl FolderSink {
    /// Writes under `out` (created if missing).
    pub fn new(out: &Path) -> Result<FolderSink, ExportError> {
        std::fs::create_dir_all(out).map_err(|source| ExportError::Io {
            path: out.to_path_buf(),
            source,
        })?;
        Ok(FolderSink {
            out: out.to_path_buf(),
        })
    }
}

impl TileSink for FolderSink {
    fn put(&self, t: TileCoord, bytes: &[u8]) -> Result<(), ExportError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ExportError::Io { path, source }
        };
        let dir = self.out.join(t.z.to_string()).join(t.x.to_string());
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let path = dir.join(format!("{}.mvt", t.y));
        std::fs::write(&path, bytes).map_err(io(&path))
    }
}

/// The tiles an export covers, zoom by zoom.
pub fn plan_tiles(catalog: &Catalog, plan: &ExportPlan) -> Result<Vec<TileCoord>, ExportError> {
    if plan.minzoom > plan.maxzoom || plan.maxzoom > crate::catalog::MAX_ZOOM {
        return Err(ExportError::Zooms(plan.minzoom, plan.maxzoom));
    }
    let bbox = plan.area(catalog)?;
    let mut count: u64 = 0;
    for z in plan.minzoom..=plan.maxzoom {
        let a = TileCoord::containing(bbox.min().x, bbox.max().y, z);
        let b = TileCoord::containing(bbox.max().x, bbox.min().y, z);
        count += u64::from(b.x - a.x + 1) * u64::from(b.y - a.y + 1);
        if count > MAX_EXPORT_TILES {
            return Err(ExportError::TooMany(count));
        }
    }
    Ok((plan.minzoom..=plan.maxzoom)
        .flat_map(|z| TileCoord::covering(bbox, z))
        .collect())
}

/// Renders `tiles` into `sink` on `threads` threads (every core when 0),
/// calling `progress(done, total)` as it goes (from any thread).
pub fn export(
    catalog: &Catalog,
    tiles: &[TileCoord],
    layers: Option<&[String]>,
    options: &TileOptions,
    sink: &dyn TileSink,
    threads: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<ExportStats, ExportError> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let (written, bytes) = (AtomicU64::new(0), AtomicU64::new(0));
    let failure: Mutex<Option<ExportError>> = Mutex::new(None);
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    };
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= tiles.len() || failure.lock().map_or(true, |f| f.is_some()) {
                    break;
                }
                let t = tiles[i];
                let result = render(catalog, t, layers, options)
                    .map_err(ExportError::from)
                    .and_then(|tile| {
                        if tile.bytes.is_empty() {
                            return Ok(());
                        }
                        sink.put(t, &tile.bytes)?;
                        written.fetch_add(1, Ordering::Relaxed);
                        bytes.fetch_add(tile.bytes.len() as u64, Ordering::Relaxed);
                        Ok(())
                    });
                if let Err(e) = result {
                    if let Ok(mut f) = failure.lock() {
                        f.get_or_insert(e);
                    }
                    break;
                }
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, tiles.len());
            });
        }
    });
    if let Some(e) = failure.into_inner().ok().flatten() {
        return Err(e);
    }
    Ok(ExportStats {
        rendered: tiles.len() as u64,
        written: written.into_inner(),
        bytes: bytes.into_inner(),
    })
}
