//! Rendering one tile from the catalog: for each layer shown at the zoom,
//! search the buffered tile in the R-tree, then clip, simplify, snap and
//! encode each feature.

use super::clip::{clip, to_tile_space, TileSpace};
use super::encode::{tile, EncodeFeature, LayerWriter};
use super::snap::{round_i32, snap, TileGeometry};
use super::{TileCoord, TileError};
use crate::catalog::{Catalog, Feature, Layer, Thin};
use crate::mercator::{project, unproject};
use geo::{Coord, Geometry, Rect};

/// How tiles are cut.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TileOptions {
    /// Tile coordinates per side (MVT's `extent`).
    pub extent: u32,
    /// How far beyond the tile edge geometry is kept, in tile units, so
    /// that lines and outlines join up across tiles.
    pub buffer: u32,
    /// Simplification tolerance in tile units at or below a layer's
    /// maxzoom (beyond it, tiles are cut at full detail). Lines and
    /// polygons come from the layer's zoom bands where one is within it
    /// (`catalog::bands`), so they are simplified by at most this much
    /// (with the default of 2 units, by half of it at a band's own zoom).
    pub tolerance: f64,
    /// The most bytes a tile should hold: below their maxzoom, layers that
    /// may be thinned lose features (by rank) until the tile fits.
    pub budget_bytes: usize,
    /// How many features of one layer a tile below the layer's maxzoom
    /// should hold at most, on average: a layer denser than that at a zoom
    /// is thinned there.
    pub features_per_tile: usize,
}

impl Default for TileOptions {
    fn default() -> Self {
        TileOptions {
            extent: 4096,
            buffer: 64,
            tolerance: 2.0,
            budget_bytes: 500_000,
            features_per_tile: 4_096,
        }
    }
}

/// A rendered tile.
#[derive(Debug, Clone)]
pub struct Tile {
    /// The MVT bytes, empty when no layer has a feature here.
    pub bytes: Vec<u8>,
    /// Features per layer, in order, for layers with any.
    pub counts: Vec<(String, usize)>,
}

