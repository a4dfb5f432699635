//! Replies of a socket's request tasks, waiting to be written. Bounded: a request task waits
//! when `REPLY_QUEUE` replies are queued. Nothing is allocated until a reply is queued, which
//! keeps an idle connection small (a bounded mpsc channel allocates its first block at once).

use std::collections::VecDeque;
use std::sync::Mutex;

use bytes::Bytes;
use tokio::sync::{Notify, Semaphore};

/// Replies waiting to be written, per socket.
const REPLY_QUEUE: usize = 256;

pub struct Replies {
    queue: Mutex<VecDeque<Bytes>>,
    ready: Notify,
    space: Semaphore,
}

impl Default for Replies {
    fn default() -> Self {
        Self { queue: Mutex::new(VecDeque::new()), ready: Notify::new(), space: Semaphore::new(REPLY_QUEUE) }
    }
}

impl Replies {
    /// Queues a reply, waiting while the queue is full.
    pub async fn send(&self, reply: Bytes) {
        let Ok(permit) = self.space.acquire().await else { return };
        permit.forget();
        self.queue.lock().expect("replies lock").push_back(reply);
        self.ready.notify_one();
    }

    /// Waits until a reply may be queued (returns at once if one already is).
    pub async fn ready(&self) {
        self.ready.notified().await
    }

    /// Takes every queued reply, oldest first.
    pub fn drain(&self) -> Vec<Bytes> {
        let taken: Vec<Bytes> = self.queue.lock().expect("replies lock").drain(..).collect();
        self.space.add_permits(taken.len());
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn replies_come_out_in_order_and_free_their_space() {
        let replies = Replies::default();
        for i in 0..REPLY_QUEUE {
            replies.send(Bytes::from(i.to_string())).await;
        }
        let full = tokio::time::timeout(std::time::Duration::from_millis(20), replies.send(Bytes::new())).await;
        assert!(full.is_err(), "a full queue makes the sender wait");
        replies.ready().await;
        let taken = replies.drain();
        assert_eq!(taken.len(), REPLY_QUEUE);
        assert_eq!(taken[0], Bytes::from("0"));
        replies.send(Bytes::from("again")).await;
        assert_eq!(replies.drain(), [Bytes::from("again")]);
    }
}
