//! Live data: the catalog being served, replaced whole when its files
//! change.
//!
//! A new version is loaded and validated completely off to the side, then
//! swapped in with one pointer store: a request holds the `Arc` it started
//! with, so it answers wholly from one version, and tile cache keys carry
//! the version, so nothing cut from the old data answers for the new. A
//! version that fails to load is logged with the same located message
//! `shanshui check` prints and kept in [`ReloadStatus`]; the last good data
//! goes on serving.
//!
//! [`LiveCatalog::watch`] reloads when the manifest or a file it names
//! changes. Editors save in several steps (truncate, write, rename, write
//! the sidecar files QGIS leaves), so a reload waits until the folder has
//! been quiet for a settle time; a load that still catches a half-written
//! file fails, keeps the old data, and the write that completes the file
//! brings another reload.

use crate::catalog::{manifest_path, Catalog, LoadError};
use notify::{RecursiveMode, Watcher};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

/// How long the data folder must be quiet before a reload, by default.
pub const DEFAULT_SETTLE: Duration = Duration::from_millis(300);

/// The catalog being served, and where it came from.
#[derive(Debug)]
pub struct LiveCatalog {
    current: RwLock<Arc<Catalog>>,
    status: Mutex<ReloadStatus>,
    dir: Option<PathBuf>,
    /// Held by the one writer of edits and by a reload, so that a reload
    /// never swaps in a catalog read before an edit it does not hold.
    writing: Mutex<()>,
}

/// What a reload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reloaded {
    /// A new version is being served.
    Swapped,
    /// The files load to the version already served.
    Unchanged,
}

/// The served data's version and the history of reloads, for `/health`
/// and `/metrics`.
#[derive(Debug, Clone)]
pub struct ReloadStatus {
    /// The version being served.
    pub version: String,
    /// When it was loaded.
    pub loaded_at: SystemTime,
    /// New versions swapped in since start.
    pub reloads: u64,
    /// Reloads refused since start (the old data kept).
    pub failures: u64,
    /// The latest refused reload, if any: when, and the located message.
    pub last_error: Option<(SystemTime, String)>,
    /// Whether the latest reload attempt was refused (the files on disk
    /// are not what is served).
    pub failing: bool,
    /// Edits applied since start.
    pub edits: u64,
}

/// Why a reload could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The files failed to load or validate; the old data is kept.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The catalog was built in memory, with no folder to reload from.
    #[error("this catalog was not loaded from a data folder, so there is nothing to reload")]
    NoFolder,
    /// The folder could not be watched.
    #[error("cannot watch the data folder {path}: {source}")]
    Watch {
        /// The folder.
        path: PathBuf,
        /// The watcher's error.
        source: notify::Error,
    },
}

impl LiveCatalog {
    /// Serves `catalog`, which was loaded from `dir` (the folder with
    /// `layers.toml`, or the manifest itself), when it was.
    pub fn new(catalog: Catalog, dir: Option<PathBuf>) -> LiveCatalog {
        LiveCatalog {
            status: Mutex::new(ReloadStatus {
                version: catalog.version().to_string(),
                loaded_at: SystemTime::now(),
                reloads: 0,
                failures: 0,
                last_error: None,
                failing: false,
                edits: 0,
            }),
            current: RwLock::new(Arc::new(catalog)),
            dir,
            writing: Mutex::new(()),
        }
    }

