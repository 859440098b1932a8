//! Rendering one tile from the catalog: for each layer shown at the zoom,
//! search the buffered tile in the R-tree, then clip, simplify, snap and
//! encode each feature.

use super::clip::{clip, to_tile_space};
use super::encode::{encode, EncodeFeature};
use super::snap::snap;
use super::{TileCoord, TileError};
use crate::catalog::{Catalog, Layer};
use crate::mercator::unproject;
use geo::{Coord, Rect};

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
}

impl Default for TileOptions {
    fn default() -> Self {
        TileOptions {
            extent: 4096,
            buffer: 64,
            tolerance: 2.0,
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
    let mut encoded = Vec::new();
    for layer in selected {
        if coord.z < layer.meta.minzoom {
            continue;
        }
        let tolerance = if coord.z <= layer.meta.maxzoom {
            opts.tolerance
        } else {
            0.0
        };
        let mut candidates: Vec<usize> = layer.index.intersecting(window).collect();
        candidates.sort_unstable();
        let mut features: Vec<EncodeFeature> = Vec::with_capacity(candidates.len());
        for i in candidates {
            crate::limits::check()?;
            let f = &layer.features[i];
            let local = to_tile_space(&f.mercator, coord, opts.extent);
            let Some(geometry) = clip(local, lo, hi).and_then(|c| snap(&c, tolerance)) else {
                continue;
            };
            features.push(EncodeFeature {
                id: f.fid,
                geometry,
                properties: &f.properties,
            });
        }
        encoded.push((layer.id(), features));
    }
    let counts = encoded
        .iter()
        .filter(|(_, f)| !f.is_empty())
        .map(|(name, f)| (name.to_string(), f.len()))
        .collect();
    let bytes = encode(&encoded, opts.extent).map_err(|e| TileError::Encode(e.to_string()))?;
    Ok(Tile { bytes, counts })
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
