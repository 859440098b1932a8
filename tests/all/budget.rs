//! The tile budget on dense synthetic layers: every tile below the layers'
//! maxzoom stays under its byte budget, thinning is the same on every
//! render, a point kept at one zoom is kept at the zooms above, layers
//! that never thin are drawn whole, and every feature is in its tile at
//! the layer's maxzoom. Tiles decoded with mvt-reader.

use shanshui::synth::{self, SynthSpec};
use shanshui::tile::{render, TileCoord, TileOptions};
use shanshui::Catalog;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// 60,000 points, 3,000 polygons and 300 lines over the district, with the
/// bundled district (which never thins); loaded once.
fn dense() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let spec = SynthSpec {
            points: 60_000,
            polygons: 3_000,
            lines: 300,
            ..SynthSpec::default()
        };
        synth::write(&spec, Some(&crate::util::geodata_dir()), dir.path()).unwrap();
        Catalog::load(dir.path()).unwrap()
    })
}

/// Every tile over the data at `z`.
fn tiles_at(z: u8) -> Vec<TileCoord> {
    let [w, s, e, n] = synth::MIYUN_BBOX;
    let (a, b) = (
        TileCoord::containing(w, n, z),
        TileCoord::containing(e, s, z),
    );
    (a.x..=b.x)
        .flat_map(|x| (a.y..=b.y).map(move |y| TileCoord::new(z, x, y).unwrap()))
        .collect()
}

/// The feature ids per layer in a tile.
fn ids(bytes: Vec<u8>) -> HashMap<String, HashSet<u64>> {
    if bytes.is_empty() {
        return HashMap::new();
    }
    let reader = mvt_reader::Reader::new(bytes).unwrap();
    let names = reader.get_layer_names().unwrap();
    names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let ids = reader
                .get_features(i)
                .unwrap()
                .into_iter()
                .filter_map(|f| f.id)
                .collect();
            (name, ids)
        })
        .collect()
}

#[test]
fn every_tile_below_maxzoom_stays_under_its_budget() {
    // Without a budget, some tile passes the small one below, so that it
    // binds.
    let unbounded = TileOptions {
        budget_bytes: usize::MAX,
        ..TileOptions::default()
    };
    let largest = (6..10)
        .flat_map(tiles_at)
        .map(|t| render(dense(), t, None, &unbounded).unwrap().bytes.len())
        .max()
        .unwrap();
    assert!(largest > 40_000, "{largest} bytes");
    for budget in [TileOptions::default().budget_bytes, 40_000] {
        let opts = TileOptions {
            budget_bytes: budget,
            ..TileOptions::default()
        };
        for z in 0..14 {
            for t in tiles_at(z) {
                let tile = render(dense(), t, None, &opts).unwrap();
                assert!(
                    tile.bytes.len() <= budget,
                    "{t}: {} bytes over a budget of {budget}",
                    tile.bytes.len()
                );
            }
        }
    }
}

#[test]
fn thinning_is_deterministic_and_a_kept_point_stays_kept_above() {
    let opts = TileOptions::default();
    let mut kept_below: Option<HashSet<u64>> = None;
    for z in 6..=14 {
        let mut kept = HashSet::new();
        for t in tiles_at(z) {
            let once = render(dense(), t, None, &opts).unwrap();
            let again = render(dense(), t, None, &opts).unwrap();
            assert_eq!(once.bytes, again.bytes, "{t} differs between renders");
            kept.extend(ids(once.bytes).remove("points").unwrap_or_default());
        }
        if let Some(below) = &kept_below {
            let lost: Vec<_> = below.difference(&kept).take(3).collect();
            assert!(
                lost.is_empty(),
                "z{z} lost points shown at z{}: {lost:?}",
                z - 1
            );
            assert!(kept.len() >= below.len());
        }
        // Thinned where dense (an average z9 tile would hold about 15,000
        // of the 60,000; a z11 tile under 4,096, so from there on none is
        // dropped), whole at maxzoom.
        let all = dense().layer("points").unwrap().len();
        if z <= 9 {
            assert!(kept.len() < all, "z{z} kept all {all} points");
        }
        if z == 14 {
            assert_eq!(kept.len(), all, "z14 (maxzoom) must draw every point");
        }
        kept_below = Some(kept);
    }
}

#[test]
fn every_feature_is_in_its_tile_at_maxzoom_and_the_district_is_never_thinned() {
    let opts = TileOptions::default();
    let mut seen: HashMap<String, HashSet<u64>> = HashMap::new();
    for t in tiles_at(14) {
        for (layer, ids) in ids(render(dense(), t, None, &opts).unwrap().bytes) {
            seen.entry(layer).or_default().extend(ids);
        }
    }
    for layer in ["points", "polygons", "lines"] {
        let want: HashSet<u64> = dense()
            .layer(layer)
            .unwrap()
            .iter()
            .map(|f| f.fid)
            .collect();
        let got = seen.remove(layer).unwrap_or_default();
        let missing: Vec<_> = want.difference(&got).take(3).collect();
        assert!(
            missing.is_empty(),
            "{layer}: {} missing at z14, e.g. {missing:?}",
            want.len() - got.len()
        );
    }
    // The district (thin = "never") is in every tile it covers, at every zoom.
    let district = dense().layer("district").unwrap().features[0].fid;
    for z in [0, 4, 8, 10] {
        let c = dense().layer("district").unwrap().features[0].bbox.center();
        let t = TileCoord::containing(c.x, c.y, z);
        let small = TileOptions {
            budget_bytes: 10_000,
            ..TileOptions::default()
        };
        let got = ids(render(dense(), t, None, &small).unwrap().bytes);
        assert!(
            got.get("district").is_some_and(|s| s.contains(&district)),
            "{t}"
        );
    }
}

#[test]
fn the_sparse_rank_trees_give_the_tiles_a_full_scan_gives() {
    // The same points as a layer of mixed kind get no rank-level trees, so
    // their tiles come from scanning every point under the tile.
    let c = dense();
    let points = c.layer("points").unwrap();
    let mut meta = points.meta.clone();
    meta.geometry = shanshui::catalog::GeometryKind::Any;
    let scanned = Catalog::from_layers(
        c.dataset.clone(),
        vec![shanshui::catalog::Layer::new(
            meta,
            // In file order, so that each point gets the same number.
            points
                .in_file_order()
                .map(|i| points.features[i].clone())
                .collect(),
        )],
    );
    // 60,000 points get one level (the quarter of lowest rank), which z8
    // tiles (keeping about 4,096 of 60,000) are cut from.
    assert!(!std::ptr::eq(points.index_below_rank(0.1), points.index()));
    assert_eq!(points.index_below_rank(0.1).len(), {
        points.iter().filter(|f| f.rank < 0.25).count()
    });
    let opts = TileOptions::default();
    let only = ["points".to_string()];
    let mut thinned = 0;
    for z in 8..=13 {
        for t in tiles_at(z) {
            let a = render(c, t, Some(&only), &opts).unwrap();
            let b = render(&scanned, t, Some(&only), &opts).unwrap();
            assert_eq!(a.bytes, b.bytes, "{t}");
            let n = a.counts.first().map_or(0, |(_, n)| *n);
            thinned += usize::from(z == 8 && n > 0);
        }
    }
    assert!(thinned > 0, "z8 tiles with points: {thinned}");
}
