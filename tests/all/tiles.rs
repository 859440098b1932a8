//! Vector tiles checked by a decoder we did not write (`mvt-reader`):
//! positions, coverage, ring validity and winding, ids and properties, the
//! buffer rules.

use crate::util::bundled;
use geo::{
    BooleanOps, BoundingRect, Contains, Coord, Geometry, Intersects, LineString, MapCoords,
    MultiPolygon, Polygon, Rect, Validation,
};
use mvt_reader::feature::Value as MvtValue;
use mvt_reader::Reader;
use serde_json::Value;
use shanshui::mercator::project;
use shanshui::tile::{render, TileCoord, TileOptions};
use shanshui::Catalog;
use std::collections::HashMap;

const EXTENT: f64 = 4096.0;
const BUFFER: f64 = 64.0;

/// A decoded tile: layer name → features.
type Decoded = HashMap<String, Vec<mvt_reader::feature::Feature<f64>>>;

fn decode(bytes: Vec<u8>) -> Decoded {
    if bytes.is_empty() {
        return HashMap::new();
    }
    let reader = Reader::new(bytes).expect("the tile decodes");
    let names = reader.get_layer_names().expect("layer names decode");
    names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let features = reader.get_features_as::<f64>(i).expect("features decode");
            (name, features)
        })
        .collect()
}

fn tile(catalog: &Catalog, coord: TileCoord, layers: Option<&[String]>) -> Decoded {
    decode(
        render(catalog, coord, layers, &TileOptions::default())
            .unwrap()
            .bytes,
    )
}

/// Where a lon/lat falls in a tile, by the slippy-map formula written out
/// independently of the crate's projection.
fn pixel(lon: f64, lat: f64, t: TileCoord) -> (f64, f64) {
    let n = f64::from(1u32 << t.z);
    let fx = (lon + 180.0) / 360.0 * n;
    let lat = lat.to_radians();
    let fy = (1.0 - lat.tan().asinh() / std::f64::consts::PI) / 2.0 * n;
    (
        (fx - f64::from(t.x)) * EXTENT,
        (fy - f64::from(t.y)) * EXTENT,
    )
}

fn district_tiles(z: u8) -> Vec<TileCoord> {
    let b = bundled().layer("district").unwrap().bounds().unwrap();
    TileCoord::covering(b, z).collect()
}

#[test]
fn every_village_is_at_its_pixel_in_its_z14_tile() {
    let villages = bundled().layer("villages").unwrap();
    let only = vec!["villages".to_string()];
    for v in villages.iter() {
        let Geometry::Point(p) = v.geometry else {
            panic!("{} is not a point", v.id)
        };
        let t = TileCoord::containing(p.x(), p.y(), 14);
        let decoded = tile(bundled(), t, Some(&only));
        let f = decoded["villages"]
            .iter()
            .find(|f| f.id == Some(v.fid))
            .unwrap_or_else(|| panic!("{} missing from {t}", v.id));
        let (ex, ey) = pixel(p.x(), p.y(), t);
        let got = match &f.geometry {
            Geometry::Point(p) => *p,
            Geometry::MultiPoint(mp) if mp.0.len() == 1 => mp.0[0],
            other => panic!("{} decoded as {other:?}", v.id),
        };
        assert!(
            (got.x() - ex).abs() <= 1.0 && (got.y() - ey).abs() <= 1.0,
            "{} in {t}: at ({}, {}), expected ({ex:.2}, {ey:.2})",
            v.id,
            got.x(),
            got.y()
        );
    }
}

/// Zone one in tile units of `t`, and the buffered tile square.
fn zone_one_in(t: TileCoord) -> (MultiPolygon<f64>, Polygon<f64>) {
    let zone = bundled()
        .layer("reservoir_zones")
        .unwrap()
        .feature("zone-1")
        .unwrap();
    let b = t.bounds_mercator();
    let k = EXTENT / t.size_m();
    let local = zone.geometry.map_coords(|c| {
        let m = project(c);
        Coord {
            x: (m.x - b.min().x) * k,
            y: (b.max().y - m.y) * k,
        }
    });
    let Geometry::Polygon(p) = local else {
        panic!("zone one is one polygon")
    };
    let square = Rect::new(
        Coord {
            x: -BUFFER,
            y: -BUFFER,
        },
        Coord {
            x: EXTENT + BUFFER,
            y: EXTENT + BUFFER,
        },
    )
    .to_polygon();
    (MultiPolygon::new(vec![p]), square)
}

