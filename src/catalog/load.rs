//! Reading a dataset from disk: the manifest, then each layer's GeoJSON,
//! checked feature by feature. Every problem is collected and reported
//! together, each naming its file and feature.

use super::error::{FeatureLabel, LoadError, Problem, ProblemKind};
use super::feature::Feature;
use super::manifest::{GeometryKind, LayerMeta, Manifest};
use super::properties::{KeyTable, PropValue, Properties};
use super::stream::{self, FeatureSeed, RawFeature, RawGeometry, RawProperties, Tok};
use crate::edit::journal;
use compact_str::CompactString;
use geo::{BoundingRect, Coord, Geometry, Rect, Validation};
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
        match read_file(&path) {
            Ok((bytes, hash)) => {
                version.write(&hash.to_le_bytes());
                let start = std::time::Instant::now();
                let mut features = read_layer(meta, &path, &bytes, &mut problems);
                let journal = journal::path_for(&path);
                match journal::read(&journal) {
                    Ok(contents) if contents.records.is_empty() => {}
                    Ok(contents) => {
                        version.write(&contents.crc.to_le_bytes());
                        version.write(&contents.good_len.to_le_bytes());
                        features =
                            replay(meta, &journal, features, &contents.records, &mut problems);
                    }
                    Err(e) => problems.push(Problem {
                        path: journal,
                        feature: None,
                        kind: ProblemKind::Journal(e.to_string()),
                    }),
                }
                tracing::debug!(
                    layer = meta.id,
                    bytes = bytes.len(),
                    features = features.len(),
                    seconds = start.elapsed().as_secs_f64(),
                    "layer file parsed"
                );
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

/// `features` with the journal's `records` applied in order: each record
/// sets its id to the feature it holds, or removes the id (a delete). A
/// feature that moved keeps its place in the file's order; a new one goes
/// at the end. Each record's feature is checked as the file's are.
fn replay(
    meta: &LayerMeta,
    journal: &Path,
    features: Vec<Feature>,
    records: &[journal::Record],
    problems: &mut Vec<Problem>,
) -> Vec<Feature> {
    let mut slots: Vec<Option<Feature>> = features.into_iter().map(Some).collect();
    let mut at: HashMap<CompactString, usize, foldhash::fast::RandomState> = slots
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.as_ref().map(|f| (f.id.clone(), i)))
        .collect();
    for (line, record) in records.iter().enumerate() {
        let new = match &record.feature {
            None => None,
            Some(value) => match parse_feature(meta, value) {
                Ok(f) if f.id == record.id.as_str() => Some(f),
                Ok(f) => {
                    problems.push(journal_problem(
                        journal,
                        line,
                        record,
                        &format!("holds feature \"{}\", not the record's id", f.id),
                    ));
                    continue;
                }
                Err(kinds) => {
                    for kind in kinds {
                        problems.push(journal_problem(journal, line, record, &kind.to_string()));
                    }
                    continue;
                }
            },
        };
        match (at.get(record.id.as_str()).copied(), new) {
            (Some(i), new) => {
                if new.is_none() {
                    at.remove(record.id.as_str());
                }
                slots[i] = new;
            }
            (None, Some(f)) => {
                at.insert(f.id.clone(), slots.len());
                slots.push(Some(f));
            }
            // A delete of what is not there: already folded into the file.
            (None, None) => {}
        }
    }
    slots.into_iter().flatten().collect()
}

fn journal_problem(journal: &Path, line: usize, record: &journal::Record, why: &str) -> Problem {
    Problem {
        path: journal.to_path_buf(),
        feature: None,
        kind: ProblemKind::Journal(format!(
            "line {} (edit {} of \"{}\" by key `{}` at {}): the feature {why}",
            line + 1,
            record.seq,
            record.id,
            record.key,
            record.time
        )),
    }
}

/// Checks and converts one GeoJSON feature for `meta`'s layer, as a
/// feature of its file would be: geometry kind and validity, ranges, an
/// id, and the layer's field rules. What an edit sends, and what the
/// journal holds.
pub fn parse_feature(meta: &LayerMeta, value: &Value) -> Result<Feature, Vec<ProblemKind>> {
    let path = Path::new("");
    let mut convert = Converter::new(meta, path);
    if let Err(e) = convert.feature(0, value) {
        return Err(vec![ProblemKind::BadFeature(e.to_string())]);
    }
    match convert.out.pop() {
        Some(f) if convert.problems.is_empty() => Ok(f),
        _ => Err(convert.problems.into_iter().map(|p| p.kind).collect()),
    }
}

/// A file's bytes and their [`Version`] hash. A big file is read and hashed
/// in two halves on two threads (the copy from the kernel and the first
/// touch of a fresh buffer are most of a read: 0.3 s for 260 MB).
fn read_file(path: &Path) -> std::io::Result<(Vec<u8>, u64)> {
    let hash = |bytes: &[u8]| {
        let mut v = Version::default();
        v.write(bytes);
        v.finish()
    };
    let whole = || {
        let bytes = std::fs::read(path)?;
        let h = hash(&bytes);
        Ok((bytes, h))
    };
    #[cfg(not(unix))]
    return whole();
    #[cfg(unix)]
    read_in_two(path, hash, whole)
}

/// [`read_file`]'s two halves at once, with positioned reads; `whole` for
/// a file under [`TWO_THREADS_FROM`].
#[cfg(unix)]
fn read_in_two(
    path: &Path,
    hash: impl Fn(&[u8]) -> u64 + Sync,
    whole: impl FnOnce() -> std::io::Result<(Vec<u8>, u64)>,
) -> std::io::Result<(Vec<u8>, u64)> {
    use std::os::unix::fs::FileExt;
    let file = std::fs::File::open(path)?;
    let len = usize::try_from(file.metadata()?.len()).unwrap_or(usize::MAX);
    if len < TWO_THREADS_FROM {
        return whole();
    }
    let mut bytes = vec![0u8; len];
    let (one, two) = bytes.split_at_mut(len / 2);
    let (h1, h2) = std::thread::scope(|s| {
        let other = s.spawn(|| {
            file.read_exact_at(two, (len / 2) as u64)
                .map(|()| hash(two))
        });
        let mine = file.read_exact_at(one, 0).map(|()| hash(one));
        (
            mine,
            other
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p)),
        )
    });
    let (h1, h2) = (h1?, h2?);
    // A file that grew while it was read: the rest, read as it now is.
    let mut rest = Vec::new();
    let mut after = &file;
    std::io::Seek::seek(&mut after, std::io::SeekFrom::Start(len as u64))?;
    std::io::Read::read_to_end(&mut after, &mut rest)?;
    let mut v = Version::default();
    v.write(&h1.to_le_bytes());
    v.write(&h2.to_le_bytes());
    if !rest.is_empty() {
        v.write(&rest);
        bytes.extend_from_slice(&rest);
    }
    Ok((bytes, v.finish()))
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
    if bytes.len() >= TWO_THREADS_FROM {
        if let Some(features) = read_in_halves(meta, path, bytes) {
            return features;
        }
    }
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
    let mut out = out;
    out.shrink_to_fit();
    out
}

