//! The monthly report: what the plan's office asks of the ledger each
//! month, answered from the journal and the zones. For the layer and zones
//! the manifest's `[dataset.report]` names, and a calendar month (UTC):
//! the projects added, changed, moved, finished and removed in it, counted
//! by category, status, lead unit and zone (each zone, and outside all),
//! with the projects that moved into or out of the watched zone listed by
//! name.
//!
//! A project counts by how it stood at the month's end (a removed one, by
//! how it stood at its start): its state at the start is the one before
//! its first edit in the month, at the end the one after its last.

use super::history::{changes, records};
use super::journal::Record;
use super::writer::data_root;
use crate::catalog::{parse_feature, Catalog, Feature, LayerMeta, ReportMeta};
use crate::query::output::push_csv_field;
use crate::time::Month;
use geo::Intersects;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The manifest has no `[dataset.report]` and no layer was named.
    #[error("the manifest has no [dataset.report] table naming the layer to report on; add one (layer, zones, watch, finished)")]
    NotSetUp,
    /// A layer named is not in the data.
    #[error("no layer `{0}` in the data")]
    NoLayer(String),
    /// The journals could not be read.
    #[error(transparent)]
    Journal(#[from] super::journal::JournalError),
}

/// How many projects did what, in one group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// New in the month.
    pub added: usize,
    /// There at both ends of the month and different at the end.
    pub changed: usize,
    /// Of those, the ones whose geometry changed.
    pub moved: usize,
    /// Reached a finished status in the month.
    pub finished: usize,
    /// Gone by the month's end.
    pub removed: usize,
}

impl Counts {
    fn count(&mut self, p: &Project) {
        self.added += usize::from(p.added);
        self.changed += usize::from(p.changed);
        self.moved += usize::from(p.moved);
        self.finished += usize::from(p.finished);
        self.removed += usize::from(p.removed);
    }
}

/// One project the month's edits touched.
#[derive(Debug, Clone, Serialize)]
pub struct Project {
    /// Its id.
    pub id: String,
    /// Its name in Chinese.
    pub name_zh: String,
    /// Its name in English.
    pub name_en: String,
    /// Its category (at the month's end, or its start if removed).
    pub category: String,
    /// Its status at the month's start (empty when new).
    pub status_before: String,
    /// Its status at the month's end (empty when removed).
    pub status: String,
    /// Its lead unit.
    pub lead_unit: String,
    /// New in the month.
    pub added: bool,
    /// Changed (there at both ends and different).
    pub changed: bool,
    /// Its geometry changed.
    pub moved: bool,
    /// Reached a finished status.
    pub finished: bool,
    /// Gone by the month's end.
    pub removed: bool,
    /// What changed between the month's start and end.
    pub fields: Vec<String>,
    /// The zones it lies in (by name), at the end (start if removed).
    pub zones: Vec<String>,
    /// Its edits in the month.
    pub edits: usize,
    /// The keys that made them.
    pub keys: Vec<String>,
    /// When the last was made.
    pub last_edit: String,
}

/// A zone's line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneCounts {
    /// `layer/id`.
    pub zone: String,
    /// Its name in Chinese.
    pub name_zh: String,
    /// Its name in English.
    pub name_en: String,
    /// The counts of the projects in it.
    pub counts: Counts,
}

/// The watched zone's moves.
#[derive(Debug, Clone, Serialize)]
pub struct Watched {
    /// `layer/id`.
    pub zone: String,
    /// Its name in Chinese.
    pub name_zh: String,
    /// Its name in English.
    pub name_en: String,
    /// Projects that moved into it: (id, name in Chinese, in English).
    pub moved_into: Vec<[String; 3]>,
    /// Projects that moved out of it.
    pub moved_out: Vec<[String; 3]>,
}

/// The month's report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The month, `YYYY-MM`.
    pub month: String,
    /// The layer reported on.
    pub layer: String,
    /// Edits made in the month.
    pub edits: usize,
    /// All projects touched.
    pub totals: Counts,
    /// By category.
    pub by_category: BTreeMap<String, Counts>,
    /// By status at the month's end.
    pub by_status: BTreeMap<String, Counts>,
    /// By lead unit.
    pub by_lead_unit: BTreeMap<String, Counts>,
    /// By zone, in the manifest's order.
    pub by_zone: Vec<ZoneCounts>,
    /// The projects in no zone.
    pub outside_all_zones: Counts,
    /// The watched zone's moves in and out.
    pub watched: Option<Watched>,
    /// Each project touched, by id.
    pub projects: Vec<Project>,
}

