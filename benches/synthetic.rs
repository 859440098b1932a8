//! The core on synthetic data of growing size (`shanshui synth`): load and
//! index, the planner's questions (points and polygons within the
//! reservoir with overlap measures, at, nearest, near, a CQL2 spatial
//! filter), cold tiles at z6, z10 and z14, a cached tile. Also prints the
//! resident memory each size adds, per feature and against the GeoJSON's
//! bytes. Run with `cargo bench --bench synthetic`; the sizes are
//! `SYNTH_SIZES` (points; a tenth as many polygons and a fiftieth as many
//! lines), 10000,100000 by default. Figures go in BENCHMARKS.md.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use shanshui::query::{self, Filter, FilterLang, FilterLimits, Queryables, Target};
use shanshui::synth::{self, SynthSpec};
use shanshui::tile::{render, TileCoord, TileOptions, TileService};
use shanshui::Catalog;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

fn sizes() -> Vec<usize> {
    std::env::var("SYNTH_SIZES")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn synthetic(c: &mut Criterion) {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata");
    for n in sizes() {
        let dir = tempfile::tempdir().unwrap();
        let spec = SynthSpec {
            points: n,
            polygons: n / 10,
            lines: n / 50,
            ..SynthSpec::default()
        };
        let bytes = synth::write(&spec, Some(&base), dir.path()).unwrap();
        let before = resident_kib();
        let catalog = Catalog::load(dir.path()).unwrap();
        let added = resident_kib().saturating_sub(before) * 1024;
        let features: usize = catalog.layers().iter().map(|l| l.len()).sum();
        println!(
            "synthetic {n}: {features} features, {:.1} MB of GeoJSON; loading added {:.1} MB resident, \
             {} bytes a feature, {:.2}x the GeoJSON",
            bytes as f64 / 1e6,
            added as f64 / 1e6,
            added / features as u64,
            added as f64 / bytes as f64
        );

        let mut group = c.benchmark_group(format!("synthetic_{n}"));
        group
            .sample_size(10)
            .measurement_time(Duration::from_secs(5));
        group.bench_function("load_and_index", |b| {
            b.iter(|| black_box(Catalog::load(dir.path()).unwrap()))
        });
        let reservoir = Target::feature(&catalog, "reservoir", "miyun-reservoir").unwrap();
        group.bench_function("points_within_reservoir", |b| {
            b.iter(|| {
                black_box(
                    query::within(&catalog, "points", &reservoir, false)
                        .unwrap()
                        .len(),
                )
            })
        });
        group.bench_function("polygons_within_reservoir_partly_with_overlap", |b| {
            b.iter(|| {
                black_box(
                    query::within(&catalog, "polygons", &reservoir, true)
                        .unwrap()
                        .len(),
                )
            })
        });
        group.bench_function("at_point_all_layers", |b| {
            b.iter(|| black_box(query::at(&catalog, 116.95, 40.52, &[], 0.0).unwrap().len()))
        });
        group.bench_function("nearest_5_points", |b| {
            b.iter(|| {
                black_box(
                    query::nearest(&catalog, "points", 116.843, 40.376, 5)
                        .unwrap()
                        .len(),
                )
            })
        });
        let here = Target::point(116.843, 40.376).unwrap();
        group.bench_function("near_points_1km", |b| {
            b.iter(|| {
                black_box(
                    query::near(&catalog, "points", &here, 1_000.0)
                        .unwrap()
                        .len(),
                )
            })
        });
        let layer = catalog.layer("points").unwrap();
        let queryables = Queryables::of(layer);
        let text = "S_INTERSECTS(geometry, POLYGON((116.9 40.45, 117.0 40.45, 117.0 40.55, 116.9 40.55, 116.9 40.45)))";
        group.bench_function("cql2_spatial_filter_points", |b| {
            b.iter(|| {
                let f = Filter::parse(
                    text,
                    FilterLang::Cql2Text,
                    &queryables,
                    &FilterLimits::default(),
                )
                .unwrap();
                black_box(f.select(layer).unwrap().len())
            })
        });
        let opts = TileOptions::default();
        for z in [6u8, 10, 14] {
            let t = TileCoord::containing(116.95, 40.5, z);
            group.bench_with_input(
                BenchmarkId::new("cold_tile", format!("z{z}")),
                &t,
                |b, t| b.iter(|| black_box(render(&catalog, *t, None, &opts).unwrap().bytes.len())),
            );
        }
        let service = TileService::new(opts, 64 << 20);
        let t = TileCoord::containing(116.95, 40.5, 10);
        service.tile(&catalog, t, None).unwrap();
        group.bench_function("cached_tile_z10", |b| {
            b.iter(|| black_box(service.tile(&catalog, t, None).unwrap().raw.len()))
        });
        group.finish();
    }
}

criterion_group!(benches, synthetic);
criterion_main!(benches);
