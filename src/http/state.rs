//! What every handler shares: the catalog (immutable, replaced whole), the
//! tile service with its cache, and the server's settings.

use crate::catalog::Catalog;
use crate::metrics::Metrics;
use crate::query::FilterLimits;
use crate::reload::LiveCatalog;
use crate::tile::{TileOptions, TileService};
use std::sync::Arc;
use std::time::Duration;

/// Settings that shape responses.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The URL clients reach the server at, when it sits behind a proxy
    /// (`https://maps.example.org/shanshui`); else URLs are built from the
    /// request's `Host`.
    pub public_url: Option<String>,
    /// The `Cache-Control` value sent with tiles and TileJSON.
    pub cache_control: String,
    /// How long and how deeply nested a CQL2 filter may be.
    pub filter_limits: FilterLimits,
    /// How long one request may take before it is answered 503 and its
    /// work stopped (`None`: no limit).
    pub request_timeout: Option<Duration>,
    /// How many tiles may render at once; a cold tile past that is
    /// answered 503 with `Retry-After` (0: no cap).
    pub max_renders: usize,
    /// The largest request body taken, in bytes (a POSTed zone).
    pub max_body_bytes: usize,
    /// The most vertices a POSTed geometry may have.
    pub max_vertices: usize,
    /// The most features one response may hold (`limit`'s ceiling).
    pub max_features: usize,
}

/// Defaults of the limits, shared by [`ServerConfig::default`] and the
/// command line's flags.
pub mod defaults {
    /// `--request-timeout`, seconds.
    pub const REQUEST_TIMEOUT_S: u64 = 30;
    /// `--max-body-bytes`: 4 MiB.
    pub const MAX_BODY_BYTES: usize = 4 << 20;
    /// `--max-vertices`.
    pub const MAX_VERTICES: usize = 100_000;
    /// `--max-features`.
    pub const MAX_FEATURES: usize = 10_000;

    /// `--max-renders`: 16 cold tiles per core, at least 64, in hand at
    /// once (one rendering per core, the rest waiting their turn): room for
    /// the burst of tiles a web map asks for when it pans, while a flood
    /// past it is shed at once.
    pub fn max_renders() -> usize {
        (16 * std::thread::available_parallelism().map_or(2, |n| n.get())).max(64)
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            public_url: None,
            cache_control: "public, max-age=3600".into(),
            filter_limits: FilterLimits::default(),
            request_timeout: Some(Duration::from_secs(defaults::REQUEST_TIMEOUT_S)),
            max_renders: defaults::max_renders(),
            max_body_bytes: defaults::MAX_BODY_BYTES,
            max_vertices: defaults::MAX_VERTICES,
            max_features: defaults::MAX_FEATURES,
        }
    }
}

/// The state behind every handler; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    live: Arc<LiveCatalog>,
    tiles: Arc<TileService>,
    metrics: Metrics,
    config: ServerConfig,
    /// `config.cache_control` as a header, parsed once.
    cache_control: axum::http::HeaderValue,
    renderers: super::Renderers,
    /// The one writer of edits and the write keys, when the data came
    /// from a folder (where edits are kept).
    writer: Option<Arc<crate::edit::Writer>>,
    keys: Option<Arc<crate::keys::Keys>>,
    /// The last past catalog asked for with `as-of`: (the version it was
    /// made from, the moment, the catalog).
    as_of: std::sync::Mutex<Option<PastCatalog>>,
}

/// A catalog as it stood at a moment: the version it was made from, the
/// moment, and the catalog.
type PastCatalog = (Arc<str>, std::time::SystemTime, Arc<Catalog>);

impl AppState {
    /// State over a catalog built in memory (nothing to reload).
    pub fn new(
        catalog: Catalog,
        config: ServerConfig,
        options: TileOptions,
        cache_bytes: u64,
    ) -> AppState {
        AppState::serving(
            Arc::new(LiveCatalog::new(catalog, None)),
            config,
            options,
            cache_bytes,
        )
    }

