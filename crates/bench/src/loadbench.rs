//! `pavebot-bench`: the load benchmark.
//!
//! One run measures, on the same machine and the same disk:
//!
//! 1. **the physical floor**: a bare sled `insert` + `flush` of a record the size of pavebot's
//!    serialised thread state (the final state of the benchmark engagement), one at a time;
//! 2. **one durable event**, one at a time: [`Bot::handle`] (load from sled, step, save, flush), as a
//!    ratio to that floor, plus a breakdown of where its time goes (decode, step, view, encode,
//!    insert + flush);
//! 3. **the load**: for each N in `--threads`, N concurrent threads each run a whole `full_build`
//!    engagement ([`script`]: first message, grouped answers, confirm, a question, a correction,
//!    confirm, confirm) through the [`Dispatcher`] on a tokio multi-thread runtime, over one real sled
//!    database. It reports events/s, p50/p99 latency per event (submit to durable reply, queueing
//!    included), resident memory before and after, peak memory, stored threads and database size, and
//!    checks that every step landed where the script expects and that every thread ends in Phase 4
//!    awaiting the user's reaction, with zero errors.
//!
//! Rounds share one database (thread keys `bench-n<N>-<i>`), so the number of stored threads grows
//! from round to round while the sled page cache stays bounded by `--cache-mb`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use serde::Serialize;

use pavebot::bot::Bot;
use pavebot::engine::state::{Awaiting, Mode, ThreadState};
use pavebot::engine::{Command, Engine, Event};
use pavebot::serial::Dispatcher;
use pavebot::store::SledStore;

/// Options of `pavebot-bench`.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "pavebot-bench",
    about = "Load benchmark: concurrent full_build engagements over a real sled database, with the bare sled insert+flush floor measured in the same run"
)]
pub struct Options {
    /// Concurrent threads per round, comma-separated (default 100,1000,10000; with --quick 20,50).
    #[arg(long, value_delimiter = ',', value_name = "N,N,...")]
    pub threads: Option<Vec<usize>>,
    /// Small, fast run (used by the tests so the benchmark cannot rot).
    #[arg(long)]
    pub quick: bool,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// sled database directory (default: a temporary directory removed at exit). Must not be in use.
    #[arg(long, value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// sled page cache in MiB (pavebot's limits.cache_mb).
    #[arg(long, default_value_t = 64, value_name = "MIB")]
    pub cache_mb: u64,
    /// Samples of the bare sled insert+flush floor (default 2000; with --quick 100).
    #[arg(long, value_name = "N")]
    pub floor_samples: Option<usize>,
    /// Engagements run one event at a time for the durable-event figure (default 100; with --quick 4).
    #[arg(long, value_name = "N")]
    pub serial_engagements: Option<usize>,
    /// At most this many engagements run at once in a round (default: all N at once). With a fixed
    /// concurrency, rounds of growing N show how memory depends on the number of stored threads alone.
    #[arg(long, value_name = "C")]
    pub concurrency: Option<usize>,
    /// tokio worker threads (default: one per CPU).
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// Memory against stored threads: after the rounds, seed finished threads until this many have
    /// been seeded (on top of the rounds' threads), and run the same probe at each total (default
    /// 10000,100000; with --quick 200,1000; 0 skips the sweep).
    #[arg(long, value_delimiter = ',', value_name = "S,S,...")]
    pub stored: Option<Vec<usize>>,
    /// The sweep's probe: new engagements run at each step, at most 100 at once (default 1000; with
    /// --quick 20).
    #[arg(long, value_name = "N")]
    pub probe: Option<usize>,
    /// The sweep's probe: events sent to old threads picked at random among the stored ones, so their
    /// state is read back from sled (default 2000; with --quick 20).
    #[arg(long, value_name = "N")]
    pub cold: Option<usize>,
}

const MAX_THREADS: usize = 1_000_000;
const MAX_STORED: usize = 10_000_000;
/// Engagements at once in the sweep's probe.
const PROBE_CONCURRENCY: usize = 100;
/// Records per sled batch (one flush each) when seeding stored threads.
const SEED_BATCH: usize = 1_000;

impl Options {
    /// Parses command-line style arguments (without the program name).
    pub fn parse_args(args: &[String]) -> Result<Options, clap::Error> {
        Options::try_parse_from(
            std::iter::once("pavebot-bench".to_string()).chain(args.iter().cloned()),
        )
    }

    fn rounds(&self) -> Vec<usize> {
        match &self.threads {
            Some(t) => t.clone(),
            None if self.quick => vec![20, 50],
            None => vec![100, 1_000, 10_000],
        }
    }

