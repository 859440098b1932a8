//! Reading a dataset from disk: the manifest, then each layer's GeoJSON,
//! checked feature by feature. Every problem is collected and reported
//! together, each naming its file and feature.

use super::error::{FeatureLabel, LoadError, Problem, ProblemKind};
use super::feature::Feature;
use super::manifest::{GeometryKind, LayerMeta, Manifest};
use super::properties::{KeyTable, Properties};
use super::stream::{self, FeatureSeed, RawFeature, RawGeometry, RawProperties, Tok};
use geo::{Coord, Geometry, Validation};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The manifest's file name inside a data folder.
pub const MANIFEST_FILE: &str = "layers.toml";

/// What [`read_dataset`] yields: the manifest, each layer's features, and
/// a version string that changes whenever any input byte does.
pub(crate) struct RawDataset {
    pub manifest: Manifest,
    pub layers: Vec<(LayerMeta, Vec<Feature>)>,
    pub version: String,
}

/// Reads and checks the manifest at `dir/layers.toml` (or `dir` itself when
/// it names a file) and every layer it lists.
pub(crate) fn read_dataset(dir: &Path) -> Result<RawDataset, LoadError> {
    let (root, manifest_path) = if dir.is_file() {
        (
            dir.parent().map(Path::to_path_buf).unwrap_or_default(),
            dir.to_path_buf(),
        )
    } else {
        (dir.to_path_buf(), dir.join(MANIFEST_FILE))
    };
    let problem = |kind| Problem {
        path: manifest_path.clone(),
        feature: None,
        kind,
    };
    let text = std::fs::read_to_string(&manifest_path)
        .map_err(|e| problem(ProblemKind::ManifestUnreadable(e.to_string())))?;
    let manifest = Manifest::parse(&text).map_err(|msgs| LoadError {
        problems: msgs
            .into_iter()
            .map(|m| problem(ProblemKind::Manifest(m.trim_end().to_string())))
            .collect(),
    })?;

    let mut version = Version::default();
    version.write(text.as_bytes());
    let mut problems = Vec::new();
    let mut layers = Vec::new();
    for meta in &manifest.layers {
        let path = root.join(&meta.file);
        match std::fs::read(&path) {
            Ok(bytes) => {
                version.write(&bytes);
                let features = read_layer(meta, &path, &bytes, &mut problems);
                layers.push((meta.clone(), features));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => problems.push(Problem {
                path,
                feature: None,
                kind: ProblemKind::MissingFile {
                    layer: meta.id.clone(),
                },
            }),
            Err(e) => problems.push(Problem {
                path,
                feature: None,
                kind: ProblemKind::Unreadable(e.to_string()),
            }),
        }
    }
    if !problems.is_empty() {
        return Err(LoadError { problems });
    }
    Ok(RawDataset {
        manifest,
        layers,
        version: format!("{:016x}", version.finish()),
    })
}

/// A hash of a dataset's bytes, eight at a time (FNV's byte at a time took
/// half a second over a file of 330 MB): what tells one version of the
/// data from another, in ETags and cache keys.
struct Version(u64);

impl Default for Version {
    fn default() -> Version {
        Version(0xcbf2_9ce4_8422_2325)
    }
}

impl Version {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let w = u64::from_le_bytes(w.try_into().unwrap_or([0; 8]));
            self.0 = (self.0 ^ w)
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .rotate_left(29);
        }
        for &b in words.remainder() {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        // The length too, so that files split differently hash differently.
        self.0 = (self.0 ^ bytes.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Parses one layer file, pushing a problem for each bad feature and
/// returning the good ones.
///
/// The file's JSON tree is never built (it is several times the file's
/// size): each feature is read straight into what it becomes
/// ([`super::stream`]), converted, and the next one read.
/// (Parsing on one thread and converting on another was tried, and was
/// slower: every feature's allocations then crossed threads.)
fn read_layer(
    meta: &LayerMeta,
    path: &Path,
    bytes: &[u8],
    problems: &mut Vec<Problem>,
) -> Vec<Feature> {
    let file_problem = |kind| Problem {
        path: path.to_path_buf(),
        feature: None,
        kind,
    };
    let (parsed, (out, found)) = {
        let mut convert = Converter::new(meta, path);
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let parsed =
            serde::de::DeserializeSeed::deserialize(Collection { each: &mut convert }, &mut de)
                .and_then(|top| de.end().map(|()| top));
        (parsed, (convert.out, convert.problems))
    };
    problems.extend(found);
    let top = match parsed {
        Ok(top) => top,
        Err(e) => {
            problems.push(file_problem(ProblemKind::Json(e.to_string())));
            return Vec::new();
        }
    };
    let problem = match (top.kind.as_ref().and_then(Value::as_str), top.features) {
        (Some("FeatureCollection"), Features::Array) => None,
        (Some("FeatureCollection"), _) => Some(ProblemKind::NotFeatureCollection(
            "`features` must be an array".into(),
        )),
        (other, _) => Some(ProblemKind::NotFeatureCollection(format!(
            "top-level `type` is {}, expected \"FeatureCollection\"",
            other.map_or("missing".to_string(), |t| format!("\"{t}\""))
        ))),
    };
    if let Some(kind) = problem {
        problems.retain(|p| p.path != path);
        problems.push(file_problem(kind));
        return Vec::new();
    }
    out
}

/// Checks and converts the features of one layer file, in order: what it
/// kept, and a problem for each feature it refused.
struct Converter<'a> {
    meta: &'a LayerMeta,
    path: &'a Path,
    out: Vec<Feature>,
    problems: Vec<Problem>,
    first_index: HashMap<String, usize, foldhash::fast::RandomState>,
    keys: KeyTable,
    /// The last feature's coordinates, the buffer reused.
    toks: Vec<Tok>,
}

/// Takes a layer file's features one at a time, each as it is parsed.
trait Sink {
    /// The feature at `index` of the file, from `d`.
    fn feature<'de, D: serde::Deserializer<'de>>(
        &mut self,
        index: usize,
        d: D,
    ) -> Result<(), D::Error>;
}

impl Sink for Converter<'_> {
    fn feature<'de, D: serde::Deserializer<'de>>(
        &mut self,
        index: usize,
        d: D,
    ) -> Result<(), D::Error> {
        let raw = serde::de::DeserializeSeed::deserialize(
            FeatureSeed {
                keys: &mut self.keys,
                toks: &mut self.toks,
            },
            d,
        )?;
        self.convert(index, raw);
        Ok(())
    }
}

impl<'a> Converter<'a> {
    fn new(meta: &'a LayerMeta, path: &'a Path) -> Converter<'a> {
        Converter {
            meta,
            path,
            out: Vec::new(),
            problems: Vec::new(),
            first_index: HashMap::default(),
            keys: KeyTable::default(),
            toks: Vec::new(),
        }
    }

    /// The feature at `index` of the file.
    fn convert(&mut self, index: usize, raw: RawFeature) {
        let id = feature_id(self.meta, &raw);
        let label = FeatureLabel {
            index,
            id: id.as_ref().ok().cloned(),
        };
        let (path, problems) = (self.path, &mut self.problems);
        let mut report = |kind| {
            problems.push(Problem {
                path: path.to_path_buf(),
                feature: Some(label.clone()),
                kind,
            })
        };
        let id = match id {
            Ok(id) => id,
            Err(why) => {
                report(ProblemKind::MissingId(why));
                return;
            }
        };
        if let Some(&first) = self.first_index.get(&id) {
            report(ProblemKind::DuplicateId { id, first });
            return;
        }
        self.first_index.insert(id.clone(), index);
        match read_feature(self.meta, raw, id, &self.toks) {
            Ok(feature) => self.out.push(feature),
            Err(kinds) => kinds.into_iter().for_each(&mut report),
        }
    }
}

