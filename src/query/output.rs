//! Answers written out: a table for people, CSV for spreadsheets, GeoJSON
//! for maps and GIS. The same columns in each, chosen by what the answer
//! holds; numbers rounded to what the data can support (a square metre,
//! a decimetre).

use super::{Hit, Overlap};
use crate::catalog::{KeyFinder, PropValue};
use serde_json::{json, Map, Value};

/// A column of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// The layer id.
    Layer,
    /// The feature id.
    Id,
    /// `name_zh`.
    NameZh,
    /// `name_en`.
    NameEn,
    /// `inside`, `partly`, `touches`.
    Relation,
    /// Overlap area, hectares.
    OverlapHa,
    /// Overlap length, metres.
    OverlapM,
    /// Share of the feature inside, 0 to 1.
    OverlapFraction,
    /// Geodesic distance, metres.
    DistanceM,
}

impl Column {
    /// The column's header, also its GeoJSON property name.
    pub fn name(self) -> &'static str {
        match self {
            Column::Layer => "layer",
            Column::Id => "id",
            Column::NameZh => "name_zh",
            Column::NameEn => "name_en",
            Column::Relation => "relation",
            Column::OverlapHa => "overlap_ha",
            Column::OverlapM => "overlap_m",
            Column::OverlapFraction => "overlap_fraction",
            Column::DistanceM => "distance_m",
        }
    }

    fn value(self, hit: &Hit) -> Option<Value> {
        Some(match self.cell(hit)? {
            Cell::Text(t) => json!(t),
            Cell::Number(n) => json!(n),
        })
    }

    /// The hit's value in this column, borrowed where it is text.
    fn cell<'a>(self, hit: &Hit<'a>) -> Option<Cell<'a>> {
        let area = match hit.overlap {
            Some(Overlap::Area { ha, fraction }) => Some((ha, fraction)),
            _ => None,
        };
        let length = match hit.overlap {
            Some(Overlap::Length { m, fraction }) => Some((m, fraction)),
            _ => None,
        };
        match self {
            Column::Layer => Some(Cell::Text(hit.layer.id())),
            Column::Id => Some(Cell::Text(&hit.feature.id)),
            Column::NameZh => Some(Cell::Text(hit.feature.name_zh())),
            Column::NameEn => Some(Cell::Text(hit.feature.name_en())),
            Column::Relation => hit.relation.map(|r| Cell::Text(r.as_str())),
            Column::OverlapHa => area.map(|(ha, _)| Cell::Number(round(ha, 4))),
            Column::OverlapM => length.map(|(m, _)| Cell::Number(round(m, 1))),
            Column::OverlapFraction => area
                .map(|a| a.1)
                .or(length.map(|l| l.1))
                .map(|f| Cell::Number(round(f, 4))),
            Column::DistanceM => hit.distance_m.map(|d| Cell::Number(round(d, 1))),
        }
    }
}

/// One cell of an answer.
enum Cell<'a> {
    Text(&'a str),
    Number(f64),
}

/// The columns an answer needs: always layer, id and names; the measures
/// that at least one hit has.
pub fn columns(hits: &[Hit]) -> Vec<Column> {
    let mut cols = vec![Column::Layer, Column::Id, Column::NameZh, Column::NameEn];
    let optional = [
        Column::Relation,
        Column::OverlapHa,
        Column::OverlapM,
        Column::OverlapFraction,
        Column::DistanceM,
    ];
    for c in optional {
        if hits.iter().any(|h| c.cell(h).is_some()) {
            cols.push(c);
        }
    }
    cols
}

/// Rounds to `places` decimals.
fn round(x: f64, places: i32) -> f64 {
    let k = 10f64.powi(places);
    (x * k).round() / k
}

fn cell(v: Option<Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s,
        Some(other) => other.to_string(),
    }
}

/// A plain-text table, columns aligned (CJK characters count double).
pub fn table(hits: &[Hit]) -> String {
    let cols = columns(hits);
    let rows: Vec<Vec<String>> = hits
        .iter()
        .map(|h| cols.iter().map(|c| cell(c.value(h))).collect())
        .collect();
    let mut widths: Vec<usize> = cols.iter().map(|c| c.name().len()).collect();
    for row in &rows {
        for (w, s) in widths.iter_mut().zip(row) {
            *w = (*w).max(display_width(s));
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(s, w)| format!("{s}{}", " ".repeat(w - display_width(s))))
            .collect();
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(cols.iter().map(|c| c.name()).collect());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
    let n = hits.len();
    out.push_str(&format!("({n} feature{})\n", if n == 1 { "" } else { "s" }));
    out
}

/// Terminal columns a string takes: East Asian wide characters count two.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let u = c as u32;
            let wide = matches!(u,
                0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
                | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
                | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6);
            if wide {
                2
            } else {
                1
            }
        })
        .sum()
}

