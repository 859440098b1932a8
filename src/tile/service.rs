//! Tiles as a service: render on a miss, gzip once, tag, and keep in the
//! byte-bounded cache. What the HTTP layer and the benches call.

use super::{render, TileCoord, TileError, TileOptions};
use crate::cache::{CachedTile, TileCache, TileKey};
use crate::catalog::{Catalog, Fnv64};
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;
use std::sync::Arc;

/// Renders and caches tiles.
#[derive(Debug)]
pub struct TileService {
    /// How tiles are cut.
    pub options: TileOptions,
    cache: TileCache,
}

impl TileService {
    /// A service with the given options and cache budget in bytes.
    pub fn new(options: TileOptions, cache_bytes: u64) -> TileService {
        TileService {
            options,
            cache: TileCache::new(cache_bytes),
        }
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
        let layers = canonical_layers(catalog, layers)?;
        let key = TileKey {
            version: Arc::from(catalog.version()),
            coord,
            layers: layers.as_ref().map(|l| l.join(",")).unwrap_or_default(),
        };
        if let Some(hit) = self.cache.get(&key) {
            return Ok(hit);
        }
        let tile = render(catalog, coord, layers.as_deref(), &self.options)?;
        let gzip = if tile.bytes.is_empty() {
            Vec::new()
        } else {
            gzip(&tile.bytes).map_err(|e| TileError::Encode(e.to_string()))?
        };
        let mut h = Fnv64::new();
        h.write(&tile.bytes);
        let cached = CachedTile {
            etag: format!("{:016x}-{}", h.finish(), tile.bytes.len()).into(),
            raw: tile.bytes.into(),
            gzip: gzip.into(),
        };
        self.cache.insert(key, cached.clone());
        Ok(cached)
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

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = GzEncoder::new(Vec::with_capacity(bytes.len() / 2), Compression::default());
    enc.write_all(bytes)?;
    enc.finish()
}