    fn stored_steps(&self) -> Vec<usize> {
        match &self.stored {
            Some(s) if s == &[0] => vec![],
            Some(s) => s.clone(),
            None if self.quick => vec![200, 1_000],
            None => vec![10_000, 100_000],
        }
    }

    fn probe_n(&self) -> usize {
        self.probe.unwrap_or(if self.quick { 20 } else { 1_000 })
    }

    fn cold_n(&self) -> usize {
        self.cold.unwrap_or(if self.quick { 20 } else { 2_000 })
    }

    fn floor_n(&self) -> usize {
        self.floor_samples
            .unwrap_or(if self.quick { 100 } else { 2_000 })
    }

    fn serial_n(&self) -> usize {
        self.serial_engagements
            .unwrap_or(if self.quick { 4 } else { 100 })
    }

    fn validate(&self) -> anyhow::Result<()> {
        let rounds = self.rounds();
        if rounds.is_empty() || rounds.iter().any(|n| *n == 0 || *n > MAX_THREADS) {
            anyhow::bail!(
                "--threads takes counts between 1 and {MAX_THREADS}, e.g. --threads 100,1000"
            );
        }
        let steps = self.stored_steps();
        if steps.iter().any(|s| *s == 0 || *s > MAX_STORED)
            || steps.windows(2).any(|w| w[0] >= w[1])
        {
            anyhow::bail!("--stored takes increasing totals between 1 and {MAX_STORED}, e.g. --stored 10000,100000 (or 0 to skip the sweep)");
        }
        if !steps.is_empty() && (self.probe_n() == 0 || self.cold_n() == 0) {
            anyhow::bail!("--probe and --cold must be at least 1");
        }
        if self.floor_n() == 0 || self.serial_n() == 0 {
            anyhow::bail!("--floor-samples and --serial-engagements must be at least 1");
        }
        if self.concurrency == Some(0) {
            anyhow::bail!("--concurrency must be at least 1");
        }
        if self.workers == Some(0) {
            anyhow::bail!("--workers must be at least 1");
        }
        Ok(())
    }
}

/// One scripted event and where the thread must stand after it.
#[derive(Debug, Clone)]
pub struct ScriptStep {
    /// What it is (for the report).
    pub label: &'static str,
    /// The event.
    pub event: Event,
    /// Phase expected after the event.
    pub phase: u8,
    /// `awaiting` expected after the event.
    pub awaiting: Awaiting,
}

/// The benchmark engagement for `user`: a `full_build` from the first message to the final plan.
pub fn script(user: &str) -> Vec<ScriptStep> {
    let text = |t: &str| Event {
        user: user.to_string(),
        text: Some(t.to_string()),
        ..Event::default()
    };
    let confirm = Event {
        user: user.to_string(),
        command: Some(Command::Confirm),
        ..Event::default()
    };
    let s = |label, event, phase, awaiting| ScriptStep {
        label,
        event,
        phase,
        awaiting,
    };
    vec![
        s(
            "first message",
            text("We want to build an internal developer platform on EKS for our 30 app teams"),
            1,
            Awaiting::Inputs,
        ),
        s(
            "grouped answers",
            text("1. about 30 teams, namespace per team. 2. slow deploys, tickets for every environment. 3. self-service deploys and new environments on demand. 4. we use GitHub Actions and Argo CD. 5. multi-account, SOC2"),
            1,
            Awaiting::Confirmation,
        ),
        s("confirm phase 1", confirm.clone(), 2, Awaiting::Confirmation),
        s("question at the gate", text("what is kro?"), 2, Awaiting::Confirmation),
        s("correction", text("actually we use Flux"), 2, Awaiting::Confirmation),
        s("confirm phase 2", text("yes"), 3, Awaiting::Confirmation),
        s("confirm phase 3", confirm, 4, Awaiting::Reaction),
    ]
}

/// Latency percentiles, in microseconds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Percentiles {
    /// Samples.
    pub n: usize,
    /// Median.
    pub p50_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// Mean.
    pub mean_us: f64,
    /// Largest.
    pub max_us: f64,
}