/// CSV (RFC 4180) with a header row, UTF-8. Written straight into one
/// string: a planner's answer can be thousands of rows.
///
/// The rows are written in the order the features lie in memory and only
/// then put in the answer's order: a layer keeps its features along a
/// curve through space ([`crate::catalog::Layer::new`]), while an answer
/// comes sorted by id; read in id order, nearly every row would wait on a
/// cache miss (most of a large answer's time, measured with perf).
pub fn csv(hits: &[Hit]) -> String {
    let mut out = String::new();
    csv_into(&mut out, hits);
    out
}

/// [`csv`], appended to `out` (after a byte-order mark, say).
pub fn csv_into(out: &mut String, hits: &[Hit]) {
    let cols = columns(hits);
    // Each hit's place in memory (counted in features from the lowest, as
    // one layer's features lie in one array), then its place in the answer.
    let address = |h: &Hit| std::ptr::from_ref(h.feature) as usize;
    let lowest = hits.iter().map(address).min().unwrap_or(0);
    let size = std::mem::size_of::<crate::catalog::Feature>().max(1);
    let hit_bits = crate::radix::bits(hits.len() as u64);
    let mut by_address: Vec<u64> = hits
        .iter()
        .enumerate()
        .map(|(i, h)| ((((address(h) - lowest) / size) as u64) << hit_bits) | i as u64)
        .collect();
    crate::radix::sort(&mut by_address);
    // Each hit's row as a span of `rows`, written in memory order.
    let mut rows = String::with_capacity(48 * hits.len());
    let mut spans = vec![(0, 0); hits.len()];
    let names = Names::new();
    for key in by_address {
        let i = key & ((1 << hit_bits) - 1);
        let start = rows.len();
        let row = Row {
            hit: &hits[i as usize],
            names: &names,
        };
        write_row(&mut rows, &cols, &row);
        spans[i as usize] = (start, rows.len());
    }
    out.reserve(rows.len() + 64);
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_csv_field(out, c.name());
    }
    out.push_str("\r\n");
    for &(start, end) in &spans {
        out.push_str(&rows[start..end]);
    }
}

/// Appends one hit's CSV row, with its line break. The fields are written
/// as they are, then the row is looked over once for a quote, a line break
/// or a comma in a field (more commas than the separators): only a row
/// with one is written again, each field quoted where it needs it. Nearly
/// every row of an answer needs no quotes, and one pass over the row costs
/// less than a look at each field (perf: the per-field look was a fifth of
/// a large answer's instructions).
fn write_row(out: &mut String, cols: &[Column], row: &Row) {
    let start = out.len();
    write_fields(out, cols, row, |out, t| out.push_str(t));
    if !is_plain_row(&out.as_bytes()[start..], cols.len().saturating_sub(1)) {
        out.truncate(start);
        write_fields(out, cols, row, push_csv_field);
    }
    out.push_str("\r\n");
}

/// The row's fields, comma-separated, each text written by `text`.
fn write_fields(out: &mut String, cols: &[Column], row: &Row, text: fn(&mut String, &str)) {
    let hit = row.hit;
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // The text columns straight from the hit, the names through the
        // answer's finders; the measures as `Column::cell` gives them.
        match c {
            Column::Layer => text(out, hit.layer.id()),
            Column::Id => text(out, &hit.feature.id),
            Column::NameZh => text(out, row.names.text(&row.names.zh, hit)),
            Column::NameEn => text(out, row.names.text(&row.names.en, hit)),
            _ => match c.cell(hit) {
                Some(Cell::Text(t)) => text(out, t),
                // As JSON writes it (1.0, not 1; serde_json formats floats
                // with zmij), so CSV and GeoJSON agree; a number JSON
                // cannot hold is left empty, as JSON's null.
                Some(Cell::Number(n)) if n.is_finite() => {
                    out.push_str(zmij::Buffer::new().format_finite(n));
                }
                Some(Cell::Number(_)) | None => {}
            },
        }
    }
}

/// One hit, with the answer's name finders.
struct Row<'r, 'a> {
    hit: &'r Hit<'a>,
    names: &'r Names,
}

