//! The loaded dataset: layers of features, validated and indexed, held as
//! one immutable value that a server can share and replace whole.

pub mod bands;
mod error;
mod feature;
pub mod fields;
mod load;
mod manifest;
pub mod overlay;
mod properties;
mod split;
mod stream;

pub use error::{FeatureLabel, LoadError, Problem, ProblemKind};
pub use feature::{etag_of, rank, rect_union, stable_fid, Feature, Fnv64};
pub use load::{manifest_path, parse_feature, parse_geometry, MANIFEST_FILE};
pub use manifest::{
    is_valid_id, DatasetMeta, EditMeta, GeometryKind, LayerMeta, Manifest, ReportMeta, Thin, Title,
    MAX_ZOOM,
};
pub use overlay::Features;
pub use properties::{KeyFinder, KeyTable, PropValue, Properties, ValueNumber};

use crate::index::LayerIndex;
use std::path::Path;
use std::sync::Arc;

/// The fewest features a rank-level R-tree is built for.
const RANKED_FLOOR: f64 = 4096.0;

/// One layer: its manifest entry, its features and their R-tree, and the
/// edits made since it was built ([`overlay`]).
#[derive(Debug, Clone)]
pub struct Layer {
    /// What the manifest says of the layer.
    pub meta: LayerMeta,
    /// The features by position (see [`Features`]): those built from the
    /// file, then the versions edits added. Read them through the layer's
    /// own methods ([`Layer::iter`], [`Layer::intersecting`],
    /// [`Layer::in_file_order`]), which leave out versions edits replaced.
    pub features: Features,
    base: Arc<Base>,
}

/// What a layer builds once from its features and shares with every
/// version its edits make.
#[derive(Debug)]
struct Base {
    /// The R-tree over the features' bounding boxes.
    index: LayerIndex,
    /// Sparser R-trees for thinned tiles of a big point layer: each holds
    /// the features whose rank is below its threshold (1/4, 1/16, …, down
    /// to about 4,096 features), so a low-zoom tile that keeps a small share
    /// visits a few times the points it keeps, not every point under it.
    by_rank: Vec<(f64, LayerIndex)>,
    /// Positions of the features sorted by id, for lookups by id (four
    /// bytes a feature, where a map would copy every id).
    by_id: Vec<u32>,
    /// Each feature's place in `by_id`, to sort answers by id without
    /// comparing text.
    id_order: Vec<u32>,
    /// The features' positions in file order (they are kept in the
    /// order of a curve through space, see [`Layer::new`]).
    by_file: Vec<u32>,
    /// Its lines and polygons simplified once per zoom band.
    bands: bands::Bands,
    bounds: Option<geo::Rect<f64>>,
}

/// The positions of `features` in the order of their ids. Sorted on each
/// id's first sixteen bytes first, held beside the position, so that most
/// comparisons read neither the features nor the ids' text (sorting a
/// million ids by their text alone took a fifth of a load).
fn sorted_by_id(features: &[Feature]) -> Vec<u32> {
    // The first 16 bytes as a number that sorts as they do: most ids are
    // whole in it, and the rest are compared in full only on a tie.
    let head = |id: &str| {
        let mut b = [0u8; 16];
        let n = id.len().min(16);
        b[..n].copy_from_slice(&id.as_bytes()[..n]);
        u128::from_be_bytes(b)
    };
    let mut keyed: Vec<(u128, u32)> = features
        .iter()
        .enumerate()
        .map(|(i, f)| (head(&f.id), i as u32))
        .collect();
    keyed.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| features[a.1 as usize].id.cmp(&features[b.1 as usize].id))
    });
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// The boxes along a Hilbert curve through `bounds` (on a grid of 2^16 by
/// 2^16), by their centres, each with its place on the curve and its
/// position in `boxes`; ties in file order.
fn along_the_curve(
    boxes: impl Iterator<Item = geo::Rect<f64>>,
    bounds: geo::Rect<f64>,
) -> Vec<(u64, u32, geo::Rect<f64>)> {
    const SIDE: f64 = 65_535.0;
    let (w, h) = (bounds.width(), bounds.height());
    let cell = |v: f64, lo: f64, span: f64| -> u32 {
        if span > 0.0 {
            // In range by construction; `as` saturates a NaN to 0.
            ((v - lo) / span * SIDE).round().clamp(0.0, SIDE) as u32
        } else {
            0
        }
    };
    let mut keyed: Vec<(u64, u32, geo::Rect<f64>)> = boxes
        .enumerate()
        .map(|(i, b)| {
            let c = b.center();
            let x = cell(c.x, bounds.min().x, w);
            let y = cell(c.y, bounds.min().y, h);
            (hilbert(x, y), i as u32, b)
        })
        .collect();
    // Stable, so ties stay in file order; a radix sort of the curve's 32
    // bits (a comparison sort of the pairs was 131 ms of a million points'
    // start-up, before anything else could begin). The boxes go with
    // their keys: gathered afterwards in the curve's order, each was a
    // cache miss (150 ms a million).
    crate::radix::sort_by_key(&mut keyed, |&(d, _, _)| d);
    keyed
}

