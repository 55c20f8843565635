//! Per-thread serialisation for concurrent adapters.
//!
//! [`Dispatcher::submit`] applies events for one thread one at a time, in the order they were
//! submitted, while different threads proceed in parallel. Each thread has a FIFO lock (tokio's
//! `Mutex` queues waiters fairly); the blocking sled work runs on tokio's blocking pool. Locks for idle
//! threads are dropped, so memory does not grow with the number of threads ever seen.
//!
//! [`Dispatcher::shutdown`] stops taking new events, waits for the ones in flight and flushes sled.
//! [`Gate`] and [`GatedLines`] do the same for the line-driven adapters (`replay`, `console`).

use std::collections::HashMap;
use std::io::{self, BufRead, Read};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use tokio::sync::{Mutex as AsyncMutex, Notify, Semaphore};

use crate::bot::{Bot, Outcome};
use crate::engine::Event;
use crate::store::StoreError;

/// Why an event was not applied.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The dispatcher is shutting down.
    #[error("pavebot is shutting down; the event was not taken")]
    ShuttingDown,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The worker task failed (a bug).
    #[error("internal error: {0}")]
    Internal(String),
}

type Locks = Mutex<HashMap<String, Arc<AsyncMutex<()>>>>;

/// Serialises events per thread over one [`Bot`].
#[derive(Clone)]
pub struct Dispatcher {
    bot: Arc<Bot>,
    locks: Arc<Locks>,
    closing: Arc<AtomicBool>,
    in_flight: Arc<AtomicUsize>,
    idle: Arc<Notify>,
    // Bounds the sled work running at once (a few per core): without it every queued thread got a
    // blocking-pool thread of its own, and memory grew with the number of concurrent engagements.
    workers: Arc<Semaphore>,
}

struct InFlight<'a>(&'a Dispatcher);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Dispatcher {
    /// A dispatcher over `bot`.
    pub fn new(bot: Bot) -> Dispatcher {
        Dispatcher {
            bot: Arc::new(bot),
            locks: Arc::new(Mutex::new(HashMap::new())),
            closing: Arc::new(AtomicBool::new(false)),
            in_flight: Arc::new(AtomicUsize::new(0)),
            idle: Arc::new(Notify::new()),
            workers: Arc::new(Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()) * 2,
            )),
        }
    }

    /// The bot.
    pub fn bot(&self) -> &Bot {
        &self.bot
    }

    /// Applies `event` to `thread` after every event submitted earlier for the same thread.
    /// Returns once the new state is flushed to sled.
    pub async fn submit(&self, thread: &str, event: Event) -> Result<Outcome, SubmitError> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let _guard = InFlight(self);
        if self.closing.load(Ordering::SeqCst) {
            return Err(SubmitError::ShuttingDown);
        }
        let lock = {
            // The std lock is never held across an await.
            let mut map = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(thread.to_string())
                .or_insert_with(|| Arc::new(AsyncMutex::new(())))
                .clone()
        };
        // The turn is owned by the blocking work, not by this future: if the caller drops the future
        // (a timeout, a select!), the event still finishes before the next one for the thread starts.
        let turn = lock.lock_owned().await;
        let permit = match self.workers.clone().acquire_owned().await {
            Ok(p) => p,
            Err(_) => return Err(SubmitError::ShuttingDown),
        };
        let bot = self.bot.clone();
        let locks = self.locks.clone();
        let t = thread.to_string();
        let result = tokio::task::spawn_blocking(move || {
            let r = bot.handle(&t, &event);
            drop(permit);
            drop(turn);
            let mut map = locks.lock().unwrap_or_else(|p| p.into_inner());
            // Only the map holds the Arc now: nobody is queued, so the entry can go.
            if map.get(&t).is_some_and(|l| Arc::strong_count(l) == 1) {
                map.remove(&t);
            }
            r
        })
        .await;
        match result {
            Ok(r) => Ok(r?),
            Err(e) => Err(SubmitError::Internal(e.to_string())),
        }
    }

    /// Number of threads with a queued or running event.
    pub fn active_threads(&self) -> usize {
        self.locks.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Stops taking events, waits for those in flight, and flushes the store.
    pub async fn shutdown(&self) -> Result<(), StoreError> {
        self.closing.store(true, Ordering::SeqCst);
        loop {
            let notified = self.idle.notified();
            if self.in_flight.load(Ordering::SeqCst) == 0 {
                break;
            }
            notified.await;
        }
        let bot = self.bot.clone();
        tokio::task::spawn_blocking(move || bot.store.flush())
            .await
            .map_err(|e| StoreError::Io(e.to_string()))?
    }
}

