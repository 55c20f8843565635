//! `cargo bench`: micro benchmarks of the engine and of one durable event (criterion), then the load
//! benchmark (`pavebot::loadbench`, the same code as `pavebot-bench`).
//!
//! - `cargo bench` runs everything; the load part uses `--threads 100,1000` unless
//!   `PAVEBOT_LOAD_ARGS` says otherwise (e.g. `PAVEBOT_LOAD_ARGS="--threads 100,1000,10000"`).
//! - `cargo bench -- step` runs only the benchmarks whose name matches `step` (criterion filter); the
//!   load benchmark runs only when there is no filter or the filter matches `load`.
//! - `cargo test --benches` runs each criterion benchmark once and the load benchmark with `--quick`.

use std::time::Duration;

use criterion::{black_box, BatchSize, Criterion};

use pavebot::bot::Bot;
use pavebot::engine::state::ThreadState;
use pavebot::engine::{Engine, Event};
use pavebot::store::SledStore;
use pavebot_bench::loadbench::script;

/// The states along the benchmark engagement: `states[i]` is the state before `script[i]`.
fn states(engine: &Engine) -> (Vec<ThreadState>, Vec<Event>) {
    let steps = script("alice");
    let mut st = vec![ThreadState::default()];
    for s in &steps {
        let next = engine.step(st.last().expect("non-empty"), &s.event);
        assert!(
            next.state.engaged().map(|e| (e.phase(), e.awaiting())) == Some((s.phase, s.awaiting)),
            "the benchmark script no longer reaches {:?}",
            s.label
        );
        st.push(next.state);
    }
    (st, steps.into_iter().map(|s| s.event).collect())
}

fn engine_benches(c: &mut Criterion, engine: &Engine) {
    let (st, ev) = states(engine);

    let mut g = c.benchmark_group("classify");
    g.bench_function("build_request", |b| {
        b.iter(|| {
            engine.classify(black_box(
                "We want to build an internal developer platform on EKS for our 30 app teams",
            ))
        })
    });
    // The two halves of classify: the concept catalogue lookup and the routing-table RegexSet.
    let text = "we want to build an internal developer platform on eks for our 30 app teams";
    g.bench_function("part_concept_lookup", |b| {
        b.iter(|| pavebot::engine::concepts::lookup(engine.knowledge(), black_box(text)))
    });
    g.bench_function("part_router_only", |b| {
        b.iter(|| engine.router().classify(black_box(text), 0))
    });
    g.bench_function("concept_question", |b| {
        b.iter(|| {
            engine.classify(black_box(
                "what is kro and how does it compare to crossplane?",
            ))
        })
    });
    g.finish();

    // One pure step at each point of the engagement: (name, index into the script).
    let mut g = c.benchmark_group("step");
    for (name, i) in [
        ("phase1_first_message", 0),
        ("phase1_answers", 1),
        ("confirm_into_phase2", 2),
        ("question_at_gate", 3),
        ("correction_at_gate", 4),
        ("confirm_into_phase3", 5),
        ("confirm_into_phase4", 6),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| engine.step(black_box(&st[i]), black_box(&ev[i])))
        });
    }
    g.finish();

    let done = st.last().expect("final state");
    let mut g = c.benchmark_group("render");
    g.bench_function("document_full_build", |b| {
        b.iter(|| engine.document(black_box(done)))
    });
    g.bench_function("view_full_build", |b| {
        b.iter(|| engine.view(black_box(done)))
    });
    g.finish();
}

fn durable_benches(c: &mut Criterion, engine: &Engine) {
    let (st, ev) = states(engine);
    let dir = tempfile::tempdir().expect("temporary directory");
    let bot = Bot::new(
        engine.clone(),
        SledStore::open(&dir.path().join("db")).expect("sled opens"),
    );
    // The event: confirm Phase 1 (index 2), from the Phase 1 gate state written before each run.
    let gate = &st[2];
    let confirm = &ev[2];
    let line =
        serde_json::json!({"thread": "bench", "user": "alice", "command": "confirm"}).to_string();
    let record = serde_json::to_vec(st.last().expect("final state")).expect("encodes");
    let floor_tree = sled::Config::new()
        .path(dir.path().join("floor"))
        .open()
        .and_then(|db| db.open_tree("threads"))
        .expect("floor database opens");

    let mut g = c.benchmark_group("durable");
    g.sample_size(30)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("bot_handle_confirm", |b| {
        b.iter_batched(
            || bot.store.save("bench", gate).expect("save"),
            |_| bot.handle("bench", confirm).expect("handled"),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("replay_line_confirm", |b| {
        b.iter_batched(
            || bot.store.save("bench", gate).expect("save"),
            |_| pavebot::replay::handle_line(&bot, &line).expect("handled"),
            BatchSize::PerIteration,
        )
    });
    // Each insert changes one byte, so every flush has a dirty record to write (rewriting identical
    // bytes lets sled skip the IO and measures nothing).
    let mut record = record;
    let mut i = 0usize;
    g.bench_function("floor_sled_insert_flush", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            let at = i % record.len();
            record[at] = b'a' + (i % 26) as u8;
            floor_tree
                .insert("bench", record.as_slice())
                .expect("insert");
            floor_tree.flush().expect("flush")
        })
    });
    g.finish();
}

/// Arguments after `cargo bench --`: the first one not starting with `-` is criterion's filter.
fn filter(args: &[String]) -> Option<&str> {
    args.iter()
        .skip(1)
        .map(String::as_str)
        .find(|a| !a.starts_with('-'))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let engine = Engine::embedded().expect("the embedded data loads");
    let mut c = Criterion::default()
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .configure_from_args();
    engine_benches(&mut c, &engine);
    durable_benches(&mut c, &engine);
    c.final_summary();

    let listing = args.iter().any(|a| a == "--list");
    let test_mode = args.iter().any(|a| a == "--test") || !args.iter().any(|a| a == "--bench");
    let wanted = filter(&args).is_none_or(|f| {
        regex::Regex::new(f)
            .map(|re| re.is_match("load"))
            .unwrap_or(false)
    });
    if listing {
        println!("load: benchmark");
        return;
    }
    if !wanted {
        return;
    }
    let load_args: Vec<String> = if test_mode {
        vec!["--quick".into()]
    } else {
        std::env::var("PAVEBOT_LOAD_ARGS")
            .unwrap_or_else(|_| "--threads 100,1000".into())
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    println!("\nload: pavebot bench {}", load_args.join(" "));
    if let Err(e) = pavebot_bench::loadbench::main(engine, &load_args) {
        eprintln!("load benchmark failed: {e:#}");
        std::process::exit(1);
    }
}
