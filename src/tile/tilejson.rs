//! TileJSON 3.0.0 documents for a set of layers: what the server sends at
//! `/tiles.json` and an export writes beside its tiles.
//! Spec: <https://github.com/mapbox/tilejson-spec/tree/master/3.0.0>.

use crate::catalog::{rect_union, Catalog, Layer, PropValue};
use geo::Rect;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The TileJSON for `layers`, with `tiles_url` as the tile template.
pub fn tilejson(catalog: &Catalog, layers: &[&Layer], tiles_url: &str, name: &str) -> Value {
    let bounds = layers
        .iter()
        .filter_map(|l| l.bounds())
        .reduce(rect_union)
        .map(bounds_array)
        .unwrap_or([-180.0, -85.051_128_78, 180.0, 85.051_128_78]);
    let minzoom = layers.iter().map(|l| l.meta.minzoom).min().unwrap_or(0);
    let maxzoom = layers.iter().map(|l| l.meta.maxzoom).max().unwrap_or(14);
    let width = (bounds[2] - bounds[0]).max(bounds[3] - bounds[1]).max(1e-6);
    let fit = (360.0 / width).log2().floor().clamp(0.0, 22.0) as u8 + 1;
    let center = [
        round6((bounds[0] + bounds[2]) / 2.0),
        round6((bounds[1] + bounds[3]) / 2.0),
        f64::from(fit.clamp(minzoom, maxzoom)),
    ];
    // Each source named once, though several layers share it.
    let mut attribution: Vec<&str> = Vec::new();
    for part in layers.iter().flat_map(|l| l.meta.attribution.split("; ")) {
        let part = part.trim();
        if !part.is_empty() && !attribution.contains(&part) {
            attribution.push(part);
        }
    }
    let vector_layers: Vec<Value> = layers
        .iter()
        .map(|l| {
            json!({
                "id": l.id(),
                "description": l.meta.description,
                "minzoom": l.meta.minzoom,
                "maxzoom": l.meta.maxzoom,
                "fields": fields(l),
            })
        })
        .collect();
    json!({
        "tilejson": "3.0.0",
        "name": name,
        "description": catalog.dataset.title.zh,
        "version": "1.0.0",
        "attribution": attribution.join("; "),
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "bounds": bounds,
        "center": center,
        "vector_layers": vector_layers,
    })
}

/// Each property a layer's features carry, with its type as TileJSON
/// tools expect: `String`, `Number`, `Boolean`, or `Mixed`.
pub fn fields(layer: &Layer) -> Map<String, Value> {
    let mut types: BTreeMap<&str, &str> = BTreeMap::new();
    for f in layer.iter() {
        for (k, v) in &f.properties {
            let t = match v {
                PropValue::Null => continue,
                PropValue::Bool(_) => "Boolean",
                PropValue::Int(_) | PropValue::UInt(_) | PropValue::Float(_) => "Number",
                _ => "String",
            };
            types
                .entry(k)
                .and_modify(|seen| {
                    if *seen != t {
                        *seen = "Mixed";
                    }
                })
                .or_insert(t);
        }
    }
    types
        .into_iter()
        .map(|(k, t)| (k.to_string(), Value::from(t)))
        .collect()
}

/// `[west, south, east, north]`, rounded to 6 decimals.
pub fn bounds_array(r: Rect<f64>) -> [f64; 4] {
    [
        round6(r.min().x),
        round6(r.min().y),
        round6(r.max().x),
        round6(r.max().y),
    ]
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