/// The distance of cell `(x, y)` along the Hilbert curve that fills the
/// grid of 2^16 by 2^16 cells.
fn hilbert(mut x: u32, mut y: u32) -> u64 {
    const N: u32 = 1 << 16;
    let mut d = 0u64;
    let mut s = N / 2;
    while s > 0 {
        let rx = u32::from(x & s != 0);
        let ry = u32::from(y & s != 0);
        d += u64::from(s) * u64::from(s) * u64::from((3 * rx) ^ ry);
        // Turn the quadrant so that the curve in it runs the right way.
        if ry == 0 {
            if rx == 1 {
                x = N - 1 - x;
                y = N - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    d
}

/// Puts `v` in `order` (entry `k` is the position of the element that goes
/// `k`th) in place, by following each cycle of the permutation; `order` is
/// used up.
fn permute<T>(v: &mut [T], order: &mut [u32]) {
    const DONE: u32 = u32::MAX;
    for start in 0..v.len() {
        let mut k = start;
        while order[k] != DONE {
            let from = order[k] as usize;
            order[k] = DONE;
            if from == start {
                break;
            }
            v.swap(k, from);
            k = from;
        }
    }
}

impl Layer {
    /// Builds a layer, bulk-loading its index.
    ///
    /// The features are numbered in file order ([`Feature::fid`]) and then
    /// kept in the order of a Hilbert curve through their boxes' centres,
    /// so that features near each other on the ground lie near each other
    /// in memory: the features a tile or a zone gathers from the R-tree are
    /// then read from a few stretches of memory rather than from all over
    /// it (with ids held inline, a "points within" answer of 2,304 points
    /// took a fifth to a third less CPU; `BENCHMARKS.md`).
    /// [`Layer::in_file_order`] gives the file's order back.
    pub fn new(meta: LayerMeta, mut features: Vec<Feature>) -> Layer {
        for (i, f) in features.iter_mut().enumerate() {
            f.fid = i as u64 + 1;
        }
        let bounds = features.iter().map(|f| f.bbox).reduce(rect_union);
        let curve = bounds.map(|bounds| along_the_curve(features.iter().map(|f| f.bbox), bounds));
        let mut order: Option<Vec<u32>> = curve
            .as_ref()
            .map(|curve| curve.iter().map(|&(_, i, _)| i).collect());
        // The main R-tree is built on a second thread over the boxes in
        // the order the features are about to take, while they are moved
        // there and the bands, the sparser trees and the id table are
        // made here (a million points: 0.72 s to 0.52 s in one run).
        let (index, (by_file, bands, by_rank, by_id, id_order)) = std::thread::scope(|s| {
            let tree = s.spawn(move || {
                let boxes = curve.unwrap_or_default().into_iter().map(|(_, _, b)| b);
                LayerIndex::from_entries(LayerIndex::entries(boxes))
            });
            if let Some(order) = &mut order {
                permute(&mut features, order);
            }
            let mut by_file = vec![0u32; features.len()];
            for (i, f) in features.iter().enumerate() {
                by_file[(f.fid - 1) as usize] = i as u32;
            }
            // A layer has bands (lines and polygons) or sparser trees by
            // rank (points that may thin), never both.
            let bands = bands::Bands::build(&features, meta.minzoom, meta.maxzoom);
            let by_rank = Layer::ranked(&meta, &features);
            let by_id = sorted_by_id(&features);
            let mut id_order = vec![0u32; features.len()];
            for (place, &i) in by_id.iter().enumerate() {
                id_order[i as usize] = place as u32;
            }
            let index = tree
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (index, (by_file, bands, by_rank, by_id, id_order))
        });
        Layer {
            meta,
            features: Features {
                base: Arc::new(features),
                tail: None,
            },
            base: Arc::new(Base {
                bands,
                bounds,
                by_file,
                index,
                by_rank,
                by_id,
                id_order,
            }),
        }
    }

    /// The layer with feature `id` set to `new` (a new version, or a new
    /// feature), or removed when `new` is `None`: what an edit makes. The
    /// features built from the file are shared, not copied; past
    /// [`overlay::fold_after`] edits they are built again with the edits
    /// in.
    pub fn with_feature(&self, id: &str, new: Option<Feature>) -> Layer {
        let base = self.features.base();
        let base_at = self
            .base
            .by_id
            .binary_search_by(|&i| base[i as usize].id.as_str().cmp(id))
            .ok()
            .map(|k| self.base.by_id[k] as usize)
            .filter(|&p| !self.is_dead(p));
        let overlay = match &self.features.tail {
            Some(o) => o.with(id, base_at, new),
            None => overlay::Overlay::empty(base.len()).with(id, base_at, new),
        };
        let edited = Layer {
            meta: self.meta.clone(),
            features: Features {
                base: Arc::clone(&self.features.base),
                tail: Some(Arc::new(overlay)),
            },
            base: Arc::clone(&self.base),
        };
        if edited.edits_held() > overlay::fold_after(base.len()) {
            let features = edited
                .in_file_order()
                .map(|i| edited.features[i].clone())
                .collect();
            return Layer::new(self.meta.clone(), features);
        }
        edited
    }

    /// The R-tree of the features built with the layer (not the versions
    /// edits made since: [`Layer::intersecting`] reads both).
    pub fn index(&self) -> &LayerIndex {
        &self.base.index
    }

    /// The versions edits made that are held beside the features built
    /// with the layer (0 once folded in).
    pub fn edits_held(&self) -> usize {
        self.features.tail.as_ref().map_or(0, |o| o.tail.len())
    }

    /// Whether position `i` holds a version an edit replaced or removed.
    #[inline]
    fn is_dead(&self, i: usize) -> bool {
        self.features.tail.as_ref().is_some_and(|o| o.is_dead(i))
    }

    /// The number of features.
    pub fn len(&self) -> usize {
        let n = self.features.base().len();
        self.features.tail.as_ref().map_or(n, |o| o.live(n))
    }

    /// Whether the layer has no features.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The features, in storage order (not the file's).
    pub fn iter(&self) -> impl Iterator<Item = &Feature> + '_ {
        self.live_positions().map(|i| &self.features[i])
    }

    /// The positions of the features, in storage order.
    fn live_positions(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.features.slots()).filter(|&i| !self.is_dead(i))
    }

    /// The tail's positions offset into the layer's.
    fn tail_offset(&self) -> usize {
        self.features.base().len()
    }

    /// Positions of the features whose bounding box meets `rect`
    /// (boundaries included), in no particular order.
    pub fn intersecting(&self, rect: geo::Rect<f64>) -> impl Iterator<Item = usize> + '_ {
        self.candidates(rect, None)
    }

    /// Like [`Layer::intersecting`], for a tile that keeps the features
    /// ranked below `share` when given: the base's sparsest R-tree that
    /// holds them all ([`Layer::index_below_rank`]), and every edited
    /// feature (the caller tests the ranks).
    pub fn candidates(
        &self,
        rect: geo::Rect<f64>,
        share: Option<f64>,
    ) -> impl Iterator<Item = usize> + '_ {
        let index = match share {
            Some(share) => self.index_below_rank(share),
            None => &self.base.index,
        };
        let offset = self.tail_offset();
        let tail = self
            .features
            .tail
            .as_ref()
            .map(|o| o.index().intersecting(rect).map(move |j| j + offset));
        index
            .intersecting(rect)
            .filter(move |&i| !self.is_dead(i))
            .chain(tail.into_iter().flatten())
    }

    /// Like [`Layer::intersecting`], with each feature's bounding box as
    /// the R-tree holds it: a question can rule features out by their box
    /// without reading the features themselves.
    pub fn intersecting_boxes(
        &self,
        rect: geo::Rect<f64>,
    ) -> impl Iterator<Item = (usize, geo::Rect<f64>)> + '_ {
        let offset = self.tail_offset();
        let tail = self.features.tail.as_ref().map(|o| {
            o.index()
                .intersecting_boxes(rect)
                .map(move |(j, b)| (j + offset, b))
        });
        self.base
            .index
            .intersecting_boxes(rect)
            .filter(move |&(i, _)| !self.is_dead(i))
            .chain(tail.into_iter().flatten())
    }

    /// Features by increasing planar distance (in degrees) from
    /// `[lon, lat]` to their bounding box, with that squared distance.
    pub fn by_box_distance(&self, lon: f64, lat: f64) -> impl Iterator<Item = (usize, f64)> + '_ {
        let offset = self.tail_offset();
        let base = self
            .base
            .index
            .by_box_distance(lon, lat)
            .filter(move |&(i, _)| !self.is_dead(i));
        let tail = self.features.tail.as_ref().map(|o| {
            o.index()
                .by_box_distance(lon, lat)
                .map(move |(j, d)| (j + offset, d))
        });
        overlay::Merged::new(base, tail.into_iter().flatten())
    }

    /// For a big point layer that may thin, the sparser R-trees by rank.
    fn ranked(meta: &LayerMeta, features: &[Feature]) -> Vec<(f64, LayerIndex)> {
        let mut by_rank = Vec::new();
        if meta.thin == Thin::Auto && meta.geometry == GeometryKind::Point {
            let mut share = 0.25;
            // The features of the first level, gathered in one pass over
            // the layer; each sparser level is a part of the one before
            // (a pass over a million features for each level was 145 ms
            // of the start-up, most of it reading their ranks).
            let mut kept: Vec<(f64, usize, geo::Rect<f64>)> = features
                .iter()
                .enumerate()
                .filter(|(_, f)| f.rank < share)
                .map(|(i, f)| (f.rank, i, f.bbox))
                .collect();
            while features.len() as f64 * share >= RANKED_FLOOR {
                kept.retain(|k| k.0 < share);
                let level = LayerIndex::of_positions(kept.iter().map(|k| (k.1, k.2)));
                by_rank.push((share, level));
                share /= 4.0;
            }
        }
        by_rank
    }

    /// The sparsest R-tree holding every feature whose rank is below
    /// `share` (the whole index when there is none).
    pub fn index_below_rank(&self, share: f64) -> &LayerIndex {
        self.base
            .by_rank
            .iter()
            .rev()
            .find(|(t, _)| *t >= share)
            .map_or(&self.base.index, |(_, index)| index)
    }

    /// The Web Mercator geometry of feature `i` to cut with a tolerance of
    /// `tolerance` metres, and whether it is already simplified within it
    /// (see [`bands`]).
    pub fn geometry_for(&self, i: usize, tolerance: f64) -> (&geo::Geometry<f64>, bool) {
        if i >= self.tail_offset() {
            // An edited feature: simplified as its tile is cut.
            return (&self.features[i].mercator, false);
        }
        self.base
            .bands
            .geometry(i, &self.features[i].mercator, tolerance)
    }

    /// The features' positions in the order of the layer's file: an
    /// edited feature where its first version was, a new one after the
    /// file's, in the order they were made.
    pub fn in_file_order(&self) -> impl Iterator<Item = usize> + '_ {
        let offset = self.tail_offset();
        let tail = self.features.tail.as_deref();
        let base = self.base.by_file.iter().filter_map(move |&p| {
            let p = p as usize;
            match tail {
                Some(o) if o.is_dead(p) => o.replacing(p).map(|j| j + offset),
                _ => Some(p),
            }
        });
        let appended = tail
            .map(|o| o.appended().iter().map(move |&j| j as usize + offset))
            .into_iter()
            .flatten();
        base.chain(appended)
    }

    /// Whether position `i` is one of the features built with the layer
    /// (not an edit's): those have an [`Layer::id_order`].
    pub fn is_base(&self, i: usize) -> bool {
        i < self.tail_offset()
    }

    /// Where feature `i`, one built with the layer ([`Layer::is_base`]),
    /// comes in those features sorted by id.
    pub fn id_order(&self, i: usize) -> u32 {
        self.base.id_order[i]
    }

    /// The feature built with the layer that comes `k`th in those sorted
    /// by id (the inverse of [`Layer::id_order`]).
    pub fn at_id_order(&self, k: u32) -> usize {
        self.base.by_id[k as usize] as usize
    }

    /// The layer's id.
    pub fn id(&self) -> &str {
        &self.meta.id
    }

    /// A box holding all the layer's features (after edits, perhaps
    /// larger than the least such box); `None` when empty.
    pub fn bounds(&self) -> Option<geo::Rect<f64>> {
        let tail = self.features.tail.as_ref().and_then(|o| o.bounds());
        match (self.base.bounds, tail) {
            (Some(a), Some(b)) => Some(rect_union(a, b)),
            (a, b) => a.or(b),
        }
    }

    /// The feature with this id.
    pub fn feature(&self, id: &str) -> Option<&Feature> {
        if let Some(o) = &self.features.tail {
            if let Some(j) = o.tail_position(id) {
                return Some(&o.tail[j].0);
            }
        }
        let base = self.features.base();
        let at = self
            .base
            .by_id
            .binary_search_by(|&i| base[i as usize].id.as_str().cmp(id))
            .ok()?;
        let p = self.base.by_id[at] as usize;
        (!self.is_dead(p)).then(|| &base[p])
    }
}

