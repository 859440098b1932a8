//! The edit journal of a layer: an append-only file beside the layer file
//! (`projects.geojson.journal`), one line a record, each line its CRC-32
//! in hex, a space, and the record as JSON:
//!
//! ```text
//! 1c291ca3 {"seq":1,"time":"2026-11-03T02:15:09.120Z","key":"wang","op":"update","id":"p-7","prev":"\"5e0c…\"","before":{…},"feature":{…}}
//! ```
//!
//! A record holds the feature whole as it stands after the edit (nothing
//! for a delete), and as it stood before (for the history). Replaying the
//! journal over the layer file so sets each edited id to its last
//! version: the same result however many of the
//! records the file already holds, which is what makes folding the journal
//! into the file ([`super::compact`]) safe to interrupt anywhere.
//!
//! A record is appended with one write and made durable (`fdatasync`)
//! before the edit is acknowledged. A power cut mid-write leaves a torn
//! last line: it fails its checksum (or has no newline) and is dropped,
//! never half-applied; a record the server acknowledged was complete on
//! disk before that. A damaged line before the last is another matter
//! (the disk or a hand broke it): the journal is refused with the line's
//! number, and the last good data goes on being served.

use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What an edit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// A new feature (POST).
    Create,
    /// A feature replaced whole (PUT).
    Replace,
    /// Some of a feature's members changed (PATCH).
    Update,
    /// A feature removed (DELETE).
    Delete,
}

impl Op {
    /// The word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Replace => "replace",
            Op::Update => "update",
            Op::Delete => "delete",
        }
    }
}

/// One edit, as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Its place in the layer's edits, from 1, without gaps.
    pub seq: u64,
    /// When it was applied, RFC 3339 UTC with milliseconds.
    pub time: String,
    /// The name of the key that made it.
    pub key: String,
    /// What it did.
    pub op: Op,
    /// The feature's id.
    pub id: String,
    /// The feature's ETag before the edit (none for a create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// The feature before the edit (none for a create): what the history
    /// shows as changed, and what `as-of` puts back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<serde_json::Value>,
    /// The feature after the edit, a GeoJSON Feature; none for a delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature: Option<serde_json::Value>,
}

impl Record {
    /// The record as one journal line, newline included.
    pub fn to_line(&self) -> Vec<u8> {
        // Serializing plain data into memory cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        let mut line = format!("{:08x} ", crc32fast::hash(&json)).into_bytes();
        line.extend_from_slice(&json);
        line.push(b'\n');
        line
    }

    /// The time of the record.
    pub fn instant(&self) -> Option<std::time::SystemTime> {
        crate::time::parse_instant(&self.time).ok()
    }
}

/// Why a journal could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The file could not be read, written or made durable.
    #[error("journal {path}: {source}")]
    Io {
        /// The journal.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// Another process (a second server, or `shanshui compact`) has the
    /// journal open for writing.
    #[error("journal {0} is being written by another process (a second server on the same data, or `shanshui compact`); one writer at a time")]
    Locked(PathBuf),
    /// A line before the last is damaged.
    #[error("journal {path}, line {line}: {why}; the records after it cannot be trusted in order. Restore the journal from a backup, or remove the damaged line by hand if you know what it held")]
    Damaged {
        /// The journal.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// What is wrong with it.
        why: String,
    },
}

/// The journal's records, and whether a torn last line was dropped.
#[derive(Debug, Default)]
pub struct Contents {
    /// The good records, in order.
    pub records: Vec<Record>,
    /// The length of the file up to the end of the last good record.
    pub good_len: u64,
    /// Bytes after it that were a torn record (dropped).
    pub torn_bytes: u64,
    /// A checksum of the good records' bytes, for the data's version.
    pub crc: u32,
}

/// The journal of the layer whose file is `layer_file`.
pub fn path_for(layer_file: &Path) -> PathBuf {
    let mut name = layer_file.file_name().unwrap_or_default().to_os_string();
    name.push(".journal");
    layer_file.with_file_name(name)
}

