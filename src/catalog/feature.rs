//! A feature of a layer: its id, geometry in WGS84 lon/lat, and properties.

use super::properties::{PropValue, Properties};
use geo::{BoundingRect, Geometry, MapCoords, Rect};

/// One feature, as loaded and validated.
#[derive(Debug, Clone)]
pub struct Feature {
    /// The feature's id within its layer (`zone-1`), used in references.
    pub id: compact_str::CompactString,
    /// The MVT feature id: the feature's place in its layer's file, from 1
    /// (set by [`super::Layer::new`]). Small, so that it costs a byte or
    /// two a feature in a tile; unique within the layer for one version of
    /// the data. Clients that need a key across versions read the `id`
    /// property.
    pub fid: u64,
    /// Where thinning puts the feature, uniform in [0, 1) ([`rank`]): from
    /// a hash of the layer and the id, so the same across runs and versions.
    pub rank: f64,
    /// The geometry, WGS84 longitude/latitude: what queries measure.
    pub geometry: Geometry<f64>,
    /// The same geometry in Web Mercator metres, projected once at load:
    /// what tiles are cut from.
    pub mercator: Geometry<f64>,
    /// The GeoJSON properties, as in the file.
    pub properties: Properties,
    /// The geometry's bounding box.
    pub bbox: Rect<f64>,
}

impl Feature {
    /// Builds a feature, computing its numeric id and bounding box.
    /// Returns `None` for a geometry with no coordinates.
    pub fn new(
        layer_id: &str,
        id: String,
        geometry: Geometry<f64>,
        properties: impl Into<Properties>,
    ) -> Option<Feature> {
        let bbox = geometry.bounding_rect()?;
        Some(Feature::with_bbox(
            layer_id,
            id.into(),
            geometry,
            bbox,
            properties,
        ))
    }

    /// Builds a feature whose bounding box is known.
    pub fn with_bbox(
        layer_id: &str,
        id: compact_str::CompactString,
        geometry: Geometry<f64>,
        bbox: Rect<f64>,
        properties: impl Into<Properties>,
    ) -> Feature {
        Feature {
            fid: 0,
            rank: rank(stable_fid(layer_id, &id)),
            id,
            mercator: geometry.map_coords(crate::mercator::project),
            geometry,
            properties: properties.into(),
            bbox,
        }
    }

    /// A string property, if present and a string.
    pub fn str_property(&self, key: &str) -> Option<&str> {
        self.properties.get(key).and_then(PropValue::as_str)
    }

    /// The feature as a GeoJSON Feature object, its `id` member the
    /// feature's id.
    pub fn to_geojson(&self) -> serde_json::Value {
        let geometry = geojson::Geometry::new(geojson::GeometryValue::from(&self.geometry));
        serde_json::json!({
            "type": "Feature",
            "id": self.id,
            "geometry": serde_json::to_value(geometry).unwrap_or(serde_json::Value::Null),
            "properties": self.properties,
        })
    }

    /// A strong ETag of this version of the feature (quotes included): a
    /// hash of its GeoJSON, so the same whenever and wherever the same
    /// feature is served, and different after any change to it.
    pub fn etag(&self) -> String {
        etag_of(&self.to_geojson())
    }

    /// The Chinese name (`name_zh`), or the id when there is none.
    pub fn name_zh(&self) -> &str {
        self.str_property("name_zh").unwrap_or(&self.id)
    }

    /// The English name (`name_en`), or the id when there is none.
    pub fn name_en(&self) -> &str {
        self.str_property("name_en").unwrap_or(&self.id)
    }
}

/// The strong ETag of a feature's GeoJSON (see [`Feature::etag`]).
pub fn etag_of(geojson: &serde_json::Value) -> String {
    let mut h = Fnv64::new();
    // Serializing a JSON value into memory cannot fail.
    h.write(&serde_json::to_vec(geojson).unwrap_or_default());
    format!("\"{:016x}\"", h.finish())
}

/// The smallest box holding both boxes.
pub fn rect_union(a: Rect<f64>, b: Rect<f64>) -> Rect<f64> {
    Rect::new(
        geo::Coord {
            x: a.min().x.min(b.min().x),
            y: a.min().y.min(b.min().y),
        },
        geo::Coord {
            x: a.max().x.max(b.max().x),
            y: a.max().y.max(b.max().y),
        },
    )
}

/// FNV-1a over `layer/id`, folded to 53 bits. Stable across runs, machines
/// and releases, unlike `std`'s hasher.
pub fn stable_fid(layer_id: &str, id: &str) -> u64 {
    let mut h = Fnv64::new();
    h.write(layer_id.as_bytes());
    h.write(b"/");
    h.write(id.as_bytes());
    let x = h.finish();
    (x ^ (x >> 53)) & ((1 << 53) - 1)
}

/// A feature's place in the order tiles thin in: `key` (its
/// [`stable_fid`]) hashed again (SplitMix64's finaliser) to a number
/// uniform in [0, 1).
pub fn rank(key: u64) -> f64 {
    let mut z = key.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The 64-bit FNV-1a hash: small, stable, good enough for ids and versions
/// (<http://www.isthe.com/chongo/tech/comp/fnv/>).
#[derive(Debug, Clone)]
pub struct Fnv64(u64);

impl Fnv64 {
    /// A hasher at the FNV offset basis.
    pub fn new() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }

    /// Feeds bytes.
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// The hash so far.
    pub fn finish(&self) -> u64 {
        self.0
    }
}

impl Default for Fnv64 {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_reference_vectors() {
        // Published FNV-1a 64 test vectors.
        let mut h = Fnv64::new();
        h.write(b"");
        assert_eq!(h.finish(), 0xcbf29ce484222325);
        let mut h = Fnv64::new();
        h.write(b"a");
        assert_eq!(h.finish(), 0xaf63dc4c8601ec8c);
        let mut h = Fnv64::new();
        h.write(b"foobar");
        assert_eq!(h.finish(), 0x85944171f73967e8);
    }

    #[test]
    fn fids_fit_javascript_and_differ_by_layer() {
        let a = stable_fid("reservoir_zones", "zone-1");
        let b = stable_fid("projects", "zone-1");
        assert!(a < (1 << 53) && b < (1 << 53));
        assert_ne!(a, b);
        assert_eq!(a, stable_fid("reservoir_zones", "zone-1"));
    }
}
