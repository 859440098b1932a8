//! One R-tree per layer over the features' bounding boxes, bulk-loaded
//! once ([rstar](https://docs.rs/rstar)). Every query narrows its candidates
//! here before it tests exact geometry.

use crate::catalog::Feature;
use geo::Rect;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

/// A feature's bounding box, carrying the feature's position in its layer.
type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// The R-tree of one layer.
#[derive(Debug)]
pub struct LayerIndex {
    tree: RTree<Entry>,
}

impl LayerIndex {
    /// Bulk-loads the tree over the features' bounding boxes.
    pub fn build(features: &[Feature]) -> LayerIndex {
        let entries = features
            .iter()
            .enumerate()
            .map(|(i, f)| GeomWithData::new(rectangle(f.bbox), i))
            .collect();
        LayerIndex {
            tree: RTree::bulk_load(entries),
        }
    }

    /// Bulk-loads a tree over the features that pass `keep` (positions
    /// still count from the start of `features`).
    pub fn build_where(features: &[Feature], keep: impl Fn(&Feature) -> bool) -> LayerIndex {
        let entries = features
            .iter()
            .enumerate()
            .filter(|(_, f)| keep(f))
            .map(|(i, f)| GeomWithData::new(rectangle(f.bbox), i))
            .collect();
        LayerIndex {
            tree: RTree::bulk_load(entries),
        }
    }

    /// Positions of the features whose bounding box meets `rect`
    /// (boundaries included), in no particular order.
    pub fn intersecting(&self, rect: Rect<f64>) -> impl Iterator<Item = usize> + '_ {
        let envelope =
            AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
        self.tree
            .locate_in_envelope_intersecting(&envelope)
            .map(|e| e.data)
    }

    /// Features by increasing planar distance (in degrees) from `[lon, lat]`
    /// to their bounding box, with that squared distance.
    pub fn by_box_distance(&self, lon: f64, lat: f64) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.tree
            .nearest_neighbor_iter_with_distance_2(&[lon, lat])
            .map(|(e, d2)| (e.data, d2))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    /// Whether the tree is empty.
    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }
}

fn rectangle(r: Rect<f64>) -> Rectangle<[f64; 2]> {
    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y])
}
