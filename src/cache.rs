//! Rendered tiles kept in memory, bounded by bytes. Keys carry the
//! catalog's version, so a tile of old data can never answer for new data.

use crate::limits::Stopped;
use crate::tile::TileCoord;
use bytes::Bytes;
use quick_cache::sync::{Cache, GuardResult};
use quick_cache::Weighter;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How long a request waiting for another's render of the same tile
/// sleeps between looks at its own deadline.
const WAIT_STEP: Duration = Duration::from_millis(50);

/// What identifies a rendered tile.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TileKey {
    /// The catalog version the tile was cut from.
    pub version: Arc<str>,
    /// The tile.
    pub coord: TileCoord,
    /// The layers in it, comma-separated in catalog order; empty for all.
    pub layers: String,
}

/// A rendered tile, plain and gzipped, with its entity tag.
#[derive(Debug, Clone)]
pub struct CachedTile {
    /// The MVT bytes; empty for a tile with no features.
    pub raw: Bytes,
    /// The same, gzip-compressed; empty when `raw` is, or when the tile
    /// was made, with the cache off, for a client that does not take gzip.
    pub gzip: Bytes,
    /// A strong entity tag for the plain bytes, quoted as the `ETag`
    /// header carries it.
    pub etag: Bytes,
    /// The gzip representation's: the same with `-gzip` inside the quotes.
    pub etag_gzip: Bytes,
}

impl CachedTile {
    /// A tile of these bytes, whose entity tag is `tag` (unquoted).
    pub fn new(raw: Bytes, gzip: Bytes, tag: &str) -> CachedTile {
        CachedTile {
            raw,
            gzip,
            etag: Bytes::from(format!("\"{tag}\"")),
            etag_gzip: Bytes::from(format!("\"{tag}-gzip\"")),
        }
    }
}

impl CachedTile {
    /// Bytes held, for the cache's budget.
    pub fn weight(&self) -> u64 {
        (self.raw.len() + self.gzip.len() + self.etag.len() + self.etag_gzip.len() + 96) as u64
    }
}

#[derive(Debug, Clone, Copy)]
struct ByBytes;

impl Weighter<TileKey, CachedTile> for ByBytes {
    fn weight(&self, key: &TileKey, tile: &CachedTile) -> u64 {
        tile.weight() + (key.layers.len() + key.version.len()) as u64
    }
}

/// A concurrent tile cache holding at most a given number of bytes.
pub struct TileCache {
    inner: Cache<TileKey, CachedTile, ByBytes>,
    capacity: u64,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl std::fmt::Debug for TileCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TileCache")
            .field("capacity", &self.capacity)
            .field("bytes", &self.inner.weight())
            .field("tiles", &self.inner.len())
            .finish()
    }
}

impl TileCache {
    /// A cache of at most `bytes` bytes (0 disables caching).
    pub fn new(bytes: u64) -> TileCache {
        let estimated = (bytes / 8_192).clamp(16, 1 << 20) as usize;
        TileCache {
            inner: Cache::with_weighter(estimated, bytes.max(1), ByBytes),
            capacity: bytes,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The tile from the cache, or made by `make` and kept. Concurrent
    /// callers for the same missing tile wait for the first one's `make`
    /// instead of each making it (while their own deadline allows).
    /// Returns the tile and whether this call made it.
    pub fn get_or_make<E: From<Stopped>>(
        &self,
        key: &TileKey,
        make: impl FnOnce() -> Result<CachedTile, E>,
    ) -> Result<(CachedTile, bool), E> {
        loop {
            match self.inner.get_value_or_guard(key, Some(WAIT_STEP)) {
                GuardResult::Value(tile) => {
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    return Ok((tile, false));
                }
                GuardResult::Guard(guard) => {
                    self.misses.fetch_add(1, Ordering::Relaxed);
                    let tile = make()?;
                    if self.capacity > 0 {
                        let _ = guard.insert(tile.clone());
                    }
                    return Ok((tile, true));
                }
                GuardResult::Timeout => crate::limits::check()?,
            }
        }
    }

    /// The tile, if cached, counted as a hit (a miss is counted by
    /// [`TileCache::get_or_make`], which makes it).
    pub fn lookup(&self, key: &TileKey) -> Option<CachedTile> {
        let tile = self.inner.get(key)?;
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(tile)
    }

    /// Lookups answered from the cache since start.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Lookups that had to make the tile since start.
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }

    /// The budget in bytes (0: caching off).
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Bytes held now.
    pub fn bytes(&self) -> u64 {
        self.inner.weight()
    }

    /// Tiles held now.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tile(n: usize) -> CachedTile {
        CachedTile::new(vec![1u8; n].into(), vec![2u8; n / 4].into(), "x")
    }

    fn key(version: &str, x: u32) -> TileKey {
        TileKey {
            version: version.into(),
            coord: TileCoord::new(10, x, 0).unwrap(),
            layers: String::new(),
        }
    }

    /// Keeps a tile the way a render does.
    fn keep(cache: &TileCache, k: TileKey, t: CachedTile) {
        cache
            .get_or_make(&k, || -> Result<_, Stopped> { Ok(t) })
            .unwrap();
    }

    #[test]
    fn stays_within_its_byte_budget() {
        let cache = TileCache::new(100_000);
        for x in 0..200 {
            keep(&cache, key("v1", x), tile(10_000));
        }
        assert!(cache.bytes() <= 100_000, "{}", cache.bytes());
        assert!(!cache.is_empty());
    }

    #[test]
    fn another_version_is_another_key() {
        let cache = TileCache::new(1_000_000);
        keep(&cache, key("v1", 1), tile(10));
        assert!(cache.lookup(&key("v1", 1)).is_some());
        assert!(cache.lookup(&key("v2", 1)).is_none());
    }

    #[test]
    fn concurrent_misses_make_a_tile_once() {
        let cache = Arc::new(TileCache::new(1_000_000));
        let made = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (cache, made) = (Arc::clone(&cache), Arc::clone(&made));
                std::thread::spawn(move || {
                    cache
                        .get_or_make(&key("v1", 7), || -> Result<_, Stopped> {
                            made.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(200));
                            Ok(tile(100))
                        })
                        .unwrap()
                })
            })
            .collect();
        let made_here: usize = threads
            .into_iter()
            .map(|t| usize::from(t.join().unwrap().1))
            .sum();
        assert_eq!(made.load(Ordering::SeqCst), 1);
        assert_eq!(made_here, 1);
        assert_eq!((cache.hits(), cache.misses()), (7, 1));
    }

    #[test]
    fn a_failed_make_leaves_the_tile_for_the_next_caller() {
        let cache = TileCache::new(1_000_000);
        let r = cache.get_or_make(&key("v1", 3), || Err(Stopped::Cancelled));
        assert_eq!(r.unwrap_err(), Stopped::Cancelled);
        let (_, made) = cache
            .get_or_make(&key("v1", 3), || -> Result<_, Stopped> { Ok(tile(10)) })
            .unwrap();
        assert!(made);
    }

    #[test]
    fn zero_disables() {
        let cache = TileCache::new(0);
        keep(&cache, key("v1", 1), tile(10));
        assert!(cache.lookup(&key("v1", 1)).is_none());
    }
}