    /// State over live data, which reloads replace.
    pub fn serving(
        live: Arc<LiveCatalog>,
        config: ServerConfig,
        options: TileOptions,
        cache_bytes: u64,
    ) -> AppState {
        let tiles =
            Arc::new(TileService::new(options, cache_bytes).with_max_renders(config.max_renders));
        let keys = live
            .dir()
            .map(|dir| Arc::new(crate::keys::Keys::of_data(dir)));
        let writer = live
            .dir()
            .map(|_| Arc::new(crate::edit::Writer::new(Arc::clone(&live))));
        AppState {
            inner: Arc::new(Shared {
                writer,
                keys,
                as_of: std::sync::Mutex::new(None),
                metrics: Metrics::new(Arc::clone(&tiles), Arc::clone(&live)),
                live,
                tiles,
                cache_control: axum::http::HeaderValue::from_str(&config.cache_control)
                    .unwrap_or_else(|_| axum::http::HeaderValue::from_static("no-cache")),
                config,
                renderers: super::Renderers::per_core(),
            }),
        }
    }

    /// The current catalog. Requests hold their own `Arc`, so a reload
    /// never changes the data under a request in flight.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.inner.live.catalog()
    }

    /// The catalog as it stood at `as_of` (an RFC 3339 time or a date)
    /// when given: the layers that take edits with every later edit
    /// undone; else the catalog now. Reads the journals: call it off the
    /// async threads.
    pub fn catalog_at(&self, as_of: Option<&str>) -> Result<Arc<Catalog>, super::ApiError> {
        let Some(text) = as_of else {
            return Ok(self.catalog());
        };
        let t = crate::time::parse_instant(text)
            .map_err(|e| super::ApiError::BadRequest(format!("as-of: {e}")))?;
        let Some(dir) = self.inner.live.dir() else {
            return Ok(self.catalog());
        };
        // The catalog and the journals read together: no edit, and no
        // folding of a journal, in between.
        let _writing = self.inner.live.writing();
        let now = self.catalog();
        let mut last = self.inner.as_of.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((version, at, past)) = &*last {
            if **version == *now.version() && *at == t {
                return Ok(Arc::clone(past));
            }
        }
        let past = crate::edit::history::as_of(&now, &crate::edit::data_root(dir), t)
            .map_err(|e| super::ApiError::Internal(format!("as-of {text}: {e}")))?;
        let past = Arc::new(past);
        *last = Some((Arc::clone(now.version_shared()), t, Arc::clone(&past)));
        Ok(past)
    }

    /// The live data: its reloads and their history.
    pub fn live(&self) -> &Arc<LiveCatalog> {
        &self.inner.live
    }

    /// Replaces the catalog whole. Cached tiles of the old one are never
    /// served again: their keys carry the old version.
    pub fn replace_catalog(&self, catalog: Catalog) {
        self.inner.live.replace(catalog);
    }

    /// The tile service.
    pub fn tiles(&self) -> Arc<TileService> {
        Arc::clone(&self.inner.tiles)
    }

    /// The metrics registry.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The settings.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// The `Cache-Control` header of tiles and TileJSON (`no-cache` when
    /// the setting is not a valid header value, which `serve` refuses).
    pub fn cache_control(&self) -> &axum::http::HeaderValue {
        &self.inner.cache_control
    }

    /// The writer of edits and the write keys; `None` for data built in
    /// memory, which takes no edits.
    pub fn editing(&self) -> Option<(&Arc<crate::edit::Writer>, &Arc<crate::keys::Keys>)> {
        Some((self.inner.writer.as_ref()?, self.inner.keys.as_ref()?))
    }

    /// The threads that render cold tiles, one per core, first come first
    /// served: a cold tile waits in their queue (as a future, not a
    /// thread) for a core.
    pub fn renderers(&self) -> &super::Renderers {
        &self.inner.renderers
    }
}