#[test]
fn zone_one_is_in_exactly_the_z10_tiles_it_touches() {
    let zone = bundled()
        .layer("reservoir_zones")
        .unwrap()
        .feature("zone-1")
        .unwrap();
    let only = vec!["reservoir_zones".to_string()];
    let mut seen = 0;
    // Every z10 tile over the district and a ring of tiles around it.
    let b = bundled().layer("district").unwrap().bounds().unwrap();
    let a = TileCoord::containing(b.min().x, b.max().y, 10);
    let c = TileCoord::containing(b.max().x, b.min().y, 10);
    for x in a.x - 1..=c.x + 1 {
        for y in a.y - 1..=c.y + 1 {
            let t = TileCoord::new(10, x, y).unwrap();
            let decoded = tile(bundled(), t, Some(&only));
            let present = decoded
                .get("reservoir_zones")
                .is_some_and(|fs| fs.iter().any(|f| f.id == Some(zone.fid)));
            let (local, square) = zone_one_in(t);
            let overlap = local.intersection(&MultiPolygon::new(vec![square.clone()]));
            let area: f64 = geo::Area::unsigned_area(&overlap);
            if area >= 4.0 {
                assert!(
                    present,
                    "zone one meets {t} over {area:.1} units² but is missing"
                );
                seen += 1;
            } else if !local.intersects(&square) {
                assert!(!present, "zone one does not meet {t} but is in it");
            }
            // Below 4 units² (a sliver at the buffer's edge) either is right.
        }
    }
    assert!(
        seen >= 2,
        "zone one spans more than one z10 tile, saw {seen}"
    );
}

fn ring_area(ls: &LineString<f64>) -> f64 {
    // The surveyor's formula, in tile coordinates as they are (y down).
    ls.0.windows(2)
        .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
        .sum::<f64>()
        / 2.0
}

fn no_repeats(ls: &LineString<f64>) -> bool {
    ls.0.windows(2).all(|w| w[0] != w[1])
}

fn check_polygon(p: &Polygon<f64>, what: &str) {
    assert!(
        ring_area(p.exterior()) > 0.0,
        "{what}: exterior ring not positive"
    );
    for hole in p.interiors() {
        assert!(ring_area(hole) < 0.0, "{what}: hole not negative");
    }
    for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
        assert!(
            ring.0.len() >= 4,
            "{what}: a ring of {} points",
            ring.0.len()
        );
        assert!(no_repeats(ring), "{what}: repeated point");
    }
    assert!(
        p.is_valid(),
        "{what}: invalid polygon: {:?}",
        p.validation_errors()
    );
}

#[test]
fn every_tile_from_z0_to_z12_has_valid_wound_geometry() {
    let mut tiles = 0;
    let mut polygons = 0;
    for z in 0..=12 {
        for t in district_tiles(z) {
            tiles += 1;
            for (layer, features) in tile(bundled(), t, None) {
                for f in features {
                    let what = format!("{t} {layer} {:?}", f.id);
                    match &f.geometry {
                        Geometry::Polygon(p) => {
                            polygons += 1;
                            check_polygon(p, &what)
                        }
                        Geometry::MultiPolygon(mp) => {
                            polygons += 1;
                            mp.iter().for_each(|p| check_polygon(p, &what));
                            assert!(mp.is_valid(), "{what}: parts overlap");
                        }
                        Geometry::LineString(ls) => {
                            assert!(ls.0.len() >= 2 && no_repeats(ls), "{what}")
                        }
                        Geometry::MultiLineString(mls) => {
                            for ls in mls {
                                assert!(ls.0.len() >= 2 && no_repeats(ls), "{what}")
                            }
                        }
                        Geometry::Point(_) | Geometry::MultiPoint(_) => {}
                        other => panic!("{what}: unexpected {other:?}"),
                    }
                    // Nothing beyond the buffered tile.
                    if let Some(bb) = f.geometry.bounding_rect() {
                        let (lo, hi) = (-BUFFER - 0.5, EXTENT + BUFFER + 0.5);
                        assert!(
                            bb.min().x >= lo
                                && bb.min().y >= lo
                                && bb.max().x <= hi
                                && bb.max().y <= hi,
                            "{what}: outside the buffered tile: {bb:?}"
                        );
                    }
                }
            }
        }
    }
    assert!(
        tiles > 150 && polygons > 200,
        "{tiles} tiles, {polygons} polygons"
    );
}