/// Graceful shutdown for the line-driven adapters (`replay`, `console`), which handle one event at a
/// time on the main thread.
///
/// The reader marks each line as in flight from the moment it is handed out until the adapter asks for
/// the next one (by then the reply is written). [`Gate::close`] stops handing out lines, waits for the
/// one in flight and then runs the caller's closing work (flushing sled) while no event can start.
#[derive(Debug, Default)]
pub struct Gate {
    state: Mutex<GateState>,
    idle: Condvar,
}

#[derive(Debug, Default)]
struct GateState {
    closing: bool,
    busy: bool,
}

impl Gate {
    /// A new, open gate.
    pub fn new() -> Arc<Gate> {
        Arc::new(Gate::default())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Marks an event as started; false when the gate is closing (the event is not taken).
    pub fn begin(&self) -> bool {
        let mut s = self.lock();
        if s.closing {
            return false;
        }
        s.busy = true;
        true
    }

    /// Marks the event in flight as finished.
    pub fn end(&self) {
        let mut s = self.lock();
        s.busy = false;
        self.idle.notify_all();
    }

    /// True once [`Gate::close`] was called.
    pub fn is_closing(&self) -> bool {
        self.lock().closing
    }

    /// Stops taking events, waits for the one in flight, then runs `f` before any event can start.
    pub fn close<T>(&self, f: impl FnOnce() -> T) -> T {
        let mut s = self.lock();
        s.closing = true;
        while s.busy {
            s = self.idle.wait(s).unwrap_or_else(|p| p.into_inner());
        }
        f()
    }
}

/// A line reader that reports each line to a [`Gate`]: a line is in flight from the moment it is
/// handed out until the next read, and no line is handed out once the gate is closing (the input then
/// looks finished).
pub struct GatedLines<R> {
    inner: R,
    gate: Arc<Gate>,
    buf: Vec<u8>,
    pos: usize,
    busy: bool,
    eof: bool,
}

impl<R: BufRead> GatedLines<R> {
    /// Wraps `inner`.
    pub fn new(inner: R, gate: Arc<Gate>) -> GatedLines<R> {
        GatedLines {
            inner,
            gate,
            buf: Vec::new(),
            pos: 0,
            busy: false,
            eof: false,
        }
    }
}

impl<R: BufRead> Read for GatedLines<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let avail = self.fill_buf()?;
            let n = avail.len().min(out.len());
            out[..n].copy_from_slice(&avail[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for GatedLines<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.buf.len() {
            if self.eof {
                // The last line had no newline: it stays in flight until the adapter returns.
                return Ok(&[]);
            }
            if self.busy {
                // The adapter asks for more, so the previous line is handled.
                self.busy = false;
                self.gate.end();
            }
            self.buf.clear();
            self.pos = 0;
            if self.gate.is_closing() || self.inner.read_until(b'\n', &mut self.buf)? == 0 {
                self.buf.clear();
                self.eof = true;
                return Ok(&[]);
            }
            if !self.buf.ends_with(b"\n") {
                self.eof = true;
            }
            if !self.gate.begin() {
                self.buf.clear();
                self.eof = true;
                return Ok(&[]);
            }
            self.busy = true;
        }
        Ok(&self.buf[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
    }
}
