//! The command line: `check` the data, ask the planner's `query`s. A thin
//! adapter over the core: parse arguments, call, print.

use crate::catalog::Catalog;
use crate::http::{defaults, served, AppState, ServerConfig};
use crate::query::{self, geodesic, output, FilterLimits, Hit, QueryError, Target};
use crate::reload::LiveCatalog;
use crate::tile::tilejson::tilejson;
use crate::tile::{
    export, plan_tiles, render, ArchiveMeta, ExportPlan, FolderSink, PmtilesSink, TileCoord,
    TileOptions, TileSink,
};
use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// Vector tiles and planners' spatial questions over GIS layers.
#[derive(Debug, Parser)]
#[command(name = "shanshui", version, about, long_about = None)]
pub struct Cli {
    /// Folder holding layers.toml and the GeoJSON layers [default: ./geodata,
    /// else the bundled Miyun data]
    #[arg(long, global = true, env = "SHANSHUI_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the layers as vector tiles, TileJSON and a catalog over HTTP
    /// (what `shanshui` with no command does).
    Serve(ServeArgs),
    /// Write synthetic layers of any size for benchmarks (points, polygons
    /// of 50-800 m, lines of 50 vertices, spread over the district), the
    /// same bytes for the same arguments; the data folder's district and
    /// reservoir come along.
    ///
    /// Example: shanshui synth --points 100000 --polygons 10000 --lines 2000 --out /tmp/synth
    Synth {
        /// The folder to write into (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Points.
        #[arg(long, default_value_t = 1_000)]
        points: usize,
        /// Polygons.
        #[arg(long, default_value_t = 100)]
        polygons: usize,
        /// Lines.
        #[arg(long, default_value_t = 20)]
        lines: usize,
        /// The generator's seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Load and validate every layer; print a summary, or every problem found.
    Check,
    /// Render one tile and print what a client decodes from it: layers,
    /// feature counts, ids, bytes.
    Tile {
        /// The tile, `z/x/y` (e.g. 12/3378/1543, over the reservoir).
        tile: String,
        /// Only these layers (repeat the flag); all layers by default.
        #[arg(long)]
        layer: Vec<String>,
        /// Tile buffer in tile units (of 4096).
        #[arg(long, default_value_t = 64)]
        buffer: u32,
    },
    /// Write a tile pyramid to a folder ({z}/{x}/{y}.mvt and tiles.json),
    /// for static hosting or a CDN.
    #[command(allow_negative_numbers = true)]
    Export {
        /// The folder to write into (created if missing), or with
        /// `--format pmtiles` the archive's file.
        #[arg(long)]
        out: PathBuf,
        /// `folder` ({z}/{x}/{y}.mvt and tiles.json) or `pmtiles` (one
        /// PMTiles v3 archive, identical tiles stored once).
        #[arg(long, value_enum, default_value_t = ExportFormat::Folder)]
        format: ExportFormat,
        /// Lowest zoom.
        #[arg(long, default_value_t = 0)]
        minzoom: u8,
        /// Highest zoom.
        #[arg(long, default_value_t = 14)]
        maxzoom: u8,
        /// Only this area, `west,south,east,north` in degrees; the data's
        /// bounds by default.
        #[arg(long, value_name = "W,S,E,N")]
        bbox: Option<String>,
        /// Only these layers (repeat the flag); all layers by default.
        #[arg(long)]
        layer: Vec<String>,
        /// Tile buffer in tile units (of 4096).
        #[arg(long, default_value_t = 64)]
        buffer: u32,
        /// Rendering threads; every core when 0.
        #[arg(long, default_value_t = 0)]
        threads: usize,
    },
    /// Ask a planner's question.
    #[command(subcommand)]
    Query(QueryCommand),
    /// Write keys: who may edit the layers that take edits (reading needs
    /// none).
    #[command(subcommand)]
    Key(KeyCommand),
    /// The monthly report from the edit journal: projects added, changed,
    /// moved, finished and removed in the month, by category, status, lead
    /// unit and zone, and the moves into and out of the watched zone.
    ///
    /// Example: shanshui report --month 2026-11 --format csv > 2026-11.csv
    Report {
        /// The month, YYYY-MM (UTC).
        #[arg(long)]
        month: String,
        /// text for the terminal, json, or csv (a row a project, for a
        /// spreadsheet).
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
    },
    /// Fold each layer's edit journal into its GeoJSON file (the server
    /// does it by itself past `compact_after_bytes`); refuses while a
    /// server is writing to the data.
    Compact,
}

/// How `shanshui report` prints.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportFormat {
    Text,
    Json,
    Csv,
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Make a key and print it, once: only its hash is kept, in keys.toml
    /// beside layers.toml. The name is recorded with every edit it makes.
    ///
    /// Example: shanshui key add wang --layer projects
    Add {
        /// Who or what holds the key (letters, digits, `.`, `_`, `-`, `@`).
        name: String,
        /// A layer it may edit (repeat the flag); every layer that takes
        /// edits by default.
        #[arg(long)]
        layer: Vec<String>,
    },
    /// List the keys: names, layers, when added (never the keys).
    List,
    /// Revoke a key: it stops working at once, on a running server too.
    Revoke {
        /// The key's name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum QueryCommand {
    /// Features of a layer inside a zone (with --partly, also those crossing
    /// or touching its edge, with the overlap).
    ///
    /// Example: shanshui query within --layer projects --zone reservoir_zones/zone-1 --partly
    Within {
        /// The layer whose features are tested.
        #[arg(long)]
        layer: String,
        /// The zone: a feature reference `layer/id`, GeoJSON geometry text,
        /// or `@file.geojson`.
        #[arg(long)]
        zone: String,
        /// Also list features partly inside or touching the zone.
        #[arg(long)]
        partly: bool,
        #[command(flatten)]
        out: Out,
    },
    /// Every feature of every layer at a point: which rules apply here?
    #[command(allow_negative_numbers = true)]
    At {
        /// Longitude, WGS84 degrees.
        #[arg(long)]
        lon: f64,
        /// Latitude, WGS84 degrees.
        #[arg(long)]
        lat: f64,
        /// Only these layers (repeat the flag); all layers by default.
        #[arg(long)]
        layer: Vec<String>,
        /// Also include features this many metres away or closer.
        #[arg(long, default_value_t = 0.0)]
        tolerance: f64,
        #[command(flatten)]
        out: Out,
    },
    /// The k features of a layer nearest a point, with geodesic distance.
    #[command(allow_negative_numbers = true)]
    Nearest {
        /// The layer searched.
        #[arg(long)]
        layer: String,
        /// Longitude, WGS84 degrees.
        #[arg(long)]
        lon: f64,
        /// Latitude, WGS84 degrees.
        #[arg(long)]
        lat: f64,
        /// How many features.
        #[arg(short, long, default_value_t = 5)]
        k: usize,
        #[command(flatten)]
        out: Out,
    },
    /// The features of a layer within a distance of a point, a feature or a
    /// geometry.
    ///
    /// Example: shanshui query near --layer villages --of tourism_belts/belt-north --distance 2000
    #[command(allow_negative_numbers = true)]
    Near {
        /// The layer searched.
        #[arg(long)]
        layer: String,
        /// Distance in metres.
        #[arg(long)]
        distance: f64,
        /// From this point's longitude (with --lat).
        #[arg(long, requires = "lat", conflicts_with = "of")]
        lon: Option<f64>,
        /// From this point's latitude (with --lon).
        #[arg(long, requires = "lon", conflicts_with = "of")]
        lat: Option<f64>,
        /// From a feature `layer/id`, GeoJSON geometry text, or `@file.geojson`.
        #[arg(long, required_unless_present = "lon")]
        of: Option<String>,
        #[command(flatten)]
        out: Out,
    },
}

#[derive(Debug, Clone, Parser)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    /// The URL clients reach the server at, when behind a proxy; TileJSON
    /// and style URLs are built from it instead of the request's Host.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Memory for rendered tiles, in MiB (0 turns the cache off).
    #[arg(long, default_value_t = 256)]
    cache_mb: u64,
    /// Tile buffer in tile units (of 4096): geometry kept beyond the edge.
    #[arg(long, default_value_t = 64)]
    buffer: u32,
    /// The most a tile should weigh, in KB: below their maxzoom, layers
    /// that may thin (`thin = "auto"`) keep fewer features until it fits.
    #[arg(long, default_value_t = TileOptions::default().budget_bytes / 1000)]
    tile_budget_kb: usize,
    /// Cache-Control header sent with tiles and TileJSON.
    #[arg(long, default_value = "public, max-age=3600")]
    cache_control: String,
    /// The longest CQL2 filter accepted, in bytes; longer ones get a 400.
    #[arg(long, default_value_t = FilterLimits::default().max_bytes)]
    max_filter_bytes: usize,
    /// The deepest nesting of parentheses a cql2-text filter may have
    /// (cql2-json: twice this plus four levels of arrays and objects);
    /// deeper ones get a 400 before they reach the parser.
    #[arg(long, default_value_t = FilterLimits::default().max_depth)]
    max_filter_depth: usize,
    /// Seconds one request may take before it is answered 503 and its work
    /// stopped (0: no limit).
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::REQUEST_TIMEOUT_S)]
    request_timeout: u64,
    /// Cold tiles in hand at once (one rendering per core, the others
    /// waiting their turn in order); a cold tile beyond that is answered 503
    /// with Retry-After while cached tiles go on being served (0: no cap).
    /// Default: 16 per core, at least 64.
    #[arg(long)]
    max_renders: Option<usize>,
    /// The largest request body taken, in bytes (a POSTed zone); larger
    /// ones get a 413.
    #[arg(long, default_value_t = defaults::MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// The most vertices a POSTed geometry may have; more get a 413.
    #[arg(long, default_value_t = defaults::MAX_VERTICES)]
    max_vertices: usize,
    /// The most features one response may hold: a larger `limit` on
    /// /query/* is a 400, on OGC API items it is served as this many.
    #[arg(long, default_value_t = defaults::MAX_FEATURES)]
    max_features: usize,
    /// Do not watch the data folder; reload only on SIGHUP.
    #[arg(long)]
    no_watch: bool,
    /// How long the data folder must be quiet after a change before it is
    /// reloaded, in milliseconds (editors save in several steps).
    #[arg(long, default_value_t = crate::reload::DEFAULT_SETTLE.as_millis() as u64)]
    reload_settle_ms: u64,
}

