//! What every handler shares: the catalog (immutable, replaced whole), the
//! tile service with its cache, and the server's settings.

use crate::catalog::Catalog;
use crate::query::FilterLimits;
use crate::reload::LiveCatalog;
use crate::tile::{TileOptions, TileService};
use std::sync::Arc;

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
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            public_url: None,
            cache_control: "public, max-age=3600".into(),
            filter_limits: FilterLimits::default(),
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
    config: ServerConfig,
}

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
        AppState {
            inner: Arc::new(Shared {
                live,
                tiles: Arc::new(TileService::new(options, cache_bytes)),
                config,
            }),
        }
    }

    /// The current catalog. Requests hold their own `Arc`, so a reload
    /// never changes the data under a request in flight.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.inner.live.catalog()
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

    /// The settings.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }
}