/// The whole dataset. Immutable once built; wrap it in an `Arc` to share.
#[derive(Debug)]
pub struct Catalog {
    /// The dataset's own description.
    pub dataset: DatasetMeta,
    layers: Vec<Arc<Layer>>,
    version: Arc<str>,
}

impl Catalog {
    /// Loads and validates the dataset whose manifest is `dir/layers.toml`
    /// (or `dir`, when it names a file). Fails with every problem found.
    pub fn load(dir: &Path) -> Result<Catalog, LoadError> {
        let start = std::time::Instant::now();
        let raw = load::read_dataset(dir)?;
        tracing::debug!(seconds = start.elapsed().as_secs_f64(), "layer files read");
        let layers = raw
            .layers
            .into_iter()
            .map(|(meta, features)| {
                let start = std::time::Instant::now();
                let layer = Layer::new(meta, features);
                tracing::debug!(
                    layer = layer.id(),
                    features = layer.len(),
                    seconds = start.elapsed().as_secs_f64(),
                    "layer indexed"
                );
                Arc::new(layer)
            })
            .collect();
        Ok(Catalog {
            dataset: raw.manifest.dataset,
            layers,
            version: raw.version.into(),
        })
    }

    /// Builds a catalog from layers already in memory (tests, benches).
    pub fn from_layers(dataset: DatasetMeta, layers: Vec<Layer>) -> Catalog {
        let mut h = Fnv64::new();
        for layer in &layers {
            h.write(layer.id().as_bytes());
            // Positions too: what is cached by version (a layer's measures)
            // is kept by position.
            for i in layer.in_file_order() {
                let f = &layer.features[i];
                h.write(&(i as u64).to_le_bytes());
                h.write(f.id.as_bytes());
                h.write(format!("{:?}", f.geometry).as_bytes());
            }
        }
        Catalog {
            dataset,
            layers: layers.into_iter().map(Arc::new).collect(),
            version: format!("{:016x}", h.finish()).into(),
        }
    }