impl Percentiles {
    fn of(mut ns: Vec<u64>) -> Percentiles {
        ns.sort_unstable();
        let n = ns.len();
        let at = |p: f64| {
            if n == 0 {
                return 0.0;
            }
            let i = ((p * n as f64).ceil() as usize).clamp(1, n) - 1;
            ns[i] as f64 / 1e3
        };
        let mean = if n == 0 {
            0.0
        } else {
            ns.iter().map(|x| *x as f64).sum::<f64>() / n as f64 / 1e3
        };
        Percentiles {
            n,
            p50_us: at(0.50),
            p99_us: at(0.99),
            mean_us: mean,
            max_us: ns.last().map(|x| *x as f64 / 1e3).unwrap_or(0.0),
        }
    }
}

/// Where one durable event's time goes (each part timed separately, same events).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Breakdown {
    /// sled get + JSON decode (+ migration check).
    pub load: Percentiles,
    /// The pure engine step.
    pub step: Percentiles,
    /// The contract view (decisions, conflicts, checklist): computed by `replay` only, not by `Bot::handle`.
    pub view: Percentiles,
    /// JSON encode of the new state.
    pub encode: Percentiles,
    /// sled insert + flush of the encoded state.
    pub insert_flush: Percentiles,
}

/// One load round.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Round {
    /// Concurrent threads (engagements).
    pub threads: usize,
    /// Events submitted.
    pub events: usize,
    /// Events that returned an outcome.
    pub events_ok: usize,
    /// Submit errors (store failures, shutdown, internal).
    pub errors: usize,
    /// Steps whose phase/awaiting differed from the script.
    pub unexpected: usize,
    /// The first error or unexpected step, if any.
    pub first_problem: Option<String>,
    /// Engagements whose last event left them in Phase 4 awaiting reaction.
    pub completed: usize,
    /// Threads read back from sled after the round and found in Phase 4 awaiting reaction.
    pub verified_in_store: usize,
    /// Wall time of the round, in seconds.
    pub wall_s: f64,
    /// Events per second.
    pub events_per_s: f64,
    /// Per-event latency, submit to durable outcome (queueing included).
    pub latency: Percentiles,
    /// VmRSS before the round, KiB.
    pub rss_before_kib: u64,
    /// VmRSS after the round, KiB.
    pub rss_after_kib: u64,
    /// Peak RSS of the process so far (VmHWM), KiB.
    pub rss_peak_kib: u64,
    /// Heap in use after the round (the allocator's live bytes, `mallinfo2`), KiB; `None` where the
    /// allocator does not report it (not glibc).
    pub heap_after_kib: Option<u64>,
    /// Engagements allowed to run at once.
    pub concurrency: usize,
    /// Threads stored in the database after the round (all rounds so far).
    pub stored_threads: usize,
    /// Database size on disk after the round, bytes.
    pub db_bytes: u64,
    /// Dispatcher locks still held after the round (should be 0).
    pub locks_left: usize,
    /// sled flushes during the round: fewer than writes when concurrent saves shared one (group commit).
    pub flushes: u64,
}

/// Events sent to old threads during a sweep step.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ColdProbe {
    /// Events sent.
    pub events: usize,
    /// Submit errors.
    pub errors: usize,
    /// Events after which the thread was not in Phase 4 awaiting reaction.
    pub unexpected: usize,
    /// The first error or unexpected step, if any.
    pub first_problem: Option<String>,
    /// Events per second.
    pub events_per_s: f64,
    /// Per-event latency, submit to durable outcome.
    pub latency: Percentiles,
}

/// One step of the memory sweep: `target` finished threads seeded in all, then the probe.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StoredStep {
    /// The step's target: finished threads seeded so far (on top of the rounds' and earlier probes').
    pub target: usize,
    /// Finished-thread records written by this step's seeding (sled batches of 1,000, one flush each).
    pub seeded: usize,
    /// Time the seeding took, in seconds.
    pub seed_s: f64,
    /// New engagements, at most 100 at once.
    pub probe: Round,
    /// Events on old threads picked at random among the seeded ones.
    pub cold: ColdProbe,
    /// VmRSS after the step, KiB.
    pub rss_kib: u64,
    /// Heap in use after the step (`mallinfo2`), KiB, where the allocator reports it.
    pub heap_kib: Option<u64>,
    /// Threads stored after the step.
    pub stored_threads: usize,
    /// Database size on disk after the step, bytes.
    pub db_bytes: u64,
}