/// The name columns' finders, for one answer: as
/// [`crate::catalog::Feature::name_zh`] and `name_en`, each key found once
/// per key list rather than among each feature's keys.
struct Names {
    zh: KeyFinder<'static>,
    en: KeyFinder<'static>,
}

impl Names {
    fn new() -> Names {
        Names {
            zh: KeyFinder::new("name_zh"),
            en: KeyFinder::new("name_en"),
        }
    }

    /// The name `finder` finds, or the id when there is none.
    fn text<'a>(&self, finder: &KeyFinder, hit: &Hit<'a>) -> &'a str {
        let feature = hit.feature;
        finder
            .get(&feature.properties)
            .and_then(PropValue::as_str)
            .unwrap_or(&feature.id)
    }
}

/// Whether a row written without quoting is valid CSV as it stands: no
/// quote or line break, and exactly `separators` commas.
fn is_plain_row(bytes: &[u8], separators: usize) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const LOWS: u64 = u64::from_ne_bytes([0x7f; 8]);
    // 0x80 in each zero byte of `w` and nothing else (exact, for counting).
    let zeros = |w: u64| !(((w & LOWS).wrapping_add(LOWS)) | w | LOWS);
    let mut commas = 0;
    let mut special = 0;
    let mut word = |w: u64| {
        commas += zeros(w ^ (ONES * u64::from(b','))).count_ones() as usize;
        special |= zeros(w ^ (ONES * u64::from(b'"')))
            | zeros(w ^ (ONES * u64::from(b'\n')))
            | zeros(w ^ (ONES * u64::from(b'\r')));
    };
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        word(u64::from_ne_bytes(b));
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        // Padded with a byte that is none of the four.
        let mut b = [b' '; 8];
        b[..rest.len()].copy_from_slice(rest);
        word(u64::from_ne_bytes(b));
    }
    special == 0 && commas == separators
}

