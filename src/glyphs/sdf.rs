//! The signed distance field of a glyph's coverage bitmap, as MapLibre's
//! TinySDF computes it for glyphs it draws itself: anti-aliased coverage
//! gives each edge pixel a sub-pixel offset, then an exact Euclidean
//! distance transform runs on the outside and on the inside.
//!
//! Distance transform: P. Felzenszwalb and D. Huttenlocher, *Distance
//! Transforms of Sampled Functions*, Theory of Computing 8 (2012),
//! <https://cs.brown.edu/people/pfelzens/dt/>.

/// "Infinitely far" (finite, so that differences stay numbers).
const FAR: f64 = 1e20;

/// The SDF bitmap of a `width` × `height` coverage bitmap (0 = empty, 255 =
/// covered), padded by `buffer` pixels on every side: one byte per pixel,
/// `255 - 255 * (d / radius + cutoff)` clamped to 0..=255, where `d` is the
/// signed distance to the glyph's edge (negative inside). The edge is at
/// `255 * (1 - cutoff)`.
///
/// ```
/// use shanshui::glyphs::signed_distance_field;
/// // One covered pixel: the centre is inside (above the edge value 191),
/// // the padding outside.
/// let sdf = signed_distance_field(&[255], 1, 1, 3, 8.0, 0.25);
/// assert_eq!(sdf.len(), 7 * 7);
/// assert!(sdf[3 * 7 + 3] > 191);
/// assert!(sdf[0] < 191);
/// ```
pub fn signed_distance_field(
    coverage: &[u8],
    width: usize,
    height: usize,
    buffer: usize,
    radius: f64,
    cutoff: f64,
) -> Vec<u8> {
    let w = width + 2 * buffer;
    let h = height + 2 * buffer;
    let mut outer = vec![FAR; w * h];
    let mut inner = vec![0.0; w * h];
    for y in 0..height {
        for x in 0..width {
            let a = f64::from(coverage.get(y * width + x).copied().unwrap_or(0)) / 255.0;
            let j = (y + buffer) * w + x + buffer;
            if a >= 1.0 {
                outer[j] = 0.0;
                inner[j] = FAR;
            } else if a > 0.0 {
                // A partly covered pixel: the edge passes `0.5 - a` from
                // its centre (positive: the centre is outside).
                let d = 0.5 - a;
                outer[j] = if d > 0.0 { d * d } else { 0.0 };
                inner[j] = if d < 0.0 { d * d } else { 0.0 };
            }
        }
    }
    edt(&mut outer, w, h);
    edt(&mut inner, w, h);
    outer
        .iter()
        .zip(&inner)
        .map(|(o, i)| {
            let d = o.sqrt() - i.sqrt();
            (255.0 - 255.0 * (d / radius + cutoff))
                .round()
                .clamp(0.0, 255.0) as u8
        })
        .collect()
}

/// Squared Euclidean distance transform of a `w` × `h` grid in place:
/// columns, then rows.
fn edt(grid: &mut [f64], w: usize, h: usize) {
    let n = w.max(h);
    let mut f = vec![0.0; n];
    let mut v = vec![0usize; n];
    let mut z = vec![0.0; n + 1];
    for x in 0..w {
        edt_1d(grid, x, w, h, &mut f, &mut v, &mut z);
    }
    for y in 0..h {
        edt_1d(grid, y * w, 1, w, &mut f, &mut v, &mut z);
    }
}

/// The 1-D transform along `length` cells from `offset`, `stride` apart:
/// the lower envelope of the parabolas rooted at each cell.
fn edt_1d(
    grid: &mut [f64],
    offset: usize,
    stride: usize,
    length: usize,
    f: &mut [f64],
    v: &mut [usize],
    z: &mut [f64],
) {
    for q in 0..length {
        f[q] = grid[offset + q * stride];
    }
    let mut k = 0usize;
    v[0] = 0;
    z[0] = -FAR;
    z[1] = FAR;
    for q in 1..length {
        let qf = q as f64;
        let mut s;
        loop {
            let r = v[k];
            let rf = r as f64;
            s = (f[q] - f[r] + qf * qf - rf * rf) / (qf - rf) / 2.0;
            if s <= z[k] && k > 0 {
                k -= 1;
            } else {
                break;
            }
        }
        if s <= z[k] {
            // Only reached with k == 0: the new parabola hides the first.
            v[0] = q;
            z[0] = -FAR;
            z[1] = FAR;
            continue;
        }
        k += 1;
        v[k] = q;
        z[k] = s;
        z[k + 1] = FAR;
    }
    k = 0;
    for q in 0..length {
        while z[k + 1] < q as f64 {
            k += 1;
        }
        let r = v[k];
        let d = q as f64 - r as f64;
        grid[offset + q * stride] = f[r] + d * d;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force: the squared distance to the nearest zero cell.
    fn brute(grid: &[f64], w: usize, h: usize) -> Vec<f64> {
        let mut out = vec![FAR; w * h];
        for y in 0..h {
            for x in 0..w {
                for yy in 0..h {
                    for xx in 0..w {
                        if grid[yy * w + xx] == 0.0 {
                            let d = (x as f64 - xx as f64).powi(2) + (y as f64 - yy as f64).powi(2);
                            out[y * w + x] = out[y * w + x].min(d);
                        }
                    }
                }
            }
        }
        out
    }

    #[test]
    fn distance_transform_matches_brute_force() {
        let (w, h) = (13, 9);
        // A deterministic scatter of seeds.
        let mut grid = vec![FAR; w * h];
        for i in [0, 17, 40, 41, 64, 90, 116] {
            grid[i] = 0.0;
        }
        let want = brute(&grid, w, h);
        edt(&mut grid, w, h);
        assert_eq!(grid, want);
    }

    #[test]
    fn a_filled_square_is_inside_at_its_centre_and_outside_far_away() {
        let cov = vec![255u8; 10 * 10];
        let sdf = signed_distance_field(&cov, 10, 10, 3, 8.0, 0.25);
        let w = 16;
        assert_eq!(sdf.len(), w * w);
        let centre = sdf[8 * w + 8];
        let corner = sdf[0];
        assert!(centre > 191 && centre > corner, "{centre} {corner}");
        // Symmetric: the field of a square is the same under a mirror.
        for y in 0..w {
            for x in 0..w {
                assert_eq!(sdf[y * w + x], sdf[y * w + (w - 1 - x)]);
            }
        }
    }
}
