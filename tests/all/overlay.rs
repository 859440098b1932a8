//! A layer edited feature by feature ([`Layer::with_feature`]: the edits
//! held beside the layer built from its file) answers exactly as the same
//! features built into a layer whole: the same features in the same file
//! order, the same R-tree hits, the same planner's answers, the same tile.

use crate::rtree_props::{coord, rect_polygon};
use crate::util::dataset;
use geo::{Coord, Geometry, Point};
use proptest::prelude::*;
use shanshui::catalog::LayerMeta;
use shanshui::query::{self, Target};
use shanshui::tile::{render, TileCoord, TileOptions};
use shanshui::{Catalog, Feature, Layer};

fn geometry() -> impl Strategy<Value = Geometry<f64>> {
    prop_oneof![
        coord().prop_map(|c| Geometry::Point(Point(c))),
        rect_polygon().prop_map(Geometry::Polygon),
    ]
}

fn meta() -> LayerMeta {
    toml::from_str(
        "id = \"l\"\ntitle = { zh = \"l\", en = \"l\" }\nfile = \"l.geojson\"\ngeometry = \"any\"\nid_property = \"id\"",
    )
    .unwrap()
}

fn feature(id: &str, g: Geometry<f64>) -> Feature {
    let mut props = serde_json::Map::new();
    props.insert("id".into(), id.into());
    Feature::new("l", id.to_string(), g, props).unwrap()
}

/// An edit: replace feature `k % n` (move it), delete it, or add one.
#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, Geometry<f64>),
    Delete(usize),
    Create(Geometry<f64>),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<usize>(), geometry()).prop_map(|(k, g)| Edit::Replace(k, g)),
        1 => any::<usize>().prop_map(Edit::Delete),
        2 => geometry().prop_map(Edit::Create),
    ]
}

