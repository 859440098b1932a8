//! A layer's edits since it was built, held beside it, so that an edit
//! costs what the edits held cost, not what the layer costs.
//!
//! A layer built from its file ([`super::Layer::new`]) is shared by every
//! version that follows: an edit marks the version it replaces or removes
//! dead (one bit a feature) and adds the new version to a small tail with
//! an R-tree of its own. Features are numbered across both: the base's
//! positions first, then the tail's. Readers ask the layer
//! ([`super::Layer::intersecting`] and its siblings), which leave the dead
//! out and take the tail in. Past a number of edits that grows with the
//! layer (the square root, four times over, between 256 and 16,384) the
//! edits are folded into a new base, built whole.

use super::Feature;
use crate::index::LayerIndex;
use compact_str::CompactString;
use geo::Rect;
use std::collections::HashMap;
use std::sync::Arc;

/// Where a feature of the tail stands in the layer's file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    /// In place of the base's feature at this position.
    Replaces(u32),
    /// After the file's features, in the order of this number.
    Appended(u64),
}

/// The edits held beside a base.
#[derive(Debug)]
pub(super) struct Overlay {
    /// A bit a base position: the feature there is replaced or removed.
    dead: Vec<u64>,
    /// Base features dead.
    dead_count: usize,
    /// The new versions, each with its place in the file order.
    pub(super) tail: Vec<(Arc<Feature>, Slot)>,
    /// The tail's R-tree (tail positions).
    index: LayerIndex,
    /// The tail's ids.
    by_id: HashMap<CompactString, u32>,
    /// Base position -> the tail position that replaces it.
    replaced_at: HashMap<u32, u32>,
    /// Tail positions of appended features, in order.
    appended: Vec<u32>,
    /// The next fid and the next appended number.
    next_fid: u64,
    next_seq: u64,
    /// The tail's bounding box.
    bounds: Option<Rect<f64>>,
}

/// The fewest edits held before they are folded into the base.
const FOLD_FLOOR: usize = 256;
/// The most.
const FOLD_CEILING: usize = 16_384;

/// How many edits a base of `n` features holds before they are folded.
pub(super) fn fold_after(n: usize) -> usize {
    ((n as f64).sqrt() as usize * 4).clamp(FOLD_FLOOR, FOLD_CEILING)
}

impl Overlay {
    /// No edits over a base of `n` features whose fids end at `n`.
    pub(super) fn empty(n: usize) -> Overlay {
        Overlay {
            dead: vec![0; n.div_ceil(64)],
            dead_count: 0,
            tail: Vec::new(),
            index: LayerIndex::of_positions(std::iter::empty()),
            by_id: HashMap::new(),
            replaced_at: HashMap::new(),
            appended: Vec::new(),
            next_fid: n as u64 + 1,
            next_seq: 0,
            bounds: None,
        }
    }

    /// Whether base position `p` is dead.
    #[inline]
    pub(super) fn is_dead(&self, p: usize) -> bool {
        self.dead
            .get(p / 64)
            .is_some_and(|w| w & (1 << (p % 64)) != 0)
    }

    /// The tail's R-tree.
    pub(super) fn index(&self) -> &LayerIndex {
        &self.index
    }

