//! Label points for areas: one point per polygon feature where its name
//! fits best. Vector tiles cut a large area into tiles, and a map that
//! labels it from the tiles repeats the name in each; labelling these
//! points names it once. Served beside the style for the web map.

use crate::catalog::Catalog;
use crate::mercator::unproject;
use geo::{Area, Geometry, Polygon};
use serde_json::{json, Map, Value};

/// Properties a label point carries over from its feature.
const LABEL_PROPERTIES: &[&str] = &["name_zh", "name_en", "category", "level", "status"];

/// One point per polygon feature of every layer, where a label fits best
/// (the pole of inaccessibility of its largest part, found in Web
/// Mercator so that it is the visual centre), with the feature's `layer`,
/// `id` and names. Vector tiles cut a large area into tiles, and a map
/// labelling it from the tiles repeats its name in each; labelling these
/// points names it once.
pub fn label_points(catalog: &Catalog) -> Value {
    let mut features = Vec::new();
    for layer in catalog.layers() {
        for f in layer.iter() {
            let largest = match &f.mercator {
                Geometry::Polygon(p) => Some(p),
                Geometry::MultiPolygon(mp) => {
                    mp.0.iter()
                        .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))
                }
                _ => None,
            };
            let Some(at) = largest.and_then(pole_of_inaccessibility) else {
                continue;
            };
            let mut props = Map::new();
            props.insert("layer".into(), json!(layer.id()));
            props.insert("id".into(), json!(f.id));
            for key in LABEL_PROPERTIES {
                if let Some(v) = f.properties.get(key) {
                    props.insert((*key).into(), v.to_json());
                }
            }
            let c = unproject(at);
            features.push(json!({
                "type": "Feature",
                "id": f.fid,
                "geometry": {"type": "Point", "coordinates": [round7(c.x), round7(c.y)]},
                "properties": props,
            }));
        }
    }
    json!({"type": "FeatureCollection", "features": features})
}

/// The point of `p` farthest from its edges, to 10 m.
fn pole_of_inaccessibility(p: &Polygon<f64>) -> Option<geo::Coord<f64>> {
    polylabel::polylabel(p, &10.0).ok().map(|pt| pt.0)
}

fn round7(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}
