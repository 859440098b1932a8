//! The one writer: every edit of every layer goes through
//! [`Writer::apply`], one at a time. An edit is checked (the layer takes
//! edits, the feature exists, `If-Match` holds, the new feature passes the
//! same checks as the layer's file), appended to the layer's journal and
//! made durable, and only then swapped into the served catalog; the
//! caller acknowledges it after that. `If-Match` is compared inside the
//! write, against the version the edit replaces, so of two planners
//! editing one project from the same version exactly one wins.

use super::compact;
use super::journal::{self, Journal, JournalError, Op, Record};
use crate::catalog::{etag_of, manifest_path, parse_feature, Catalog, Feature, Fnv64, Layer};
use crate::reload::LiveCatalog;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// The journal of a layer folds into its file past this size, unless the
/// manifest says otherwise (`compact_after_bytes`).
pub const DEFAULT_COMPACT_AFTER: u64 = 4 << 20;

/// What an edit changes.
#[derive(Debug, Clone)]
pub enum Change {
    /// Add this GeoJSON Feature.
    Create(Value),
    /// Replace feature `id` with this GeoJSON Feature.
    Replace {
        /// The feature's id.
        id: String,
        /// Its new version.
        feature: Value,
    },
    /// Change feature `id` by this JSON Merge Patch (RFC 7396) of its
    /// GeoJSON: members given are set, `null` removes one.
    Update {
        /// The feature's id.
        id: String,
        /// The patch.
        patch: Value,
    },
    /// Remove feature `id`.
    Delete {
        /// The feature's id.
        id: String,
    },
}

impl Change {
    fn op(&self) -> Op {
        match self {
            Change::Create(_) => Op::Create,
            Change::Replace { .. } => Op::Replace,
            Change::Update { .. } => Op::Update,
            Change::Delete { .. } => Op::Delete,
        }
    }
}

/// One edit as a client asks for it.
#[derive(Debug, Clone)]
pub struct Edit {
    /// The layer.
    pub layer: String,
    /// What to change.
    pub change: Change,
    /// The `If-Match` header, when sent: `*` or a list of ETags.
    pub if_match: Option<String>,
    /// The name of the key that asks for it.
    pub key: String,
}

/// An edit applied and durable.
#[derive(Debug, Clone)]
pub struct Applied {
    /// What it did.
    pub op: Op,
    /// The feature's id (assigned by the server for a create).
    pub id: String,
    /// The journal's number for it.
    pub seq: u64,
    /// The feature as it now stands; `None` after a delete.
    pub feature: Option<Value>,
    /// Its ETag; `None` after a delete.
    pub etag: Option<String>,
}

/// Why an edit was not applied. Nothing changed in any case.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// No layer by that id.
    #[error("no collection `{0}`")]
    NoLayer(String),
    /// The layer takes no edits.
    #[error("collection `{0}` takes no edits (layers.toml gives it no `[layers.edit]` table)")]
    ReadOnly(String),
    /// No feature by that id.
    #[error("collection `{layer}` has no feature `{id}`")]
    NotFound {
        /// The layer.
        layer: String,
        /// The id asked for.
        id: String,
    },
    /// `If-Match` names a version that is no longer the feature's.
    #[error("feature `{id}` has changed since the version you hold (If-Match {sent}); it is now version {etag}: read it again, merge your change and send it with the new ETag")]
    Stale {
        /// The feature.
        id: String,
        /// The `If-Match` sent.
        sent: String,
        /// The feature's ETag now.
        etag: String,
        /// The feature now.
        current: Box<Value>,
    },
    /// The layer wants `If-Match` and none was sent.
    #[error("collection `{0}` requires If-Match on every change: read the feature, and send its ETag in If-Match")]
    IfMatchRequired(String),
    /// The request's body is not a feature or a patch.
    #[error("{0}")]
    BadRequest(String),
    /// The new feature breaks the layer's rules.
    #[error("the feature is not valid for collection `{layer}`: {}", problems.join("; "))]
    Invalid {
        /// The layer.
        layer: String,
        /// Each problem, naming its field or part.
        problems: Vec<String>,
    },
    /// A create with an id that is taken.
    #[error("collection `{layer}` already has a feature `{id}`; PUT /collections/{layer}/items/{id} replaces it")]
    Exists {
        /// The layer.
        layer: String,
        /// The id.
        id: String,
    },
    /// The data was not loaded from a folder, so there is nowhere to
    /// keep edits.
    #[error("this server's data was not loaded from a folder, so it takes no edits")]
    NoFolder,
    /// The journal could not be written: the edit is not applied.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The data could not be read (compaction).
    #[error(transparent)]
    Load(#[from] crate::catalog::LoadError),
}

/// A layer's journal, open for appending, and its history's last record.
#[derive(Debug)]
pub(super) struct Open {
    pub(super) journal: Journal,
    pub(super) archived: u64,
}