impl Default for ServeArgs {
    fn default() -> Self {
        ServeArgs::parse_from(["serve"])
    }
}

/// How `shanshui export` writes the pyramid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ExportFormat {
    /// A folder of {z}/{x}/{y}.mvt files plus tiles.json.
    Folder,
    /// One PMTiles v3 archive.
    Pmtiles,
}

#[derive(Debug, Args)]
struct Out {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Aligned columns for reading.
    Table,
    /// CSV with a header row.
    Csv,
    /// A GeoJSON FeatureCollection with the measures as properties.
    Geojson,
}

/// Exit code for data that failed validation.
const EXIT_DATA: u8 = 1;
/// Exit code for a question that cannot be answered as asked.
const EXIT_USAGE: u8 = 2;

/// Parses the process's arguments, runs, and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(load) = e.downcast_ref::<crate::LoadError>() {
                eprint!("error: {load}");
                return ExitCode::from(EXIT_DATA);
            }
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let dir = cli.data.unwrap_or_else(default_data_dir);
    match cli.command {
        None => serve(&dir, ServeArgs::default()),
        Some(Command::Serve(args)) => serve(&dir, args),
        Some(Command::Tile {
            tile,
            layer,
            buffer,
        }) => {
            let catalog = Catalog::load(&dir)?;
            print!("{}", tile_summary(&catalog, &tile, &layer, buffer)?);
            exiting(catalog);
            Ok(())
        }
        Some(Command::Export {
            out,
            format,
            minzoom,
            maxzoom,
            bbox,
            layer,
            buffer,
            threads,
        }) => {
            let catalog = Catalog::load(&dir)?;
            let plan = ExportPlan {
                minzoom,
                maxzoom,
                bbox: bbox.as_deref().map(parse_bbox).transpose()?,
                layers: (!layer.is_empty()).then_some(layer),
            };
            let done = export_pyramid(&catalog, &plan, buffer, threads, &out, format);
            exiting(catalog);
            done
        }
        Some(Command::Synth {
            out,
            points,
            polygons,
            lines,
            seed,
        }) => {
            let spec = crate::synth::SynthSpec {
                points,
                polygons,
                lines,
                seed,
                ..Default::default()
            };
            let bytes = crate::synth::write(&spec, Some(&dir), &out).with_context(|| {
                format!("cannot write the synthetic layers to {}", out.display())
            })?;
            println!(
                "wrote {points} points, {polygons} polygons and {lines} lines ({:.1} MB) to {}",
                bytes as f64 / 1e6,
                out.display()
            );
            Ok(())
        }
        Some(Command::Check) => {
            let catalog = Catalog::load(&dir)?;
            print!("{}", summary(&catalog, &dir));
            println!("all layers valid");
            exiting(catalog);
            Ok(())
        }
        Some(Command::Query(q)) => {
            let catalog = Catalog::load(&dir)?;
            let text = answer(&catalog, q);
            exiting(catalog);
            print!("{}", text?);
            Ok(())
        }
        Some(Command::Key(k)) => manage_keys(&dir, k),
        Some(Command::Report { month, format }) => {
            let month = crate::time::Month::parse(&month).map_err(anyhow::Error::msg)?;
            let catalog = Catalog::load(&dir)?;
            let report = crate::edit::report::monthly(&catalog, &dir, month)?;
            match format {
                ReportFormat::Text => print!("{}", report.text()),
                ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
                ReportFormat::Csv => print!("{}", report.csv()),
            }
            exiting(catalog);
            Ok(())
        }
        Some(Command::Compact) => {
            let done = crate::edit::compact_folder(&dir)?;
            if done.is_empty() {
                println!("no journal holds edits; nothing to fold");
            }
            for (layer, records) in done {
                println!("{layer}: {records} edits folded into its file (kept in its history)");
            }
            Ok(())
        }
    }
}

