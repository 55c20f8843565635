//! The load benchmark's quick mode, so it cannot rot: every engagement completes, nothing errors, the
//! counts add up, and the states really are in sled. No timing is asserted (speed belongs in
//! BENCHMARKS.md).

use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pavebot::engine::state::{Awaiting, Mode};
use pavebot::engine::Engine;
use pavebot::store::SledStore;
use pavebot_bench::loadbench::{run, script, Options, Report};

const TIMEOUT: Duration = Duration::from_secs(300);

/// Runs `f` on its own thread and fails the test if it takes longer than [`TIMEOUT`].
fn with_timeout<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(TIMEOUT)
        .expect("the load benchmark finished within the timeout")
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

fn check_counts(r: &Report, rounds: &[usize], serial: usize) {
    let per = script("x").len();
    assert_eq!(r.script.len(), per);
    assert_eq!(r.rounds.len(), rounds.len());
    assert!(r.all_ok, "report says not all ok: {r:#?}");
    let mut stored = 2 * serial; // the one-at-a-time run and the breakdown each use `serial` threads
    for (round, &n) in r.rounds.iter().zip(rounds) {
        stored += n;
        assert_eq!(round.threads, n);
        assert_eq!(
            round.concurrency, n,
            "without --concurrency all N run at once"
        );
        assert_eq!(round.events, n * per, "every scripted event was submitted");
        assert_eq!(
            round.latency.n, round.events,
            "one latency sample per event"
        );
        assert_eq!(round.events_ok, round.events);
        assert_eq!(round.errors, 0);
        assert_eq!(round.unexpected, 0, "{:?}", round.first_problem);
        assert_eq!(round.first_problem, None);
        assert_eq!(round.completed, n);
        assert_eq!(round.verified_in_store, n);
        assert_eq!(
            round.stored_threads, stored,
            "stored threads accumulate over rounds"
        );
        assert_eq!(
            round.locks_left, 0,
            "the dispatcher dropped every idle lock"
        );
        assert!(round.db_bytes > 0);
        assert!(
            round.flushes >= 1 && round.flushes <= round.events as u64,
            "{} flushes for {} events",
            round.flushes,
            round.events
        );
        assert!(round.latency.p50_us <= round.latency.p99_us);
        assert!(round.latency.p99_us <= round.latency.max_us);
    }
    assert_eq!(r.durable_event.n, serial * per);
    assert_eq!(r.breakdown.step.n, serial * per);
    assert_eq!(r.breakdown.insert_flush.n, serial * per);
    assert!(r.floor.n > 0 && r.floor.p50_us > 0.0);
    assert!(
        r.record_bytes > 100,
        "the floor record is a real thread state"
    );
    assert!(r.ratio_p50 > 0.0);
}

#[test]
fn quick_run_completes_every_engagement_and_the_states_are_in_sled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("db");
    let opts = Options::parse_args(&args(&[
        "--quick",
        "--threads",
        "7,30",
        "--serial-engagements",
        "3",
        "--floor-samples",
        "20",
        "--stored",
        "60,150",
        "--probe",
        "5",
        "--cold",
        "8",
        "--db",
        db.to_str().expect("utf-8 path"),
    ]))
    .expect("options parse");
    let report = with_timeout(move || run(Engine::embedded().expect("engine"), &opts))
        .expect("the quick run succeeds");
    check_counts(&report, &[7, 30], 3);

    // The memory sweep: seeded up to each target, then 5 new engagements and 8 events on old threads.
    let before_sweep = 7 + 30 + 3 + 3;
    let sweep = &report.stored_sweep;
    assert_eq!(sweep.len(), 2);
    assert_eq!((sweep[0].target, sweep[1].target), (60, 150));
    assert_eq!(sweep[0].seeded, 60);
    assert_eq!(sweep[0].stored_threads, before_sweep + 60 + 5);
    assert_eq!(sweep[1].seeded, 150 - 60);
    assert_eq!(sweep[1].stored_threads, before_sweep + 150 + 5 + 5);
    for step in sweep {
        assert_eq!(step.probe.threads, 5);
        assert_eq!(step.probe.completed, 5);
        assert_eq!(step.probe.verified_in_store, 5);
        assert_eq!(step.probe.errors + step.probe.unexpected, 0);
        assert_eq!(step.cold.events, 8);
        assert_eq!(step.cold.latency.n, 8);
        assert_eq!(
            (step.cold.errors, step.cold.unexpected),
            (0, 0),
            "{:?}",
            step.cold.first_problem
        );
        assert!(step.rss_kib > 0 && step.db_bytes > 0);
        if cfg!(all(target_os = "linux", target_env = "gnu")) {
            assert!(step.heap_kib.is_some_and(|h| h > 0));
        }
    }
    let seeded = sweep[0].seeded + sweep[1].seeded;

    // Independently of the report: reopen the database and read every engagement back.
    let store = SledStore::open(&db).expect("the run released the database");
    assert_eq!(store.len(), before_sweep + seeded + 5 + 5);
    for j in 0..seeded {
        let st = store.load(&format!("stored-{j}")).expect("readable");
        let eng = st.into_engagement().expect("a seeded, finished engagement");
        assert_eq!((eng.phase(), eng.awaiting()), (4, Awaiting::Reaction));
        assert_eq!(eng.owner, format!("user{j}"));
    }
    for target in [60, 150] {
        for i in 0..5 {
            let st = store
                .load(&format!("probe-s{target}-{i}"))
                .expect("readable");
            let eng = st.into_engagement().expect("a probe engagement");
            assert_eq!((eng.phase(), eng.awaiting()), (4, Awaiting::Reaction));
        }
    }
    for n in [7, 30] {
        for i in 0..n {
            let st = store.load(&format!("bench-n{n}-{i}")).expect("readable");
            let eng = st.into_engagement().expect("an engagement");
            assert_eq!(eng.mode, Mode::FullBuild);
            assert_eq!((eng.phase(), eng.awaiting()), (4, Awaiting::Reaction));
            assert_eq!(eng.owner, format!("user{i}"));
            // Three confirmations and one correction, each audited.
            assert_eq!(eng.audit.len(), 4, "{:?}", eng.audit);
        }
    }

    // A second run on the same database refuses instead of mixing results.
    let again = Options::parse_args(&args(&["--quick", "--db", db.to_str().expect("utf-8")]))
        .expect("options parse");
    drop(store);
    let err = run(Engine::embedded().expect("engine"), &again).expect_err("non-empty database");
    assert!(err.to_string().contains("already holds"), "{err}");
}