/// Renders the tile `coord` with the given layers (all when `None`).
///
/// Thinning, for layers that allow it ([`Thin::Auto`]) below their
/// maxzoom: where a layer would put more than `features_per_tile` of its
/// features in an average tile of the zoom (its count times the tile's
/// share of its bounds), it is dense there and keeps the share `k` that
/// brings it to that: each point stays while its rank (a hash of its id,
/// uniform in [0, 1)) is below `k`, and lines and polygons smaller than a
/// pixel (1/512 of the tile) are dropped. Then the budget: the layers that
/// may thin are written in rank order, lowest first across them, after
/// the layers drawn whole, and the tile ends before the first feature that
/// would take it past `budget_bytes` (so it keeps the features of rank
/// below some share, and a thinned layer's features are in rank order in
/// the tile, not file order). The rule depends only on the id and the
/// zoom, so a point shown at one zoom is shown in every tile of that zoom
/// and at every zoom above (unless a tile's budget binds); at a layer's
/// maxzoom and above, and for layers that never thin, every feature is
/// drawn; a layer sparse enough is never thinned at all.
pub fn render(
    catalog: &Catalog,
    coord: TileCoord,
    layers: Option<&[String]>,
    opts: &TileOptions,
) -> Result<Tile, TileError> {
    let selected: Vec<&Layer> = match layers {
        None => catalog.layers().iter().map(|l| &**l).collect(),
        Some(ids) => {
            let mut v = Vec::new();
            for id in ids {
                let layer = catalog.layer(id).ok_or_else(|| TileError::UnknownLayer {
                    layer: id.clone(),
                    known: catalog.layer_ids(),
                })?;
                v.push(layer);
            }
            v
        }
    };

    let window = buffered_lonlat(coord, opts);
    let (lo, hi) = (
        -f64::from(opts.buffer),
        f64::from(opts.extent) + f64::from(opts.buffer),
    );
    let pixel = coord.size_m() / 512.0;
    // Per layer: the features of a layer drawn whole, cut now; those of a
    // layer that may thin, waiting with their ranks.
    let mut layers: Vec<(&Layer, f64, Thinned)> = Vec::new();
    for layer in selected {
        if coord.z < layer.meta.minzoom {
            continue;
        }
        let tolerance = if coord.z <= layer.meta.maxzoom {
            opts.tolerance
        } else {
            0.0
        };
        let thins = layer.meta.thin == Thin::Auto && coord.z < layer.meta.maxzoom;
        let keep = if thins {
            share_kept(layer, coord, opts)
        } else {
            1.0
        };
        let dense = keep < 1.0;
        let mut candidates: Vec<u64> = layer
            .candidates(window, dense.then_some(keep))
            .map(|i| i as u64)
            .collect();
        crate::radix::sort(&mut candidates);
        let mut part = Thinned {
            features: Vec::new(),
            pending: Vec::new(),
        };
        for i in candidates.into_iter().map(|i| i as usize) {
            crate::limits::check()?;
            let f = &layer.features[i];
            // Only a dense layer pays for the size test.
            let dropped = dense
                && if is_point(f) {
                    f.rank >= keep
                } else {
                    smaller_than(f, pixel)
                };
            if dropped {
                continue;
            }
            if thins {
                // Cut later, in rank order, only as far as the budget goes.
                part.pending.push((f.rank, i as u32));
            } else if let Some(e) = cut(layer, i, coord, lo, hi, tolerance, opts.extent) {
                part.features.push(e);
            }
        }
        layers.push((layer, tolerance, part));
    }

    // The layers that never thin are drawn whole; those that may thin take
    // their features in rank order (lowest first, across layers) while the
    // tile stays under the budget, so that a dense tile cuts and encodes only
    // the features it keeps. The rule stays a rank threshold: the first
    // feature that does not fit ends the tile.
    let mut writers: Vec<LayerWriter> = layers
        .iter()
        .map(|(layer, _, _)| LayerWriter::new(layer.id(), opts.extent))
        .collect();
    for (w, (_, _, part)) in writers.iter_mut().zip(&layers) {
        for e in &part.features {
            w.push(e).map_err(|e| TileError::Encode(e.to_string()))?;
        }
    }
    // In layer order, each layer's in index order; then by rank, a stable
    // sort keeping that order among equal ranks. A rank is a multiple of
    // 2^-53 below 1, so 2^53 times it is an integer of the same order.
    let mut queue: Vec<(u64, usize, u32)> = layers
        .iter()
        .enumerate()
        .flat_map(|(l, (_, _, part))| {
            part.pending
                .iter()
                .map(move |&(r, i)| ((r * RANK_SCALE) as u64, l, i))
        })
        .collect();
    crate::radix::sort_by_key(&mut queue, |&(rank, _, _)| rank);
    let mut size: usize = writers.iter().map(LayerWriter::size).sum();
    for (j, &(_, l, i)) in queue.iter().enumerate() {
        if j.is_multiple_of(AHEAD) {
            warm(&layers, &queue[j..queue.len().min(j + AHEAD)]);
        }
        crate::limits::check()?;
        let (layer, tolerance, _) = &layers[l];
        let Some(e) = cut(layer, i as usize, coord, lo, hi, *tolerance, opts.extent) else {
            continue;
        };
        let w = &mut writers[l];
        let (before, mark) = (w.size(), w.mark());
        w.push(&e).map_err(|e| TileError::Encode(e.to_string()))?;
        let after = size - before + w.size();
        if after > opts.budget_bytes {
            w.undo(mark);
            break;
        }
        size = after;
    }
    let counts = writers
        .iter()
        .filter(|w| w.count() > 0)
        .map(|w| (w.name().to_string(), w.count()))
        .collect();
    let bytes = tile(writers);
    debug_assert!(bytes.len() == size, "{} != {size}", bytes.len());
    Ok(Tile { bytes, counts })
}

/// 2^53: a feature's rank (a 53-bit integer over 2^53) times this is that
/// integer.
const RANK_SCALE: f64 = (1u64 << 53) as f64;

/// How many features ahead of the encoder [`warm`] reads.
const AHEAD: usize = 32;