    /// The tail position of `id`.
    pub(super) fn tail_position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).map(|&j| j as usize)
    }

    /// Live features: the base's less the dead, and the tail.
    pub(super) fn live(&self, base: usize) -> usize {
        base - self.dead_count + self.tail.len()
    }

    /// The tail's bounding box.
    pub(super) fn bounds(&self) -> Option<Rect<f64>> {
        self.bounds
    }

    /// The tail position replacing base position `p`.
    pub(super) fn replacing(&self, p: usize) -> Option<usize> {
        self.replaced_at.get(&(p as u32)).map(|&j| j as usize)
    }

    /// Tail positions of the features after the file's, in order.
    pub(super) fn appended(&self) -> &[u32] {
        &self.appended
    }

    /// These edits and one more: feature `id` (at base position `base_at`
    /// when the base holds it live) set to `new`, or removed.
    pub(super) fn with(&self, id: &str, base_at: Option<usize>, new: Option<Feature>) -> Overlay {
        let mut dead = self.dead.clone();
        let mut dead_count = self.dead_count;
        let mut tail = self.tail.clone();
        let (mut next_fid, mut next_seq) = (self.next_fid, self.next_seq);
        let slot = if let Some(j) = self.tail_position(id) {
            tail.remove(j).1
        } else if let Some(p) = base_at {
            dead[p / 64] |= 1 << (p % 64);
            dead_count += 1;
            Slot::Replaces(p as u32)
        } else {
            next_seq += 1;
            Slot::Appended(next_seq)
        };
        if let Some(mut f) = new {
            f.fid = next_fid;
            next_fid += 1;
            tail.push((Arc::new(f), slot));
        }
        Overlay::of(dead, dead_count, tail, next_fid, next_seq)
    }

    fn of(
        dead: Vec<u64>,
        dead_count: usize,
        tail: Vec<(Arc<Feature>, Slot)>,
        next_fid: u64,
        next_seq: u64,
    ) -> Overlay {
        let index =
            LayerIndex::of_positions(tail.iter().enumerate().map(|(j, (f, _))| (j, f.bbox)));
        let by_id = tail
            .iter()
            .enumerate()
            .map(|(j, (f, _))| (f.id.clone(), j as u32))
            .collect();
        let mut replaced_at = HashMap::new();
        let mut appended: Vec<(u64, u32)> = Vec::new();
        for (j, (_, slot)) in tail.iter().enumerate() {
            match *slot {
                Slot::Replaces(p) => {
                    replaced_at.insert(p, j as u32);
                }
                Slot::Appended(seq) => appended.push((seq, j as u32)),
            }
        }
        appended.sort_unstable();
        let bounds = tail.iter().map(|(f, _)| f.bbox).reduce(super::rect_union);
        Overlay {
            dead,
            dead_count,
            tail,
            index,
            by_id,
            replaced_at,
            appended: appended.into_iter().map(|(_, j)| j).collect(),
            next_fid,
            next_seq,
            bounds,
        }
    }
}

/// A layer's features by position: the base's, then the tail's. Dead
/// positions still hold their old feature; [`super::Layer`]'s readers leave
/// them out.
#[derive(Debug, Clone)]
pub struct Features {
    pub(super) base: Arc<Vec<Feature>>,
    pub(super) tail: Option<Arc<Overlay>>,
}

impl Features {
    /// Positions, dead ones included: the size of anything indexed by
    /// position. (The number of features is [`super::Layer::len`].)
    pub fn slots(&self) -> usize {
        self.base.len() + self.tail.as_ref().map_or(0, |o| o.tail.len())
    }

    /// The base's features, by position.
    pub(super) fn base(&self) -> &[Feature] {
        &self.base
    }
}

impl std::ops::Index<usize> for Features {
    type Output = Feature;

    #[inline]
    fn index(&self, i: usize) -> &Feature {
        match self.base.get(i) {
            Some(f) => f,
            None => match &self.tail {
                Some(o) => &o.tail[i - self.base.len()].0,
                None => panic!(
                    "feature position {i} is past the layer's {}",
                    self.base.len()
                ),
            },
        }
    }
}

/// Two streams of (position, distance) ascending by distance, merged.
pub(super) struct Merged<A: Iterator, B: Iterator> {
    a: std::iter::Peekable<A>,
    b: std::iter::Peekable<B>,
}

impl<A, B> Merged<A, B>
where
    A: Iterator<Item = (usize, f64)>,
    B: Iterator<Item = (usize, f64)>,
{
    pub(super) fn new(a: A, b: B) -> Self {
        Merged {
            a: a.peekable(),
            b: b.peekable(),
        }
    }
}

impl<A, B> Iterator for Merged<A, B>
where
    A: Iterator<Item = (usize, f64)>,
    B: Iterator<Item = (usize, f64)>,
{
    type Item = (usize, f64);

    fn next(&mut self) -> Option<(usize, f64)> {
        match (self.a.peek(), self.b.peek()) {
            (Some(x), Some(y)) if y.1 < x.1 => self.b.next(),
            (Some(_), _) => self.a.next(),
            (None, _) => self.b.next(),
        }
    }
}