/// Runs the real binary with a timeout; returns (success, stdout, stderr).
fn bench(a: &[&str]) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pavebot-bench"))
        .args(a)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pavebot-bench starts");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            panic!("pavebot-bench {a:?} did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bench_subcommand_prints_a_json_report_and_a_table() {
    let (ok, out, err) = bench(&["--quick", "--json", "--threads", "12", "--concurrency", "4"]);
    assert!(ok, "stderr: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("--json prints JSON");
    assert_eq!(v["all_ok"], true);
    let r = &v["rounds"][0];
    assert_eq!(r["threads"], 12);
    assert_eq!(r["concurrency"], 4);
    assert_eq!(r["events"], 12 * script("x").len());
    assert_eq!(r["completed"], 12);
    assert_eq!(r["verified_in_store"], 12);
    assert_eq!(r["errors"], 0);
    for key in ["rss_before_kib", "rss_after_kib", "db_bytes"] {
        assert!(r[key].as_u64().is_some_and(|x| x > 0), "{key}: {r}");
    }
    assert!(v["ratio_p50"].as_f64().is_some_and(|x| x > 0.0));
    let sweep = v["stored_sweep"]
        .as_array()
        .expect("quick mode runs the memory sweep");
    assert_eq!(sweep.len(), 2);
    assert_eq!(sweep[1]["target"], 1000);
    assert_eq!(sweep[1]["cold"]["errors"], 0);

    let (ok, out, err) = bench(&["--quick", "--json", "--stored", "0"]);
    assert!(ok, "stderr: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("--json prints JSON");
    assert_eq!(
        v["stored_sweep"].as_array().map(Vec::len),
        Some(0),
        "--stored 0 skips the sweep"
    );

    let (ok, out, err) = bench(&["--quick", "--threads", "5"]);
    assert!(ok, "stderr: {err}");
    assert!(out.contains("floor: bare sled insert + flush"), "{out}");
    assert!(out.contains("zero errors"), "{out}");
    assert!(out.contains("memory against stored threads"), "{out}");
}

#[test]
fn bad_bench_arguments_are_short_clear_errors() {
    for a in [
        &["--threads", "0"][..],
        &["--threads", "ten"],
        &["--no-such-flag"],
        &["--workers", "0", "--quick"],
        &["--concurrency", "0", "--quick"],
        &["--stored", "500,100", "--quick"],
        &["--stored", "10,x", "--quick"],
        &["--probe", "0", "--quick"],
    ] {
        let (ok, _out, err) = bench(a);
        assert!(!ok, "{a:?} should fail");
        assert!(err.starts_with("pavebot-bench: "), "{a:?}: {err}");
        assert!(!err.contains("panicked"), "{a:?}: {err}");
        assert!(err.lines().count() <= 6, "{a:?}: {err}");
    }
    let (ok, out, _) = bench(&["--help"]);
    assert!(ok);
    assert!(out.contains("--threads"), "{out}");
}
