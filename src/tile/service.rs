//! Tiles as a service: render on a miss, gzip once, tag, and keep in the
//! byte-bounded cache. What the HTTP layer and the benches call.

use super::{render, TileCoord, TileError, TileOptions};
use crate::cache::{CachedTile, TileCache, TileKey};
use crate::catalog::Catalog;
use crate::limits::Slots;
use libdeflater::{CompressionLvl, Compressor};
use std::sync::{Arc, Mutex, PoisonError};
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
        self.fetch_inner(catalog, coord, layers, true, true)
    }

    /// As [`TileService::fetch`], for a caller that already holds one of
    /// [`TileService::renders`]' slots for this request. With the cache
    /// off, a tile for a client that does not take gzip is not gzipped
    /// (nothing else would read those bytes): its `gzip` is then empty.
    pub fn fetch_in_slot(
        &self,
        catalog: &Catalog,
        coord: TileCoord,
        layers: Option<&[String]>,
        client_takes_gzip: bool,
    ) -> Result<Fetched, TileError> {
        let zip = client_takes_gzip || self.cache.capacity() > 0;
        self.fetch_inner(catalog, coord, layers, false, zip)
    }

    fn fetch_inner(
        &self,
        catalog: &Catalog,
        coord: TileCoord,
        layers: Option<&[String]>,
        take_slot: bool,
        zip: bool,
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
            self.make(catalog, coord, layers.as_deref(), zip)
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
        zip: bool,
    ) -> Result<CachedTile, TileError> {
        let tile = render(catalog, coord, layers, &self.options)?;
        let gzip = if tile.bytes.is_empty() || !zip {
            Vec::new()
        } else {
            gzip(&tile.bytes)?
        };
        let tag = format!("{:016x}-{}", tile_hash(&tile.bytes), tile.bytes.len());
        let cached = CachedTile::new(tile.bytes.into(), gzip.into(), &tag);
        Ok(cached)
    }
}

/// A tile's bytes hashed for its entity tag, the same in every run of a
/// build (a fixed seed). foldhash reads eight bytes at a time: FNV-1a, a
/// byte at a time, was 2 % of a cold tile's instructions (callgrind).
fn tile_hash(bytes: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::with_seed(0x7368_616e_7368_7569).hash_one(bytes)
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

/// The gzip level for tiles. libdeflate's level 1 makes the same bytes as
/// zlib-rs's level 2 (within 0.2 % over 320 tiles of z10–z14) for 12–20 %
/// less of a cold tile's CPU (`benches/ab_cpu.sh`); zlib-rs at level 2 had
/// replaced miniz_oxide at 6, which took 46 ms for a dense 430 KB tile
/// against 5 ms, for 3.5 % fewer bytes (`BENCHMARKS.md`, "Where the time
/// goes").
const GZIP_LEVEL: i32 = 1;

/// Compressors not in use, each with the buffer it writes into. A
/// compressor holds its tables (a few hundred KB): one per render running
/// at once, not one per thread of the pool. The buffer, as long as the
/// longest output's bound so far, is written into without being zeroed
/// first, and the answer copied out of it at its own length (a buffer of
/// the bound, truncated, kept twice the bytes in the tile cache).
static COMPRESSORS: Mutex<Vec<(Compressor, Vec<u8>)>> = Mutex::new(Vec::new());

fn gzip(bytes: &[u8]) -> Result<Vec<u8>, TileError> {
    let idle = COMPRESSORS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .pop();
    let (mut compressor, mut scratch) = match idle {
        Some(idle) => idle,
        None => (
            Compressor::new(
                CompressionLvl::new(GZIP_LEVEL).map_err(|e| TileError::Encode(format!("{e:?}")))?,
            ),
            Vec::new(),
        ),
    };
    let bound = compressor.gzip_compress_bound(bytes.len());
    if scratch.len() < bound {
        scratch.resize(bound, 0);
    }
    let written = compressor.gzip_compress(bytes, &mut scratch[..bound]);
    let out = written.map(|n| scratch[..n].to_vec());
    COMPRESSORS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((compressor, scratch));
    out.map_err(|e| TileError::Encode(format!("gzip: {e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn catalog() -> Catalog {
        Catalog::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata")).unwrap()
    }

    /// A tile over Miyun town.
    const TOWN: TileCoord = TileCoord {
        z: 12,
        x: 3377,
        y: 1545,
    };

    /// A tag is the bytes' (no seed drawn at random: the same tile keeps
    /// its ETag across restarts, so clients' copies stay good), and one
    /// byte more or different changes it.
    #[test]
    fn entity_tags_follow_the_bytes() {
        let bytes: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
        assert_eq!(tile_hash(&bytes), tile_hash(&bytes.clone()));
        let mut other = bytes.clone();
        other[69_999] ^= 1;
        assert_ne!(tile_hash(&bytes), tile_hash(&other));
        other.push(0);
        assert_ne!(tile_hash(&bytes), tile_hash(&other));
        let a = TileService::new(TileOptions::default(), 0);
        let b = TileService::new(TileOptions::default(), 1 << 20);
        let catalog = catalog();
        assert_eq!(
            a.tile(&catalog, TOWN, None).unwrap().etag,
            b.tile(&catalog, TOWN, None).unwrap().etag
        );
    }

    #[test]
    fn gzip_is_made_only_when_something_will_read_it() {
        let catalog = catalog();
        let off = TileService::new(TileOptions::default(), 0);
        let plain = off.fetch_in_slot(&catalog, TOWN, None, false).unwrap().tile;
        assert!(!plain.raw.is_empty());
        assert!(plain.gzip.is_empty());
        let zipped = off.fetch_in_slot(&catalog, TOWN, None, true).unwrap().tile;
        assert_eq!(zipped.raw, plain.raw);
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&zipped.gzip[..])
            .read_to_end(&mut unzipped)
            .unwrap();
        assert_eq!(unzipped, plain.raw);
        // A cached tile may be asked for with gzip later; so may one that
        // `tile` and `export` write out.
        let on = TileService::new(TileOptions::default(), 1 << 20);
        assert!(!on
            .fetch_in_slot(&catalog, TOWN, None, false)
            .unwrap()
            .tile
            .gzip
            .is_empty());
        assert!(!off.tile(&catalog, TOWN, None).unwrap().gzip.is_empty());
    }
}