    /// The same catalog with `layer` in place of the layer with its id,
    /// as version `version`: what an edit makes. The other layers are
    /// shared, not copied.
    pub fn with_layer(&self, layer: Layer, version: String) -> Catalog {
        let layer = Arc::new(layer);
        Catalog {
            dataset: self.dataset.clone(),
            layers: self
                .layers
                .iter()
                .map(|l| {
                    if l.id() == layer.id() {
                        Arc::clone(&layer)
                    } else {
                        Arc::clone(l)
                    }
                })
                .collect(),
            version: version.into(),
        }
    }

    /// The same catalog under another version (the layers shared).
    pub fn with_version(&self, version: String) -> Catalog {
        Catalog {
            dataset: self.dataset.clone(),
            layers: self.layers.clone(),
            version: version.into(),
        }
    }

    /// The layers, in drawing order.
    pub fn layers(&self) -> &[Arc<Layer>] {
        &self.layers
    }

    /// The layer with this id.
    pub fn layer(&self, id: &str) -> Option<&Layer> {
        self.layers.iter().find(|l| l.id() == id).map(|l| &**l)
    }

    /// The layer ids, comma-separated, for messages that say what exists.
    pub fn layer_ids(&self) -> String {
        self.layers
            .iter()
            .map(|l| l.id())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A hash of every input byte: changes whenever the data does. Cache
    /// keys and ETags include it so that no answer outlives its data.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// [`Catalog::version`], shared: what a cache key holds, without a
    /// copy per request.
    pub fn version_shared(&self) -> &Arc<str> {
        &self.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A point feature of layer `l`.
    fn point(id: String, x: f64, y: f64) -> Feature {
        Feature::new(
            "l",
            id,
            geo::Geometry::Point(geo::Point::new(x, y)),
            serde_json::Map::new(),
        )
        .unwrap()
    }

    /// The manifest entry of a point layer `l` (thinned by rank, as points
    /// are by default).
    fn point_layer() -> LayerMeta {
        toml::from_str(
            "id = \"l\"\ntitle = { zh = \"l\", en = \"l\" }\nfile = \"l.geojson\"\ngeometry = \"point\"",
        )
        .unwrap()
    }

    proptest! {
        /// The order is the ids' own, whatever they share at the start:
        /// short ids, ids that are prefixes of others, NULs, and
        /// characters of several bytes.
        #[test]
        fn ids_sort_as_their_text_does(
            ids in prop::collection::vec("(pt-|ab|a\u{0}|点)?[0-9a\u{0}é]{0,10}", 0..60)
        ) {
            let features: Vec<Feature> = ids
                .iter()
                .map(|id| point(id.clone(), 0.0, 0.0))
                .collect();
            let order = sorted_by_id(&features);
            let mut expected: Vec<u32> = (0..ids.len() as u32).collect();
            expected.sort_by(|&a, &b| ids[a as usize].cmp(&ids[b as usize]));
            let texts = |o: &[u32]| o.iter().map(|&i| ids[i as usize].clone()).collect::<Vec<_>>();
            prop_assert_eq!(texts(&order), texts(&expected));
        }
    }

    proptest! {
        /// Any permutation is applied in place, element for element.
        #[test]
        fn permute_puts_each_element_where_the_order_says(
            order in Just((0..40u32).collect::<Vec<_>>()).prop_shuffle()
        ) {
            let mut v: Vec<u32> = (100..140).collect();
            let mut used = order.clone();
            permute(&mut v, &mut used);
            let want: Vec<u32> = order.iter().map(|&i| 100 + i).collect();
            prop_assert_eq!(v, want);
        }
    }

    /// The curve visits every cell of a small grid once, each step to a
    /// neighbouring cell (the property that keeps near features near).
    #[test]
    fn the_hilbert_curve_steps_from_cell_to_neighbouring_cell() {
        // Cells of the full grid at a coarse level: 2^12 apart, a 16 x 16
        // grid, visited in the same order as the full curve visits them.
        let step = 1u32 << 12;
        let mut cells: Vec<(u64, u32, u32)> = (0..16u32)
            .flat_map(|i| (0..16u32).map(move |j| (i, j)))
            .map(|(i, j)| (hilbert(i * step, j * step), i, j))
            .collect();
        cells.sort_unstable();
        let distinct: std::collections::BTreeSet<u64> = cells.iter().map(|c| c.0).collect();
        assert_eq!(distinct.len(), 256);
        for w in cells.windows(2) {
            let (dx, dy) = (w[0].1.abs_diff(w[1].1), w[0].2.abs_diff(w[1].2));
            assert_eq!(dx + dy, 1, "{:?} then {:?}", w[0], w[1]);
        }
        assert_eq!(hilbert(0, 0), 0);
    }

    /// A layer keeps its features along the curve, numbered and listed
    /// in file order, and finds each by id.
    #[test]
    fn each_rank_level_holds_the_features_ranked_below_its_share() {
        // 70,000 points: levels for a quarter and a sixteenth (4,375 points,
        // over the floor of 4,096), each built from the level before.
        let features: Vec<Feature> = (0..70_000)
            .map(|i| {
                let (x, y) = ((i % 300) as f64 * 0.001, (i / 300) as f64 * 0.001);
                point(format!("p{i}"), 116.0 + x, 40.0 + y)
            })
            .collect();
        let layer = Layer::new(point_layer(), features);
        let shares: Vec<f64> = layer.base.by_rank.iter().map(|(s, _)| *s).collect();
        assert_eq!(shares, [0.25, 0.0625]);
        let everywhere = layer.bounds().unwrap();
        for (share, index) in &layer.base.by_rank {
            let mut held: Vec<usize> = index.intersecting(everywhere).collect();
            held.sort_unstable();
            let want: Vec<usize> = (0..layer.len())
                .filter(|&i| layer.features[i].rank < *share)
                .collect();
            assert_eq!(held, want, "share {share}");
        }
    }

    #[test]
    fn the_curve_order_is_the_pairs_sorted_with_ties_in_file_order() {
        // Enough points for the radix sort (past its short cut), on a
        // coarse lattice so that many share a cell.
        let mut seed = 7u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % 40
        };
        let features: Vec<Feature> = (0..3000)
            .map(|i| {
                let (x, y) = (next() as f64 * 0.25, next() as f64 * 0.25);
                point(format!("f{i}"), 116.0 + x, 40.0 + y)
            })
            .collect();
        let bounds = features.iter().map(|f| f.bbox).reduce(rect_union).unwrap();
        let curve = along_the_curve(features.iter().map(|f| f.bbox), bounds);
        assert!(curve
            .iter()
            .all(|&(_, i, b)| b == features[i as usize].bbox));
        let order: Vec<u32> = curve.iter().map(|&(_, i, _)| i).collect();
        let key = |i: u32| {
            let c = features[i as usize].bbox.center();
            let cell = |v: f64, lo: f64, span: f64| ((v - lo) / span * 65_535.0).round() as u32;
            hilbert(
                cell(c.x, bounds.min().x, bounds.width()),
                cell(c.y, bounds.min().y, bounds.height()),
            )
        };
        let mut want: Vec<u32> = (0..3000).collect();
        want.sort_by_key(|&i| (key(i), i));
        assert_eq!(order, want);
    }

    #[test]
    fn a_layer_stores_along_the_curve_and_lists_in_file_order() {
        let spots = [
            (0.0, 0.0),
            (10.0, 10.0),
            (0.1, 0.1),
            (10.1, 10.0),
            (0.0, 0.2),
        ];
        let features: Vec<Feature> = spots
            .iter()
            .enumerate()
            .map(|(i, &(x, y))| point(format!("f{i}"), x, y))
            .collect();
        let layer = Layer::new(point_layer(), features);
        let listed: Vec<&str> = layer
            .in_file_order()
            .map(|i| layer.features[i].id.as_str())
            .collect();
        assert_eq!(listed, ["f0", "f1", "f2", "f3", "f4"]);
        let fids: Vec<u64> = layer
            .in_file_order()
            .map(|i| layer.features[i].fid)
            .collect();
        assert_eq!(fids, [1, 2, 3, 4, 5]);
        // The three near the origin are stored next to each other, and so
        // are the two far ones.
        let stored: Vec<&str> = layer.iter().map(|f| f.id.as_str()).collect();
        let near = |id: &str| ["f0", "f2", "f4"].contains(&id);
        let runs = stored
            .windows(2)
            .filter(|w| near(w[0]) != near(w[1]))
            .count();
        assert_eq!(runs, 1, "{stored:?}");
        for i in 0..5 {
            assert_eq!(layer.feature(&format!("f{i}")).unwrap().id, format!("f{i}"));
        }
    }
}