fn manage_keys(dir: &Path, command: KeyCommand) -> anyhow::Result<()> {
    let keys = crate::keys::Keys::of_data(dir);
    match command {
        KeyCommand::Add { name, layer } => {
            let catalog = Catalog::load(dir)?;
            let editable: Vec<&str> = catalog
                .layers()
                .iter()
                .filter(|l| l.meta.edit.is_some())
                .map(|l| l.id())
                .collect();
            for l in &layer {
                if !editable.contains(&l.as_str()) {
                    anyhow::bail!(
                        "layer `{l}` takes no edits; the layers that do: {}",
                        if editable.is_empty() {
                            "none".to_string()
                        } else {
                            editable.join(", ")
                        }
                    );
                }
            }
            let key = keys.add(&name, &layer)?;
            println!("{key}");
            eprintln!(
                "key `{name}` added to {} for {}. It is shown only now: give it to its holder, who sends it as `Authorization: Bearer <key>`.",
                keys.path().display(),
                if layer.is_empty() { "every layer that takes edits".to_string() } else { layer.join(", ") }
            );
        }
        KeyCommand::List => {
            let list = keys.list()?;
            if list.is_empty() {
                println!(
                    "no keys in {}; `shanshui key add NAME` makes one",
                    keys.path().display()
                );
            }
            for k in list {
                let layers = if k.layers.is_empty() {
                    "every editable layer".to_string()
                } else {
                    k.layers.join(", ")
                };
                println!("{:<20} {:<28} added {}", k.name, layers, k.added);
            }
        }
        KeyCommand::Revoke { name } => {
            keys.revoke(&name)?;
            println!("key `{name}` revoked");
        }
    }
    Ok(())
}

