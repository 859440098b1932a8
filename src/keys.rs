//! Write keys. Reading stays open; a change needs
//! `Authorization: Bearer <key>`, a key that `shanshui key add NAME`
//! printed once. Only an Argon2id hash of each key is kept, in `keys.toml`
//! beside the data's manifest, with the key's name (recorded with every
//! edit it makes) and the layers it may change.
//!
//! A key reads `shs_<id>_<secret>`: the id (eight hex digits) finds its
//! entry without trying every hash, the secret (32 random bytes) is what
//! the hash guards. A key seen to be good is remembered in memory until the
//! file changes, so an edit does not pay for Argon2 each time; a revoked
//! key stops working at the next request after the file changes.
//!
//! Failed attempts draw on one budget for the whole server (there is no
//! trustworthy client address behind a proxy): past it, keys not already
//! known good are refused with `429` until the budget refills, so guessing
//! costs the guesser time and the server no more than a few hashes a
//! second, while planners whose keys are in use keep working.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Instant, SystemTime};

/// The keys file's name, beside `layers.toml`.
pub const KEYS_FILE: &str = "keys.toml";

/// Failed attempts allowed at once.
const FAILURE_BURST: f64 = 20.0;
/// Failed attempts allowed per second, in the long run.
const FAILURES_PER_SECOND: f64 = 0.5;

/// One key as the file keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    /// Who or what holds it (`wang`, `qgis-office`); recorded with edits.
    pub name: String,
    /// The id part of the key.
    pub id: String,
    /// The Argon2id hash of the whole key (a PHC string).
    pub hash: String,
    /// The layers it may change; empty for every layer that takes edits.
    #[serde(default)]
    pub layers: Vec<String>,
    /// When it was added.
    pub added: String,
}

impl KeyEntry {
    /// Whether the key may change `layer`.
    pub fn may_edit(&self, layer: &str) -> bool {
        self.layers.is_empty() || self.layers.iter().any(|l| l == layer)
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    #[serde(default, rename = "key")]
    keys: Vec<KeyEntry>,
}

/// Why a request may not write.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AuthError {
    /// No `Authorization: Bearer` header.
    #[error("changes need a key: send `Authorization: Bearer <key>` (the server's operator makes one with `shanshui key add NAME`)")]
    Missing,
    /// A key that is not one of the server's (or was revoked).
    #[error("the key is not valid here (unknown, mistyped or revoked); ask the server's operator for one")]
    Wrong,
    /// A good key without rights on the layer.
    #[error("key `{name}` may not change collection `{layer}`")]
    Forbidden {
        /// The key's name.
        name: String,
        /// The layer.
        layer: String,
    },
    /// Too many failed attempts lately.
    #[error("too many failed attempts with wrong keys; try again in {retry_after} s")]
    Throttled {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// The keys file cannot be read.
    #[error("the server's keys cannot be read, so no change is taken: {0}")]
    Unreadable(String),
}

/// Why the keys file could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing it failed.
    #[error("{path}: {why}")]
    File {
        /// The file.
        path: PathBuf,
        /// What failed.
        why: String,
    },
    /// A name already in use.
    #[error("a key named `{0}` exists; revoke it first or choose another name")]
    Exists(String),
    /// No key by that name.
    #[error("no key named `{0}`; `shanshui key list` shows them")]
    NoSuchKey(String),
    /// A name that cannot be one.
    #[error("key name `{0}` must be 1 to 64 letters, digits, `.`, `_`, `-` or `@`")]
    BadName(String),
}

/// The server's write keys.
#[derive(Debug)]
pub struct Keys {
    path: PathBuf,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The file's modification time and length when last read.
    stamp: Option<(SystemTime, u64)>,
    entries: Vec<KeyEntry>,
    /// Keys seen to be good since the file was read, and their entry.
    good: HashMap<String, usize>,
    /// Failed attempts' budget: what is left, and when it was counted.
    budget: f64,
    counted: Instant,
}

impl Keys {
    /// The keys kept at `path`.
    pub fn at(path: PathBuf) -> Keys {
        Keys {
            path,
            state: Mutex::new(State {
                stamp: None,
                entries: Vec::new(),
                good: HashMap::new(),
                budget: FAILURE_BURST,
                counted: Instant::now(),
            }),
        }
    }

