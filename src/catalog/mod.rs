//! The loaded dataset: layers of features, validated and indexed, held as
//! one immutable value that a server can share and replace whole.

pub mod bands;
mod error;
mod feature;
mod load;
mod manifest;
mod properties;
mod split;
mod stream;

pub use error::{FeatureLabel, LoadError, Problem, ProblemKind};
pub use feature::{rect_union, stable_fid, Feature, Fnv64};
pub use load::{manifest_path, parse_geometry, MANIFEST_FILE};
pub use manifest::{
    is_valid_id, DatasetMeta, GeometryKind, LayerMeta, Manifest, Thin, Title, MAX_ZOOM,
};
pub use properties::{KeyTable, Properties, ValueNumber};

use crate::index::LayerIndex;
use std::path::Path;

/// The fewest features a rank-level R-tree is built for.
const RANKED_FLOOR: f64 = 4096.0;

/// One layer: its manifest entry, its features and their R-tree.
#[derive(Debug)]
pub struct Layer {
    /// What the manifest says of the layer.
    pub meta: LayerMeta,
    /// The features, in file order.
    pub features: Vec<Feature>,
    /// The R-tree over the features' bounding boxes.
    pub index: LayerIndex,
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
    /// Its lines and polygons simplified once per zoom band.
    bands: bands::Bands,
    bounds: Option<geo::Rect<f64>>,
}

/// The positions of `features` in the order of their ids. Sorted on each
/// id's first eight bytes first, held beside the position, so that most
/// comparisons read neither the features nor the ids' text (sorting a
/// million ids by their text alone took a fifth of a load).
fn sorted_by_id(features: &[Feature]) -> Vec<u32> {
    let head = |id: &str| {
        let mut b = [0u8; 8];
        let n = id.len().min(8);
        b[..n].copy_from_slice(&id.as_bytes()[..n]);
        u64::from_be_bytes(b)
    };
    let mut keyed: Vec<(u64, u32)> = features
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

impl Layer {
    /// Builds a layer, bulk-loading its index.
    pub fn new(meta: LayerMeta, mut features: Vec<Feature>) -> Layer {
        for (i, f) in features.iter_mut().enumerate() {
            f.fid = i as u64 + 1;
        }
        // The bands, the sparser trees and the id table on a second thread,
        // while the main R-tree is built here.
        let (index, (bands, by_rank, by_id, id_order)) = std::thread::scope(|s| {
            let other = s.spawn(|| {
                // A layer has bands (lines and polygons) or sparser trees
                // by rank (points that may thin), never both.
                let bands = bands::Bands::build(&features, meta.minzoom, meta.maxzoom);
                let by_rank = Layer::ranked(&meta, &features);
                let by_id = sorted_by_id(&features);
                let mut id_order = vec![0u32; features.len()];
                for (place, &i) in by_id.iter().enumerate() {
                    id_order[i as usize] = place as u32;
                }
                (bands, by_rank, by_id, id_order)
            });
            let index = LayerIndex::build(&features);
            let other = other
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (index, other)
        });
        Layer {
            meta,
            bands,
            bounds: features.iter().map(|f| f.bbox).reduce(rect_union),
            features,
            index,
            by_rank,
            by_id,
            id_order,
        }
    }

    /// For a big point layer that may thin, the sparser R-trees by rank.
    fn ranked(meta: &LayerMeta, features: &[Feature]) -> Vec<(f64, LayerIndex)> {
        let mut by_rank = Vec::new();
        if meta.thin == Thin::Auto && meta.geometry == GeometryKind::Point {
            let mut share = 0.25;
            while features.len() as f64 * share >= RANKED_FLOOR {
                by_rank.push((share, LayerIndex::build_where(features, |f| f.rank < share)));
                share /= 4.0;
            }
        }
        by_rank
    }

    /// The sparsest R-tree holding every feature whose rank is below
    /// `share` (the whole index when there is none).
    pub fn index_below_rank(&self, share: f64) -> &LayerIndex {
        self.by_rank
            .iter()
            .rev()
            .find(|(t, _)| *t >= share)
            .map_or(&self.index, |(_, index)| index)
    }

    /// The Web Mercator geometry of feature `i` to cut with a tolerance of
    /// `tolerance` metres, and whether it is already simplified within it
    /// (see [`bands`]).
    pub fn geometry_for(&self, i: usize, tolerance: f64) -> (&geo::Geometry<f64>, bool) {
        self.bands
            .geometry(i, &self.features[i].mercator, tolerance)
    }

    /// Where feature `i` comes in the layer's features sorted by id.
    pub fn id_order(&self, i: usize) -> u32 {
        self.id_order[i]
    }

    /// The layer's id.
    pub fn id(&self) -> &str {
        &self.meta.id
    }

    /// The bounding box of all the layer's features; `None` when empty.
    pub fn bounds(&self) -> Option<geo::Rect<f64>> {
        self.bounds
    }

    /// The feature with this id.
    pub fn feature(&self, id: &str) -> Option<&Feature> {
        let at = self
            .by_id
            .binary_search_by(|&i| self.features[i as usize].id.as_str().cmp(id))
            .ok()?;
        self.features.get(self.by_id[at] as usize)
    }
}

/// The whole dataset. Immutable once built; wrap it in an `Arc` to share.
#[derive(Debug)]
pub struct Catalog {
    /// The dataset's own description.
    pub dataset: DatasetMeta,
    layers: Vec<Layer>,
    version: String,
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
                    features = layer.features.len(),
                    seconds = start.elapsed().as_secs_f64(),
                    "layer indexed"
                );
                layer
            })
            .collect();
        Ok(Catalog {
            dataset: raw.manifest.dataset,
            layers,
            version: raw.version,
        })
    }

    /// Builds a catalog from layers already in memory (tests, benches).
    pub fn from_layers(dataset: DatasetMeta, layers: Vec<Layer>) -> Catalog {
        let mut h = Fnv64::new();
        for layer in &layers {
            h.write(layer.id().as_bytes());
            for f in &layer.features {
                h.write(f.id.as_bytes());
                h.write(format!("{:?}", f.geometry).as_bytes());
            }
        }
        Catalog {
            dataset,
            layers,
            version: format!("{:016x}", h.finish()),
        }
    }

    /// The layers, in drawing order.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The layer with this id.
    pub fn layer(&self, id: &str) -> Option<&Layer> {
        self.layers.iter().find(|l| l.id() == id)
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
                .map(|id| {
                    Feature::new(
                        "l",
                        id.clone(),
                        geo::Geometry::Point(geo::Point::new(0.0, 0.0)),
                        serde_json::Map::new(),
                    )
                    .unwrap()
                })
                .collect();
            let order = sorted_by_id(&features);
            let mut expected: Vec<u32> = (0..ids.len() as u32).collect();
            expected.sort_by(|&a, &b| ids[a as usize].cmp(&ids[b as usize]));
            let texts = |o: &[u32]| o.iter().map(|&i| ids[i as usize].clone()).collect::<Vec<_>>();
            prop_assert_eq!(texts(&order), texts(&expected));
        }
    }
}