fn ids(layer: &Layer, positions: impl Iterator<Item = usize>) -> Vec<String> {
    positions
        .map(|i| layer.features[i].id.to_string())
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn one_layer(layer: Layer) -> Catalog {
    Catalog::from_layers(dataset("t"), vec![layer])
}

/// The tile's features by their `id` property, as a decoder we did not
/// write reads them.
fn tile_ids(catalog: &Catalog, coord: TileCoord) -> Vec<String> {
    let tile = render(catalog, coord, None, &TileOptions::default()).unwrap();
    if tile.bytes.is_empty() {
        return Vec::new();
    }
    let reader = mvt_reader::Reader::new(tile.bytes).unwrap();
    let mut out = Vec::new();
    for (i, _) in reader.get_layer_names().unwrap().iter().enumerate() {
        for f in reader.get_features(i).unwrap() {
            if let Some(mvt_reader::feature::Value::String(id)) =
                f.properties.as_ref().and_then(|p| p.get("id"))
            {
                out.push(id.clone());
            }
        }
    }
    sorted(out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn an_edited_layer_answers_as_the_layer_built_whole(
        base in prop::collection::vec(geometry(), 1..40),
        edits in prop::collection::vec(edit(), 1..60),
        rects in prop::collection::vec((coord(), 0.01f64..0.3, 0.01f64..0.3), 4),
        here in coord(),
    ) {
        // The model: (id, geometry) in file order.
        let mut model: Vec<(String, Geometry<f64>)> = base
            .iter()
            .enumerate()
            .map(|(i, g)| (format!("f{i}"), g.clone()))
            .collect();
        let build = |m: &[(String, Geometry<f64>)]| {
            Layer::new(meta(), m.iter().map(|(id, g)| feature(id, g.clone())).collect())
        };
        let mut edited = build(&model);
        let mut created = 0;
        for e in &edits {
            match e {
                Edit::Replace(k, g) if !model.is_empty() => {
                    let k = k % model.len();
                    model[k].1 = g.clone();
                    let id = model[k].0.clone();
                    edited = edited.with_feature(&id, Some(feature(&id, g.clone())));
                }
                Edit::Delete(k) if !model.is_empty() => {
                    let (id, _) = model.remove(k % model.len());
                    edited = edited.with_feature(&id, None);
                }
                Edit::Create(g) => {
                    created += 1;
                    let id = format!("new{created}");
                    model.push((id.clone(), g.clone()));
                    edited = edited.with_feature(&id, Some(feature(&id, g.clone())));
                }
                _ => {}
            }
        }
        let whole = build(&model);
        prop_assert_eq!(edited.len(), whole.len());
        prop_assert_eq!(ids(&edited, edited.in_file_order()), ids(&whole, whole.in_file_order()));
        prop_assert_eq!(sorted(edited.iter().map(|f| f.id.to_string()).collect()),
                        sorted(whole.iter().map(|f| f.id.to_string()).collect()));
        for (id, g) in &model {
            prop_assert_eq!(&edited.feature(id).unwrap().geometry, g);
        }
        for (id, _) in base.iter().enumerate().map(|(i, g)| (format!("f{i}"), g)) {
            prop_assert_eq!(edited.feature(&id).is_some(), model.iter().any(|(m, _)| *m == id));
        }
        let mut fids: Vec<u64> = edited.iter().map(|f| f.fid).collect();
        fids.sort_unstable();
        fids.dedup();
        prop_assert_eq!(fids.len(), edited.len(), "fids unique");
        for (c, w, h) in &rects {
            let r = geo::Rect::new(*c, Coord { x: c.x + w, y: c.y + h });
            prop_assert_eq!(sorted(ids(&edited, edited.intersecting(r))), sorted(ids(&whole, whole.intersecting(r))));
        }
        let by_distance = |l: &Layer| -> Vec<(u64, String)> {
            let mut v: Vec<(u64, String)> = l
                .by_box_distance(here.x, here.y)
                .map(|(i, d)| (d.to_bits(), l.features[i].id.to_string()))
                .collect();
            // Ascending by distance; ties in any order.
            let d: Vec<u64> = v.iter().map(|x| x.0).collect();
            assert!(d.windows(2).all(|w| f64::from_bits(w[0]) <= f64::from_bits(w[1])));
            v.sort();
            v
        };
        prop_assert_eq!(by_distance(&edited), by_distance(&whole));

        // The planner's answers and a tile, over catalogs of each.
        let (a, b) = (one_layer(edited), one_layer(whole));
        let (c, w, h) = &rects[0];
        let zone = Target::from_geometry(Geometry::Polygon(geo::Rect::new(*c, Coord { x: c.x + w * 2.0, y: c.y + h * 2.0 }).to_polygon())).unwrap();
        let answer = |cat: &Catalog| -> Vec<String> {
            query::within(cat, "l", &zone, true)
                .unwrap()
                .iter()
                .map(|h| format!("{} {:?} {:?}", h.feature.id, h.relation, h.overlap))
                .collect()
        };
        prop_assert_eq!(answer(&a), answer(&b));
        let near = |cat: &Catalog| -> Vec<String> {
            query::nearest(cat, "l", here.x, here.y, 5)
                .unwrap()
                .iter()
                .map(|h| format!("{} {:?}", h.feature.id, h.distance_m))
                .collect()
        };
        prop_assert_eq!(near(&a), near(&b));
        for z in [10u8, 12] {
            let n = f64::from(1u32 << z);
            let x = ((here.x + 180.0) / 360.0 * n) as u32;
            let y = ((1.0 - here.y.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0 * n) as u32;
            let coord = TileCoord::new(z, x, y).unwrap();
            prop_assert_eq!(tile_ids(&a, coord), tile_ids(&b, coord));
        }
    }
}

#[test]
fn past_its_share_of_edits_a_layer_is_built_again_whole() {
    let features: Vec<Feature> = (0..100)
        .map(|i| {
            feature(
                &format!("f{i}"),
                Geometry::Point(Point::new(116.9 + i as f64 * 0.001, 40.5)),
            )
        })
        .collect();
    let mut layer = Layer::new(meta(), features);
    // Edits of the same features replace each other beside the layer.
    for k in 0..300 {
        let id = format!("f{}", k % 100);
        let moved = Geometry::Point(Point::new(116.9 + k as f64 * 0.0001, 40.6));
        layer = layer.with_feature(&id, Some(feature(&id, moved)));
    }
    assert_eq!(layer.edits_held(), 100);
    // New ones pile up: 256 are held (the floor, for a layer this small);
    // the next folds them all in.
    for k in 0..156 {
        let id = format!("new{k}");
        layer = layer.with_feature(
            &id,
            Some(feature(&id, Geometry::Point(Point::new(117.0, 40.4)))),
        );
        assert_eq!(
            layer.edits_held(),
            101 + k,
            "edit {k}: held beside the layer"
        );
    }
    let id = "new156";
    layer = layer.with_feature(
        id,
        Some(feature(id, Geometry::Point(Point::new(117.0, 40.4)))),
    );
    assert_eq!(layer.edits_held(), 0, "folded in");
    assert_eq!(layer.len(), 257);
    let fids: Vec<u64> = layer
        .in_file_order()
        .map(|i| layer.features[i].fid)
        .collect();
    assert_eq!(
        fids,
        (1..=257).collect::<Vec<u64>>(),
        "numbered afresh in file order"
    );
    let ids: Vec<String> = layer
        .in_file_order()
        .map(|i| layer.features[i].id.to_string())
        .collect();
    assert_eq!(ids[99], "f99");
    assert_eq!(ids[100], "new0");
}