/// Lets go of a catalog without freeing it, when the process ends next:
/// the system takes its memory back whole, where freeing a million
/// features one allocation at a time took a sixth of a `check` of the
/// 10^6-point set.
fn exiting(catalog: Catalog) {
    std::mem::forget(catalog);
}

fn serve(dir: &Path, args: ServeArgs) -> anyhow::Result<()> {
    // RUST_LOG sets the level (default: info, one line per request).
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_target(false)
        .try_init();
    let catalog = Catalog::load(dir)?;
    if args.buffer > 2048 {
        anyhow::bail!(
            "--buffer {} is too large; use 0 to 2048 tile units",
            args.buffer
        );
    }
    if let Some(url) = &args.public_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            anyhow::bail!("--public-url must start with http:// or https://, not `{url}`");
        }
    }
    axum::http::HeaderValue::from_str(&args.cache_control).map_err(|_| {
        anyhow::anyhow!(
            "--cache-control `{}` is not a valid header value",
            args.cache_control
        )
    })?;
    let layers = catalog.layers().len();
    let features: usize = catalog.layers().iter().map(|l| l.len()).sum();
    let name = format!("{} ({})", catalog.dataset.title.en, catalog.dataset.id);
    if args.tile_budget_kb == 0 {
        anyhow::bail!("--tile-budget-kb must be at least 1");
    }
    let options = TileOptions {
        buffer: args.buffer,
        budget_bytes: args.tile_budget_kb.saturating_mul(1000),
        ..TileOptions::default()
    };
    if args.max_filter_depth == 0 || args.max_filter_bytes == 0 {
        anyhow::bail!("--max-filter-bytes and --max-filter-depth must be at least 1");
    }
    let config = ServerConfig {
        public_url: args.public_url.clone(),
        cache_control: args.cache_control.clone(),
        filter_limits: FilterLimits {
            max_bytes: args.max_filter_bytes,
            max_depth: args.max_filter_depth,
        },
        request_timeout: (args.request_timeout > 0)
            .then(|| std::time::Duration::from_secs(args.request_timeout)),
        max_renders: args.max_renders.unwrap_or_else(defaults::max_renders),
        max_body_bytes: args.max_body_bytes,
        max_vertices: args.max_vertices,
        max_features: args.max_features,
    };
    let live = Arc::new(LiveCatalog::new(catalog, Some(dir.to_path_buf())));
    let _watch = if args.no_watch {
        None
    } else {
        Some(live.watch(std::time::Duration::from_millis(args.reload_settle_ms))?)
    };
    let state = AppState::serving(
        Arc::clone(&live),
        config,
        options,
        args.cache_mb.saturating_mul(1 << 20),
    );
    // Queries, items and glyphs run on the blocking pool (cold tiles on
    // their own threads, one a core); more threads than this only queue for
    // the same cores and hold memory (tasks past it wait).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(64)
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        reload_on_sighup(live);
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let addr = listener.local_addr()?;
        let base = args
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));
        println!("shanshui: serving {name}, {layers} layers, {features} features");
        println!("  {base}/            (the catalog is at {base}/catalog)");
        println!("  {base}/tiles.json  (TileJSON)");
        println!("  {base}/tiles/{{z}}/{{x}}/{{y}}.mvt");
        if args.no_watch {
            println!("reloads the data on SIGHUP; press Ctrl-C to stop");
        } else {
            println!("reloads the data when its files change, or on SIGHUP; press Ctrl-C to stop");
        }
        // Cached tiles answered before the router (src/http/fast.rs); the
        // application made once, not again for each connection.
        let service = axum::ServiceExt::<axum::extract::Request>::into_make_service(served(state));
        axum::serve(listener, service)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("the server stopped with an error")?;
        println!("shanshui: stopped; every request in flight was answered");
        Ok(())
    })
}