/// Reads the journal at `path` (an empty one when there is no file).
pub fn read(path: &Path) -> Result<Contents, JournalError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Contents::default()),
        Err(source) => {
            return Err(JournalError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    parse(path, &bytes)
}

/// The records in `bytes`, the journal at `path`.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Contents, JournalError> {
    let mut out = Contents::default();
    let mut at = 0usize;
    let mut line_no = 0usize;
    while at < bytes.len() {
        line_no += 1;
        let (line, next, complete) = match memchr::memchr(b'\n', &bytes[at..]) {
            Some(n) => (&bytes[at..at + n], at + n + 1, true),
            None => (&bytes[at..], bytes.len(), false),
        };
        let last = next == bytes.len();
        let checked = if complete {
            decode(line)
        } else {
            Err("the line has no end".to_string())
        };
        match checked {
            Ok(record) => {
                let expected = out.records.last().map_or(1, |r: &Record| r.seq + 1);
                // The first record may follow records already folded
                // away (see `super::compact`); the rest follow each other.
                if record.seq == 0 || !out.records.is_empty() && record.seq != expected {
                    return Err(JournalError::Damaged {
                        path: path.to_path_buf(),
                        line: line_no,
                        why: format!(
                            "its sequence number is {}, where {expected} comes next",
                            record.seq
                        ),
                    });
                }
                out.records.push(record);
                out.good_len = next as u64;
            }
            // A torn last record: dropped.
            Err(_) if last => {
                out.torn_bytes = (bytes.len() - at) as u64;
                break;
            }
            Err(why) => {
                return Err(JournalError::Damaged {
                    path: path.to_path_buf(),
                    line: line_no,
                    why,
                })
            }
        }
        at = next;
    }
    out.crc = crc32fast::hash(&bytes[..out.good_len as usize]);
    Ok(out)
}

/// One line (without its newline) as a record, if its checksum holds.
fn decode(line: &[u8]) -> Result<Record, String> {
    let (crc, json) = match (line.get(..8), line.get(8), line.get(9..)) {
        (Some(crc), Some(b' '), Some(json)) => (crc, json),
        _ => return Err("it does not start with a checksum and a space".into()),
    };
    let crc = std::str::from_utf8(crc)
        .ok()
        .and_then(|c| u32::from_str_radix(c, 16).ok())
        .ok_or("its checksum is not eight hex digits")?;
    if crc32fast::hash(json) != crc {
        return Err("its checksum does not match its contents".into());
    }
    serde_json::from_slice(json).map_err(|e| format!("its record is not readable: {e}"))
}

/// A journal open for appending.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    len: u64,
    next_seq: u64,
}

