use super::*;
use crate::room::item::ItemKind;

fn item(seq: u64, priority: Priority) -> Outgoing {
    Outgoing::Item(Arc::new(PushItem { seq, kind: ItemKind::Message, priority, time: 0, json: Bytes::new() }))
}

fn seqs(out: Vec<Outgoing>) -> Vec<u64> {
    out.into_iter().map(|o| if let Outgoing::Item(i) = o { i.seq } else { 0 }).collect()
}

#[test]
fn a_full_queue_sheds_the_lowest_priority_first() {
    let outbox = Outbox::new(3);
    assert!(outbox.offer(item(1, Priority::Normal)));
    assert!(outbox.offer(item(2, Priority::Lowest)));
    assert!(outbox.offer(item(3, Priority::Low)));
    assert!(outbox.offer(item(4, Priority::High))); // sheds 2 (Lowest)
    assert!(outbox.offer(item(5, Priority::Normal))); // sheds 3 (Low)
    assert!(!outbox.offer(item(6, Priority::Lowest))); // nothing lower: shed itself
    assert_eq!(seqs(outbox.drain()), [1, 4, 5]);
    assert_eq!(outbox.shed_count(), 3);
    assert!(!outbox.is_lagging());
}

#[tokio::test]
async fn scheduled_items_wait_for_the_end_of_the_tick_and_frames_do_not() {
    let schedule = Arc::new(PushSchedule::default());
    let outbox = Outbox::new(16);
    outbox.attach_schedule(&schedule);
    outbox.offer(item(1, Priority::Normal));
    outbox.offer(item(2, Priority::Normal));
    let early = tokio::time::timeout(std::time::Duration::from_millis(20), outbox.ready()).await;
    assert!(early.is_err(), "items alone do not wake the session");
    assert_eq!(schedule.release(), 1, "enlisted once for the tick");
    outbox.ready().await;
    assert_eq!(seqs(outbox.drain()), [1, 2]);
    outbox.offer(Outgoing::Frame(Bytes::from_static(b"reply")));
    tokio::time::timeout(std::time::Duration::from_secs(1), outbox.ready()).await.expect("a frame wakes at once");
    assert_eq!(schedule.release(), 0);
}

/// A socket that answers every direct write with `outcome` and records what it took.
struct FakeSocket {
    outcome: Mutex<DirectOutcome>,
    taken: Mutex<Vec<u64>>,
}

impl DirectWrite for FakeSocket {
    fn try_write(&self, entries: &VecDeque<Outgoing>) -> DirectOutcome {
        let outcome = *self.outcome.lock().unwrap();
        if outcome != DirectOutcome::Refused {
            self.taken.lock().unwrap().extend(seqs(entries.iter().cloned().collect()));
        }
        outcome
    }
}

async fn woken(outbox: &Outbox) -> bool {
    tokio::time::timeout(std::time::Duration::from_millis(20), outbox.ready()).await.is_ok()
}

#[tokio::test]
async fn the_end_of_a_tick_hands_all_or_nothing_to_the_socket_and_wakes_the_session_for_the_rest() {
    let schedule = Arc::new(PushSchedule::default());
    let outbox = Outbox::new(16);
    outbox.attach_schedule(&schedule);
    let socket = Arc::new(FakeSocket { outcome: Mutex::new(DirectOutcome::Written), taken: Mutex::default() });
    let direct: Arc<dyn DirectWrite> = socket.clone();
    outbox.attach_direct(direct.clone());
    let set = |outcome| *socket.outcome.lock().unwrap() = outcome;

    // A socket that takes the tick's items: the session is not woken.
    outbox.offer(item(1, Priority::Normal));
    outbox.offer(item(2, Priority::Normal));
    assert_eq!(schedule.release(), 1);
    assert_eq!(*socket.taken.lock().unwrap(), [1, 2]);
    assert!(!woken(&outbox).await, "a direct write wakes no one");
    assert!(outbox.drain().is_empty());

    // Refused: everything stays queued, in order, for the session.
    set(DirectOutcome::Refused);
    outbox.offer(item(3, Priority::Normal));
    schedule.release();
    assert!(woken(&outbox).await);
    outbox.offer(item(4, Priority::Normal));
    schedule.release();
    assert_eq!(seqs(outbox.drain()), [3, 4]);

    // Taken but not all flushed: the session is woken to finish the flush.
    set(DirectOutcome::Buffered);
    outbox.offer(item(5, Priority::Normal));
    schedule.release();
    assert!(woken(&outbox).await, "the session finishes the flush");
    assert!(outbox.drain().is_empty());

    // What must reach the session (a kick's frame) keeps the tick's items with it.
    set(DirectOutcome::Written);
    outbox.offer(item(6, Priority::Normal));
    outbox.offer(Outgoing::Frame(Bytes::from_static(b"kick")));
    schedule.release();
    assert_eq!(outbox.drain().len(), 2);

    // A detached socket is not written to.
    outbox.detach_direct(&direct);
    outbox.offer(item(7, Priority::Normal));
    schedule.release();
    assert_eq!(seqs(outbox.drain()), [7]);
    assert_eq!(*socket.taken.lock().unwrap(), [1, 2, 5]);
}

#[test]
fn a_member_that_never_drains_becomes_lagging() {
    let outbox = Outbox::new(2);
    for seq in 0..20 {
        outbox.offer(item(seq, Priority::Normal));
    }
    assert!(outbox.is_lagging());
}
