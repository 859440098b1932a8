//! What the journals remember: a feature's versions, and a layer as it
//! stood at a past moment (`as-of`).
//!
//! A layer's edits are its history file's records (folded out of the
//! journal by [`super::compact`]) followed by its journal's. Each record
//! holds the feature before and after the edit, so a version's changes
//! are a comparison of the two, and the layer at a past moment is the
//! layer now with every later edit undone, newest first: the cost grows
//! with the edits made since that moment, not with the layer.

use super::compact::history_path;
use super::journal::{self, JournalError, Op, Record};
use crate::catalog::{etag_of, parse_feature, Catalog, Feature, Layer};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::time::SystemTime;

/// Every edit of the layer whose file is `layer_file`, oldest first.
///
/// The journal is read before the history: folding appends the journal's
/// records to the history before it empties the journal, so whenever a
/// fold happens between the two reads, every record is in one or the
/// other.
pub fn records(layer_file: &Path) -> Result<Vec<Record>, JournalError> {
    let journal = journal::read(&journal::path_for(layer_file))?.records;
    let mut all = journal::read(&history_path(layer_file))?.records;
    let last = all.last().map_or(0, |r| r.seq);
    all.extend(journal.into_iter().filter(|r| r.seq > last));
    Ok(all)
}

/// The names of what differs between two versions of a feature: each
/// property added, changed or removed, and `geometry` when it moved.
pub fn changes(before: Option<&Value>, after: Option<&Value>) -> Vec<String> {
    let props = |v: Option<&Value>| {
        v.and_then(|v| v.get("properties"))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (a, b) = (props(before), props(after));
    let mut names: Vec<String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    let geometry = |v: Option<&Value>| v.and_then(|v| v.get("geometry")).cloned();
    if geometry(before) != geometry(after) {
        names.insert(0, "geometry".into());
    }
    names
}

/// One version of a feature, as the history endpoint lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Version {
    /// The edit's number; none for the version the layer file held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// When it was made; none for the version the layer file held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// The key that made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// What the edit did (`loaded` for the file's version).
    pub op: String,
    /// What it changed: property names, and `geometry`.
    pub changed: Vec<String>,
    /// The feature's ETag after it; none after a delete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The feature after it; none after a delete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature: Option<Value>,
}

/// The versions of feature `id`, oldest first: the one the file held
/// before its first edit (when it was not created by one), then one per
/// edit.
pub fn versions(records: &[Record], id: &str) -> Vec<Version> {
    let mine: Vec<&Record> = records.iter().filter(|r| r.id == id).collect();
    let mut out = Vec::new();
    if let Some(first) = mine.first().filter(|r| r.op != Op::Create) {
        if let Some(before) = &first.before {
            out.push(Version {
                seq: None,
                time: None,
                key: None,
                op: "loaded".into(),
                changed: Vec::new(),
                etag: Some(etag_of(before)),
                feature: Some(before.clone()),
            });
        }
    }
    for r in mine {
        out.push(Version {
            seq: Some(r.seq),
            time: Some(r.time.clone()),
            key: Some(r.key.clone()),
            op: r.op.as_str().into(),
            changed: changes(r.before.as_ref(), r.feature.as_ref()),
            etag: r.feature.as_ref().map(etag_of),
            feature: r.feature.clone(),
        });
    }
    out
}

/// Why a past moment could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum AsOfError {
    /// A journal or history could not be read.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// A record's feature no longer passes the layer's checks (the
    /// manifest's rules changed since).
    #[error("edit {seq} of `{layer}` cannot be undone: {why}")]
    Record {
        /// The layer.
        layer: String,
        /// The record.
        seq: u64,
        /// What is wrong.
        why: String,
    },
}

/// `catalog` as it stood at `t`: every layer that takes edits with the
/// edits made after `t` undone, newest first; the others as they are.
/// `root` is the data's folder.
pub fn as_of(catalog: &Catalog, root: &Path, t: SystemTime) -> Result<Catalog, AsOfError> {
    let mut out: Option<Catalog> = None;
    for layer in catalog.layers() {
        let file = root.join(&layer.meta.file);
        if layer.meta.edit.is_none() && !journal::path_for(&file).exists() {
            continue;
        }
        let records = records(&file)?;
        let later: Vec<&Record> = records
            .iter()
            .filter(|r| r.instant().is_none_or(|at| at > t))
            .collect();
        if later.is_empty() {
            continue;
        }
        let undone = undo(layer, &later)?;
        let base = out.as_ref().unwrap_or(catalog);
        let version = format!("{}@{}", catalog.version(), crate::time::rfc3339_millis(t));
        out = Some(base.with_layer(undone, version));
    }
    Ok(out.unwrap_or_else(|| {
        catalog.with_version(format!(
            "{}@{}",
            catalog.version(),
            crate::time::rfc3339_millis(t)
        ))
    }))
}

/// `layer` with `later` (its edits after some moment, oldest first)
/// undone.
fn undo(layer: &Layer, later: &[&Record]) -> Result<Layer, AsOfError> {
    // id -> its version before the earliest of the later edits (None: it
    // did not exist).
    let mut before: HashMap<&str, Option<&Value>> = HashMap::new();
    for r in later {
        before.entry(r.id.as_str()).or_insert(r.before.as_ref());
    }
    let mut features: Vec<Feature> = Vec::with_capacity(layer.len());
    let mut placed: std::collections::HashSet<String> = std::collections::HashSet::new();
    let parse = |id: &str, v: &Value| {
        parse_feature(&layer.meta, v).map_err(|kinds| AsOfError::Record {
            layer: layer.id().to_string(),
            seq: later.iter().find(|r| r.id == id).map_or(0, |r| r.seq),
            why: kinds
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        })
    };
    for i in layer.in_file_order() {
        let f = &layer.features[i];
        match before.get(f.id.as_str()) {
            None => features.push(f.clone()),
            Some(old) => {
                placed.insert(f.id.to_string());
                if let Some(old) = old {
                    features.push(parse(&f.id, old)?);
                }
            }
        }
    }
    // Features deleted since: back, in the order of their deletions.
    for r in later {
        if placed.insert(r.id.clone()) {
            if let Some(Some(old)) = before.get(r.id.as_str()) {
                features.push(parse(&r.id, old)?);
            }
        }
    }
    Ok(Layer::new(layer.meta.clone(), features))
}
