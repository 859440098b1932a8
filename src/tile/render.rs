//! Rendering one tile from the catalog: for each layer shown at the zoom,
//! search the buffered tile in the R-tree, then clip, simplify, snap and
//! encode each feature.

use super::clip::{clip, to_tile_space};
use super::encode::{encode, EncodeFeature};
use super::snap::snap;
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
    /// maxzoom (beyond it, tiles are cut at full detail).
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
/// pixel (1/512 of the tile) are dropped. If a tile still passes
/// `budget_bytes`, those layers keep a smaller share of their features, by
/// the same rank, until it fits. The rule depends only on the id and the
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
        None => catalog.layers().iter().collect(),
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
    // Per layer: its features with their ranks, and whether it may thin.
    let mut layers: Vec<Thinned> = Vec::new();
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
        let mut candidates: Vec<usize> = layer.index.intersecting(window).collect();
        candidates.sort_unstable();
        let mut features = Vec::with_capacity(candidates.len());
        for i in candidates {
            crate::limits::check()?;
            let f = &layer.features[i];
            let r = f.rank;
            // Only a dense layer pays for the size test.
            let dropped = dense
                && if is_point(f) {
                    r >= keep
                } else {
                    smaller_than(f, pixel)
                };
            if dropped {
                continue;
            }
            let local = to_tile_space(&f.mercator, coord, opts.extent);
            let Some(geometry) = clip(local, lo, hi).and_then(|c| snap(&c, tolerance)) else {
                continue;
            };
            let properties = &f.properties;
            features.push((
                r,
                EncodeFeature {
                    id: f.fid,
                    geometry,
                    properties,
                },
            ));
        }
        layers.push(Thinned {
            name: layer.id(),
            features,
            thins,
        });
    }
    let mut bytes = encode_all(&layers, opts)?;
    // Over budget: the layers that may thin keep a smaller share, by rank.
    let mut share = 1.0;
    for _ in 0..12 {
        let can_thin = layers.iter().any(|l| l.thins && !l.features.is_empty());
        if bytes.len() <= opts.budget_bytes || !can_thin {
            break;
        }
        share *= (opts.budget_bytes as f64 / bytes.len() as f64 * 0.9).min(0.9);
        for l in layers.iter_mut().filter(|l| l.thins) {
            l.features.retain(|(r, _)| *r < share);
        }
        bytes = encode_all(&layers, opts)?;
    }
    let counts = layers
        .iter()
        .filter(|l| !l.features.is_empty())
        .map(|l| (l.name.to_string(), l.features.len()))
        .collect();
    Ok(Tile { bytes, counts })
}

/// One layer's part of a tile, each feature with its rank.
struct Thinned<'a> {
    name: &'a str,
    features: Vec<(f64, EncodeFeature<'a>)>,
    thins: bool,
}

fn encode_all(layers: &[Thinned], opts: &TileOptions) -> Result<Vec<u8>, TileError> {
    let borrowed: Vec<(&str, Vec<&EncodeFeature>)> = layers
        .iter()
        .map(|l| (l.name, l.features.iter().map(|(_, e)| e).collect()))
        .collect();
    encode(&borrowed, opts.extent).map_err(|e| TileError::Encode(e.to_string()))
}

/// The share of a layer's points a tile of this zoom keeps: all of them
/// unless an average tile would hold more than `features_per_tile`.
fn share_kept(layer: &Layer, coord: TileCoord, opts: &TileOptions) -> f64 {
    let n = layer.features.len() as f64;
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