/// Reloads the data on each SIGHUP (Unix), off the async executor.
fn reload_on_sighup(live: Arc<LiveCatalog>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; reload by changing the files instead");
            return;
        };
        while hangups.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading the data");
            let live = Arc::clone(&live);
            let _ = tokio::task::spawn_blocking(move || live.reload()).await;
        }
    });
    #[cfg(not(unix))]
    let _ = live;
}

/// Resolves on Ctrl-C or SIGTERM: the server stops taking connections and
/// finishes the requests in flight.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

/// `west,south,east,north` in degrees, checked.
fn parse_bbox(text: &str) -> anyhow::Result<geo::Rect<f64>> {
    let nums: Vec<f64> = text
        .split(',')
        .map(|v| v.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            anyhow::anyhow!("--bbox `{text}`: write four numbers, west,south,east,north")
        })?;
    let [w, s, e, n] = nums[..] else {
        anyhow::bail!("--bbox `{text}`: write four numbers, west,south,east,north");
    };
    query::check_lon_lat(w, s)?;
    query::check_lon_lat(e, n)?;
    if w > e || s > n {
        anyhow::bail!("--bbox `{text}`: west must not exceed east, nor south north");
    }
    Ok(geo::Rect::new(
        geo::Coord { x: w, y: s },
        geo::Coord { x: e, y: n },
    ))
}