/// Files of this size and over are read in two halves at once.
const TWO_THREADS_FROM: usize = 4 << 20;

/// Reads a big layer file's features in two halves on two threads
/// ([`super::split`] finds them), when the file is a plain
/// FeatureCollection and every feature is good; `None` for anything else,
/// which the caller then reads in one piece to report it in order.
fn read_in_halves(meta: &LayerMeta, path: &Path, bytes: &[u8]) -> Option<Vec<Feature>> {
    use super::split::{array_open, element_start_after, elements};
    let start = std::time::Instant::now();
    // Checked as UTF-8 once, in one fast pass, rather than string by
    // string as each is parsed (a tenth of the parsing); a file that is
    // not UTF-8 is read in one piece, which says where.
    let text = std::str::from_utf8(bytes).ok()?;
    // Where the array opens, and a guess at an element starting near the
    // middle of the file: each thread finds its half's features and reads
    // them, the first confirming that its half ends where the guess
    // said. Nothing waits for a pass over the whole file.
    let open = array_open(bytes)?;
    let split = element_start_after(bytes, open + (bytes.len() - open) / 2)?;
    let read = |convert: &mut Converter, from: usize, stop: Option<usize>| -> Option<usize> {
        let (items, end) = elements(bytes, from, stop)?;
        convert.out.reserve_exact(items.len());
        convert.hashes.reserve_exact(items.len());
        let good = items.iter().enumerate().all(|(k, &(s, e))| {
            // Spans begin and end at ASCII bytes, so on characters.
            let Some(item) = text.get(s as usize..e as usize) else {
                return false;
            };
            let mut de = serde_json::Deserializer::from_str(item);
            convert.feature(k, &mut de).is_ok() && de.end().is_ok()
        });
        (good && convert.problems.is_empty()).then_some(end)
    };
    let mut one = Converter::new(meta, path);
    let mut two = Converter::new(meta, path);
    two.keys = KeyTable::continuing(&one.keys);
    one.first_index = None;
    two.first_index = None;
    let (end_one, end_two) = std::thread::scope(|s| {
        let other = s.spawn(|| read(&mut two, split, None));
        let mine = read(&mut one, open + 1, Some(split));
        (mine, other.join().ok().flatten())
    });
    tracing::debug!(seconds = start.elapsed().as_secs_f64(), "halves read");
    // The guess was an element's start (else the first half's pass went
    // past it), and the second half ended at the array's close.
    let close = end_two.filter(|&c| end_one == Some(split) && bytes[c] == b']')?;
    // The file around the array, parsed in full with an empty array in
    // its place: a FeatureCollection with nothing else wrong, and no
    // second `features` member the pass missed.
    let mut around = Vec::with_capacity(bytes.len() - (close - open) + 1);
    around.extend_from_slice(&bytes[..open]);
    around.extend_from_slice(b"[]");
    around.extend_from_slice(&bytes[close + 1..]);
    let mut none = Nothing(false);
    let mut de = serde_json::Deserializer::from_slice(&around);
    let top = serde::de::DeserializeSeed::deserialize(Collection { each: &mut none }, &mut de)
        .and_then(|top| de.end().map(|()| top))
        .ok()?;
    let collection = top.kind.as_ref().and_then(Value::as_str) == Some("FeatureCollection");
    if !collection || !matches!(top.features, Features::Array) || none.0 {
        return None;
    }
    // Two features with one id (or, once in 2^64, two ids with one hash):
    // the file is read again in one piece, which tells which.
    let mut hashes = std::mem::take(&mut one.hashes);
    hashes.append(&mut two.hashes);
    hashes.sort_unstable();
    if hashes.windows(2).any(|w| w[0] == w[1]) {
        return None;
    }
    one.keys
        .adopt(&two.keys, two.out.iter_mut().map(|f| &mut f.properties));
    let mut features = one.out;
    features.append(&mut two.out);
    tracing::debug!(seconds = start.elapsed().as_secs_f64(), "halves joined");
    Some(features)
}