/// What the top level of a layer file held, besides its features.
struct Top {
    /// Its `type` member.
    kind: Option<Value>,
    features: Features,
}

/// Whether the top level had a `features` array.
enum Features {
    Missing,
    Array,
    Other,
}

/// Reads a layer file's top level, handing each member of `features` to
/// `each` with its index as soon as it is parsed. Anything but an object at
/// the top, or a `features` that is not an array, is not an error here: the
/// caller says what the file should have been.
struct Collection<'f, F> {
    each: &'f mut F,
}

impl<'de, F: Sink> serde::de::DeserializeSeed<'de> for Collection<'_, F> {
    type Value = Top;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Top, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, F: Sink> serde::de::Visitor<'de> for Collection<'_, F> {
    type Value = Top;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a GeoJSON FeatureCollection")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
        let mut top = Top {
            kind: None,
            features: Features::Missing,
        };
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => top.kind = Some(map.next_value()?),
                "features" => {
                    top.features = map.next_value_seed(FeatureList {
                        each: &mut *self.each,
                    })?
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(top)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Top, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Top {
            kind: None,
            features: Features::Missing,
        })
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Top, E> {
        Ok(Top {
            kind: None,
            features: Features::Missing,
        })
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Top, E> {
        self.visit_str("")
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Top, E> {
        self.visit_str("")
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Top, E> {
        self.visit_str("")
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Top, E> {
        self.visit_str("")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Top, E> {
        self.visit_str("")
    }
}

/// The `features` member: each element to `each`, or [`Features::Other`]
/// for anything but an array.
struct FeatureList<'f, F> {
    each: &'f mut F,
}

impl<'de, F: Sink> serde::de::DeserializeSeed<'de> for FeatureList<'_, F> {
    type Value = Features;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Features, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, F: Sink> serde::de::Visitor<'de> for FeatureList<'_, F> {
    type Value = Features;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of GeoJSON features")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Features, A::Error> {
        let mut index = 0;
        while seq
            .next_element_seed(Element {
                sink: &mut *self.each,
                index,
            })?
            .is_some()
        {
            index += 1;
        }
        Ok(Features::Array)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Features, A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(Features::Other)
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Features, E> {
        Ok(Features::Other)
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Features, E> {
        Ok(Features::Other)
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Features, E> {
        Ok(Features::Other)
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Features, E> {
        Ok(Features::Other)
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Features, E> {
        Ok(Features::Other)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Features, E> {
        Ok(Features::Other)
    }
}

/// One element of `features`, to the sink.
struct Element<'s, F> {
    sink: &'s mut F,
    index: usize,
}

impl<'de, F: Sink> serde::de::DeserializeSeed<'de> for Element<'_, F> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.sink.feature(self.index, d)
    }
}

/// The id of a feature: the manifest's `id_property`, else the feature's
/// own `id` member. Numbers are accepted and written in decimal.
fn feature_id(meta: &LayerMeta, feature: &RawFeature) -> Result<String, String> {
    let (value, what) = match &meta.id_property {
        Some(key) => (
            feature.properties.get(key),
            format!("property `{key}` (the layer's id_property)"),
        ),
        None => (
            feature.id.as_ref(),
            "the feature's `id` member (set id_property in layers.toml to use a property)"
                .to_string(),
        ),
    };
    match value {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::String(_)) => Err(format!("{what} is empty")),
        Some(other) => Err(format!("{what} must be a string or a number, not {other}")),
        None => Err(format!("{what} is missing")),
    }
}

/// Checks and converts one feature, whose coordinates are `toks`.
fn read_feature(
    meta: &LayerMeta,
    raw: RawFeature,
    id: String,
    toks: &[Tok],
) -> Result<Feature, Vec<ProblemKind>> {
    let (kind, coordinates) = match &raw.geometry {
        RawGeometry::None => return Err(vec![ProblemKind::NoGeometry]),
        RawGeometry::Object { kind, coordinates } => (kind.as_ref(), *coordinates),
        RawGeometry::Other => (None, false),
    };
    let gtype = kind.and_then(Value::as_str).unwrap_or("untyped");
    if !meta.geometry.admits(gtype) {
        return Err(vec![ProblemKind::WrongGeometry {
            layer: meta.id.clone(),
            found: gtype.to_string(),
            expected: meta.geometry.geojson_types(),
            kind: meta.geometry.to_string(),
        }]);
    }
    let fast = coordinates
        .then(|| {
            stream::geometry(gtype, toks, |ring| {
                let mut problems = Vec::new();
                check_ring("", ring, &mut problems);
                problems.is_empty()
            })
        })
        .flatten();
    let geometry = match fast {
        Some(g) => valid(g)?,
        None => {
            // Not well formed: the slow path, for its messages.
            let mut object = serde_json::Map::new();
            object.insert("type".into(), Value::String(gtype.to_string()));
            if coordinates {
                object.insert("coordinates".into(), stream::rebuild(toks));
            }
            parse_geometry(&Value::Object(object))?
        }
    };
    let properties = match raw.properties {
        RawProperties::None => Properties::default(),
        RawProperties::Object(p) => p,
        RawProperties::Other(other) => {
            return Err(vec![ProblemKind::BadFeature(format!(
                "`properties` must be an object or null, not {}",
                short(&other)
            ))])
        }
    };
    Feature::new(&meta.id, id, geometry, properties).ok_or_else(|| {
        vec![ProblemKind::BadFeature(
            "the geometry has no coordinates".into(),
        )]
    })
}

/// A polygon's validity (OGC Simple Features, via geo's `Validation`);
/// other geometries as they are.
fn valid(geometry: Geometry<f64>) -> Result<Geometry<f64>, Vec<ProblemKind>> {
    if matches!(geometry, Geometry::Polygon(_) | Geometry::MultiPolygon(_)) {
        let errors = geometry.validation_errors();
        if !errors.is_empty() {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            return Err(vec![ProblemKind::InvalidPolygon(text.join("; "))]);
        }
    }
    Ok(geometry)
}

/// Checks a GeoJSON geometry object and converts it: positions in range,
/// rings closed and with area, lines with two distinct positions, polygons
/// valid (OGC Simple Features, via geo's `Validation`). Used for layer
/// files and for geometries that users send.
pub fn parse_geometry(value: &Value) -> Result<Geometry<f64>, Vec<ProblemKind>> {
    let gtype = value.get("type").and_then(Value::as_str).unwrap_or("");
    let kind = [
        GeometryKind::Point,
        GeometryKind::Line,
        GeometryKind::Polygon,
    ]
    .into_iter()
    .find(|k| k.admits(gtype))
    .ok_or_else(|| {
        vec![ProblemKind::BadFeature(format!(
            "geometry `type` must be Point, LineString, Polygon or their Multi forms, not {}",
            value.get("type").map_or("missing".to_string(), short)
        ))]
    })?;
    let coords = value.get("coordinates").unwrap_or(&Value::Null);
    let mut problems = Vec::new();
    check_coordinates(kind, gtype, coords, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    let gj: geojson::Geometry = serde_json::from_value(value.clone())
        .map_err(|e| vec![ProblemKind::BadFeature(e.to_string())])?;
    let geometry = Geometry::<f64>::try_from(&gj.value)
        .map_err(|e| vec![ProblemKind::BadFeature(e.to_string())])?;
    if kind == GeometryKind::Polygon {
        return valid(geometry);
    }
    Ok(geometry)
}

/// Walks the raw `coordinates` of a geometry: every position two finite
/// numbers in range, every ring closed and with area, every line with two
/// distinct positions. Works on the JSON, before any library closes rings.
fn check_coordinates(kind: GeometryKind, gtype: &str, coords: &Value, out: &mut Vec<ProblemKind>) {
    let multi = gtype.starts_with("Multi");
    let parts: Vec<&Value> = if multi {
        match coords.as_array() {
            Some(a) => a.iter().collect(),
            None => {
                out.push(ProblemKind::BadFeature(format!(
                    "`coordinates` of a {gtype} must be an array"
                )));
                return;
            }
        }
    } else {
        vec![coords]
    };
    for (p, part) in parts.iter().enumerate() {
        let prefix = if multi {
            format!("part {p}, ")
        } else {
            String::new()
        };
        match kind {
            // `parse_geometry` passes the geometry's own kind, never Any.
            GeometryKind::Any => {}
            GeometryKind::Point => {
                if let Err(e) = position(part) {
                    out.push(e);
                }
            }
            GeometryKind::Line => match positions(part, out) {
                Some(line) if !distinct_at_least(&line, 2) => {
                    out.push(ProblemKind::DegenerateLine {
                        line: format!("{prefix}the line"),
                    })
                }
                _ => {}
            },
            GeometryKind::Polygon => {
                let Some(rings) = part.as_array() else {
                    out.push(ProblemKind::BadFeature(
                        "polygon coordinates must be an array of rings".into(),
                    ));
                    continue;
                };
                if rings.is_empty() {
                    out.push(ProblemKind::DegenerateRing {
                        ring: format!("{prefix}the polygon"),
                        why: "it has no rings".into(),
                    });
                }
                for (r, ring) in rings.iter().enumerate() {
                    let name = if r == 0 {
                        format!("{prefix}exterior ring")
                    } else {
                        format!("{prefix}interior ring {}", r - 1)
                    };
                    if let Some(ring) = positions(ring, out) {
                        check_ring(&name, &ring, out);
                    }
                }
            }
        }
    }
}

pub(super) fn check_ring(name: &str, ring: &[Coord<f64>], out: &mut Vec<ProblemKind>) {
    let fmt = |c: &Coord<f64>| format!("{}, {}", c.x, c.y);
    if ring.len() < 4 {
        out.push(ProblemKind::DegenerateRing {
            ring: name.to_string(),
            why: format!(
                "it has {} positions; a ring needs at least 4 (three corners and the first repeated)",
                ring.len()
            ),
        });
        return;
    }
    let (first, last) = (ring[0], ring[ring.len() - 1]);
    if first != last {
        out.push(ProblemKind::UnclosedRing {
            ring: name.to_string(),
            first: fmt(&first),
            last: fmt(&last),
        });
        return;
    }
    if !distinct_at_least(ring, 3) {
        out.push(ProblemKind::DegenerateRing {
            ring: name.to_string(),
            why: "it has fewer than 3 distinct positions".into(),
        });
        return;
    }
    if collinear(ring) {
        out.push(ProblemKind::DegenerateRing {
            ring: name.to_string(),
            why: "all its positions lie on one line, so it encloses no area".into(),
        });
    }
}

/// Whether every position lies on one straight line.
fn collinear(coords: &[Coord<f64>]) -> bool {
    let p0 = coords[0];
    let Some(p1) = coords.iter().find(|c| **c != p0) else {
        return true;
    };
    let (dx, dy) = (p1.x - p0.x, p1.y - p0.y);
    coords
        .iter()
        .all(|c| dx * (c.y - p0.y) - dy * (c.x - p0.x) == 0.0)
}

/// Whether there are at least `n` distinct positions (looking no further
/// than it takes to find them).
pub(super) fn distinct_at_least(coords: &[Coord<f64>], n: usize) -> bool {
    let mut seen: Vec<Coord<f64>> = Vec::with_capacity(n);
    for c in coords {
        if !seen.contains(c) {
            seen.push(*c);
            if seen.len() >= n {
                return true;
            }
        }
    }
    seen.len() >= n
}

fn positions(value: &Value, out: &mut Vec<ProblemKind>) -> Option<Vec<Coord<f64>>> {
    let Some(array) = value.as_array() else {
        out.push(ProblemKind::BadCoordinate(format!(
            "expected an array of positions, found {}",
            short(value)
        )));
        return None;
    };
    let mut coords = Vec::with_capacity(array.len());
    for v in array {
        match position(v) {
            Ok(c) => coords.push(c),
            Err(e) => {
                out.push(e);
                return None;
            }
        }
    }
    Some(coords)
}

/// One GeoJSON position: `[lon, lat]` or `[lon, lat, z]`, finite and in range.
fn position(value: &Value) -> Result<Coord<f64>, ProblemKind> {
    let nums: Option<Vec<f64>> = value
        .as_array()
        .map(|a| a.iter().map(Value::as_f64).collect::<Option<Vec<f64>>>())
        .unwrap_or(None);
    let (x, y) = match nums.as_deref() {
        Some([x, y, ..]) if x.is_finite() && y.is_finite() => (*x, *y),
        _ => return Err(ProblemKind::BadCoordinate(short(value))),
    };
    if (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y) {
        return Ok(Coord { x, y });
    }
    let hint = if x.abs() > 360.0 || y.abs() > 360.0 {
        "; the file looks projected (metres, e.g. Web Mercator or a UTM/Gauss-Krüger zone): \
         reproject it to WGS84 longitude/latitude (EPSG:4326), as GeoJSON requires"
            .to_string()
    } else if (-90.0..=90.0).contains(&x) && (-180.0..=180.0).contains(&y) {
        "; latitude and longitude look swapped: GeoJSON positions are [longitude, latitude]"
            .to_string()
    } else {
        "; GeoJSON positions are [longitude, latitude] in WGS84 degrees".to_string()
    };
    Err(ProblemKind::OutOfRange { x, y, hint })
}

fn short(value: &Value) -> String {
    let s = value.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

/// The path of the manifest in a data folder, for messages.
pub fn manifest_path(dir: &Path) -> PathBuf {
    if dir.is_file() {
        dir.to_path_buf()
    } else {
        dir.join(MANIFEST_FILE)
    }
}
