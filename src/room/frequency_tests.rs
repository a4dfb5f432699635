use super::*;
use Priority::*;

fn mixed(high: usize, normal: usize, low: usize, lowest: usize) -> Vec<Priority> {
    let mut v = Vec::new();
    v.extend(std::iter::repeat_n(Lowest, lowest));
    v.extend(std::iter::repeat_n(Low, low));
    v.extend(std::iter::repeat_n(Normal, normal));
    v.extend(std::iter::repeat_n(High, high));
    v.shuffle(&mut rand::rng());
    v
}

fn admitted_of(batch: &[Priority], verdict: &[bool], p: Priority) -> usize {
    batch.iter().zip(verdict).filter(|(q, ok)| **q == p && **ok).count()
}

#[test]
fn a_burst_of_100_admits_exactly_the_limit_and_every_high() {
    let mut fc = FrequencyControl::new(40);
    let batch = mixed(25, 25, 25, 25);
    let verdict = fc.decide(Instant::now(), &batch);
    assert_eq!(verdict.iter().filter(|v| **v).count(), 40);
    assert_eq!(admitted_of(&batch, &verdict, High), 25);
    assert_eq!(admitted_of(&batch, &verdict, Normal), 15);
}

#[test]
fn more_highs_than_the_limit_fill_it_with_highs() {
    let mut fc = FrequencyControl::new(40);
    let batch = mixed(60, 20, 10, 10);
    let verdict = fc.decide(Instant::now(), &batch);
    assert_eq!(admitted_of(&batch, &verdict, High), 40);
    assert_eq!(verdict.iter().filter(|v| **v).count(), 40);
}

#[test]
fn under_the_limit_everything_passes_at_once() {
    let mut fc = FrequencyControl::new(40);
    let t = Instant::now();
    for i in 0..40 {
        assert_eq!(fc.decide(t + Duration::from_millis(i * 10), &[Lowest]), [true]);
    }
}

#[test]
fn no_one_second_window_holds_more_than_the_limit() {
    let mut fc = FrequencyControl::new(40);
    let t0 = Instant::now();
    let mut admitted_at = Vec::new();
    // 200 messages/s for 5 s in 10 ms ticks, two per tick, priorities mixed.
    for tick in 0..500u64 {
        let now = t0 + Duration::from_millis(tick * 10);
        let batch = mixed(usize::from(tick % 5 == 0), 1, 0, usize::from(tick % 5 != 0));
        for ok in fc.decide(now, &batch) {
            if ok {
                admitted_at.push(now);
            }
        }
    }
    for (i, start) in admitted_at.iter().enumerate() {
        let in_window = admitted_at[i..].iter().take_while(|t| t.duration_since(*start) < WINDOW).count();
        assert!(in_window <= 40, "{in_window} admitted within one second");
    }
    assert!(admitted_at.len() >= 5 * 40 - 40, "the room keeps admitting near its limit: {}", admitted_at.len());
}

#[test]
fn steady_high_demand_is_served_before_lower_priorities() {
    let mut fc = FrequencyControl::new(40);
    let t0 = Instant::now();
    let (mut high_offered, mut high_admitted) = (0, 0);
    // Each 50 ms: one High, six Normal, three Low (200 msg/s offered; 20 High/s).
    for tick in 0..100u64 {
        let now = t0 + Duration::from_millis(tick * 50);
        let batch = mixed(1, 6, 3, 0);
        let verdict = fc.decide(now, &batch);
        if tick >= 20 {
            high_offered += 1;
            high_admitted += admitted_of(&batch, &verdict, High);
        }
    }
    assert_eq!(high_admitted, high_offered, "every High is admitted in steady state");
}
