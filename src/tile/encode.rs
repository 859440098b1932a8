//! Writing Mapbox Vector Tile 2.1 protobuf, through the `mvt` crate. The
//! only module that knows the encoder, so it can be swapped.
//! Spec: <https://github.com/mapbox/vector-tile-spec/tree/master/2.1>.

use super::snap::TileGeometry;
use serde_json::{Map, Value};

/// A feature ready to encode.
pub struct EncodeFeature<'a> {
    /// The MVT feature id.
    pub id: u64,
    /// Its geometry in tile coordinates.
    pub geometry: TileGeometry,
    /// Its properties; nulls are left out, arrays and objects written as
    /// JSON text.
    pub properties: &'a Map<String, Value>,
}

/// Encoding failed (a coordinate the encoder refused); a server fault.
#[derive(Debug, thiserror::Error)]
#[error("encoding the tile failed: {0}")]
pub struct EncodeError(String);

impl From<mvt::Error> for EncodeError {
    fn from(e: mvt::Error) -> Self {
        EncodeError(e.to_string())
    }
}

/// Encodes layers of features into one tile. Layers with no features are
/// left out; a tile with no layers is empty (zero bytes).
pub fn encode(layers: &[(&str, Vec<&EncodeFeature>)], extent: u32) -> Result<Vec<u8>, EncodeError> {
    let mut tile = mvt::Tile::new(extent);
    for (name, features) in layers {
        if features.is_empty() {
            continue;
        }
        let mut layer = tile.create_layer(name);
        for f in features {
            let data = geometry(&f.geometry)?;
            let mut feature = layer.into_feature(data);
            feature.set_id(f.id);
            for (key, value) in f.properties {
                match value {
                    Value::Null => {}
                    Value::Bool(b) => feature.add_tag_bool(key, *b),
                    Value::String(s) => feature.add_tag_string(key, s),
                    Value::Number(n) => {
                        if let Some(i) = n.as_i64() {
                            feature.add_tag_sint(key, i);
                        } else if let Some(u) = n.as_u64() {
                            feature.add_tag_uint(key, u);
                        } else if let Some(d) = n.as_f64() {
                            feature.add_tag_double(key, d);
                        }
                    }
                    nested => feature.add_tag_string(key, &nested.to_string()),
                }
            }
            layer = feature.into_layer();
        }
        tile.add_layer(layer)?;
    }
    if tile.num_layers() == 0 {
        return Ok(Vec::new());
    }
    Ok(tile.to_bytes()?)
}

fn geometry(g: &TileGeometry) -> Result<mvt::GeomData, EncodeError> {
    use mvt::{GeomEncoder, GeomType};
    let data = match g {
        TileGeometry::Points(pts) => {
            let mut enc = GeomEncoder::<i32>::new(GeomType::Point);
            for &(x, y) in pts {
                enc.add_point(x, y)?;
            }
            enc.encode()?
        }
        TileGeometry::Lines(lines) => {
            let mut enc = GeomEncoder::<i32>::new(GeomType::Linestring);
            for line in lines {
                for &(x, y) in line {
                    enc.add_point(x, y)?;
                }
                enc.complete_geom()?;
            }
            enc.encode()?
        }
        TileGeometry::Polygons(polys) => {
            let mut enc = GeomEncoder::<i32>::new(GeomType::Polygon);
            for ring in polys.iter().flatten() {
                for &(x, y) in ring {
                    enc.add_point(x, y)?;
                }
                enc.complete_geom()?;
            }
            enc.encode()?
        }
    };
    Ok(data)
}
