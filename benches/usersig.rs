//! UserSig issue and verify: verification runs on every REST call and every SDK login.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use roomcast::auth::usersig;

const APPID: u64 = 1_400_000_000;
const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const NOW: u64 = 1_600_000_000;

fn bench(c: &mut Criterion) {
    let token = usersig::issue(APPID, KEY, "administrator", 86_400, NOW);
    c.bench_function("usersig_verify", |b| {
        b.iter(|| usersig::verify(black_box(&token), APPID, KEY, "administrator", NOW).unwrap())
    });
    c.bench_function("usersig_issue", |b| {
        b.iter(|| usersig::issue(APPID, KEY, black_box("administrator"), 86_400, NOW))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
