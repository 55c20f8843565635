//! Per-thread serialisation for concurrent adapters, and the one owner of the store while they run:
//! the Discord adapter loads, saves and moves nothing itself; it submits events
//! ([`Dispatcher::submit_with`] writes its outbox entry with the step), asks for a thread's
//! [`ThreadInfo`], moves a state into a new thread and reads or advances the outbox, all through here.
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

use crate::bot::{Bot, Outcome, ThreadInfo};
use crate::engine::{Event, Step};
use crate::store::{OutboxEntry, SledStore, Store, StoreError};

/// Builds a step's outbox entry inside the dispatcher (see [`Dispatcher::submit_with`]).
pub type OutboxFn = Arc<dyn Fn(&Step, &ThreadInfo) -> Option<Vec<u8>> + Send + Sync>;

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

/// Serialises events per thread over one [`Bot`]: the one owner of the store while it runs.
pub struct Dispatcher<S: Store = SledStore> {
    bot: Arc<Bot<S>>,
    locks: Arc<Locks>,
    closing: Arc<AtomicBool>,
    in_flight: Arc<AtomicUsize>,
    idle: Arc<Notify>,
    // Bounds the sled work running at once (a few per core): without it every queued thread got a
    // blocking-pool thread of its own, and memory grew with the number of concurrent engagements.
    workers: Arc<Semaphore>,
}

impl<S: Store> Clone for Dispatcher<S> {
    fn clone(&self) -> Self {
        Dispatcher {
            bot: self.bot.clone(),
            locks: self.locks.clone(),
            closing: self.closing.clone(),
            in_flight: self.in_flight.clone(),
            idle: self.idle.clone(),
            workers: self.workers.clone(),
        }
    }
}

struct InFlight<'a, S: Store>(&'a Dispatcher<S>);

impl<S: Store> Drop for InFlight<'_, S> {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl<S: Store> Dispatcher<S> {
    /// A dispatcher over `bot`.
    pub fn new(bot: Bot<S>) -> Dispatcher<S> {
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

    /// The bot (the engine, for front ends that render; the store is the dispatcher's alone).
    pub fn bot(&self) -> &Bot<S> {
        &self.bot
    }

    /// Applies `event` to `thread` after every event submitted earlier for the same thread.
    /// Returns once the new state is flushed to sled.
    pub async fn submit(&self, thread: &str, event: Event) -> Result<Outcome, SubmitError> {
        self.locked(&[thread], move |bot, t| bot.handle(&t[0], &event))
            .await
    }

    /// Like [`Dispatcher::submit`]; `outbox` turns the step into an outbox entry that is written in
    /// the same durable write as the new state.
    pub async fn submit_with(
        &self,
        thread: &str,
        event: Event,
        outbox: OutboxFn,
    ) -> Result<Outcome, SubmitError> {
        self.locked(&[thread], move |bot, t| {
            bot.handle_with(&t[0], &event, &|s, i| outbox(s, i))
        })
        .await
    }

    /// What a front end needs to know about `thread`, read after the events submitted before.
    pub async fn info(&self, thread: &str) -> Result<ThreadInfo, SubmitError> {
        self.locked(&[thread], |bot, t| bot.info(&t[0])).await
    }

    /// Moves a thread's state to another key (an engagement that started under a channel key moves
    /// into its new thread), holding both threads' turns.
    pub async fn move_state(&self, from: &str, to: &str) -> Result<(), SubmitError> {
        if from == to {
            return Ok(());
        }
        self.locked(&[from, to], |bot, t| bot.store.move_state(&t[0], &t[1]))
            .await
    }

    /// Pending outbox entries (of one thread, or all).
    pub async fn outbox(&self, thread: Option<&str>) -> Result<Vec<OutboxEntry>, SubmitError> {
        let bot = self.bot.clone();
        let t = thread.map(str::to_string);
        tokio::task::spawn_blocking(move || bot.store.outbox(t.as_deref()))
            .await
            .map_err(|e| SubmitError::Internal(e.to_string()))?
            .map_err(SubmitError::from)
    }

    /// Records delivery progress of an outbox entry, or removes it once delivered (`None`).
    pub async fn outbox_update(
        &self,
        thread: &str,
        seq: u64,
        body: Option<Vec<u8>>,
    ) -> Result<(), SubmitError> {
        let bot = self.bot.clone();
        let t = thread.to_string();
        tokio::task::spawn_blocking(move || bot.store.outbox_update(&t, seq, body.as_deref()))
            .await
            .map_err(|e| SubmitError::Internal(e.to_string()))?
            .map_err(SubmitError::from)
    }

    /// Runs `f` on the blocking pool while holding the turns of `threads` (taken in sorted order, so
    /// two callers never wait for each other in a cycle).
    async fn locked<T: Send + 'static>(
        &self,
        threads: &[&str],
        f: impl FnOnce(&Bot<S>, &[String]) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, SubmitError> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let _guard = InFlight(self);
        if self.closing.load(Ordering::SeqCst) {
            return Err(SubmitError::ShuttingDown);
        }
        let names: Vec<String> = threads.iter().map(|t| t.to_string()).collect();
        let mut order: Vec<String> = names.clone();
        order.sort();
        order.dedup();
        let lock_list: Vec<Arc<AsyncMutex<()>>> = {
            // The std lock is never held across an await.
            let mut map = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            order
                .iter()
                .map(|t| {
                    map.entry(t.clone())
                        .or_insert_with(|| Arc::new(AsyncMutex::new(())))
                        .clone()
                })
                .collect()
        };
        // The turn is owned by the blocking work, not by this future: if the caller drops the future
        // (a timeout, a select!), the event still finishes before the next one for the thread starts.
        let mut turns = Vec::with_capacity(lock_list.len());
        for l in lock_list {
            turns.push(l.lock_owned().await);
        }
        let permit = match self.workers.clone().acquire_owned().await {
            Ok(p) => p,
            Err(_) => return Err(SubmitError::ShuttingDown),
        };
        let bot = self.bot.clone();
        let locks = self.locks.clone();
        let result = tokio::task::spawn_blocking(move || {
            let r = f(&bot, &names);
            drop(permit);
            drop(turns);
            let mut map = locks.lock().unwrap_or_else(|p| p.into_inner());
            for t in &order {
                // Only the map holds the Arc now: nobody is queued, so the entry can go.
                if map.get(t).is_some_and(|l| Arc::strong_count(l) == 1) {
                    map.remove(t);
                }
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