/// Appends one CSV field, quoted when it holds a comma, a quote or a line
/// break.
pub fn push_csv_field(out: &mut String, s: &str) {
    if needs_quotes(s.as_bytes()) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// Whether a field holds a comma, a quote or a line break. Eight bytes at
/// a time: a planner's answer is thousands of short fields, and the byte
/// by byte test was a third of writing it (perf).
fn needs_quotes(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Whether any byte of `w` is zero (the classic test: exact, since a
    // borrow only runs past a zero byte).
    let has_zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGHS != 0;
    let special = |w: u64| {
        has_zero(w ^ (ONES * u64::from(b',')))
            || has_zero(w ^ (ONES * u64::from(b'"')))
            || has_zero(w ^ (ONES * u64::from(b'\n')))
            || has_zero(w ^ (ONES * u64::from(b'\r')))
    };
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        if special(u64::from_ne_bytes(b)) {
            return true;
        }
    }
    words
        .remainder()
        .iter()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
}

/// A GeoJSON FeatureCollection: each feature with its own properties, plus
/// `layer` and the answer's measures (`relation`, `overlap_ha`, …).
pub fn geojson(hits: &[Hit]) -> geojson::FeatureCollection {
    let cols = columns(hits);
    let features = hits
        .iter()
        .map(|h| {
            let mut props: Map<String, Value> = h.feature.properties.to_map();
            for c in &cols {
                if let Some(v) = c.value(h) {
                    props.insert(c.name().to_string(), v);
                }
            }
            geojson::Feature {
                bbox: None,
                geometry: Some(geojson::Geometry::new(geojson::GeometryValue::from(
                    &h.feature.geometry,
                ))),
                id: Some(geojson::feature::Id::String(h.feature.id.to_string())),
                properties: Some(props),
                foreign_members: None,
            }
        })
        .collect();
    geojson::FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Relation;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let field = |s: &str| {
            let mut out = String::new();
            push_csv_field(&mut out, s);
            out
        };
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    proptest::proptest! {
        /// The word-at-a-time test agrees with a byte-at-a-time one on
        /// text of any length, with the four characters anywhere.
        #[test]
        fn quoting_is_decided_as_byte_by_byte(
            base in "[a-z0-9 密\u{80}-\u{ff}]{0,40}",
            special in proptest::option::of(proptest::sample::select(vec![',', '"', '\n', '\r'])),
            at in proptest::prelude::any::<proptest::sample::Index>(),
        ) {
            let mut s = base.clone();
            if let Some(c) = special {
                let places: Vec<usize> = (0..=s.len()).filter(|&i| s.is_char_boundary(i)).collect();
                s.insert(places[at.index(places.len())], c);
            }
            let slow = s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'));
            proptest::prop_assert_eq!(slow, special.is_some());
            proptest::prop_assert_eq!(needs_quotes(s.as_bytes()), slow);
        }
    }

    /// Each hit's relation, overlap and distance.
    type Measures = Vec<(Relation, Option<Overlap>, Option<f64>)>;

    /// A layer of points with these ids and names, and hits on all of
    /// them: inside, with an area every other one, and a distance every
    /// third.
    fn answer(ids: &[(String, String)]) -> (crate::catalog::Layer, Measures) {
        let features = ids
            .iter()
            .enumerate()
            .map(|(i, (id, name))| {
                let mut props = Map::new();
                props.insert("name_zh".into(), json!(name));
                if i % 2 == 0 {
                    props.insert("name_en".into(), json!(format!("{name}, en")));
                }
                let at = geo::Point::new(116.0 + i as f64 * 1e-3, 40.0);
                crate::catalog::Feature::new("p", id.clone(), at.into(), props).unwrap()
            })
            .collect();
        let meta = toml::from_str(
            "id = \"p,q\"\ntitle = { zh = \"p\", en = \"p\" }\nfile = \"p.geojson\"\ngeometry = \"point\"",
        )
        .unwrap();
        let extras = (0..ids.len())
            .map(|i| {
                let area = (i % 2 == 0).then(|| Overlap::Area {
                    ha: i as f64 * 1.25,
                    fraction: 1.0 / (i as f64 + 1.0),
                });
                (
                    Relation::Inside,
                    area,
                    (i % 3 == 0).then_some(i as f64 * 10.0 + 0.5),
                )
            })
            .collect();
        (crate::catalog::Layer::new(meta, features), extras)
    }

    proptest::proptest! {
        /// Whatever the ids and names hold, an independent CSV reader reads
        /// back the fields the answer has, row for row.
        #[test]
        fn csv_reads_back_as_the_cells(
            texts in proptest::collection::vec(("[a-z0-9,\"\r\n 密]{1,12}", "[a-z,\" 密\n]{0,10}"), 1..40),
        ) {
            let mut seen = std::collections::HashSet::new();
            let ids: Vec<(String, String)> = texts
                .into_iter()
                .enumerate()
                .map(|(i, (id, name))| (format!("{id}#{i}"), name))
                .filter(|(id, _)| seen.insert(id.clone()))
                .collect();
            let (layer, extras) = answer(&ids);
            let hits: Vec<Hit> = layer
                .iter()
                .map(|f| {
                    let k = ids.iter().position(|(id, _)| *id == *f.id).unwrap();
                    let mut hit = Hit::new(&layer, f);
                    (hit.relation, hit.overlap, hit.distance_m) = (Some(extras[k].0), extras[k].1, extras[k].2);
                    hit
                })
                .collect();
            let text = csv(&hits);
            let mut reader = ::csv::ReaderBuilder::new().from_reader(text.as_bytes());
            let cols = columns(&hits);
            let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
            proptest::prop_assert_eq!(header, cols.iter().map(|c| c.name().to_string()).collect::<Vec<_>>());
            let mut rows = 0;
            for (record, hit) in reader.records().zip(&hits) {
                let record = record.unwrap();
                proptest::prop_assert_eq!(record.len(), cols.len());
                for (field, c) in record.iter().zip(&cols) {
                    match c.cell(hit) {
                        None => proptest::prop_assert_eq!(field, ""),
                        Some(Cell::Text(t)) => proptest::prop_assert_eq!(field, t),
                        Some(Cell::Number(n)) => proptest::prop_assert_eq!(field.parse::<f64>().unwrap(), n),
                    }
                }
                rows += 1;
            }
            proptest::prop_assert_eq!(rows, hits.len());
        }

        /// The row test agrees with counting byte by byte.
        #[test]
        fn plain_rows_are_told_as_byte_by_byte(row in "[a-z,\"\r\n 密]{0,40}", separators in 0usize..6) {
            let slow = !row.bytes().any(|b| matches!(b, b'"' | b'\n' | b'\r'))
                && row.bytes().filter(|&b| b == b',').count() == separators;
            proptest::prop_assert_eq!(is_plain_row(row.as_bytes(), separators), slow);
        }
    }

    #[test]
    fn chinese_is_double_width() {
        assert_eq!(display_width("密云"), 4);
        assert_eq!(display_width("zone-1"), 6);
    }

    #[test]
    fn rounding() {
        assert_eq!(round(1.23456, 2), 1.23);
        assert_eq!(round(0.00005, 4), 0.0001);
    }
}
