//! The planner's questions in-process over the bundled Miyun data: within
//! a zone with overlap measures, what is at a point, nearest, near a point
//! and near a feature, and the distance cases that the exact edge model
//! makes costly (a long line far away, the far side of the Earth). Run
//! with `cargo bench --bench queries`; figures go in BENCHMARKS.md.

use criterion::{criterion_group, criterion_main, Criterion};
use shanshui::query::{self, Target};
use shanshui::Catalog;
use std::hint::black_box;
use std::path::Path;

fn queries(c: &mut Criterion) {
    let catalog = Catalog::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata"))
        .expect("bundled data");
    let zone_one = Target::parse(&catalog, "reservoir_zones/zone-1").unwrap();
    let belt = Target::parse(&catalog, "tourism_belts/belt-north").unwrap();
    let far_point = Target::point(117.2853364, 40.3097331).unwrap();
    let antipode = Target::point(-63.0, -40.5).unwrap();
    let mut group = c.benchmark_group("planner");
    group.bench_function("within_zone1_partly_projects", |b| {
        b.iter(|| black_box(query::within(&catalog, "projects", &zone_one, true).unwrap()))
    });
    group.bench_function("at_point_all_layers", |b| {
        b.iter(|| black_box(query::at(&catalog, 116.95, 40.52, &[], 0.0).unwrap()))
    });
    group.bench_function("nearest_3_villages", |b| {
        b.iter(|| black_box(query::nearest(&catalog, "villages", 116.843, 40.376, 3).unwrap()))
    });
    group.bench_function("nearest_5_projects_29km", |b| {
        b.iter(|| {
            black_box(query::nearest(&catalog, "projects", 117.2853364, 40.3097331, 5).unwrap())
        })
    });
    group.bench_function("near_projects_29km", |b| {
        b.iter(|| black_box(query::near(&catalog, "projects", &far_point, 29_345.0).unwrap()))
    });
    group.bench_function("near_villages_2km_of_belt", |b| {
        b.iter(|| black_box(query::near(&catalog, "villages", &belt, 2_000.0).unwrap()))
    });
    group.bench_function("near_district_from_antipode", |b| {
        b.iter(|| black_box(query::near(&catalog, "district", &antipode, 20_000_000.0).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, queries);
criterion_main!(benches);