/// The whole report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    /// Machine description.
    pub machine: Machine,
    /// Events per engagement.
    pub script: Vec<&'static str>,
    /// Size of the final thread state as stored (JSON), bytes: the floor's record size.
    pub record_bytes: usize,
    /// sled page cache, MiB.
    pub cache_mb: u64,
    /// tokio worker threads.
    pub workers: usize,
    /// Bare sled insert + flush of `record_bytes`, one at a time.
    pub floor: Percentiles,
    /// `Bot::handle` (load, step, save + flush; the replay view is not part of it), one at a time.
    pub durable_event: Percentiles,
    /// durable_event.p50 / floor.p50.
    pub ratio_p50: f64,
    /// durable_event.p99 / floor.p99.
    pub ratio_p99: f64,
    /// Where a durable event's time goes.
    pub breakdown: Breakdown,
    /// The load rounds.
    pub rounds: Vec<Round>,
    /// Memory against stored threads (empty when the sweep is skipped).
    pub stored_sweep: Vec<StoredStep>,
    /// VmRSS at the start, KiB.
    pub rss_start_kib: u64,
    /// True when every round completed every engagement with no error and no unexpected step.
    pub all_ok: bool,
}

/// What the run was measured on.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Machine {
    /// Logical CPUs.
    pub cpus: usize,
    /// CPU model (from /proc/cpuinfo).
    pub cpu_model: String,
    /// Total memory, KiB (from /proc/meminfo).
    pub mem_total_kib: u64,
}

fn proc_kib(file: &str, key: &str) -> u64 {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Resident memory of this process (VmRSS), KiB; 0 where /proc is not available.
pub fn rss_kib() -> u64 {
    proc_kib("/proc/self/status", "VmRSS:")
}

fn peak_kib() -> u64 {
    proc_kib("/proc/self/status", "VmHWM:")
}

fn machine() -> Machine {
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    Machine {
        cpus: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        cpu_model,
        mem_total_kib: proc_kib("/proc/meminfo", "MemTotal:"),
    }
}

fn ns(d: Duration) -> u64 {
    d.as_nanos().min(u64::MAX as u128) as u64
}

/// Runs the engagement script on a fresh in-memory state and returns the final state.
fn final_state(engine: &Engine) -> ThreadState {
    let mut st = ThreadState::default();
    for s in script("bench") {
        st = engine.step(&st, &s.event).state;
    }
    st
}

/// The bare sled floor: insert + flush of `size` bytes, `n` times, into its own database in `dir`.
fn floor(
    dir: &std::path::Path,
    cache_mb: u64,
    size: usize,
    n: usize,
) -> anyhow::Result<Percentiles> {
    let db = sled::Config::new()
        .path(dir)
        .cache_capacity(cache_mb.max(1) * 1024 * 1024)
        .open()
        .with_context(|| format!("cannot open the floor database at {}", dir.display()))?;
    let tree = db.open_tree("threads")?;
    // Printable bytes, varied per record, so nothing compresses or deduplicates.
    let mut record: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let key = format!("floor-{}", i % 1_000);
        record[i % size.max(1)] = b'A' + (i % 26) as u8;
        let t = Instant::now();
        tree.insert(key.as_bytes(), record.as_slice())?;
        tree.flush()?;
        samples.push(ns(t.elapsed()));
    }
    Ok(Percentiles::of(samples))
}

/// `Bot::handle`, one event at a time, over `engagements` fresh threads.
fn durable_serial(bot: &Bot, engagements: usize) -> anyhow::Result<Percentiles> {
    let mut samples = Vec::new();
    for i in 0..engagements {
        let thread = format!("serial-{i}");
        for s in script(&format!("user{i}")) {
            let t = Instant::now();
            let out = bot.handle(&thread, &s.event)?;
            samples.push(ns(t.elapsed()));
            anyhow::ensure!(
                out.step.state.engaged().map(|e| (e.phase(), e.awaiting()))
                    == Some((s.phase, s.awaiting)),
                "serial run: {thread} after {:?} is not where the script expects",
                s.label
            );
        }
    }
    Ok(Percentiles::of(samples))
}

/// The parts of `Bot::handle`, timed one by one on `engagements` fresh threads.
fn breakdown(bot: &Bot, engagements: usize) -> anyhow::Result<Breakdown> {
    let (mut load, mut step, mut view, mut encode, mut write) =
        (vec![], vec![], vec![], vec![], vec![]);
    for i in 0..engagements {
        let thread = format!("parts-{i}");
        for s in script(&format!("user{i}")) {
            let t = Instant::now();
            let st = bot.store.load(&thread)?;
            load.push(ns(t.elapsed()));
            let t = Instant::now();
            let out = bot.engine.step(&st, &s.event);
            step.push(ns(t.elapsed()));
            let t = Instant::now();
            let v = bot.engine.view(&out.state);
            view.push(ns(t.elapsed()));
            std::hint::black_box(v);
            let t = Instant::now();
            let bytes = serde_json::to_vec(&out.state)?;
            encode.push(ns(t.elapsed()));
            let t = Instant::now();
            bot.store.put_raw(&thread, &bytes)?;
            write.push(ns(t.elapsed()));
        }
    }
    Ok(Breakdown {
        load: Percentiles::of(load),
        step: Percentiles::of(step),
        view: Percentiles::of(view),
        encode: Percentiles::of(encode),
        insert_flush: Percentiles::of(write),
    })
}