fn expected(value: &Value) -> Option<MvtValue> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => MvtValue::Bool(*b),
        Value::String(s) => MvtValue::String(s.clone()),
        Value::Number(n) => match n.as_i64() {
            Some(i) => MvtValue::SInt(i),
            None => MvtValue::Double(n.as_f64().unwrap()),
        },
        nested => MvtValue::String(nested.to_string()),
    })
}

#[test]
fn ids_and_properties_round_trip() {
    let mut checked = 0;
    for t in district_tiles(11) {
        for (layer, features) in tile(bundled(), t, None) {
            let source = bundled().layer(&layer).unwrap();
            for f in features {
                let fid = f.id.expect("every feature has an id");
                let original = source
                    .iter()
                    .find(|x| x.fid == fid)
                    .unwrap_or_else(|| panic!("{t} {layer}: unknown id {fid}"));
                let props = f.properties.unwrap_or_default();
                let want: HashMap<String, MvtValue> = original
                    .properties
                    .iter()
                    .filter_map(|(k, v)| expected(&v.to_json()).map(|e| (k.to_string(), e)))
                    .collect();
                assert_eq!(props, want, "{t} {layer}/{}", original.id);
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "{checked}");
}

#[test]
fn a_polygon_over_the_whole_tile_is_the_buffered_square() {
    // A z14 tile deep inside the district: the district polygon covers it.
    let district = bundled()
        .layer("district")
        .unwrap()
        .feature("miyun")
        .unwrap();
    let t = TileCoord::containing(116.95, 40.62, 14);
    let b = t.bounds_lonlat();
    assert!(
        district.geometry.contains(&b.to_polygon()),
        "precondition: {t} lies inside"
    );
    let only = vec!["district".to_string()];
    let decoded = tile(bundled(), t, Some(&only));
    let f = &decoded["district"][0];
    let square = Rect::new(
        Coord {
            x: -BUFFER,
            y: -BUFFER,
        },
        Coord {
            x: EXTENT + BUFFER,
            y: EXTENT + BUFFER,
        },
    );
    let poly = match &f.geometry {
        Geometry::Polygon(p) => p.clone(),
        Geometry::MultiPolygon(mp) if mp.0.len() == 1 => mp.0[0].clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(poly.exterior().0.len(), 5, "{poly:?}");
    assert_eq!(poly.bounding_rect().unwrap(), square);
    assert_eq!(
        geo::Area::unsigned_area(&poly),
        (EXTENT + 2.0 * BUFFER).powi(2)
    );
}

#[test]
fn layers_below_their_minzoom_are_absent_and_overzoom_works() {
    // Villages start at z10 (layers.toml).
    let min = bundled().layer("villages").unwrap().meta.minzoom;
    let low = tile(
        bundled(),
        TileCoord::containing(116.843, 40.376, min - 1),
        None,
    );
    assert!(!low.contains_key("villages"));
    let at = tile(bundled(), TileCoord::containing(116.843, 40.376, min), None);
    assert!(at.contains_key("villages"));
    // Beyond every maxzoom, at z22, the district still covers the tile.
    let deep = tile(bundled(), TileCoord::containing(116.95, 40.62, 22), None);
    assert!(deep.contains_key("district"));
}

#[test]
fn an_empty_tile_has_no_bytes() {
    let far = TileCoord::new(12, 0, 0).unwrap();
    let t = render(bundled(), far, None, &TileOptions::default()).unwrap();
    assert!(t.bytes.is_empty() && t.counts.is_empty());
}

#[test]
fn no_area_that_should_be_visible_vanishes_at_low_zoom() {
    // Every polygon feature, from its layer's minzoom to z12, is in the tile
    // that holds its interior point, however much simplification the zoom
    // asks for.
    use geo::InteriorPoint;
    for layer in bundled().layers() {
        let ids = vec![layer.id().to_string()];
        for f in layer.iter() {
            if !matches!(f.geometry, Geometry::Polygon(_) | Geometry::MultiPolygon(_)) {
                continue;
            }
            let p = f.geometry.interior_point().unwrap();
            for z in layer.meta.minzoom..=12 {
                let t = TileCoord::containing(p.x(), p.y(), z);
                let decoded = tile(bundled(), t, Some(&ids));
                let found = decoded
                    .get(layer.id())
                    .is_some_and(|fs| fs.iter().any(|x| x.id == Some(f.fid)));
                assert!(found, "{}/{} vanished from {t}", layer.id(), f.id);
            }
        }
    }
}
