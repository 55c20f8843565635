//! Thread state in sled: one JSON record per thread, keyed by thread id, versioned.
//!
//! Every save is followed by a flush, so a reply is only returned after its state is on disk. Saves
//! running at the same time share flushes (group commit, [`GroupCommit`]): a save waits for one flush
//! that started after its own write, which may be another save's. Records
//! carry `schema_version`; older versions are migrated on read ([`decode`]), newer or unreadable ones
//! are reported for that thread alone. A database held by another process is a clear error at open.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::engine::state::ThreadState;

/// Store failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the database.
    #[error("the database at {dir} is in use by another pavebot process (sled allows one process per directory): stop it, or use another data directory")]
    Locked {
        /// The directory.
        dir: String,
    },
    /// The database could not be opened (corrupt or unreadable).
    #[error("cannot open the database at {dir}: {reason}")]
    Open {
        /// The directory.
        dir: String,
        /// sled's reason.
        reason: String,
    },
    /// One thread's record cannot be read.
    #[error("{reason}")]
    Unreadable {
        /// Why.
        reason: String,
    },
    /// A read or write failed.
    #[error("database error: {0}")]
    Io(String),
}

/// The sled-backed store.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    threads: sled::Tree,
    commit: Arc<GroupCommit>,
}

/// Group commit: writes that finish while a flush is running are all covered by the next one.
///
/// Each write takes a ticket once its insert has returned. A flush records the last ticket issued
/// before it started: every write with a ticket up to that number was in sled before the flush began,
/// so the flush made it durable. A writer whose ticket is already covered returns without flushing.
#[derive(Debug, Default)]
struct GroupCommit {
    issued: AtomicU64,
    flushed: Mutex<u64>,
    flushes: AtomicU64,
}

impl GroupCommit {
    fn durable(&self, tree: &sled::Tree) -> Result<(), StoreError> {
        let ticket = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let mut flushed = self.flushed.lock().unwrap_or_else(|p| p.into_inner());
        if *flushed >= ticket {
            return Ok(());
        }
        let covers = self.issued.load(Ordering::SeqCst);
        tree.flush().map_err(|e| StoreError::Io(e.to_string()))?;
        self.flushes.fetch_add(1, Ordering::Relaxed);
        *flushed = covers;
        Ok(())
    }
}

impl Store {
    /// Opens (or creates) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Store::open_with_cache(dir, 64)
    }

    /// Opens (or creates) the database in `dir` with a page cache of `cache_mb` MiB.
    pub fn open_with_cache(dir: &Path, cache_mb: u64) -> Result<Store, StoreError> {
        let shown = dir.display().to_string();
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_mb.max(1) * 1024 * 1024)
            .open()
            .map_err(|e| classify(&shown, e))?;
        Store::from_db(db, &shown)
    }

    /// A fresh database that is removed when the store is dropped.
    pub fn temporary() -> Result<Store, StoreError> {
        let db = sled::Config::new()
            .temporary(true)
            .open()
            .map_err(|e| classify("(temporary)", e))?;
        Store::from_db(db, "(temporary)")
    }

    fn from_db(db: sled::Db, dir: &str) -> Result<Store, StoreError> {
        let threads = db.open_tree("threads").map_err(|e| classify(dir, e))?;
        Ok(Store {
            db,
            threads,
            commit: Arc::default(),
        })
    }

    /// The thread's state (the default state when the thread is new).
    pub fn load(&self, thread: &str) -> Result<ThreadState, StoreError> {
        match self
            .threads
            .get(thread.as_bytes())
            .map_err(|e| StoreError::Io(e.to_string()))?
        {
            None => Ok(ThreadState::default()),
            Some(bytes) => decode(&bytes),
        }
    }

    /// Writes the thread's state and flushes it to disk before returning.
    pub fn save(&self, thread: &str, state: &ThreadState) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(state).map_err(|e| StoreError::Io(e.to_string()))?;
        self.put_raw(thread, &bytes)
    }

    /// Writes raw bytes for a thread (for migration fixtures and tests of unreadable records).
    pub fn put_raw(&self, thread: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.threads
            .insert(thread.as_bytes(), bytes)
            .map_err(|e| StoreError::Io(e.to_string()))?;
        self.commit.durable(&self.threads)
    }

    /// Flushes done by saves so far (fewer than saves when concurrent saves shared a flush).
    pub fn flush_count(&self) -> u64 {
        self.commit.flushes.load(Ordering::Relaxed)
    }

    /// Writes many raw records as one sled batch with a single flush (seeding a database, e.g. the
    /// load benchmark's stored-thread sweep). Atomic: either every record is written or none.
    pub fn put_many<'a>(
        &self,
        records: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for (thread, bytes) in records {
            batch.insert(thread.as_bytes(), bytes);
        }
        self.threads
            .apply_batch(batch)
            .map_err(|e| StoreError::Io(e.to_string()))?;
        self.threads
            .flush()
            .map_err(|e| StoreError::Io(e.to_string()))?;
        Ok(())
    }

    /// The raw stored bytes of a thread's record, if any (for checks of what is on disk).
    pub fn get_raw(&self, thread: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.threads
            .get(thread.as_bytes())
            .map(|v| v.map(|b| b.to_vec()))
            .map_err(|e| StoreError::Io(e.to_string()))
    }

    /// Number of stored threads.
    pub fn len(&self) -> usize {
        self.threads.len()
    }

    /// True when no thread is stored.
    pub fn is_empty(&self) -> bool {
        self.threads.is_empty()
    }

    /// Flushes everything (used at shutdown).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db
            .flush()
            .map(|_| ())
            .map_err(|e| StoreError::Io(e.to_string()))
    }

    /// Bytes on disk.
    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }
}