/// A sink that only notes whether it was given anything.
struct Nothing(bool);

impl Sink for Nothing {
    fn feature<'de, D: serde::Deserializer<'de>>(
        &mut self,
        _: usize,
        d: D,
    ) -> Result<(), D::Error> {
        self.0 = true;
        <serde::de::IgnoredAny as serde::Deserialize>::deserialize(d).map(|_| ())
    }
}

/// Checks and converts the features of one layer file, in order: what it
/// kept, and a problem for each feature it refused.
struct Converter<'a> {
    meta: &'a LayerMeta,
    path: &'a Path,
    out: Vec<Feature>,
    problems: Vec<Problem>,
    /// Where each id was first seen, to report a second feature with it;
    /// `None` when reading half a file, where `hashes` are kept instead
    /// and checked at the end ([`read_in_halves`]), which is much cheaper
    /// than a map of a million strings.
    first_index: Option<HashMap<String, usize, foldhash::fast::RandomState>>,
    hashes: Vec<u64>,
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
            first_index: Some(HashMap::default()),
            hashes: Vec::new(),
            keys: KeyTable::default(),
            toks: Vec::new(),
        }
    }

    /// The feature at `index` of the file.
    fn convert(&mut self, index: usize, raw: RawFeature) {
        let id = match feature_id(self.meta, &raw) {
            Ok(id) => id,
            Err(why) => return self.report(index, None, vec![ProblemKind::MissingId(why)]),
        };
        match &mut self.first_index {
            Some(first_index) => {
                if let Some(&first) = first_index.get(id.as_str()) {
                    let kind = ProblemKind::DuplicateId {
                        id: id.to_string(),
                        first,
                    };
                    return self.report(index, Some(id.to_string()), vec![kind]);
                }
                first_index.insert(id.to_string(), index);
            }
            None => {
                use std::hash::BuildHasher;
                let h = foldhash::fast::FixedState::with_seed(0x1d).hash_one(id.as_str());
                self.hashes.push(h);
            }
        }
        // The field rules are checked even when the geometry fails, so
        // that one answer names every problem of the feature.
        let mut breaches = match &raw.properties {
            RawProperties::Object(p) if !self.meta.fields.is_empty() => {
                super::fields::check(&self.meta.fields, p)
            }
            _ => Vec::new(),
        };
        match read_feature(self.meta, raw, &self.toks) {
            Ok((geometry, bbox, properties)) => {
                if breaches.is_empty() {
                    self.out.push(Feature::with_bbox(
                        &self.meta.id,
                        id,
                        geometry,
                        bbox,
                        properties,
                    ))
                } else {
                    self.report(index, Some(id.to_string()), breaches)
                }
            }
            Err(mut kinds) => {
                kinds.append(&mut breaches);
                self.report(index, Some(id.to_string()), kinds)
            }
        }
    }

    /// Problems of the feature at `index`.
    fn report(&mut self, index: usize, id: Option<String>, kinds: Vec<ProblemKind>) {
        let label = FeatureLabel { index, id };
        self.problems.extend(kinds.into_iter().map(|kind| Problem {
            path: self.path.to_path_buf(),
            feature: Some(label.clone()),
            kind,
        }));
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
fn feature_id(meta: &LayerMeta, feature: &RawFeature) -> Result<CompactString, String> {
    let value = match &meta.id_property {
        Some(key) => feature.properties.get(key).map(std::borrow::Cow::Borrowed),
        None => feature
            .id
            .clone()
            .map(|v| std::borrow::Cow::Owned(PropValue::from(v))),
    };
    // Said only when something is wrong: not formatted for every feature.
    let what = || match &meta.id_property {
        Some(key) => format!("property `{key}` (the layer's id_property)"),
        None => "the feature's `id` member (set id_property in layers.toml to use a property)"
            .to_string(),
    };
    match value.as_deref() {
        Some(PropValue::Text(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(n @ (PropValue::Int(_) | PropValue::UInt(_) | PropValue::Float(_))) => {
            Ok(n.to_string().into())
        }
        Some(PropValue::Text(_)) => Err(format!("{} is empty", what())),
        Some(other) => Err(format!(
            "{} must be a string or a number, not {other}",
            what()
        )),
        None => Err(format!("{} is missing", what())),
    }
}

/// Checks and converts one feature's geometry and properties, its
/// coordinates being `toks`: the geometry, its bounding box and the
/// properties.
fn read_feature(
    meta: &LayerMeta,
    raw: RawFeature,
    toks: &[Tok],
) -> Result<(Geometry<f64>, Rect<f64>, Properties), Vec<ProblemKind>> {
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
    let bbox = geometry.bounding_rect().ok_or_else(|| {
        vec![ProblemKind::BadFeature(
            "the geometry has no coordinates".into(),
        )]
    })?;
    Ok((geometry, bbox, properties))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Manifest;

    fn meta() -> LayerMeta {
        let text = "[dataset]\nid = \"d\"\ntitle = { zh = \"甲\", en = \"D\" }\n\n\
                    [[layers]]\nid = \"pts\"\ntitle = { zh = \"点\", en = \"P\" }\n\
                    file = \"p.geojson\"\ngeometry = \"point\"\n";
        Manifest::parse(text).unwrap().layers.remove(0)
    }

    /// A FeatureCollection of `n` points, with a repeated category, a
    /// unique name, and `extra` spliced into the features array.
    fn file(n: usize, extra: &str) -> String {
        let features: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    r#"{{"type":"Feature","id":"p{i}","properties":{{"name":"point {i}","category":"c{}","n":{i}}},"geometry":{{"type":"Point","coordinates":[116.{i},40.5]}}}}"#,
                    i % 3
                )
            })
            .collect();
        format!(
            "{{\"type\":\"FeatureCollection\",\"name\":\"x\",\"features\":[\n{}{extra}\n]}}",
            features.join(",\n")
        )
    }

    fn serial(bytes: &[u8]) -> (Vec<Feature>, Vec<Problem>) {
        let mut problems = Vec::new();
        let path = Path::new("p.geojson");
        // Below the size where halves start, so one piece.
        assert!(bytes.len() < TWO_THREADS_FROM);
        (read_layer(&meta(), path, bytes, &mut problems), problems)
    }

    #[test]
    fn a_big_file_is_read_whole_in_two_halves() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.geojson");
        let text = file(60_000, "");
        assert!(text.len() >= TWO_THREADS_FROM);
        std::fs::write(&path, &text).unwrap();
        let (bytes, hash) = read_file(&path).unwrap();
        assert_eq!(bytes, text.as_bytes());
        assert_eq!(read_file(&path).unwrap().1, hash);
        // One byte changed in either half changes the hash.
        for at in [10, text.len() - 10] {
            let mut other = text.clone().into_bytes();
            other[at] ^= 1;
            std::fs::write(&path, &other).unwrap();
            let (again, changed) = read_file(&path).unwrap();
            assert_eq!(again, other);
            assert_ne!(changed, hash);
        }
    }

    #[test]
    fn halves_read_what_one_piece_reads() {
        let text = file(3001, "");
        let halves = read_in_halves(&meta(), Path::new("p.geojson"), text.as_bytes()).unwrap();
        let (whole, problems) = serial(text.as_bytes());
        assert!(problems.is_empty());
        assert_eq!(halves.len(), 3001);
        for (a, b) in halves.iter().zip(&whole) {
            assert_eq!(
                (&a.id, &a.geometry, &a.properties),
                (&b.id, &b.geometry, &b.properties)
            );
            assert_eq!(a.bbox, b.bbox);
        }
        // Equal values from the two halves are one value, numbered once,
        // as when one table reads the file; values of one half only are
        // numbered apart from the other half's.
        let number = |f: &Feature, key: &str| {
            f.properties
                .numbered()
                .find(|(k, _, _)| *k == key)
                .map(|(_, _, n)| n)
                .unwrap()
        };
        assert_eq!(
            number(&halves[0], "category"),
            number(&halves[3000], "category")
        );
        assert_ne!(number(&halves[0], "name"), number(&halves[3000], "name"));
        // And one key list, as one table gives features with the same keys.
        assert!(KeyTable::share_keys(
            &halves[0].properties,
            &halves[3000].properties
        ));
        let tables: std::collections::HashSet<u32> = halves
            .iter()
            .flat_map(|f| f.properties.numbered().map(|(_, _, n)| n.table))
            .collect();
        assert_eq!(tables.len(), 1);
    }

    #[test]
    fn a_file_with_any_problem_is_read_again_in_one_piece() {
        let path = Path::new("p.geojson");
        // An id in both halves, a bad feature, a trailing comma, a second
        // features member: the halves give up, one piece says what is wrong.
        let dup = r#",{"type":"Feature","id":"p0","properties":{},"geometry":{"type":"Point","coordinates":[116,40]}}"#;
        let bad = r#",{"type":"Feature","id":"q","properties":{},"geometry":{"type":"Point","coordinates":[400,40]}}"#;
        for text in [
            file(200, dup),
            file(200, bad),
            file(200, ","),
            file(200, "").replace("FeatureCollection", "Feature"),
        ] {
            assert!(
                read_in_halves(&meta(), path, text.as_bytes()).is_none(),
                "{text:.200}"
            );
            let (_, problems) = serial(text.as_bytes());
            assert!(!problems.is_empty());
        }
        // Two `features` members are read one after the other, as before.
        let two = file(200, "").replace("\"name\":\"x\"", "\"features\":[]");
        assert!(read_in_halves(&meta(), path, two.as_bytes()).is_none());
        assert_eq!(serial(two.as_bytes()).0.len(), 200);
        let (_, problems) = serial(file(200, dup).as_bytes());
        assert!(
            matches!(
                &problems[..],
                [Problem {
                    kind: ProblemKind::DuplicateId { first: 0, .. },
                    ..
                }]
            ),
            "{problems:?}"
        );
    }
}
