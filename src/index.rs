//! One R-tree per layer over the features' bounding boxes, bulk-loaded
//! once ([rstar](https://docs.rs/rstar)). Every query narrows its candidates
//! here before it tests exact geometry.

use geo::Rect;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RStarInsertionStrategy, RTree, RTreeParams, AABB};

/// A feature's bounding box, carrying the feature's position in its layer.
type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// The R-tree of one layer.
#[derive(Debug)]
pub struct LayerIndex {
    tree: RTree<Entry, Wide>,
}

/// Nodes of up to 32 entries, against rstar's default of 6: a query walks
/// a few wide nodes, each one run of memory, instead of many small ones
/// scattered over the heap (a zone's thousands of candidates came at a
/// cache miss per few entries).
#[derive(Debug)]
struct Wide;

impl RTreeParams for Wide {
    const MIN_SIZE: usize = 12;
    const MAX_SIZE: usize = 32;
    const REINSERTION_COUNT: usize = 8;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

/// Boxes gathered for [`LayerIndex::from_entries`], numbered in order.
#[derive(Debug)]
pub struct Entries(Vec<Entry>);

impl LayerIndex {
    /// The boxes of the features a tree will index, in their positions'
    /// order: gathered where the features are, to build the tree elsewhere.
    pub fn entries(boxes: impl Iterator<Item = Rect<f64>>) -> Entries {
        Entries(
            boxes
                .enumerate()
                .map(|(i, b)| GeomWithData::new(rectangle(b), i))
                .collect(),
        )
    }

    /// Bulk-loads the tree over gathered boxes.
    pub fn from_entries(entries: Entries) -> LayerIndex {
        LayerIndex {
            tree: RTree::bulk_load_with_params(entries.0),
        }
    }

    /// Bulk-loads a tree over some features: each one's position in its
    /// layer, and its box.
    pub fn of_positions(boxes: impl Iterator<Item = (usize, Rect<f64>)>) -> LayerIndex {
        let entries = boxes
            .map(|(i, b)| GeomWithData::new(rectangle(b), i))
            .collect();
        LayerIndex {
            tree: RTree::bulk_load_with_params(entries),
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

    /// Like [`LayerIndex::intersecting`], with each feature's bounding box
    /// as the tree holds it: a question can rule features out by their box
    /// without reading the features themselves.
    pub fn intersecting_boxes(
        &self,
        rect: Rect<f64>,
    ) -> impl Iterator<Item = (usize, Rect<f64>)> + '_ {
        let envelope =
            AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
        self.tree
            .locate_in_envelope_intersecting(&envelope)
            .map(|e| {
                let (lo, hi) = (e.geom().lower(), e.geom().upper());
                (e.data, Rect::new((lo[0], lo[1]), (hi[0], hi[1])))
            })
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