    /// The keys of the dataset whose folder (or manifest) is `dir`.
    pub fn of_data(dir: &Path) -> Keys {
        Keys::at(crate::edit::data_root(dir).join(KEYS_FILE))
    }

    /// Where they are kept.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The name of the key in `authorization` (the header's value) if it
    /// may change `layer`.
    pub fn authorize(&self, authorization: Option<&str>, layer: &str) -> Result<String, AuthError> {
        let key = authorization
            .and_then(|h| {
                let (scheme, rest) = h.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .filter(|k| !k.is_empty())
            .ok_or(AuthError::Missing)?;
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        self.refresh(&mut state)?;
        let entry = match state.good.get(key) {
            Some(&i) => i,
            None => {
                state.refill();
                if state.budget < 1.0 {
                    let retry_after = ((1.0 - state.budget) / FAILURES_PER_SECOND).ceil() as u64;
                    return Err(AuthError::Throttled { retry_after });
                }
                match state.find(key) {
                    Some(i) => {
                        state.good.insert(key.to_string(), i);
                        i
                    }
                    None => {
                        state.budget -= 1.0;
                        return Err(AuthError::Wrong);
                    }
                }
            }
        };
        let entry = &state.entries[entry];
        if entry.may_edit(layer) {
            Ok(entry.name.clone())
        } else {
            Err(AuthError::Forbidden {
                name: entry.name.clone(),
                layer: layer.to_string(),
            })
        }
    }

    /// Reads the file again when it changed.
    fn refresh(&self, state: &mut State) -> Result<(), AuthError> {
        let stamp = match std::fs::metadata(&self.path) {
            Ok(m) => Some((m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(AuthError::Unreadable(e.to_string())),
        };
        if stamp == state.stamp && stamp.is_some() {
            return Ok(());
        }
        state.entries = read_file(&self.path)
            .map_err(|e| AuthError::Unreadable(e.to_string()))?
            .keys;
        state.good.clear();
        state.stamp = stamp;
        Ok(())
    }

    /// The keys, as the file holds them.
    pub fn list(&self) -> Result<Vec<KeyEntry>, KeyError> {
        Ok(read_file(&self.path)?.keys)
    }

    /// Adds a key named `name` for `layers` (none: every editable layer)
    /// and returns it: the only time it is ever shown.
    pub fn add(&self, name: &str, layers: &[String]) -> Result<String, KeyError> {
        let ok_name = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
        if !ok_name {
            return Err(KeyError::BadName(name.to_string()));
        }
        let mut file = read_file(&self.path)?;
        if file.keys.iter().any(|k| k.name == name) {
            return Err(KeyError::Exists(name.to_string()));
        }
        let fail = |why: String| KeyError::File {
            path: self.path.clone(),
            why,
        };
        let mut random = [0u8; 52];
        getrandom::fill(&mut random).map_err(|e| fail(format!("no randomness: {e}")))?;
        let id = hex(&random[..4]);
        let key = format!("shs_{id}_{}", hex(&random[4..36]));
        let salt = SaltString::encode_b64(&random[36..52]).map_err(|e| fail(e.to_string()))?;
        let hash = Argon2::default()
            .hash_password(key.as_bytes(), &salt)
            .map_err(|e| fail(e.to_string()))?
            .to_string();
        file.keys.push(KeyEntry {
            name: name.to_string(),
            id,
            hash,
            layers: layers.to_vec(),
            added: crate::time::rfc3339(SystemTime::now()),
        });
        write_file(&self.path, &file)?;
        Ok(key)
    }

    /// Removes the key named `name`.
    pub fn revoke(&self, name: &str) -> Result<(), KeyError> {
        let mut file = read_file(&self.path)?;
        let before = file.keys.len();
        file.keys.retain(|k| k.name != name);
        if file.keys.len() == before {
            return Err(KeyError::NoSuchKey(name.to_string()));
        }
        write_file(&self.path, &file)
    }
}

impl State {
    fn refill(&mut self) {
        let now = Instant::now();
        let secs = now.duration_since(self.counted).as_secs_f64();
        self.budget = (self.budget + secs * FAILURES_PER_SECOND).min(FAILURE_BURST);
        self.counted = now;
    }

    /// The entry whose hash `key` matches.
    fn find(&self, key: &str) -> Option<usize> {
        let id = key.strip_prefix("shs_")?.split('_').next()?;
        self.entries.iter().position(|e| {
            e.id == id
                && PasswordHash::new(&e.hash)
                    .map(|h| {
                        Argon2::default()
                            .verify_password(key.as_bytes(), &h)
                            .is_ok()
                    })
                    .unwrap_or(false)
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn read_file(path: &Path) -> Result<KeyFile, KeyError> {
    let fail = |why: String| KeyError::File {
        path: path.to_path_buf(),
        why,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map_err(|e| fail(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(KeyFile::default()),
        Err(e) => Err(fail(e.to_string())),
    }
}

/// Writes the file whole: a temporary file, synced, renamed over it.
fn write_file(path: &Path, file: &KeyFile) -> Result<(), KeyError> {
    let fail = |why: String| KeyError::File {
        path: path.to_path_buf(),
        why,
    };
    let text = format!(
        "# Write keys of this dataset: names and Argon2id hashes only; the keys\n# themselves were shown once, by `shanshui key add`. Change with\n# `shanshui key add|list|revoke`.\n\n{}",
        toml::to_string(file).map_err(|e| fail(e.to_string()))?
    );
    crate::edit::journal::replace_durably(path, text.as_bytes())
        .map_err(|e| fail(e.to_string()))?;
    // A key file is nobody else's business.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_added_opens_writes_until_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::at(dir.path().join(KEYS_FILE));
        let wang = keys.add("wang", &[]).unwrap();
        let li = keys.add("li", &["villages".into()]).unwrap();
        assert!(
            wang.starts_with("shs_") && wang.len() == 4 + 8 + 1 + 64,
            "{wang}"
        );
        let text = std::fs::read_to_string(keys.path()).unwrap();
        assert!(
            !text.contains(&wang[13..]) && text.contains("$argon2id$"),
            "{text}"
        );
        let bearer = |k: &str| format!("Bearer {k}");
        assert_eq!(
            keys.authorize(Some(&bearer(&wang)), "projects"),
            Ok("wang".into())
        );
        assert_eq!(
            keys.authorize(Some(&bearer(&li)), "villages"),
            Ok("li".into())
        );
        assert_eq!(
            keys.authorize(Some(&bearer(&li)), "projects"),
            Err(AuthError::Forbidden {
                name: "li".into(),
                layer: "projects".into()
            })
        );
        assert_eq!(keys.authorize(None, "projects"), Err(AuthError::Missing));
        assert_eq!(
            keys.authorize(Some("Basic abc"), "projects"),
            Err(AuthError::Missing)
        );
        let mut wrong = wang.clone();
        wrong.pop();
        wrong.push(if wang.ends_with('0') { '1' } else { '0' });
        assert_eq!(
            keys.authorize(Some(&bearer(&wrong)), "projects"),
            Err(AuthError::Wrong)
        );
        assert!(matches!(keys.add("wang", &[]), Err(KeyError::Exists(_))));
        assert!(matches!(
            keys.add("no spaces", &[]),
            Err(KeyError::BadName(_))
        ));
        let names: Vec<String> = keys.list().unwrap().into_iter().map(|k| k.name).collect();
        assert_eq!(names, ["wang", "li"]);
        std::thread::sleep(std::time::Duration::from_millis(20));
        keys.revoke("wang").unwrap();
        assert_eq!(
            keys.authorize(Some(&bearer(&wang)), "projects"),
            Err(AuthError::Wrong)
        );
        assert!(matches!(keys.revoke("wang"), Err(KeyError::NoSuchKey(_))));
    }

    #[test]
    fn failures_past_the_budget_are_throttled_but_known_keys_still_work() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::at(dir.path().join(KEYS_FILE));
        let good = format!("Bearer {}", keys.add("wang", &[]).unwrap());
        assert!(keys.authorize(Some(&good), "projects").is_ok());
        let mut throttled = 0;
        for i in 0..40 {
            match keys.authorize(Some(&format!("Bearer shs_00000000_{i:064}")), "projects") {
                Err(AuthError::Throttled { retry_after }) => {
                    assert!(retry_after >= 1);
                    throttled += 1;
                }
                other => assert_eq!(other, Err(AuthError::Wrong)),
            }
        }
        assert!(throttled >= 15, "{throttled} of 40 throttled");
        assert_eq!(keys.authorize(Some(&good), "projects"), Ok("wang".into()));
    }
}
