//! Thread state behind the [`Store`] trait: [`SledStore`] (one JSON record per thread, keyed by
//! thread id, versioned) and [`MemStore`] (in memory, for tests). Only the dispatcher
//! ([`crate::serial::Dispatcher`]) and the line-driven drivers call it; adapters never do.
//!
//! Besides the states, a store keeps an **outbox**: the replies of a step that a front end still has to
//! deliver, written in the same atomic write as the step's new state ([`Store::commit`]) and removed
//! only once the front end's target accepted them. Entries are opaque bytes to the store, ordered per
//! thread by a sequence number that only grows (across restarts too).
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

/// One pending outbox entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The thread (conversation key) it belongs to.
    pub thread: String,
    /// Its sequence number: entries of one thread are delivered in this order.
    pub seq: u64,
    /// What the front end stored (opaque to the store).
    pub body: Vec<u8>,
}

/// Where thread states and the outbox live. Implementations are safe to share between threads;
/// the dispatcher serialises the calls that concern one thread.
pub trait Store: Send + Sync + 'static {
    /// The thread's state (the default state when the thread is new).
    fn load(&self, thread: &str) -> Result<ThreadState, StoreError>;
    /// Writes the thread's state durably.
    fn save(&self, thread: &str, state: &ThreadState) -> Result<(), StoreError>;
    /// Writes the new state (if any) and a new outbox entry (if any) in one atomic, durable write;
    /// returns the entry's sequence number.
    fn commit(
        &self,
        thread: &str,
        state: Option<&ThreadState>,
        outbox: Option<&[u8]>,
    ) -> Result<Option<u64>, StoreError>;
    /// Moves a thread's state from `from` to `to` (`from` is then absent), in one atomic, durable
    /// write. A missing or fresh `from` moves nothing, so repeating a move is harmless.
    fn move_state(&self, from: &str, to: &str) -> Result<(), StoreError>;
    /// True when a record exists for the thread (readable or not).
    fn exists(&self, thread: &str) -> Result<bool, StoreError>;
    /// Pending outbox entries, in order: of one thread, or of every thread.
    fn outbox(&self, thread: Option<&str>) -> Result<Vec<OutboxEntry>, StoreError>;
    /// Replaces an outbox entry's body (delivery progress), or removes it (`None`), durably.
    fn outbox_update(&self, thread: &str, seq: u64, body: Option<&[u8]>) -> Result<(), StoreError>;
    /// Flushes everything (used at shutdown).
    fn flush(&self) -> Result<(), StoreError>;
}

/// The sled-backed store.
#[derive(Clone)]
pub struct SledStore {
    db: sled::Db,
    threads: sled::Tree,
    outbox: sled::Tree,
    commit: Arc<GroupCommit>,
}