impl Journal {
    /// Opens the journal at `path` for appending after `contents` (what
    /// [`read`] found there), and locks it for this process while it is
    /// open; cuts off a torn last record first. The
    /// next record's number follows both its last and `archived` (the
    /// last record already folded into the layer file). Creates the file,
    /// and makes its folder entry durable, when there is none.
    pub fn open(path: &Path, contents: &Contents, archived: u64) -> Result<Journal, JournalError> {
        let io = |source| JournalError::Io {
            path: path.to_path_buf(),
            source,
        };
        let existed = path.exists();
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(JournalError::Locked(path.to_path_buf()))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        let len = file.metadata().map_err(io)?.len();
        if len != contents.good_len {
            // A torn tail (or bytes a reader has not seen): the next record
            // must start on a clean line.
            file.set_len(contents.good_len).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        if !existed {
            sync_folder(path).map_err(io)?;
        }
        Ok(Journal {
            path: path.to_path_buf(),
            file,
            len: contents.good_len,
            next_seq: contents.records.last().map_or(0, |r| r.seq).max(archived) + 1,
        })
    }

    /// The sequence number the next record takes.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The journal's length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether it holds no record.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `record` (whose `seq` must be [`Journal::next_seq`]) and
    /// makes it durable. On an error the journal is cut back to where it
    /// was, so a failed append leaves no partial line behind.
    pub fn append(&mut self, record: &Record) -> Result<(), JournalError> {
        let line = record.to_line();
        let written = self
            .file
            .write_all(&line)
            .and_then(|()| self.file.sync_data());
        if let Err(source) = written {
            let _ = self.file.set_len(self.len);
            let _ = self.file.sync_data();
            return Err(JournalError::Io {
                path: self.path.clone(),
                source,
            });
        }
        self.len += line.len() as u64;
        self.next_seq = record.seq + 1;
        Ok(())
    }

    /// Empties the journal (after its records were folded into the layer
    /// file and kept in its history), durably; sequence numbers go on
    /// from where they were.
    pub fn clear(&mut self) -> Result<(), JournalError> {
        self.file
            .set_len(0)
            .and_then(|()| self.file.sync_all())
            .map_err(|source| JournalError::Io {
                path: self.path.clone(),
                source,
            })?;
        self.len = 0;
        Ok(())
    }
}

/// Puts `bytes` in place of the file at `path` so that it is at every
/// moment either the old file or the new, whole: written to a temporary
/// file beside it, fsynced, renamed over it, and the folder fsynced.
pub fn replace_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(name);
    let written = File::create(&tmp)
        .and_then(|mut out| out.write_all(bytes).and_then(|()| out.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, path))
        .and_then(|()| sync_folder(path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Makes the entries of the folder holding `path` durable (a new or
/// renamed file survives a power cut only once its folder is synced).
pub fn sync_folder(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(folder)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: u64) -> Record {
        Record {
            seq,
            time: "2026-11-03T02:15:09.120Z".into(),
            key: "wang".into(),
            op: Op::Update,
            id: format!("p-{seq}"),
            prev: Some("\"f-1\"".into()),
            before: None,
            feature: Some(
                serde_json::json!({"type": "Feature", "properties": {"id": format!("p-{seq}")}, "geometry": {"type": "Point", "coordinates": [117.0, 40.5]}}),
            ),
        }
    }

    fn journal(n: u64) -> Vec<u8> {
        (1..=n).flat_map(|s| record(s).to_line()).collect()
    }

    #[test]
    fn records_read_back_as_written() {
        let bytes = journal(3);
        let c = parse(Path::new("j"), &bytes).unwrap();
        assert_eq!(c.records, vec![record(1), record(2), record(3)]);
        assert_eq!(c.good_len, bytes.len() as u64);
        assert_eq!(c.torn_bytes, 0);
    }

    #[test]
    fn a_torn_last_record_is_dropped_wherever_it_was_cut() {
        let whole = journal(3);
        let two = journal(2).len();
        // Every cut inside the third record, newline included or not.
        for cut in two + 1..whole.len() {
            let c = parse(Path::new("j"), &whole[..cut]).unwrap();
            assert_eq!(c.records.len(), 2, "cut at {cut}");
            assert_eq!(c.good_len, two as u64);
            assert_eq!(c.torn_bytes, (cut - two) as u64);
        }
        // Zeros where the last write never landed.
        let mut zeros = journal(2);
        zeros.extend_from_slice(&[0u8; 64]);
        assert_eq!(parse(Path::new("j"), &zeros).unwrap().records.len(), 2);
        // A changed byte in the last line, newline intact.
        let mut flipped = whole.clone();
        flipped[two + 40] ^= 0x20;
        assert_eq!(parse(Path::new("j"), &flipped).unwrap().records.len(), 2);
    }

    #[test]
    fn a_damaged_line_before_the_last_is_refused_with_its_number() {
        let mut bytes = journal(3);
        let one = record(1).to_line().len();
        bytes[one + 30] ^= 0x01;
        let e = parse(Path::new("j"), &bytes).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("checksum"), "{e}");
        // A gap in the sequence.
        let mut gap = journal(1);
        gap.extend(record(3).to_line());
        gap.extend(record(4).to_line());
        let e = parse(Path::new("j"), &gap).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("2 comes next"), "{e}");
    }

    #[test]
    fn appends_are_durable_lines_after_a_cut_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.geojson.journal");
        let mut bytes = journal(2);
        bytes.extend_from_slice(&record(3).to_line()[..20]);
        std::fs::write(&path, &bytes).unwrap();
        let contents = read(&path).unwrap();
        let mut j = Journal::open(&path, &contents, 0).unwrap();
        assert_eq!(j.next_seq(), 3);
        j.append(&record(3)).unwrap();
        let again = read(&path).unwrap();
        assert_eq!(again.records, vec![record(1), record(2), record(3)]);
        assert_eq!(again.torn_bytes, 0);
        j.clear().unwrap();
        assert!(read(&path).unwrap().records.is_empty());
        assert_eq!(j.next_seq(), 4);
        // One writer at a time: a second open is refused until the first
        // is closed.
        assert!(matches!(
            Journal::open(&path, &read(&path).unwrap(), 3),
            Err(JournalError::Locked(_))
        ));
        drop(j);
        let j = Journal::open(&path, &read(&path).unwrap(), 3).unwrap();
        assert_eq!(j.next_seq(), 4);
        assert_eq!(
            path_for(Path::new("d/p.geojson")),
            Path::new("d/p.geojson.journal")
        );
    }
}