fn classify(dir: &str, e: sled::Error) -> StoreError {
    // sled reports a held lock as `Io(Other, "could not acquire lock on \"<dir>/db\": ... WouldBlock ...")`
    // (fs2's try_lock_exclusive). Match that message, not the word "lock" anywhere, so that a path
    // such as /srv/blocklist is not mistaken for a lock.
    if let sled::Error::Io(io) = &e {
        let msg = io.to_string();
        if io.kind() == std::io::ErrorKind::WouldBlock || msg.starts_with("could not acquire lock")
        {
            return StoreError::Locked {
                dir: dir.to_string(),
            };
        }
    }
    StoreError::Open {
        dir: dir.to_string(),
        reason: short_reason(&e.to_string()),
    }
}

/// sled's reasons can carry a backtrace; keep the first line, at most 200 characters.
fn short_reason(reason: &str) -> String {
    let first = reason.lines().next().unwrap_or("unknown error");
    let first = first.split(" backtrace ").next().unwrap_or(first);
    let mut out: String = first.chars().take(200).collect();
    if first.chars().count() > 200 {
        out.push('…');
    }
    out
}

/// Decodes a stored record, migrating older schema versions (the engine's pure
/// [`crate::engine::state::decode`]).
pub fn decode(bytes: &[u8]) -> Result<ThreadState, StoreError> {
    crate::engine::state::decode(bytes).map_err(|e| StoreError::Unreadable {
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_saves_share_flushes_and_every_one_is_on_disk_after_reopening() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        let (writers, each) = (8, 150);
        {
            let store = Store::open(&path).expect("open");
            std::thread::scope(|s| {
                for w in 0..writers {
                    let store = store.clone();
                    s.spawn(move || {
                        for i in 0..each {
                            let state = ThreadState {
                                turn: i as u64 + 1,
                                ..ThreadState::default()
                            };
                            store.save(&format!("w{w}-t{i}"), &state).expect("save");
                        }
                    });
                }
            });
            let flushes = store.flush_count();
            assert!(
                (1..=(writers * each) as u64).contains(&flushes),
                "{flushes} flushes for {} saves",
                writers * each
            );
            // A save on its own still flushes.
            store.save("alone", &ThreadState::default()).expect("save");
            assert_eq!(store.flush_count(), flushes + 1);
        }
        let store = Store::open(&path).expect("reopen");
        assert_eq!(store.len(), writers * each + 1);
        for w in 0..writers {
            for i in 0..each {
                let st = store.load(&format!("w{w}-t{i}")).expect("load");
                assert_eq!(st.turn, i as u64 + 1);
            }
        }
    }
}
