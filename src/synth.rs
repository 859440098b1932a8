//! Synthetic layers at any size, for benchmarks: points, small irregular
//! polygons and long lines spread over a box (the Miyun district's by
//! default), from a seed, so that the same arguments always write the same
//! bytes. Every feature says it is synthetic.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthSpec {
    /// Points, each with a few properties.
    pub points: usize,
    /// Irregular polygons of 50 to 800 m across.
    pub polygons: usize,
    /// Lines of 50 vertices.
    pub lines: usize,
    /// The box they are spread over: west, south, east, north.
    pub bbox: [f64; 4],
    /// The generator's seed.
    pub seed: u64,
}

/// The Miyun district's bounding box, roughly.
pub const MIYUN_BBOX: [f64; 4] = [116.65, 40.22, 117.52, 40.78];

impl Default for SynthSpec {
    fn default() -> Self {
        SynthSpec {
            points: 1_000,
            polygons: 100,
            lines: 20,
            bbox: MIYUN_BBOX,
            seed: 1,
        }
    }
}

/// SplitMix64: small, fast, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// Metres per degree of latitude, and of longitude at `lat`.
fn metres_per_degree(lat: f64) -> (f64, f64) {
    (111_320.0, 111_320.0 * lat.to_radians().cos())
}

const CATEGORIES: [&str; 5] = ["ecology", "economy", "society", "culture", "politics"];
const STATUSES: [&str; 4] = ["planned", "under_construction", "completed", "existing"];

/// Writes `layers.toml` and the layers into `out` (created if missing):
/// `points`, `polygons` and `lines`, plus `district` and `reservoir`
/// copied from `base` when it has them. Returns the bytes written.
pub fn write(spec: &SynthSpec, base: Option<&Path>, out: &Path) -> io::Result<u64> {
    fs::create_dir_all(out)?;
    let mut rng = Rng(spec.seed);
    let mut bytes = 0;
    let mut manifest = String::from(
        "# Synthetic layers written by `shanshui synth`, for benchmarks; not real data.\n\n\
         [dataset]\nid = \"synthetic\"\n\
         title = { zh = \"合成数据\", en = \"Synthetic layers\" }\n\
         attribution = \"shanshui (synthetic)\"\n",
    );
    for id in ["district", "reservoir"] {
        let Some(from) = base.map(|b| b.join(format!("{id}.geojson"))) else {
            continue;
        };
        if from.is_file() {
            bytes += fs::copy(&from, out.join(format!("{id}.geojson")))?;
            layer_entry(
                &mut manifest,
                id,
                "polygon",
                0,
                14,
                "copied from the bundled data",
            );
            manifest.push_str("thin = \"never\"\n");
        }
    }
    bytes += write_layer(out, "points", spec.points, &mut rng, |rng, i, w| {
        let (x, y) = spot(rng, &spec.bbox);
        write!(
            w,
            r#"{{"type":"Feature","properties":{{"id":"pt-{i}","name":"point {i}","category":"{}","value":{}{}}},"geometry":{{"type":"Point","coordinates":[{x:.6},{y:.6}]}}}}"#,
            rng.pick(&CATEGORIES),
            rng.next() % 1000,
            PROVENANCE,
        )
    })?;
    layer_entry(&mut manifest, "points", "point", 8, 14, "synthetic points");
    // The points take edits (`benches/edits.py` makes a key and edits
    // them through the API).
    manifest.push_str("\n[layers.edit]\n");
    bytes += write_layer(out, "polygons", spec.polygons, &mut rng, |rng, i, w| {
        let (cx, cy) = spot(rng, &spec.bbox);
        let (my, mx) = metres_per_degree(cy);
        // A star-shaped ring: vertices at increasing angles, radii up to
        // 400 m (so 50-800 m across), which never crosses itself.
        let n = 6 + (rng.next() % 7) as usize;
        let radius = rng.range(45.0, 400.0);
        let mut ring = String::new();
        let mut first = String::new();
        for k in 0..n {
            let a = std::f64::consts::TAU * (k as f64 + rng.range(0.0, 0.8)) / n as f64;
            let r = radius * rng.range(0.7, 1.0);
            let p = format!(
                "[{:.6},{:.6}]",
                cx + r * a.cos() / mx,
                cy + r * a.sin() / my
            );
            if k == 0 {
                first = p.clone();
            }
            ring.push_str(&p);
            ring.push(',');
        }
        ring.push_str(&first);
        write!(
            w,
            r#"{{"type":"Feature","properties":{{"id":"pg-{i}","name":"polygon {i}","status":"{}"{}}},"geometry":{{"type":"Polygon","coordinates":[[{ring}]]}}}}"#,
            rng.pick(&STATUSES),
            PROVENANCE,
        )
    })?;
    layer_entry(
        &mut manifest,
        "polygons",
        "polygon",
        8,
        14,
        "synthetic polygons",
    );
    bytes += write_layer(out, "lines", spec.lines, &mut rng, |rng, i, w| {
        // A wandering line of 50 vertices, 50-150 m apart.
        let (mut x, mut y) = spot(rng, &spec.bbox);
        let mut heading = rng.range(0.0, std::f64::consts::TAU);
        let mut coords = String::new();
        for k in 0..50 {
            if k > 0 {
                coords.push(',');
            }
            let _ = write!(coords, "[{x:.6},{y:.6}]");
            let (my, mx) = metres_per_degree(y);
            heading += rng.range(-0.5, 0.5);
            let step = rng.range(50.0, 150.0);
            x += step * heading.cos() / mx;
            y += step * heading.sin() / my;
        }
        write!(
            w,
            r#"{{"type":"Feature","properties":{{"id":"ln-{i}","name":"line {i}"{}}},"geometry":{{"type":"LineString","coordinates":[{coords}]}}}}"#,
            PROVENANCE,
        )
    })?;
    layer_entry(&mut manifest, "lines", "line", 8, 14, "synthetic lines");
    fs::write(out.join("layers.toml"), &manifest)?;
    Ok(bytes + manifest.len() as u64)
}