/// The one writer of a served dataset's edits.
#[derive(Debug)]
pub struct Writer {
    live: Arc<LiveCatalog>,
    journals: Mutex<HashMap<String, Open>>,
}

impl Writer {
    /// The writer of `live`'s edits.
    pub fn new(live: Arc<LiveCatalog>) -> Writer {
        Writer {
            live,
            journals: Mutex::new(HashMap::new()),
        }
    }

    /// The data being edited.
    pub fn live(&self) -> &Arc<LiveCatalog> {
        &self.live
    }

    /// Applies `edit`: checked, journaled and durable, then served.
    pub fn apply(&self, edit: Edit) -> Result<Applied, EditError> {
        let root = self.live.dir().map(data_root).ok_or(EditError::NoFolder)?;
        let _writing = self.live.writing();
        let catalog = self.live.catalog();
        let layer = catalog
            .layer(&edit.layer)
            .ok_or_else(|| EditError::NoLayer(edit.layer.clone()))?;
        let meta = layer
            .meta
            .edit
            .clone()
            .ok_or_else(|| EditError::ReadOnly(edit.layer.clone()))?;
        let mut journals = self.journals.lock().unwrap_or_else(|p| p.into_inner());
        let open = match journals.entry(edit.layer.clone()) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(open_journal(&root.join(&layer.meta.file))?)
            }
        };
        let seq = open.journal.next_seq();
        let op = edit.change.op();
        let (id, current) = match &edit.change {
            Change::Create(_) => (None, None),
            Change::Replace { id, .. } | Change::Update { id, .. } | Change::Delete { id } => {
                let f = layer.feature(id).ok_or_else(|| EditError::NotFound {
                    layer: edit.layer.clone(),
                    id: id.clone(),
                })?;
                (Some(id.clone()), Some(f))
            }
        };
        let prev = current.map(Feature::to_geojson);
        let prev_etag = prev.as_ref().map(etag_of);
        if let (Some(current), Some(etag)) = (&prev, &prev_etag) {
            match &edit.if_match {
                Some(sent) if !if_match_holds(sent, etag) => {
                    return Err(EditError::Stale {
                        id: id.clone().unwrap_or_default(),
                        sent: sent.clone(),
                        etag: etag.clone(),
                        current: Box::new(current.clone()),
                    })
                }
                None if meta.require_if_match => {
                    return Err(EditError::IfMatchRequired(edit.layer.clone()))
                }
                _ => {}
            }
        }
        let id_key = layer
            .meta
            .id_property
            .clone()
            .unwrap_or_else(|| "id".into());
        let (id, new) = match edit.change {
            Change::Delete { id } => (id, None),
            Change::Create(body) => {
                let mut body = feature_object(body)?;
                let member = body.as_object_mut().and_then(|o| o.remove("id"));
                let asked = properties_mut(&mut body)?
                    .get(&id_key)
                    .and_then(id_text)
                    .or_else(|| member.as_ref().and_then(id_text));
                let id = match asked {
                    Some(asked) if meta.client_ids => {
                        if layer.feature(&asked).is_some() {
                            return Err(EditError::Exists {
                                layer: edit.layer.clone(),
                                id: asked,
                            });
                        }
                        asked
                    }
                    _ => fresh_id(layer, seq),
                };
                (id, Some(body))
            }
            Change::Replace { id, feature } => {
                let mut body = feature_object(feature)?;
                check_same_id(&mut body, &id_key, &id)?;
                (id, Some(body))
            }
            Change::Update { id, patch } => {
                if !patch.is_object() {
                    return Err(EditError::BadRequest(
                        "a merge patch must be a JSON object: members to set, `null` for those to remove".into(),
                    ));
                }
                let mut doc = prev.clone().unwrap_or(Value::Null);
                json_patch::merge(&mut doc, &patch);
                let mut body = feature_object(doc)?;
                check_same_id(&mut body, &id_key, &id)?;
                (id, Some(body))
            }
        };
        // The new version, checked as the file's features are.
        let new = match new {
            None => None,
            Some(mut body) => {
                let props = properties_mut(&mut body)?;
                props.insert(id_key.clone(), Value::String(id.clone()));
                if op != Op::Update {
                    provenance(props, &edit.key);
                }
                let feature =
                    parse_feature(&layer.meta, &body).map_err(|kinds| EditError::Invalid {
                        layer: edit.layer.clone(),
                        problems: kinds.iter().map(ToString::to_string).collect(),
                    })?;
                Some(feature)
            }
        };
        let canonical = new.as_ref().map(Feature::to_geojson);
        let record = Record {
            seq,
            time: crate::time::rfc3339_millis(SystemTime::now()),
            key: edit.key,
            op,
            id: id.clone(),
            prev: prev_etag,
            before: prev,
            feature: canonical.clone(),
        };
        open.journal.append(&record)?;
        // Durable: from here the edit stands, whatever happens next.
        let layer = layer.with_feature(&id, new);
        let version = next_version(&catalog, &record);
        self.live.replace_edited(catalog.with_layer(layer, version));
        let limit = meta.compact_after_bytes.unwrap_or(DEFAULT_COMPACT_AFTER);
        if open.journal.len() > limit {
            let layer = self.live.catalog();
            if let Some(layer) = layer.layer(&edit.layer) {
                match compact::fold(&root, layer, open) {
                    Ok(n) => tracing::info!(layer = edit.layer, records = n, "journal folded into the layer file"),
                    Err(e) => tracing::error!("folding the journal of `{}` failed; it goes on growing, nothing is lost: {e}", edit.layer),
                }
            }
        }
        Ok(Applied {
            op,
            id,
            seq,
            etag: canonical.as_ref().map(etag_of),
            feature: canonical,
        })
    }
}