fn outbox_key(thread: &str, seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(thread.len() + 9);
    k.extend_from_slice(thread.as_bytes());
    k.push(b'/');
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

fn outbox_entry(key: &[u8], body: &[u8]) -> Option<OutboxEntry> {
    let n = key.len().checked_sub(9)?;
    let thread = std::str::from_utf8(&key[..n]).ok()?.to_string();
    let seq = u64::from_be_bytes(key[n + 1..].try_into().ok()?);
    Some(OutboxEntry {
        thread,
        seq,
        body: body.to_vec(),
    })
}

fn io(e: impl std::fmt::Display) -> StoreError {
    StoreError::Io(e.to_string())
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

impl SledStore {
    /// Opens (or creates) the database in `dir`.
    pub fn open(dir: &Path) -> Result<SledStore, StoreError> {
        SledStore::open_with_cache(dir, 64)
    }

    /// Opens (or creates) the database in `dir` with a page cache of `cache_mb` MiB.
    pub fn open_with_cache(dir: &Path, cache_mb: u64) -> Result<SledStore, StoreError> {
        let shown = dir.display().to_string();
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_mb.max(1) * 1024 * 1024)
            .open()
            .map_err(|e| classify(&shown, e))?;
        SledStore::from_db(db, &shown)
    }

    /// A fresh database that is removed when the store is dropped.
    pub fn temporary() -> Result<SledStore, StoreError> {
        let db = sled::Config::new()
            .temporary(true)
            .open()
            .map_err(|e| classify("(temporary)", e))?;
        SledStore::from_db(db, "(temporary)")
    }

    fn from_db(db: sled::Db, dir: &str) -> Result<SledStore, StoreError> {
        let threads = db.open_tree("threads").map_err(|e| classify(dir, e))?;
        let outbox = db.open_tree("outbox").map_err(|e| classify(dir, e))?;
        Ok(SledStore {
            db,
            threads,
            outbox,
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

impl Store for SledStore {
    fn load(&self, thread: &str) -> Result<ThreadState, StoreError> {
        SledStore::load(self, thread)
    }

    fn save(&self, thread: &str, state: &ThreadState) -> Result<(), StoreError> {
        SledStore::save(self, thread, state)
    }

    fn commit(
        &self,
        thread: &str,
        state: Option<&ThreadState>,
        outbox: Option<&[u8]>,
    ) -> Result<Option<u64>, StoreError> {
        use sled::Transactional;
        let state = state.map(serde_json::to_vec).transpose().map_err(io)?;
        let seq = match outbox {
            Some(_) => Some(self.db.generate_id().map_err(io)?),
            None => None,
        };
        if state.is_none() && seq.is_none() {
            return Ok(None);
        }
        (&self.threads, &self.outbox)
            .transaction(|(t, o)| {
                if let Some(bytes) = &state {
                    t.insert(thread.as_bytes(), bytes.as_slice())?;
                }
                if let (Some(seq), Some(body)) = (seq, outbox) {
                    o.insert(outbox_key(thread, seq), body)?;
                }
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| io(format!("{e:?}")))?;
        self.commit.durable(&self.threads)?;
        Ok(seq)
    }

    fn move_state(&self, from: &str, to: &str) -> Result<(), StoreError> {
        let fresh = serde_json::to_vec(&ThreadState::default()).map_err(io)?;
        self.threads
            .transaction(|t| {
                // A fresh record has nothing to move (it was moved already): keep `to` as it is.
                let moved = t.get(from.as_bytes())?;
                if let Some(bytes) = moved.filter(|b| b.as_ref() != fresh.as_slice()) {
                    t.insert(to.as_bytes(), bytes)?;
                    t.remove(from.as_bytes())?;
                }
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| io(format!("{e:?}")))?;
        self.commit.durable(&self.threads)
    }

    fn exists(&self, thread: &str) -> Result<bool, StoreError> {
        self.threads.contains_key(thread.as_bytes()).map_err(io)
    }

    fn outbox(&self, thread: Option<&str>) -> Result<Vec<OutboxEntry>, StoreError> {
        let iter = match thread {
            Some(t) => self.outbox.scan_prefix(format!("{t}/").as_bytes()),
            None => self.outbox.iter(),
        };
        let mut out = Vec::new();
        for kv in iter {
            let (k, v) = kv.map_err(io)?;
            if let Some(e) = outbox_entry(&k, &v) {
                if thread.is_none_or(|t| t == e.thread) {
                    out.push(e);
                }
            }
        }
        out.sort_by_key(|e| e.seq);
        Ok(out)
    }

    fn outbox_update(&self, thread: &str, seq: u64, body: Option<&[u8]>) -> Result<(), StoreError> {
        let key = outbox_key(thread, seq);
        match body {
            Some(b) => self.outbox.insert(key, b).map(|_| ()),
            None => self.outbox.remove(key).map(|_| ()),
        }
        .map_err(io)?;
        self.commit.durable(&self.threads)
    }

    fn flush(&self) -> Result<(), StoreError> {
        SledStore::flush(self)
    }
}

/// An in-memory store for tests: the same contract as [`SledStore`] without the disk.
#[derive(Debug, Default)]
pub struct MemStore {
    inner: Mutex<MemInner>,
}

#[derive(Debug, Default)]
struct MemInner {
    threads: std::collections::HashMap<String, Vec<u8>>,
    outbox: std::collections::BTreeMap<(String, u64), Vec<u8>>,
    next: u64,
}

impl MemStore {
    /// An empty store.
    pub fn new() -> MemStore {
        MemStore::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Store for MemStore {
    fn load(&self, thread: &str) -> Result<ThreadState, StoreError> {
        match self.lock().threads.get(thread) {
            None => Ok(ThreadState::default()),
            Some(bytes) => decode(bytes),
        }
    }

    fn save(&self, thread: &str, state: &ThreadState) -> Result<(), StoreError> {
        self.commit(thread, Some(state), None).map(|_| ())
    }

    fn commit(
        &self,
        thread: &str,
        state: Option<&ThreadState>,
        outbox: Option<&[u8]>,
    ) -> Result<Option<u64>, StoreError> {
        let state = state.map(serde_json::to_vec).transpose().map_err(io)?;
        let mut m = self.lock();
        if let Some(bytes) = state {
            m.threads.insert(thread.to_string(), bytes);
        }
        Ok(outbox.map(|body| {
            m.next += 1;
            let seq = m.next;
            m.outbox.insert((thread.to_string(), seq), body.to_vec());
            seq
        }))
    }

    fn move_state(&self, from: &str, to: &str) -> Result<(), StoreError> {
        let fresh = serde_json::to_vec(&ThreadState::default()).map_err(io)?;
        let mut m = self.lock();
        if m.threads.get(from).is_some_and(|b| *b != fresh) {
            if let Some(bytes) = m.threads.remove(from) {
                m.threads.insert(to.to_string(), bytes);
            }
        }
        Ok(())
    }

    fn exists(&self, thread: &str) -> Result<bool, StoreError> {
        Ok(self.lock().threads.contains_key(thread))
    }

    fn outbox(&self, thread: Option<&str>) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut out: Vec<OutboxEntry> = self
            .lock()
            .outbox
            .iter()
            .filter(|((t, _), _)| thread.is_none_or(|x| x == t))
            .map(|((t, seq), b)| OutboxEntry {
                thread: t.clone(),
                seq: *seq,
                body: b.clone(),
            })
            .collect();
        out.sort_by_key(|e| e.seq);
        Ok(out)
    }

    fn outbox_update(&self, thread: &str, seq: u64, body: Option<&[u8]>) -> Result<(), StoreError> {
        let mut m = self.lock();
        let key = (thread.to_string(), seq);
        match body {
            Some(b) => {
                m.outbox.insert(key, b.to_vec());
            }
            None => {
                m.outbox.remove(&key);
            }
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
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
            let store = SledStore::open(&path).expect("open");
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
        let store = SledStore::open(&path).expect("reopen");
        assert_eq!(store.len(), writers * each + 1);
        for w in 0..writers {
            for i in 0..each {
                let st = store.load(&format!("w{w}-t{i}")).expect("load");
                assert_eq!(st.turn, i as u64 + 1);
            }
        }
    }

    /// The contract both stores keep: atomic state + outbox writes, ordered entries per thread,
    /// progress and removal, and moves that are harmless to repeat.
    fn contract(store: &dyn Store) {
        let st = ThreadState {
            turn: 3,
            ..ThreadState::default()
        };
        assert!(!store.exists("1:2").unwrap());
        assert_eq!(store.commit("1:2", None, None).unwrap(), None);
        let a = store.commit("1:2", Some(&st), Some(b"a")).unwrap().unwrap();
        let b = store.commit("1:2", None, Some(b"b")).unwrap().unwrap();
        let c = store.commit("9", None, Some(b"c")).unwrap().unwrap();
        assert!(a < b && b < c);
        assert_eq!(store.load("1:2").unwrap().turn, 3);
        let mine: Vec<Vec<u8>> = store
            .outbox(Some("1:2"))
            .unwrap()
            .into_iter()
            .map(|e| e.body)
            .collect();
        assert_eq!(mine, vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(store.outbox(None).unwrap().len(), 3);
        store.outbox_update("1:2", a, Some(b"a2")).unwrap();
        store.outbox_update("1:2", b, None).unwrap();
        let left = store.outbox(Some("1:2")).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!((left[0].seq, left[0].body.as_slice()), (a, &b"a2"[..]));
        // A thread key that is a prefix of another does not see the other's entries.
        assert_eq!(store.outbox(Some("1")).unwrap().len(), 0);
        store.move_state("1:2", "77").unwrap();
        assert_eq!(store.load("77").unwrap().turn, 3);
        assert!(!store.exists("1:2").unwrap());
        // Repeating the move (a restart mid-delivery) keeps the moved state.
        store.save("1:2", &ThreadState::default()).unwrap();
        store.move_state("1:2", "77").unwrap();
        assert_eq!(store.load("77").unwrap().turn, 3);
        store.flush().unwrap();
    }

    #[test]
    fn sled_and_memory_stores_keep_the_same_contract() {
        contract(&SledStore::temporary().unwrap());
        contract(&MemStore::new());
    }

    #[test]
    fn the_outbox_survives_reopening_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        let seqs: Vec<u64> = {
            let store = SledStore::open(&path).expect("open");
            (0..5)
                .map(|i| {
                    Store::commit(&store, "5", None, Some(format!("m{i}").as_bytes()))
                        .unwrap()
                        .unwrap()
                })
                .collect()
        };
        let store = SledStore::open(&path).expect("reopen");
        let got = Store::outbox(&store, Some("5")).unwrap();
        assert_eq!(got.iter().map(|e| e.seq).collect::<Vec<_>>(), seqs);
        let later = Store::commit(&store, "5", None, Some(b"x"))
            .unwrap()
            .unwrap();
        assert!(later > *seqs.last().unwrap(), "sequence numbers only grow");
    }
}