struct ThreadResult {
    latencies: Vec<u64>,
    ok: usize,
    errors: usize,
    unexpected: usize,
    problem: Option<String>,
    completed: bool,
}

async fn engagement(d: Dispatcher, thread: String, user: String) -> ThreadResult {
    let steps = script(&user);
    let mut r = ThreadResult {
        latencies: Vec::with_capacity(steps.len()),
        ok: 0,
        errors: 0,
        unexpected: 0,
        problem: None,
        completed: false,
    };
    let last = steps.len() - 1;
    for (i, s) in steps.into_iter().enumerate() {
        let t = Instant::now();
        let res = d.submit(&thread, s.event).await;
        r.latencies.push(ns(t.elapsed()));
        match res {
            Ok(out) => {
                r.ok += 1;
                let at = out
                    .step
                    .state
                    .engaged()
                    .map(|e| (e.mode, e.phase(), e.awaiting()));
                if at != Some((Mode::FullBuild, s.phase, s.awaiting)) {
                    r.unexpected += 1;
                    r.problem.get_or_insert_with(|| {
                        format!(
                            "{thread} after {:?}: expected phase {} awaiting {}, got {at:?}",
                            s.label,
                            s.phase,
                            s.awaiting.id()
                        )
                    });
                } else if i == last {
                    r.completed = true;
                }
            }
            Err(e) => {
                r.errors += 1;
                r.problem
                    .get_or_insert_with(|| format!("{thread} after {:?}: {e}", s.label));
            }
        }
    }
    r
}

fn round(
    rt: &tokio::runtime::Runtime,
    d: &Dispatcher,
    n: usize,
    concurrency: Option<usize>,
    prefix: &str,
) -> anyhow::Result<Round> {
    let concurrency = concurrency.unwrap_or(n).min(n);
    let rss_before = rss_kib();
    let flushes_before = d.bot().store.flush_count();
    let start = Instant::now();
    let results: Vec<ThreadResult> = rt
        .block_on(async {
            let slots = Arc::new(tokio::sync::Semaphore::new(concurrency));
            let mut handles = Vec::with_capacity(n);
            for i in 0..n {
                // The semaphore is never closed, so acquiring cannot fail.
                let slot = slots.clone().acquire_owned().await.ok();
                let d = d.clone();
                let thread = format!("{prefix}-{i}");
                handles.push(tokio::spawn(async move {
                    let r = engagement(d, thread, format!("user{i}")).await;
                    drop(slot);
                    r
                }));
            }
            let mut out = Vec::with_capacity(n);
            for h in handles {
                out.push(h.await);
            }
            out
        })
        .into_iter()
        .map(|r| r.map_err(|e| anyhow::anyhow!("an engagement task failed: {e}")))
        .collect::<anyhow::Result<_>>()?;
    let wall = start.elapsed();
    let store = &d.bot().store;
    let mut verified = 0;
    for i in 0..n {
        let st = store.load(&format!("{prefix}-{i}"))?;
        if st
            .engaged()
            .is_some_and(|e| e.phase() == 4 && e.awaiting() == Awaiting::Reaction)
        {
            verified += 1;
        }
    }
    let events = n * script("x").len();
    let mut lat = Vec::with_capacity(events);
    let (mut ok, mut errors, mut unexpected, mut completed) = (0, 0, 0, 0);
    let mut first_problem = None;
    for r in results {
        lat.extend(r.latencies);
        ok += r.ok;
        errors += r.errors;
        unexpected += r.unexpected;
        completed += r.completed as usize;
        if first_problem.is_none() {
            first_problem = r.problem;
        }
    }
    let latency = Percentiles::of(lat);
    Ok(Round {
        threads: n,
        events: latency.n,
        events_ok: ok,
        errors,
        unexpected,
        first_problem,
        completed,
        verified_in_store: verified,
        wall_s: wall.as_secs_f64(),
        events_per_s: latency.n as f64 / wall.as_secs_f64().max(1e-9),
        latency,
        rss_before_kib: rss_before,
        rss_after_kib: rss_kib(),
        rss_peak_kib: peak_kib(),
        heap_after_kib: crate::mem::heap_in_use_kib(),
        concurrency,
        stored_threads: store.len(),
        db_bytes: store.size_on_disk(),
        locks_left: d.active_threads(),
        flushes: store.flush_count() - flushes_before,
    })
}

