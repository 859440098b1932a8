//! Tiles as a service: render on a miss, gzip once, tag, and keep in the
//! byte-bounded cache. What the HTTP layer and the benches call.

use super::{render, TileCoord, TileError, TileOptions};
use crate::cache::{CachedTile, TileCache, TileKey};
use crate::catalog::{Catalog, Fnv64};
use crate::limits::Slots;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Renders and caches tiles.
#[derive(Debug)]
pub struct TileService {
    /// How tiles are cut.
    pub options: TileOptions,
    cache: TileCache,
    renders: Slots,
}

/// A tile as the service found it.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The tile.
    pub tile: CachedTile,
    /// How long rendering it took, when this request rendered it; `None`
    /// when it came from the cache (or from another request's render).
    pub rendered: Option<Duration>,
}

impl TileService {
    /// A service with the given options and cache budget in bytes.
    pub fn new(options: TileOptions, cache_bytes: u64) -> TileService {
        TileService {
            options,
            cache: TileCache::new(cache_bytes),
            renders: Slots::new(0),
        }
    }

    /// At most `max` tiles render at once (0: no cap); a miss beyond that
    /// is refused with [`TileError::Busy`], while cached tiles go on being
    /// served.
    pub fn with_max_renders(mut self, max: usize) -> TileService {
        self.renders = Slots::new(max);
        self
    }

    /// Renders running now, and the cap.
    pub fn renders(&self) -> &Slots {
        &self.renders
    }

    /// The cache, for metrics.
    pub fn cache(&self) -> &TileCache {
        &self.cache
    }

    /// The tile `coord` with `layers` (all when `None`), from the cache or
    /// freshly rendered. CPU-heavy on a miss: call it off the async
    /// executor.
    pub fn tile(
        &self,
        catalog: &Catalog,
        coord: TileCoord,
        layers: Option<&[String]>,
    ) -> Result<CachedTile, TileError> {
        self.fetch(catalog, coord, layers).map(|f| f.tile)
    }

    /// The tile if it is cached, without rendering: cheap enough to call
    /// on the async executor, before handing a miss to [`TileService::fetch`].
    pub fn cached(
        &self,
        catalog: &Catalog,
        coord: TileCoord,
        layers: Option<&[String]>,
    ) -> Result<Option<CachedTile>, TileError> {
        let layers = canonical_layers(catalog, layers)?;
        Ok(self.cache.lookup(&key(catalog, coord, layers.as_deref())))
    }

    /// As [`TileService::tile`], saying whether and how long it rendered.
    /// Concurrent requests for the same missing tile render it once.
    pub fn fetch(
        &self,
        catalog: &Catalog,
        coord: TileCoord,
        layers: Option<&[String]>,
    ) -> Result<Fetched, TileError> {
        self.fetch_inner(catalog, coord, layers, true)
    }

    /// As [`TileService::fetch`], for a caller that already holds one of
    /// [`TileService::renders`]' slots for this request.
    pub fn fetch_in_slot(
        &self,
        catalog: &Catalog,
        coord: TileCoord,
        layers: Option<&[String]>,
    ) -> Result<Fetched, TileError> {
        self.fetch_inner(catalog, coord, layers, false)
    }

    fn fetch_inner(
        &self,
        catalog: &Catalog,
        coord: TileCoord,
        layers: Option<&[String]>,
        take_slot: bool,
    ) -> Result<Fetched, TileError> {
        let layers = canonical_layers(catalog, layers)?;
        let key = key(catalog, coord, layers.as_deref());
        let started = Instant::now();
        let (tile, made) = self.cache.get_or_make(&key, || {
            let _slot = if take_slot {
                Some(self.renders.try_take().ok_or(TileError::Busy {
                    max: self.renders.max(),
                })?)
            } else {
                None
            };
            self.make(catalog, coord, layers.as_deref())
        })?;
        Ok(Fetched {
            tile,
            rendered: made.then(|| started.elapsed()),
        })
    }

    fn make(
        &self,
        catalog: &Catalog,
        coord: TileCoord,
        layers: Option<&[String]>,
    ) -> Result<CachedTile, TileError> {
        let tile = render(catalog, coord, layers, &self.options)?;
        let gzip = if tile.bytes.is_empty() {
            Vec::new()
        } else {
            gzip(&tile.bytes).map_err(|e| TileError::Encode(e.to_string()))?
        };
        let mut h = Fnv64::new();
        h.write(&tile.bytes);
        let tag = format!("{:016x}-{}", h.finish(), tile.bytes.len());
        let cached = CachedTile::new(tile.bytes.into(), gzip.into(), &tag);
        Ok(cached)
    }
}

fn key(catalog: &Catalog, coord: TileCoord, layers: Option<&[String]>) -> TileKey {
    TileKey {
        version: Arc::clone(catalog.version_shared()),
        coord,
        layers: layers.map(|l| l.join(",")).unwrap_or_default(),
    }
}

/// The requested layers in catalog order, each checked to exist; `None`
/// for all of them.
fn canonical_layers(
    catalog: &Catalog,
    layers: Option<&[String]>,
) -> Result<Option<Vec<String>>, TileError> {
    let Some(ids) = layers else {
        return Ok(None);
    };
    for id in ids {
        if catalog.layer(id).is_none() {
            return Err(TileError::UnknownLayer {
                layer: id.clone(),
                known: catalog.layer_ids(),
            });
        }
    }
    Ok(Some(
        catalog
            .layers()
            .iter()
            .map(|l| l.id().to_string())
            .filter(|id| ids.contains(id))
            .collect(),
    ))
}

/// The gzip level for tiles. Level 2 of zlib-rs compresses a dense 430 KB
/// tile in about 5 ms against 46 ms at miniz_oxide's default level 6, for
/// 3.5 % more bytes (`BENCHMARKS.md`, "Where the time goes").
const GZIP_LEVEL: u32 = 2;

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = GzEncoder::new(
        Vec::with_capacity(bytes.len() / 2),
        Compression::new(GZIP_LEVEL),
    );
    enc.write_all(bytes)?;
    enc.finish()
}