fn export_pyramid(
    catalog: &Catalog,
    plan: &ExportPlan,
    buffer: u32,
    threads: usize,
    out: &Path,
    format: ExportFormat,
) -> anyhow::Result<()> {
    let tiles = plan_tiles(catalog, plan)?;
    let options = TileOptions {
        buffer,
        ..TileOptions::default()
    };
    eprintln!(
        "exporting {} tiles, zooms {}..{}, into {}",
        tiles.len(),
        plan.minzoom,
        plan.maxzoom,
        out.display()
    );
    let start = std::time::Instant::now();
    let step = (tiles.len() / 20).max(1);
    let progress = |done: usize, total: usize| {
        if done.is_multiple_of(step) || done == total {
            eprintln!(
                "  {done}/{total} tiles ({:.0} %)",
                done as f64 * 100.0 / total as f64
            );
        }
    };
    let folder;
    let archive = PmtilesSink::new();
    let sink: &dyn TileSink = match format {
        ExportFormat::Folder => {
            folder = FolderSink::new(out)?;
            &folder
        }
        ExportFormat::Pmtiles => &archive,
    };
    let stats = export(
        catalog,
        &tiles,
        plan.layers.as_deref(),
        &options,
        sink,
        threads,
        &progress,
    )?;
    let layers: Vec<&crate::catalog::Layer> = match &plan.layers {
        Some(ids) => catalog
            .layers()
            .iter()
            .filter(|l| ids.iter().any(|i| i == l.id()))
            .map(|l| &**l)
            .collect(),
        None => catalog.layers().iter().map(|l| &**l).collect(),
    };
    let mut doc = tilejson(
        catalog,
        &layers,
        "{z}/{x}/{y}.mvt",
        &catalog.dataset.title.en,
    );
    if let Some(m) = doc.as_object_mut() {
        m.insert("minzoom".into(), plan.minzoom.into());
        m.insert("maxzoom".into(), plan.maxzoom.into());
    }
    if format == ExportFormat::Pmtiles {
        if let Some(m) = doc.as_object_mut() {
            m.remove("tiles");
        }
        let meta = ArchiveMeta {
            zooms: (plan.minzoom, plan.maxzoom),
            bounds: plan.area(catalog)?,
            metadata: doc,
        };
        eprintln!("writing the archive ({} tiles)", stats.written);
        let a = archive.finish(out, &meta)?;
        println!(
            "{} tiles rendered, {} in the archive ({} distinct), {:.1} MiB in {:.1} s: {}",
            stats.rendered,
            a.tiles,
            a.unique,
            a.bytes as f64 / 1_048_576.0,
            start.elapsed().as_secs_f64(),
            out.display()
        );
        return Ok(());
    }
    let meta = out.join("tiles.json");
    std::fs::write(&meta, serde_json::to_string_pretty(&doc)?)
        .with_context(|| format!("cannot write {}", meta.display()))?;
    println!(
        "{} tiles rendered, {} written ({:.1} MiB) in {:.1} s; TileJSON at {} (tile URLs relative to it)",
        stats.rendered,
        stats.written,
        stats.bytes as f64 / 1_048_576.0,
        start.elapsed().as_secs_f64(),
        meta.display()
    );
    Ok(())
}

/// What `shanshui tile` prints: the tile decoded as a client decodes it.
fn tile_summary(
    catalog: &Catalog,
    tile: &str,
    layers: &[String],
    buffer: u32,
) -> anyhow::Result<String> {
    let coord = TileCoord::parse(tile)?;
    let options = TileOptions {
        buffer,
        ..TileOptions::default()
    };
    let selected = (!layers.is_empty()).then_some(layers);
    let rendered = render(catalog, coord, selected, &options)?;
    let b = coord.bounds_lonlat();
    let mut out = format!(
        "tile {coord}: lon {:.5}..{:.5}, lat {:.5}..{:.5}; {} bytes\n",
        b.min().x,
        b.max().x,
        b.min().y,
        b.max().y,
        rendered.bytes.len()
    );
    if rendered.bytes.is_empty() {
        out.push_str("empty: no layer has a feature here (the server answers 204)\n");
        return Ok(out);
    }
    let reader = mvt_reader::Reader::new(rendered.bytes)
        .map_err(|e| anyhow::anyhow!("the tile does not decode: {e:?}"))?;
    let names = reader
        .get_layer_names()
        .map_err(|e| anyhow::anyhow!("the tile does not decode: {e:?}"))?;
    for (i, name) in names.iter().enumerate() {
        let features = reader
            .get_features(i)
            .map_err(|e| anyhow::anyhow!("layer {name} does not decode: {e:?}"))?;
        let layer = catalog.layer(name);
        let ids: Vec<String> = features
            .iter()
            .map(|f| {
                let fid = f.id.unwrap_or(0);
                layer
                    .and_then(|l| l.iter().find(|x| x.fid == fid))
                    .map_or(format!("#{fid}"), |x| x.id.to_string())
            })
            .collect();
        out.push_str(&format!(
            "{name}: {} features: {}\n",
            features.len(),
            ids.join(", ")
        ));
    }
    Ok(out)
}