/// Every synthetic feature's provenance properties.
const PROVENANCE: &str =
    r#","source":"synthetic","accuracy":"illustrative","note":"shanshui synth: benchmark data""#;

fn spot(rng: &mut Rng, b: &[f64; 4]) -> (f64, f64) {
    (rng.range(b[0], b[2]), rng.range(b[1], b[3]))
}

fn layer_entry(manifest: &mut String, id: &str, kind: &str, minzoom: u8, maxzoom: u8, what: &str) {
    let _ = write!(
        manifest,
        "\n[[layers]]\nid = \"{id}\"\ntitle = {{ zh = \"{id}\", en = \"{id}\" }}\n\
         description = \"{what}\"\nfile = \"{id}.geojson\"\ngeometry = \"{kind}\"\n\
         id_property = \"id\"\nminzoom = {minzoom}\nmaxzoom = {maxzoom}\n\
         attribution = \"shanshui (synthetic)\"\n"
    );
}

/// Writes one FeatureCollection of `n` features, one per line.
fn write_layer(
    out: &Path,
    id: &str,
    n: usize,
    rng: &mut Rng,
    mut feature: impl FnMut(&mut Rng, usize, &mut BufWriter<fs::File>) -> io::Result<()>,
) -> io::Result<u64> {
    let path = out.join(format!("{id}.geojson"));
    let mut w = BufWriter::new(fs::File::create(&path)?);
    w.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
    for i in 0..n {
        if i > 0 {
            w.write_all(b",\n")?;
        }
        feature(rng, i, &mut w)?;
    }
    w.write_all(b"\n]}\n")?;
    w.flush()?;
    Ok(fs::metadata(&path)?.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalog;

    #[test]
    fn the_same_seed_writes_the_same_bytes_and_the_layers_load() {
        let spec = SynthSpec {
            points: 300,
            polygons: 50,
            lines: 10,
            ..SynthSpec::default()
        };
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        write(&spec, None, a.path()).unwrap();
        write(&spec, None, b.path()).unwrap();
        for f in [
            "layers.toml",
            "points.geojson",
            "polygons.geojson",
            "lines.geojson",
        ] {
            let (x, y) = (
                fs::read(a.path().join(f)).unwrap(),
                fs::read(b.path().join(f)).unwrap(),
            );
            assert_eq!(x, y, "{f}");
        }
        let catalog = Catalog::load(a.path()).unwrap();
        let count = |id: &str| catalog.layer(id).unwrap().len();
        assert_eq!(
            (count("points"), count("polygons"), count("lines")),
            (300, 50, 10)
        );
        // Spread over the box, each saying it is synthetic.
        for layer in catalog.layers() {
            for f in layer.iter() {
                let b = spec.bbox;
                let c = f.bbox.center();
                assert!(
                    c.x > b[0] - 0.1 && c.x < b[2] + 0.1 && c.y > b[1] - 0.1 && c.y < b[3] + 0.1
                );
                assert_eq!(f.str_property("source"), Some("synthetic"));
            }
        }
        // Another seed, other bytes.
        let c = tempfile::tempdir().unwrap();
        write(&SynthSpec { seed: 2, ..spec }, None, c.path()).unwrap();
        assert_ne!(
            fs::read(a.path().join("points.geojson")).unwrap(),
            fs::read(c.path().join("points.geojson")).unwrap()
        );
    }

    #[test]
    fn polygons_are_50_to_800_metres_across() {
        let spec = SynthSpec {
            points: 0,
            polygons: 200,
            lines: 0,
            ..SynthSpec::default()
        };
        let dir = tempfile::tempdir().unwrap();
        write(&spec, None, dir.path()).unwrap();
        let catalog = Catalog::load(dir.path()).unwrap();
        for f in catalog.layer("polygons").unwrap().iter() {
            let (my, mx) = metres_per_degree(f.bbox.center().y);
            let across = (f.bbox.width() * mx).max(f.bbox.height() * my);
            assert!((50.0..=800.0).contains(&across), "{across} m");
        }
    }
}