/// Reads the property values of the features next in line, a batch at a
/// time: they lie in memory in the order of the layer's file, not in the
/// tile's, and loads that do not depend on each other wait for memory
/// together rather than one after another in the encoder.
fn warm(layers: &[(&Layer, f64, Thinned)], next: &[(u64, usize, u32)]) {
    let mut sum = 0u32;
    for &(_, l, i) in next {
        sum = sum.wrapping_add(layers[l].0.features[i as usize].properties.touch());
    }
    std::hint::black_box(sum);
}

/// One layer's part of a tile: the features cut (of a layer drawn whole),
/// and those of a layer that may thin, waiting to be cut in rank order.
struct Thinned<'a> {
    features: Vec<EncodeFeature<'a>>,
    pending: Vec<(f64, u32)>,
}

/// Feature `i` of the layer clipped to the buffered tile, simplified (by
/// `tolerance` tile units, from the layer's bands where one serves) and
/// snapped; `None` when nothing of it is left.
fn cut<'a>(
    layer: &'a Layer,
    i: usize,
    coord: TileCoord,
    lo: f64,
    hi: f64,
    tolerance: f64,
    extent: u32,
) -> Option<EncodeFeature<'a>> {
    let f = &layer.features[i];
    if let Geometry::Point(p) = &f.mercator {
        // The common case, without building a geometry to clip.
        let (x, y) = TileSpace::new(coord, extent).xy(p.0);
        if !(lo..=hi).contains(&x) || !(lo..=hi).contains(&y) {
            return None;
        }
        return Some(EncodeFeature {
            id: f.fid,
            geometry: TileGeometry::Point((round_i32(x), round_i32(y))),
            properties: &f.properties,
        });
    }
    let metres = tolerance * coord.size_m() / f64::from(extent);
    let (mercator, simplified) = layer.geometry_for(i, metres);
    let tolerance = if simplified { 0.0 } else { tolerance };
    let local = to_tile_space(mercator, coord, extent);
    let geometry = clip(local, lo, hi).and_then(|c| snap(&c, tolerance))?;
    Some(EncodeFeature {
        id: f.fid,
        geometry,
        properties: &f.properties,
    })
}

/// The share of a layer's points a tile of this zoom keeps: all of them
/// unless an average tile would hold more than `features_per_tile`.
fn share_kept(layer: &Layer, coord: TileCoord, opts: &TileOptions) -> f64 {
    let n = layer.len() as f64;
    let Some(b) = layer.bounds() else { return 1.0 };
    let (a, c) = (project(b.min()), project(b.max()));
    let area = (c.x - a.x) * (c.y - a.y);
    let tile = coord.size_m() * coord.size_m();
    let per_tile = if area > tile { n * tile / area } else { n };
    (opts.features_per_tile as f64 / per_tile).min(1.0)
}

fn is_point(f: &Feature) -> bool {
    matches!(f.geometry, Geometry::Point(_) | Geometry::MultiPoint(_))
}

/// Whether the feature's box is under `pixel` Web Mercator metres both
/// ways.
fn smaller_than(f: &Feature, pixel: f64) -> bool {
    let (a, b) = (project(f.bbox.min()), project(f.bbox.max()));
    (b.x - a.x) < pixel && (b.y - a.y) < pixel
}

/// The tile's buffered bounds in longitude/latitude, for the R-tree.
fn buffered_lonlat(coord: TileCoord, opts: &TileOptions) -> Rect<f64> {
    let b = coord.bounds_mercator();
    let pad = coord.size_m() * f64::from(opts.buffer) / f64::from(opts.extent);
    let min = unproject(Coord {
        x: b.min().x - pad,
        y: b.min().y - pad,
    });
    let max = unproject(Coord {
        x: b.max().x + pad,
        y: b.max().y + pad,
    });
    Rect::new(min, max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A rank scaled to an integer loses nothing and keeps the order,
        /// so sorting the integers sorts the ranks.
        #[test]
        fn scaled_ranks_are_exact_and_in_order(a in any::<u64>(), b in any::<u64>()) {
            let (ra, rb) = (crate::catalog::rank(a), crate::catalog::rank(b));
            let (ka, kb) = ((ra * RANK_SCALE) as u64, (rb * RANK_SCALE) as u64);
            prop_assert_eq!(ka as f64 / RANK_SCALE, ra);
            prop_assert_eq!(ka.cmp(&kb), ra.total_cmp(&rb));
        }
    }
}
