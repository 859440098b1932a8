//! Tile rendering, cold and cached, over the bundled Miyun data: every tile
//! of the district at z8, z12 and z14, rendered from scratch (clip,
//! simplify, snap, encode, gzip), then the same tiles served from the
//! cache. Run with `cargo bench --bench tiles`; figures go in BENCHMARKS.md.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use shanshui::tile::{render, TileCoord, TileOptions, TileService};
use shanshui::Catalog;
use std::hint::black_box;
use std::path::Path;

fn catalog() -> Catalog {
    Catalog::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata")).expect("bundled data")
}

fn district_tiles(catalog: &Catalog, z: u8) -> Vec<TileCoord> {
    let b = catalog.layer("district").unwrap().bounds().unwrap();
    TileCoord::covering(b, z).collect()
}

fn tiles(c: &mut Criterion) {
    let catalog = catalog();
    let options = TileOptions::default();
    let mut group = c.benchmark_group("district");
    group.sample_size(10);
    for z in [8u8, 12, 14] {
        let coords = district_tiles(&catalog, z);
        group.throughput(Throughput::Elements(coords.len() as u64));
        group.bench_function(format!("render_cold_z{z}_{}_tiles", coords.len()), |b| {
            b.iter(|| {
                for &t in &coords {
                    black_box(render(&catalog, t, None, &options).unwrap());
                }
            })
        });
        // Cold through the service: render + gzip + tag, cache off.
        let uncached = TileService::new(options, 0);
        group.bench_function(format!("service_cold_z{z}_{}_tiles", coords.len()), |b| {
            b.iter(|| {
                for &t in &coords {
                    black_box(uncached.tile(&catalog, t, None).unwrap());
                }
            })
        });
        let cached = TileService::new(options, 512 << 20);
        for &t in &coords {
            cached.tile(&catalog, t, None).unwrap();
        }
        group.bench_function(format!("service_cached_z{z}_{}_tiles", coords.len()), |b| {
            b.iter(|| {
                for &t in &coords {
                    black_box(cached.tile(&catalog, t, None).unwrap());
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, tiles);
criterion_main!(benches);
