//! Folding a layer's journal back into its GeoJSON file, so that start-up
//! does not replay a journal that grows for ever.
//!
//! In this order, each step durable before the next:
//! 1. the journal's records are appended to the layer's history
//!    (`projects.geojson.history`, the same format), which the history
//!    endpoint, `as-of` and the monthly report read;
//! 2. the layer as it now stands is written to a temporary file beside
//!    the layer file, fsynced, renamed over the layer file, and the folder
//!    fsynced;
//! 3. the journal is emptied.
//!
//! A crash between any two steps loses nothing: replaying a journal over
//! a file that already holds its records gives the same layer (each record
//! holds its feature whole), and records already in the history are not
//! appended to it twice.

use super::journal::{self, JournalError, Record};
use super::writer::{EditError, Open};
use crate::catalog::{Catalog, Layer};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The history of the layer whose file is `layer_file`: the records
/// folded out of its journal.
pub fn history_path(layer_file: &Path) -> PathBuf {
    let mut name = layer_file.file_name().unwrap_or_default().to_os_string();
    name.push(".history");
    layer_file.with_file_name(name)
}

/// The number of the last record in the history of `layer_file` (0 when
/// there is none).
pub fn last_archived(layer_file: &Path) -> Result<u64, JournalError> {
    let contents = journal::read(&history_path(layer_file))?;
    Ok(contents.records.last().map_or(0, |r| r.seq))
}

/// Folds `open`'s journal into the file of `layer` (which holds every
/// record of it) under `root`. Returns how many records were folded.
pub(super) fn fold(root: &Path, layer: &Layer, open: &mut Open) -> Result<usize, JournalError> {
    let file = root.join(&layer.meta.file);
    let records = journal::read(open.journal.path())?.records;
    let archived = append_history(&file, &records, open.archived)?;
    write_layer_file(&file, layer).map_err(|source| JournalError::Io {
        path: file.clone(),
        source,
    })?;
    open.journal.clear()?;
    open.archived = archived;
    Ok(records.len())
}

/// Appends the `records` after `after` to the history of `file`, durably;
/// returns the last record's number then in it.
fn append_history(file: &Path, records: &[Record], after: u64) -> Result<u64, JournalError> {
    let path = history_path(file);
    let io = |source| JournalError::Io {
        path: path.clone(),
        source,
    };
    let fresh: Vec<&Record> = records.iter().filter(|r| r.seq > after).collect();
    let Some(last) = fresh.last().map(|r| r.seq) else {
        return Ok(after);
    };
    let existed = path.exists();
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(io)?;
    let bytes: Vec<u8> = fresh.iter().flat_map(|r| r.to_line()).collect();
    out.write_all(&bytes)
        .and_then(|()| out.sync_data())
        .map_err(io)?;
    if !existed {
        journal::sync_folder(&path).map_err(io)?;
    }
    Ok(last)
}

/// Writes `layer`'s features, in file order, over its file, durably
/// ([`journal::replace_durably`]).
pub fn write_layer_file(file: &Path, layer: &Layer) -> std::io::Result<()> {
    journal::replace_durably(file, &layer_geojson(layer))
}

/// A layer as a GeoJSON FeatureCollection, a feature a line, in file
/// order; the ids live in the id property, as the file had them.
fn layer_geojson(layer: &Layer) -> Vec<u8> {
    let mut out = b"{\"type\":\"FeatureCollection\",\"features\":[\n".to_vec();
    let n = layer.len();
    for (k, i) in layer.in_file_order().enumerate() {
        let mut f = layer.features[i].to_geojson();
        if layer.meta.id_property.is_some() {
            if let Some(o) = f.as_object_mut() {
                o.remove("id");
            }
        }
        // Serializing a JSON value into memory cannot fail.
        out.extend(serde_json::to_vec(&f).unwrap_or_default());
        out.extend_from_slice(if k + 1 < n { b",\n" } else { b"\n" });
    }
    out.extend_from_slice(b"]}\n");
    out
}

/// `shanshui compact`: folds every layer's journal in the dataset at
/// `dir` into its file. Refuses while a server holds a journal (it folds
/// its own, past their size limit). Returns (layer, records folded) for
/// each layer that had any.
pub fn compact_folder(dir: &Path) -> Result<Vec<(String, usize)>, EditError> {
    let root = super::writer::data_root(dir);
    // The journals locked first, then the data read: nothing can be
    // appended between the read and the fold.
    let mut open = Vec::new();
    for layer in Catalog::load(dir)?.layers() {
        let file = root.join(&layer.meta.file);
        if journal::path_for(&file).exists() {
            open.push((layer.id().to_string(), super::writer::open_journal(&file)?));
        }
    }
    let catalog = Catalog::load(dir)?;
    let mut done = Vec::new();
    for (id, open) in &mut open {
        match catalog.layer(id) {
            Some(layer) if !open.journal.is_empty() => {
                done.push((id.clone(), fold(&root, layer, open)?));
            }
            _ => {}
        }
    }
    Ok(done)
}
