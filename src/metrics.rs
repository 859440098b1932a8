//! What the server is doing, for Prometheus: one registry, fed by the HTTP
//! layer (requests, latency, renders, refusals) and read at scrape time
//! from the tile cache and the live data (hits, misses, bytes, version,
//! reloads).

use crate::reload::LiveCatalog;
use crate::tile::TileService;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{text, DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Duration;

/// Labels: name and value pairs.
type Labels = Vec<(&'static str, String)>;

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram>,
    renders: Histogram,
    refused: Family<Labels, Counter>,
}

fn seconds_histogram() -> Histogram {
    // 0.1 ms to about 26 s.
    Histogram::new(exponential_buckets(0.000_1, 2.0, 19))
}

impl Metrics {
    /// A registry over the server's tile service and live data.
    pub fn new(tiles: Arc<TileService>, live: Arc<LiveCatalog>) -> Metrics {
        let mut registry = Registry::with_prefix("shanshui");
        let requests = Family::<Labels, Counter>::default();
        let latency = Family::<Labels, Histogram>::new_with_constructor(
            seconds_histogram as fn() -> Histogram,
        );
        let renders = seconds_histogram();
        let refused = Family::<Labels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by route",
            latency.clone(),
        );
        registry.register(
            "tile_render_duration_seconds",
            "Time to render and compress a tile that was not cached",
            renders.clone(),
        );
        registry.register(
            "refused_requests",
            "Requests refused at a limit, by limit (the flag that sets it)",
            refused.clone(),
        );
        registry.register_collector(Box::new(Scraped { tiles, live }));
        Metrics {
            registry,
            requests,
            latency,
            renders,
            refused,
        }
    }

    /// One answered request. `route` is the matched route's pattern (so
    /// that labels stay few), `limit` the limit it was refused at, if any.
    pub fn request(
        &self,
        route: &str,
        method: &str,
        status: u16,
        took: Duration,
        limit: Option<&str>,
    ) {
        self.requests
            .get_or_create(&vec![
                ("route", route.to_string()),
                ("method", method.to_string()),
                ("status", status.to_string()),
            ])
            .inc();
        self.latency
            .get_or_create(&vec![("route", route.to_string())])
            .observe(took.as_secs_f64());
        if let Some(limit) = limit {
            self.refused
                .get_or_create(&vec![("limit", limit.to_string())])
                .inc();
        }
    }

    /// One tile rendered.
    pub fn rendered(&self, took: Duration) {
        self.renders.observe(took.as_secs_f64());
    }

    /// The OpenMetrics text exposition of everything (what Prometheus scrapes).
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// The figures kept elsewhere, read at each scrape.
#[derive(Debug)]
struct Scraped {
    tiles: Arc<TileService>,
    live: Arc<LiveCatalog>,
}

impl Collector for Scraped {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let cache = self.tiles.cache();
        let status = self.live.status();
        let counters: [(&str, &str, u64); 5] = [
            (
                "tile_cache_hits",
                "Tile lookups answered from the cache",
                cache.hits(),
            ),
            (
                "tile_cache_misses",
                "Tile lookups that rendered the tile",
                cache.misses(),
            ),
            (
                "data_reloads",
                "New data versions swapped in since start",
                status.reloads,
            ),
            (
                "data_reload_failures",
                "Reloads refused since start (the last good data kept)",
                status.failures,
            ),
            (
                "data_edits",
                "Edits applied through the API since start (each journaled and fsynced)",
                status.edits,
            ),
        ];
        for (name, help, value) in counters {
            let c = ConstCounter::new(value);
            c.encode(encoder.encode_descriptor(name, help, None, c.metric_type())?)?;
        }
        let gauges: [(&str, &str, i64); 5] = [
            (
                "tile_cache_bytes",
                "Bytes held by the tile cache",
                cache.bytes() as i64,
            ),
            (
                "tile_cache_tiles",
                "Tiles held by the tile cache",
                cache.len() as i64,
            ),
            (
                "tile_renders_running",
                "Tiles being rendered now, or waiting for a core to render on",
                self.tiles.renders().in_use() as i64,
            ),
            (
                "data_reload_failing",
                "1 when the latest reload was refused and older data is served",
                i64::from(status.failing),
            ),
            (
                "data_loaded_timestamp_seconds",
                "When the served data was loaded, Unix time",
                status
                    .loaded_at
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64),
            ),
        ];
        for (name, help, value) in gauges {
            let g = ConstGauge::new(value);
            g.encode(encoder.encode_descriptor(name, help, None, g.metric_type())?)?;
        }
        let info = ConstGauge::new(1i64);
        let mut family = encoder.encode_descriptor(
            "data_version",
            "The served data's version (a hash of its files), as a label",
            None,
            info.metric_type(),
        )?;
        info.encode(family.encode_family(&vec![("version", status.version)])?)?;
        Ok(())
    }
}