/// One sweep step: seeds finished threads (`stored-<j>`) until `target` have been seeded, then runs
/// the probe: new engagements, and events on old threads read back from sled.
fn stored_step(
    rt: &tokio::runtime::Runtime,
    d: &Dispatcher,
    target: usize,
    seeded_total: &mut usize,
    opts: &Options,
) -> anyhow::Result<StoredStep> {
    let bot = d.bot();
    let store = &bot.store;
    let base = final_state(&bot.engine);
    let missing = target.saturating_sub(*seeded_total);
    let start = Instant::now();
    let mut done = 0;
    while done < missing {
        let chunk = SEED_BATCH.min(missing - done);
        let records: Vec<(String, Vec<u8>)> = (0..chunk)
            .map(|k| {
                let j = *seeded_total + done + k;
                let mut st = base.clone();
                if let Some(e) = st.engaged_mut() {
                    e.owner = format!("user{j}");
                }
                serde_json::to_vec(&st).map(|b| (format!("stored-{j}"), b))
            })
            .collect::<Result<_, _>>()?;
        store.put_many(records.iter().map(|(k, v)| (k.as_str(), v.as_slice())))?;
        done += chunk;
    }
    *seeded_total += missing;
    let seed_s = start.elapsed().as_secs_f64();

    let probe = round(
        rt,
        d,
        opts.probe_n(),
        Some(PROBE_CONCURRENCY),
        &format!("probe-s{target}"),
    )?;
    let cold = cold_probe(rt, d, opts.cold_n(), *seeded_total, target as u64)?;
    Ok(StoredStep {
        target,
        seeded: missing,
        seed_s,
        probe,
        cold,
        rss_kib: rss_kib(),
        heap_kib: crate::mem::heap_in_use_kib(),
        stored_threads: store.len(),
        db_bytes: store.size_on_disk(),
    })
}

/// `n` events ("what is kro?", a question at the final gate) on threads picked at random among the
/// `seeded` ones, at most 100 at once; each must leave its thread in Phase 4 awaiting reaction.
fn cold_probe(
    rt: &tokio::runtime::Runtime,
    d: &Dispatcher,
    n: usize,
    seeded: usize,
    seed: u64,
) -> anyhow::Result<ColdProbe> {
    if seeded == 0 {
        return Ok(ColdProbe {
            events: 0,
            errors: 0,
            unexpected: 0,
            first_problem: None,
            events_per_s: 0.0,
            latency: Percentiles::of(vec![]),
        });
    }
    // xorshift64*: a fixed, reproducible choice of old threads.
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let threads: Vec<String> = (0..n)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
            format!("stored-{}", r % seeded as u64)
        })
        .collect();
    let start = Instant::now();
    let results = rt.block_on(async {
        let slots = Arc::new(tokio::sync::Semaphore::new(PROBE_CONCURRENCY));
        let mut handles = Vec::with_capacity(n);
        for thread in threads {
            let slot = slots.clone().acquire_owned().await.ok();
            let d = d.clone();
            handles.push(tokio::spawn(async move {
                let event = Event {
                    user: "someone".into(),
                    text: Some("what is kro?".into()),
                    ..Event::default()
                };
                let t = Instant::now();
                let res = d.submit(&thread, event).await;
                let took = ns(t.elapsed());
                drop(slot);
                let problem = match res {
                    Err(e) => Some((true, format!("{thread}: {e}"))),
                    Ok(out) => {
                        let at = out.step.state.engaged().map(|e| (e.phase(), e.awaiting()));
                        (at != Some((4, Awaiting::Reaction))).then(|| {
                            (
                                false,
                                format!("{thread}: expected phase 4 awaiting reaction, got {at:?}"),
                            )
                        })
                    }
                };
                (took, problem)
            }));
        }
        let mut out = Vec::with_capacity(n);
        for h in handles {
            out.push(h.await);
        }
        out
    });
    let wall = start.elapsed();
    let mut lat = Vec::with_capacity(n);
    let (mut errors, mut unexpected, mut first_problem) = (0, 0, None);
    for r in results {
        let (took, problem) = r.map_err(|e| anyhow::anyhow!("a probe task failed: {e}"))?;
        lat.push(took);
        if let Some((is_error, p)) = problem {
            if is_error {
                errors += 1;
            } else {
                unexpected += 1;
            }
            first_problem.get_or_insert(p);
        }
    }
    Ok(ColdProbe {
        events: n,
        errors,
        unexpected,
        first_problem,
        events_per_s: n as f64 / wall.as_secs_f64().max(1e-9),
        latency: Percentiles::of(lat),
    })
}

