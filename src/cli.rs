//! The command line: `check` the data, ask the planner's `query`s. A thin
//! adapter over the core: parse arguments, call, print.

use crate::catalog::Catalog;
use crate::query::{self, geodesic, output, Hit, QueryError, Target};
use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
    /// Load and validate every layer; print a summary, or every problem found.
    Check,
    /// Ask a planner's question.
    #[command(subcommand)]
    Query(QueryCommand),
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
        None => {
            let catalog = Catalog::load(&dir)?;
            print!("{}", summary(&catalog, &dir));
            println!("\nAsk a question with `shanshui query --help`.");
            Ok(())
        }
        Some(Command::Check) => {
            let catalog = Catalog::load(&dir)?;
            print!("{}", summary(&catalog, &dir));
            println!("all layers valid");
            Ok(())
        }
        Some(Command::Query(q)) => {
            let catalog = Catalog::load(&dir)?;
            let text = answer(&catalog, q)?;
            print!("{text}");
            Ok(())
        }
    }
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
    Ok(render(&hits, out.format))
}

/// A target from the command line: `@file` is read, anything else parsed.
fn target(catalog: &Catalog, spec: &str) -> anyhow::Result<Target> {
    if let Some(path) = spec.strip_prefix('@') {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
        return Ok(Target::parse(catalog, &text)?);
    }
    Target::parse(catalog, spec).map_err(|e: QueryError| e.into())
}

fn render(hits: &[Hit], format: Format) -> String {
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
        total_features += layer.features.len();
        let bounds = layer.bounds().map_or("-".to_string(), |b| {
            format!(
                "{:.4},{:.4} .. {:.4},{:.4}",
                b.min().x,
                b.min().y,
                b.max().x,
                b.max().y
            )
        });
        let m2: f64 = layer
            .features
            .iter()
            .map(|f| geodesic::area_m2(&f.geometry))
            .sum();
        let m: f64 = layer
            .features
            .iter()
            .map(|f| geodesic::length_m(&f.geometry))
            .sum();
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
            layer.features.len(),
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
