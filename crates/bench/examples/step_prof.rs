//! Times one engine step of the benchmark engagement, best of several runs (a quick check between
//! criterion runs): `cargo run --release -p pavebot-bench --example step_prof [iterations] [step]`.
use pavebot::engine::state::ThreadState;
use pavebot::engine::Engine;
use pavebot_bench::loadbench::script;
use std::time::Instant;

fn main() {
    let engine = Engine::embedded().expect("engine");
    let steps = script("alice");
    let mut st = vec![ThreadState::default()];
    for s in &steps {
        let next = engine.step(st.last().expect("state"), &s.event);
        st.push(next.state);
    }
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5000);
    let i: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let mut best = f64::MAX;
    for _ in 0..7 {
        let t = Instant::now();
        for _ in 0..n {
            let _ =
                std::hint::black_box(engine.step(std::hint::black_box(&st[i]), &steps[i].event));
        }
        best = best.min(t.elapsed().as_secs_f64() * 1e6 / n as f64);
    }
    println!("step {i} ({}): best {best:.1} µs", steps[i].label);
}