/// The folder a dataset's files are in, given what `--data` named (the
/// folder or its manifest).
pub fn data_root(dir: &Path) -> PathBuf {
    manifest_path(dir)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Opens the journal of the layer file at `file` for the writer.
pub(super) fn open_journal(file: &Path) -> Result<Open, JournalError> {
    let path = journal::path_for(file);
    let contents = journal::read(&path)?;
    if contents.torn_bytes > 0 {
        tracing::warn!(
            bytes = contents.torn_bytes,
            "{}: a torn last record (an edit cut off mid-write, never acknowledged) is dropped",
            path.display()
        );
    }
    let archived = compact::last_archived(file)?;
    Ok(Open {
        journal: Journal::open(&path, &contents, archived)?,
        archived,
    })
}

/// Whether `If-Match: sent` holds for a feature whose ETag is `etag`
/// (RFC 9110: `*`, or a list of entity tags compared strongly, so a weak
/// tag never matches).
pub fn if_match_holds(sent: &str, etag: &str) -> bool {
    sent.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag == etag)
}

/// The body as a GeoJSON Feature object.
fn feature_object(body: Value) -> Result<Value, EditError> {
    match &body {
        Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("Feature") => Ok(body),
        Value::Object(o) => Err(EditError::BadRequest(format!(
            "the body must be a GeoJSON Feature: its `type` is {}, not \"Feature\"",
            o.get("type")
                .map_or("missing".to_string(), Value::to_string)
        ))),
        _ => Err(EditError::BadRequest(
            "the body must be a GeoJSON Feature object".into(),
        )),
    }
}

/// The feature's `properties`, made an object when absent or `null`.
fn properties_mut(body: &mut Value) -> Result<&mut Map<String, Value>, EditError> {
    let props = &mut body["properties"];
    if props.is_null() {
        *props = Value::Object(Map::new());
    }
    props
        .as_object_mut()
        .ok_or_else(|| EditError::BadRequest("the feature's `properties` must be an object".into()))
}

/// An id as text, when it is a non-empty string or a number.
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Refuses a body whose id (its `id` member or id property) is not the
/// URL's: a feature's id never changes.
fn check_same_id(body: &mut Value, id_key: &str, id: &str) -> Result<(), EditError> {
    let member = body.get("id").and_then(id_text);
    let property = properties_mut(body)?.get(id_key).and_then(id_text);
    for (what, given) in [("`id` member", member), ("id property", property)] {
        if let Some(given) = given.filter(|g| g != id) {
            return Err(EditError::BadRequest(format!(
                "the feature's {what} is \"{given}\", but the URL names \"{id}\": an id cannot change (create a new feature and delete this one)"
            )));
        }
    }
    if let Some(o) = body.as_object_mut() {
        o.remove("id");
    }
    Ok(())
}

/// Says where a feature came from when the client did not.
fn provenance(props: &mut Map<String, Value>, key: &str) {
    props
        .entry("source")
        .or_insert_with(|| Value::String(format!("entered through the edit API with key `{key}`")));
    props
        .entry("accuracy")
        .or_insert_with(|| Value::String("as entered".into()));
}

/// An id for a new feature of `layer`: the layer's id and the edit's
/// number, made unique if a feature has it already.
fn fresh_id(layer: &Layer, seq: u64) -> String {
    let base = format!("{}-{seq}", layer.id());
    let mut id = base.clone();
    let mut n = 1;
    while layer.feature(&id).is_some() {
        n += 1;
        id = format!("{base}-{n}");
    }
    id
}

/// The version of the catalog after `record`: the old one and the record
/// hashed together.
fn next_version(catalog: &Catalog, record: &Record) -> String {
    let mut h = Fnv64::new();
    h.write(catalog.version().as_bytes());
    h.write(&record.to_line());
    format!("{:016x}", h.finish())
}
