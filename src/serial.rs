//! Per-thread serialisation for concurrent adapters.
//!
//! [`Dispatcher::submit`] applies events for one thread one at a time, in the order they were
//! submitted, while different threads proceed in parallel. Each thread has a FIFO lock (tokio's
//! `Mutex` queues waiters fairly); the blocking sled work runs on tokio's blocking pool. Locks for idle
//! threads are dropped, so memory does not grow with the number of threads ever seen.
//!
//! [`Dispatcher::shutdown`] stops taking new events, waits for the ones in flight and flushes sled.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{Mutex as AsyncMutex, Notify};

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
        let turn = lock.lock().await;
        let bot = self.bot.clone();
        let t = thread.to_string();
        let result = tokio::task::spawn_blocking(move || bot.handle(&t, &event)).await;
        drop(turn);
        {
            let mut map = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            // Only this map and `lock` hold the Arc: nobody else is queued, so the entry can go.
            if map.get(thread).is_some_and(|l| Arc::strong_count(l) == 2) {
                map.remove(thread);
            }
        }
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
