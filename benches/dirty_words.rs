//! Dirty-word check: a 10 000-word list against a 12 KB text (the largest message body).

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use roomcast::moderation::WordFilter;

fn bench(c: &mut Criterion) {
    // Words like "zq0001xw" cannot occur in the text below; the whole text is scanned.
    let words: Vec<String> = (0..10_000).map(|i| format!("zq{i:04}xw")).collect();
    let filter = WordFilter::new(words);
    let unit = "The quick brown fox jumps over the lazy dog; 直播间的弹幕消息。";
    let text: String = unit.repeat(12 * 1024 / unit.len());
    assert!(text.len() <= 12 * 1024 && filter.find(&text).is_none());
    c.bench_function("dirty_words_10k_words_12kb_clean_text", |b| b.iter(|| filter.find(black_box(&text))));
    let hit = format!("{text}ZQ9999XW");
    c.bench_function("dirty_words_10k_words_12kb_hit_at_end", |b| b.iter(|| filter.find(black_box(&hit))));
    c.bench_function("dirty_words_build_10k", |b| {
        let words: Vec<String> = (0..10_000).map(|i| format!("zq{i:04}xw")).collect();
        b.iter(|| WordFilter::new(black_box(words.clone())))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