/// The bundled data: `./geodata` when run from the project's folder,
/// otherwise the folder beside the crate's manifest.
pub fn default_data_dir() -> PathBuf {
    let here = Path::new("geodata");
    if here.join(crate::catalog::MANIFEST_FILE).is_file() {
        here.to_path_buf()
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata")
    }
}

fn answer(catalog: &Catalog, q: QueryCommand) -> anyhow::Result<String> {
    let (hits, out) = match q {
        QueryCommand::Within {
            layer,
            zone,
            partly,
            out,
        } => {
            let zone = target(catalog, &zone)?;
            (query::within(catalog, &layer, &zone, partly)?, out)
        }
        QueryCommand::At {
            lon,
            lat,
            layer,
            tolerance,
            out,
        } => (query::at(catalog, lon, lat, &layer, tolerance)?, out),
        QueryCommand::Nearest {
            layer,
            lon,
            lat,
            k,
            out,
        } => (query::nearest(catalog, &layer, lon, lat, k)?, out),
        QueryCommand::Near {
            layer,
            distance,
            lon,
            lat,
            of,
            out,
        } => {
            let from = match (lon, lat, of) {
                (Some(lon), Some(lat), _) => Target::point(lon, lat)?,
                (_, _, Some(spec)) => target(catalog, &spec)?,
                _ => anyhow::bail!("say where from: --lon and --lat, or --of"),
            };
            (query::near(catalog, &layer, &from, distance)?, out)
        }
    };
    Ok(format_hits(&hits, out.format))
}

/// A target from the command line: `@file` is read, anything else parsed.
fn target(catalog: &Catalog, spec: &str) -> anyhow::Result<Target> {
    if let Some(path) = spec.strip_prefix('@') {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
        return Ok(Target::parse(catalog, &text)?);
    }
    Target::parse(catalog, spec).map_err(|e: QueryError| e.into())
}

fn format_hits(hits: &[Hit], format: Format) -> String {
    match format {
        Format::Table => output::table(hits),
        Format::Csv => output::csv(hits),
        Format::Geojson => {
            let mut s = output::geojson(hits).to_string();
            s.push('\n');
            s
        }
    }
}

/// The summary `check` prints: per layer its kind, feature count, bounds,
/// and total geodesic area or length.
pub fn summary(catalog: &Catalog, dir: &Path) -> String {
    let ds = &catalog.dataset;
    let mut out = format!(
        "{} — {} / {}\ndata: {}  version: {}\n\n",
        ds.id,
        ds.title.zh,
        ds.title.en,
        dir.display(),
        catalog.version()
    );
    out.push_str(&format!(
        "{:<16} {:<8} {:>8}  {:<37} {:>22}\n",
        "layer", "kind", "features", "bounds (lon/lat)", "total"
    ));
    let mut total_features = 0;
    for layer in catalog.layers() {
        total_features += layer.len();
        let bounds = layer.bounds().map_or("-".to_string(), |b| {
            format!(
                "{:.4},{:.4} .. {:.4},{:.4}",
                b.min().x,
                b.min().y,
                b.max().x,
                b.max().y
            )
        });
        let m2: f64 = layer.iter().map(|f| geodesic::area_m2(&f.geometry)).sum();
        let m: f64 = layer.iter().map(|f| geodesic::length_m(&f.geometry)).sum();
        let total = match (m2 > 0.0, m > 0.0) {
            (true, true) => format!("{:.1} ha, {:.2} km", m2 / 10_000.0, m / 1_000.0),
            (true, false) => format!("{:.1} ha", m2 / 10_000.0),
            (false, true) => format!("{:.2} km", m / 1_000.0),
            (false, false) => "-".to_string(),
        };
        out.push_str(&format!(
            "{:<16} {:<8} {:>8}  {:<37} {:>22}\n",
            layer.id(),
            layer.meta.geometry.to_string(),
            layer.len(),
            bounds,
            total
        ));
    }
    out.push_str(&format!(
        "{} layers, {} features\n",
        catalog.layers().len(),
        total_features
    ));
    out
}