/// Runs the whole benchmark and returns its report.
pub fn run(engine: Engine, opts: &Options) -> anyhow::Result<Report> {
    opts.validate()?;
    let rss_start = rss_kib();
    let tmp = tempfile::tempdir().context("cannot create a temporary directory")?;
    let dir = opts.db.clone().unwrap_or_else(|| tmp.path().join("db"));
    let floor_dir = tmp.path().join("floor");
    let record_bytes = serde_json::to_vec(&final_state(&engine))?.len();

    let floor = floor(&floor_dir, opts.cache_mb, record_bytes, opts.floor_n())?;

    let store = SledStore::open_with_cache(&dir, opts.cache_mb)?;
    if !store.is_empty() {
        anyhow::bail!(
            "the database at {} already holds {} threads: give --db an empty or new directory",
            dir.display(),
            store.len()
        );
    }
    let bot = Bot::new(engine, store);
    let durable_event = durable_serial(&bot, opts.serial_n())?;
    let breakdown = breakdown(&bot, opts.serial_n())?;

    let workers = opts.workers.unwrap_or_else(|| machine().cpus);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?;
    let d = Dispatcher::new(bot);
    let mut rounds = Vec::new();
    for n in opts.rounds() {
        rounds.push(round(&rt, &d, n, opts.concurrency, &format!("bench-n{n}"))?);
    }
    let mut stored_sweep = Vec::new();
    let mut seeded_total = 0;
    for target in opts.stored_steps() {
        let step = stored_step(&rt, &d, target, &mut seeded_total, opts)?;
        stored_sweep.push(step);
    }
    rt.block_on(d.shutdown())?;
    drop(d);
    drop(rt);

    let round_ok = |r: &Round| {
        r.errors == 0
            && r.unexpected == 0
            && r.completed == r.threads
            && r.verified_in_store == r.threads
            && r.events_ok == r.events
    };
    let all_ok = rounds.iter().all(round_ok)
        && stored_sweep
            .iter()
            .all(|s| round_ok(&s.probe) && s.cold.errors == 0 && s.cold.unexpected == 0);
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    Ok(Report {
        machine: machine(),
        script: script("x").iter().map(|s| s.label).collect(),
        record_bytes,
        cache_mb: opts.cache_mb,
        workers,
        ratio_p50: ratio(durable_event.p50_us, floor.p50_us),
        ratio_p99: ratio(durable_event.p99_us, floor.p99_us),
        floor,
        durable_event,
        breakdown,
        rounds,
        stored_sweep,
        rss_start_kib: rss_start,
        all_ok,
    })
}

