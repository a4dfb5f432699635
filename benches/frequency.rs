//! Frequency control: deciding one tick's batch in a room offered 200 msg/s with a limit of
//! 40/s (the trailing second full), with the load tool's gift/text/like mix.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use roomcast::room::{FrequencyControl, Priority};
use tokio::time::{Duration, Instant};

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _guard = runtime.enter();
    let mut group = c.benchmark_group("frequency");
    // 200 msg/s in 10 ms ticks: 2 sends per tick.
    let batch = [Priority::Normal, Priority::Low];
    let mut control = FrequencyControl::new(40);
    let mut now = Instant::now();
    for i in 0..200 {
        control.decide(now, if i % 10 == 0 { &[Priority::High, Priority::Normal] } else { &batch });
        now += Duration::from_millis(10);
    }
    group.throughput(Throughput::Elements(batch.len() as u64));
    group.bench_function("decide_tick_overloaded_room", |b| {
        b.iter(|| {
            now += Duration::from_millis(10);
            control.decide(now, &batch)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