/// The report for `month` of the data at `dir`, served as `catalog`.
pub fn monthly(catalog: &Catalog, dir: &Path, month: Month) -> Result<Report, ReportError> {
    let setup = catalog
        .dataset
        .report
        .clone()
        .ok_or(ReportError::NotSetUp)?;
    let layer = catalog
        .layer(&setup.layer)
        .ok_or_else(|| ReportError::NoLayer(setup.layer.clone()))?;
    let all = records(&data_root(dir).join(&layer.meta.file))?;
    Ok(build(catalog, &setup, &layer.meta, &all, month))
}

/// The zones the report counts by: (`layer/id`, names, geometry).
fn zones<'c>(catalog: &'c Catalog, setup: &ReportMeta) -> Vec<(String, &'c Feature)> {
    setup
        .zones
        .iter()
        .filter_map(|l| catalog.layer(l))
        .flat_map(|l| {
            l.in_file_order()
                .map(move |i| (format!("{}/{}", l.id(), l.features[i].id), &l.features[i]))
        })
        .collect()
}

fn text(f: Option<&Value>, key: &str) -> String {
    match f.and_then(|f| f.get("properties")).and_then(|p| p.get(key)) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn build(
    catalog: &Catalog,
    setup: &ReportMeta,
    meta: &LayerMeta,
    all: &[Record],
    month: Month,
) -> Report {
    let (start, end) = month.span();
    let in_month: Vec<&Record> = all
        .iter()
        .filter(|r| r.instant().is_some_and(|t| t >= start && t < end))
        .collect();
    let zones = zones(catalog, setup);
    let geometry = |v: Option<&Value>| {
        v.and_then(|v| parse_feature(meta, v).ok())
            .map(|f| f.geometry)
    };
    // Per id, in order of first edit: (records).
    let mut order: Vec<&str> = Vec::new();
    let mut by_id: BTreeMap<&str, Vec<&Record>> = BTreeMap::new();
    for r in &in_month {
        by_id
            .entry(r.id.as_str())
            .or_insert_with(|| {
                order.push(r.id.as_str());
                Vec::new()
            })
            .push(r);
    }
    let finished_status = |s: &str| setup.finished.iter().any(|f| f == s);
    let mut report = Report {
        month: month.to_string(),
        layer: setup.layer.clone(),
        edits: in_month.len(),
        totals: Counts::default(),
        by_category: BTreeMap::new(),
        by_status: BTreeMap::new(),
        by_lead_unit: BTreeMap::new(),
        by_zone: zones
            .iter()
            .map(|(zone, f)| ZoneCounts {
                zone: zone.clone(),
                name_zh: f.name_zh().to_string(),
                name_en: f.name_en().to_string(),
                counts: Counts::default(),
            })
            .collect(),
        outside_all_zones: Counts::default(),
        watched: None,
        projects: Vec::new(),
    };
    let watched = setup
        .watch
        .as_ref()
        .and_then(|w| zones.iter().find(|(z, _)| z == w));
    let mut into = Vec::new();
    let mut out_of = Vec::new();
    let mut ids: Vec<&str> = by_id.keys().copied().collect();
    ids.sort_unstable();
    for id in ids {
        let recs = &by_id[id];
        let first = recs[0];
        let last = recs[recs.len() - 1];
        let (before, after) = (first.before.as_ref(), last.feature.as_ref());
        if before.is_none() && after.is_none() {
            continue; // made and removed within the month
        }
        let now = after.or(before);
        let fields = changes(before, after);
        let status_before = text(before, "status");
        let status = text(after, "status");
        let (g0, g1) = (geometry(before), geometry(after));
        let p_zones: Vec<usize> = match g1.as_ref().or(g0.as_ref()) {
            Some(g) => zones
                .iter()
                .enumerate()
                .filter(|(_, (_, z))| z.geometry.intersects(g))
                .map(|(i, _)| i)
                .collect(),
            None => Vec::new(),
        };
        let mut keys: Vec<String> = recs.iter().map(|r| r.key.clone()).collect();
        keys.sort();
        keys.dedup();
        let p = Project {
            id: id.to_string(),
            name_zh: text(now, "name_zh"),
            name_en: text(now, "name_en"),
            category: text(now, "category"),
            lead_unit: text(now, "lead_unit"),
            added: before.is_none(),
            removed: after.is_none(),
            changed: before.is_some() && after.is_some() && !fields.is_empty(),
            moved: before.is_some() && after.is_some() && fields.iter().any(|f| f == "geometry"),
            finished: after.is_some()
                && finished_status(&status)
                && !finished_status(&status_before),
            fields,
            zones: p_zones
                .iter()
                .map(|&i| zones[i].1.name_zh().to_string())
                .collect(),
            edits: recs.len(),
            keys,
            last_edit: last.time.clone(),
            status_before,
            status,
        };
        if let (Some((_, zone)), true) = (watched, p.moved) {
            let inside = |g: &Option<geo::Geometry<f64>>| {
                g.as_ref().is_some_and(|g| zone.geometry.intersects(g))
            };
            let entry = [p.id.clone(), p.name_zh.clone(), p.name_en.clone()];
            match (inside(&g0), inside(&g1)) {
                (false, true) => into.push(entry),
                (true, false) => out_of.push(entry),
                _ => {}
            }
        }
        report.totals.count(&p);
        let status_key = if p.removed {
            "(removed)".to_string()
        } else {
            p.status.clone()
        };
        report
            .by_category
            .entry(p.category.clone())
            .or_default()
            .count(&p);
        report.by_status.entry(status_key).or_default().count(&p);
        report
            .by_lead_unit
            .entry(p.lead_unit.clone())
            .or_default()
            .count(&p);
        if p_zones.is_empty() {
            report.outside_all_zones.count(&p);
        }
        for i in p_zones {
            report.by_zone[i].counts.count(&p);
        }
        report.projects.push(p);
    }
    report.watched = watched.map(|(zone, f)| Watched {
        zone: zone.clone(),
        name_zh: f.name_zh().to_string(),
        name_en: f.name_en().to_string(),
        moved_into: into,
        moved_out: out_of,
    });
    report
}

impl Report {
    /// The projects as CSV for a spreadsheet: a row each, a byte-order
    /// mark first so that the Chinese reads as UTF-8.
    pub fn csv(&self) -> String {
        let mut out = String::from("\u{feff}");
        out.push_str("month,id,name_zh,name_en,category,status_before,status,lead_unit,added,changed,moved,finished,removed,fields,zones,edits,keys,last_edit\r\n");
        let b = |v: bool| if v { "1" } else { "0" };
        for p in &self.projects {
            let row = [
                self.month.as_str(),
                &p.id,
                &p.name_zh,
                &p.name_en,
                &p.category,
                &p.status_before,
                &p.status,
                &p.lead_unit,
                b(p.added),
                b(p.changed),
                b(p.moved),
                b(p.finished),
                b(p.removed),
                &p.fields.join(" "),
                &p.zones.join("; "),
                &p.edits.to_string(),
                &p.keys.join(" "),
                &p.last_edit,
            ];
            for (k, field) in row.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                push_csv_field(&mut out, field);
            }
            out.push_str("\r\n");
        }
        out
    }

    /// The report as text for the terminal.
    pub fn text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let line = |c: &Counts| {
            format!(
                "{:>5} added {:>5} changed {:>5} moved {:>5} finished {:>5} removed",
                c.added, c.changed, c.moved, c.finished, c.removed
            )
        };
        let _ = writeln!(
            s,
            "{} in {}: {} edits, {} projects touched",
            self.layer,
            self.month,
            self.edits,
            self.projects.len()
        );
        let _ = writeln!(s, "  {:<28}{}", "all", line(&self.totals));
        for (title, groups) in [
            ("by category", &self.by_category),
            ("by status at the month's end", &self.by_status),
            ("by lead unit", &self.by_lead_unit),
        ] {
            let _ = writeln!(s, "{title}");
            for (k, c) in groups {
                let _ = writeln!(
                    s,
                    "  {:<28}{}",
                    if k.is_empty() { "(none)" } else { k },
                    line(c)
                );
            }
        }
        let _ = writeln!(s, "by zone");
        for z in &self.by_zone {
            let _ = writeln!(s, "  {:<28}{}", z.name_zh, line(&z.counts));
        }
        let _ = writeln!(
            s,
            "  {:<28}{}",
            "(outside all zones)",
            line(&self.outside_all_zones)
        );
        if let Some(w) = &self.watched {
            let _ = writeln!(s, "moved into {} ({})", w.name_zh, w.zone);
            for [id, zh, en] in &w.moved_into {
                let _ = writeln!(s, "  {id}  {zh}  {en}");
            }
            if w.moved_into.is_empty() {
                let _ = writeln!(s, "  none");
            }
            let _ = writeln!(s, "moved out of {} ({})", w.name_zh, w.zone);
            for [id, zh, en] in &w.moved_out {
                let _ = writeln!(s, "  {id}  {zh}  {en}");
            }
            if w.moved_out.is_empty() {
                let _ = writeln!(s, "  none");
            }
        }
        s
    }
}