fn us(x: f64) -> String {
    if x >= 10_000.0 {
        format!("{:.1} ms", x / 1e3)
    } else if x >= 100.0 {
        format!("{x:.0} µs")
    } else {
        format!("{x:.1} µs")
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

/// The report as a readable table.
pub fn table(r: &Report) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let m = &r.machine;
    let _ = writeln!(
        s,
        "pavebot load benchmark: {} CPUs ({}), {} MiB RAM, tokio workers {}, sled cache {} MiB",
        m.cpus,
        m.cpu_model,
        m.mem_total_kib / 1024,
        r.workers,
        r.cache_mb
    );
    let _ = writeln!(
        s,
        "engagement: full_build, {} events ({})",
        r.script.len(),
        r.script.join(", ")
    );
    let _ = writeln!(s, "thread state record: {} bytes of JSON\n", r.record_bytes);
    let line = |name: &str, p: &Percentiles| {
        format!(
            "{name:<44} {:>10} {:>10} {:>10}  (n={})\n",
            us(p.p50_us),
            us(p.p99_us),
            us(p.mean_us),
            p.n
        )
    };
    let _ = writeln!(
        s,
        "{:<44} {:>10} {:>10} {:>10}",
        "one at a time", "p50", "p99", "mean"
    );
    s.push_str(&line("floor: bare sled insert + flush", &r.floor));
    s.push_str(&line("durable event: Bot::handle", &r.durable_event));
    let _ = writeln!(
        s,
        "{:<44} {:>9.2}x {:>9.2}x",
        "  ratio to the floor", r.ratio_p50, r.ratio_p99
    );
    let b = &r.breakdown;
    s.push_str(&line("  part: load (sled get + JSON decode)", &b.load));
    s.push_str(&line("  part: engine step (pure)", &b.step));
    s.push_str(&line("  part: view (replay only)", &b.view));
    s.push_str(&line("  part: JSON encode", &b.encode));
    s.push_str(&line("  part: sled insert + flush", &b.insert_flush));
    let _ = writeln!(
        s,
        "\n{:>7} {:>6} {:>8} {:>8} {:>10} {:>10} {:>10} {:>9} {:>6} {:>8} {:>16} {:>8} {:>8} {:>8} {:>8}",
        "threads",
        "at once",
        "events",
        "wall s",
        "events/s",
        "p50",
        "p99",
        "complete",
        "errors",
        "ev/flush",
        "RSS MiB bef→aft",
        "peak",
        "heap",
        "stored",
        "db MiB"
    );
    for x in &r.rounds {
        let _ = writeln!(
            s,
            "{:>7} {:>6} {:>8} {:>8.2} {:>10.0} {:>10} {:>10} {:>9} {:>6} {:>8.1} {:>16} {:>8} {:>8} {:>8} {:>8.1}",
            x.threads,
            x.concurrency,
            x.events,
            x.wall_s,
            x.events_per_s,
            us(x.latency.p50_us),
            us(x.latency.p99_us),
            format!("{}/{}", x.completed.min(x.verified_in_store), x.threads),
            x.errors + x.unexpected,
            x.events as f64 / x.flushes.max(1) as f64,
            format!("{}→{}", mib(x.rss_before_kib), mib(x.rss_after_kib)),
            mib(x.rss_peak_kib),
            x.heap_after_kib.map(mib).unwrap_or_else(|| "n/a".into()),
            x.stored_threads,
            x.db_bytes as f64 / 1048576.0
        );
        if let Some(p) = &x.first_problem {
            let _ = writeln!(s, "        first problem: {p}");
        }
    }
    if !r.stored_sweep.is_empty() {
        let first = &r.stored_sweep[0];
        let _ = writeln!(
            s,
            "\nmemory against stored threads: each step seeds finished threads until its target has been seeded, then runs\n{} new engagements ({} at once) and {} events on old threads picked at random (read back from sled)",
            first.probe.threads, first.probe.concurrency, first.cold.events
        );
        let _ = writeln!(
            s,
            "{:>9} {:>8} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>9} {:>8} {:>7}",
            "target",
            "seeded",
            "seed s",
            "new ev/s",
            "new p99",
            "old ev/s",
            "old p50",
            "old p99",
            "RSS MiB",
            "heap MiB",
            "stored",
            "db MiB"
        );
        for x in &r.stored_sweep {
            let _ = writeln!(
                s,
                "{:>9} {:>8} {:>7.1} {:>9.0} {:>9} {:>9.0} {:>9} {:>9} {:>8} {:>9} {:>8} {:>7.1}",
                x.target,
                x.seeded,
                x.seed_s,
                x.probe.events_per_s,
                us(x.probe.latency.p99_us),
                x.cold.events_per_s,
                us(x.cold.latency.p50_us),
                us(x.cold.latency.p99_us),
                mib(x.rss_kib),
                x.heap_kib.map(mib).unwrap_or_else(|| "n/a".into()),
                x.stored_threads,
                x.db_bytes as f64 / 1048576.0
            );
            for p in [&x.probe.first_problem, &x.cold.first_problem]
                .into_iter()
                .flatten()
            {
                let _ = writeln!(s, "        first problem: {p}");
            }
        }
    }
    let _ = writeln!(
        s,
        "\n{}",
        if r.all_ok {
            "all engagements completed in Phase 4 awaiting reaction, zero errors"
        } else {
            "PROBLEMS: some engagements did not complete (see above)"
        }
    );
    s
}

/// Runs the load benchmark with command-line style `args` and prints the report.
pub fn main(engine: Engine, args: &[String]) -> anyhow::Result<()> {
    let opts = match Options::parse_args(args) {
        Ok(o) => o,
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
            print!("{e}");
            return Ok(());
        }
        Err(e) => anyhow::bail!("{}", e.to_string().trim()),
    };
    let report = run(engine, &opts)?;
    if opts.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", table(&report));
    }
    if !report.all_ok {
        anyhow::bail!("the load benchmark saw errors or unfinished engagements");
    }
    Ok(())
}