    /// The catalog now. Hold the `Arc` for the whole of one answer.
    pub fn catalog(&self) -> Arc<Catalog> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The reload history.
    pub fn status(&self) -> ReloadStatus {
        match self.status.lock() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Serves `catalog` from now on (a reload).
    pub fn replace(&self, catalog: Catalog) {
        let version = self.store(catalog);
        self.update(|s| {
            s.version = version;
            s.loaded_at = SystemTime::now();
            s.reloads += 1;
            s.failing = false;
        });
    }

    /// Serves `catalog`, which holds one more edit, from now on. The
    /// caller holds [`LiveCatalog::writing`].
    pub fn replace_edited(&self, catalog: Catalog) {
        let version = self.store(catalog);
        self.update(|s| {
            s.version = version;
            s.edits += 1;
        });
    }

    fn store(&self, catalog: Catalog) -> String {
        let version = catalog.version().to_string();
        let new = Arc::new(catalog);
        match self.current.write() {
            Ok(mut guard) => *guard = new,
            Err(poisoned) => *poisoned.into_inner() = new,
        }
        version
    }

    /// The folder the data was loaded from, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The right to change the data: the one writer of edits holds it
    /// for each edit, and a reload for its load and swap.
    pub fn writing(&self) -> std::sync::MutexGuard<'_, ()> {
        match self.writing.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Loads the folder again and swaps the result in if it validates and
    /// differs from what is served; on failure keeps the old data, logs the
    /// problem and records it.
    pub fn reload(&self) -> Result<Reloaded, ReloadError> {
        let dir = self.dir.as_deref().ok_or(ReloadError::NoFolder)?;
        let _writing = self.writing();
        match Catalog::load(dir) {
            Ok(catalog) if catalog.version() == self.catalog().version() => {
                self.update(|s| s.failing = false);
                Ok(Reloaded::Unchanged)
            }
            Ok(catalog) => {
                let (layers, version) = (catalog.layers().len(), catalog.version().to_string());
                self.replace(catalog);
                tracing::info!(version, layers, "reloaded {}", dir.display());
                Ok(Reloaded::Swapped)
            }
            Err(e) => {
                tracing::error!(
                    "reload of {} refused, the last good data is still served:\n{e}",
                    dir.display()
                );
                let message = e.to_string();
                self.update(|s| {
                    s.failures += 1;
                    s.last_error = Some((SystemTime::now(), message));
                    s.failing = true;
                });
                Err(e.into())
            }
        }
    }

    fn update(&self, f: impl FnOnce(&mut ReloadStatus)) {
        match self.status.lock() {
            Ok(mut s) => f(&mut s),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// Watches the data folder and reloads once it has been quiet for
    /// `settle` after a change to the manifest or a file the served
    /// catalog's manifest names. Watching stops when the returned handle
    /// is dropped.
    pub fn watch(self: &Arc<Self>, settle: Duration) -> Result<WatchHandle, ReloadError> {
        let dir = self.dir.clone().ok_or(ReloadError::NoFolder)?;
        // Events name absolute paths: compare against absolute ones.
        let manifest = manifest_path(&dir);
        let manifest = manifest.canonicalize().unwrap_or(manifest);
        let folder = manifest.parent().unwrap_or(Path::new(".")).to_path_buf();
        let (tx, rx) = channel::<notify::Result<notify::Event>>();
        let mut watcher = notify::recommended_watcher(tx).map_err(|source| ReloadError::Watch {
            path: folder.clone(),
            source,
        })?;
        watcher
            .watch(&folder, RecursiveMode::Recursive)
            .map_err(|source| ReloadError::Watch {
                path: folder.clone(),
                source,
            })?;
        let live = Arc::downgrade(self);
        let watched = folder.clone();
        let thread = std::thread::Builder::new()
            .name("shanshui-reload".into())
            .spawn(move || {
                // Wait for a relevant change, then for quiet, then reload.
                while let Ok(event) = rx.recv() {
                    let Some(current) = live.upgrade() else {
                        return;
                    };
                    if !concerns_data(&event, &manifest, &folder, &current.catalog()) {
                        continue;
                    }
                    loop {
                        match rx.recv_timeout(settle) {
                            Ok(_) => continue,
                            Err(RecvTimeoutError::Timeout) => break,
                            Err(RecvTimeoutError::Disconnected) => return,
                        }
                    }
                    let _ = current.reload();
                }
            })
            .map_err(|e| ReloadError::Watch {
                path: watched,
                source: notify::Error::io(e),
            })?;
        Ok(WatchHandle {
            _watcher: watcher,
            _thread: thread,
        })
    }
}

/// Keeps the folder watched while it lives.
pub struct WatchHandle {
    _watcher: notify::RecommendedWatcher,
    _thread: std::thread::JoinHandle<()>,
}

impl std::fmt::Debug for WatchHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WatchHandle")
    }
}

/// Whether a watch event touches the manifest or a layer file it names
/// (an error from the watcher counts: better a needless reload than a
/// missed one).
fn concerns_data(
    event: &notify::Result<notify::Event>,
    manifest: &Path,
    folder: &Path,
    catalog: &Catalog,
) -> bool {
    let Ok(event) = event else { return true };
    if event.kind.is_access() {
        return false;
    }
    event.paths.iter().any(|p| {
        p == manifest
            || catalog
                .layers()
                .iter()
                .any(|l| *p == folder.join(&l.meta.file))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_dataset(dir: &Path, features: &str) {
        std::fs::write(
            dir.join("layers.toml"),
            r#"[dataset]
id = "t"
title = { zh = "测试", en = "Test" }

[[layers]]
id = "p"
title = { zh = "点", en = "Points" }
file = "p.geojson"
geometry = "point"
id_property = "id"
"#,
        )
        .unwrap();
        std::fs::write(
            dir.join("p.geojson"),
            format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#),
        )
        .unwrap();
    }

    fn point(id: &str, x: f64) -> String {
        format!(
            r#"{{"type":"Feature","properties":{{"id":"{id}"}},"geometry":{{"type":"Point","coordinates":[{x},40.0]}}}}"#
        )
    }

    fn live(dir: &Path) -> LiveCatalog {
        LiveCatalog::new(Catalog::load(dir).unwrap(), Some(dir.to_path_buf()))
    }

    #[test]
    fn a_good_edit_is_swapped_in_and_old_holders_keep_their_version() {
        let tmp = tempfile::tempdir().unwrap();
        write_dataset(tmp.path(), &point("a", 116.0));
        let live = live(tmp.path());
        let before = live.catalog();
        assert_eq!(live.reload().unwrap(), Reloaded::Unchanged);
        write_dataset(
            tmp.path(),
            &[point("a", 116.0), point("b", 117.0)].join(","),
        );
        assert_eq!(live.reload().unwrap(), Reloaded::Swapped);
        assert_eq!(before.layers()[0].len(), 1);
        assert_eq!(live.catalog().layers()[0].len(), 2);
        let s = live.status();
        assert_eq!((s.reloads, s.failures, s.failing), (1, 0, false));
        assert_eq!(s.version, live.catalog().version());
    }

    #[test]
    fn a_broken_edit_keeps_the_old_data_and_says_where() {
        let tmp = tempfile::tempdir().unwrap();
        write_dataset(tmp.path(), &point("a", 116.0));
        let live = live(tmp.path());
        let good = live.catalog().version().to_string();
        std::fs::write(
            tmp.path().join("p.geojson"),
            "{\"type\":\"FeatureCollection\",",
        )
        .unwrap();
        let err = live.reload().unwrap_err().to_string();
        assert!(err.contains("p.geojson"), "{err}");
        assert_eq!(live.catalog().version(), good);
        let s = live.status();
        assert!(s.failing);
        assert_eq!(s.failures, 1);
        assert!(s.last_error.unwrap().1.contains("p.geojson"));
        // Fixed: picked up, and no longer failing.
        write_dataset(tmp.path(), &point("c", 118.0));
        assert_eq!(live.reload().unwrap(), Reloaded::Swapped);
        assert!(!live.status().failing);
        assert!(live.catalog().layers()[0].feature("c").is_some());
    }

    #[test]
    fn an_in_memory_catalog_has_nothing_to_reload() {
        let tmp = tempfile::tempdir().unwrap();
        write_dataset(tmp.path(), &point("a", 116.0));
        let live = LiveCatalog::new(Catalog::load(tmp.path()).unwrap(), None);
        assert!(matches!(live.reload(), Err(ReloadError::NoFolder)));
    }

    #[test]
    fn only_the_manifest_and_its_files_concern_the_data() {
        let tmp = tempfile::tempdir().unwrap();
        write_dataset(tmp.path(), &point("a", 116.0));
        let catalog = Catalog::load(tmp.path()).unwrap();
        let manifest = tmp.path().join("layers.toml");
        let event = |name: &str| {
            Ok(notify::Event::new(notify::EventKind::Any).add_path(tmp.path().join(name)))
        };
        for (name, want) in [
            ("layers.toml", true),
            ("p.geojson", true),
            ("p.qmd", false),
            ("p.geojson.aux.xml", false),
            (".p.geojson.swp", false),
        ] {
            assert_eq!(
                concerns_data(&event(name), &manifest, tmp.path(), &catalog),
                want,
                "{name}"
            );
        }
    }
}
