//! Group commit under SIGKILL: many threads save at once (sharing flushes), the process is killed while
//! they run, and every save that had returned before the kill must be in the database afterwards.
//!
//! The test runs its own binary again as the writer (`PAVEBOT_GROUP_COMMIT_WRITER` set): the child
//! prints `ack <key> <turn>` after each `Store::save` returns; the parent kills it after a few hundred
//! acknowledgements and reopens the database.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use pavebot::engine::state::ThreadState;
use pavebot::store::SledStore;

const WRITER: &str = "PAVEBOT_GROUP_COMMIT_WRITER";

fn writer(dir: &str) {
    let store = SledStore::open(std::path::Path::new(dir)).expect("child opens the database");
    let out = std::sync::Mutex::new(std::io::stdout());
    std::thread::scope(|s| {
        for w in 0..8 {
            let (store, out) = (store.clone(), &out);
            s.spawn(move || {
                for turn in 1..=100_000u64 {
                    let key = format!("w{w}-t{}", turn % 50);
                    let state = ThreadState {
                        turn,
                        ..ThreadState::default()
                    };
                    store.save(&key, &state).expect("save");
                    let mut o = out.lock().unwrap_or_else(|p| p.into_inner());
                    let _ = writeln!(o, "ack {key} {turn}");
                    let _ = o.flush();
                }
            });
        }
    });
}

#[test]
fn every_acknowledged_save_survives_a_kill_during_concurrent_writes() {
    if let Ok(dir) = std::env::var(WRITER) {
        writer(&dir);
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = tmp.path().join("db");
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "every_acknowledged_save_survives_a_kill_during_concurrent_writes",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(WRITER, &db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the writer starts");
    let stdout = child.stdout.take().expect("stdout");
    // The latest acknowledged turn per key (turns only grow per key, so the stored one must be at
    // least this).
    let mut acked = std::collections::HashMap::new();
    let mut n = 0;
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("read");
        let mut it = line.split_whitespace();
        if it.next() != Some("ack") {
            continue;
        }
        let key = it.next().expect("key").to_string();
        let turn: u64 = it.next().expect("turn").parse().expect("number");
        acked.insert(key, turn);
        n += 1;
        if n == 2_000 {
            break;
        }
    }
    assert_eq!(
        n, 2_000,
        "the writer acknowledged 2,000 saves before it stopped"
    );
    child.kill().expect("SIGKILL");
    let _ = child.wait();

    let store = SledStore::open(&db).expect("the database opens after the kill");
    for (key, turn) in &acked {
        let st = store.load(key).expect("readable");
        assert!(
            st.turn >= *turn,
            "{key}: acknowledged turn {turn}, stored turn {}",
            st.turn
        );
    }
}
