//! A socket shared by its session and the push ticker, and how its frames are made. At the end
//! of a push tick the ticker writes a member's frame straight to the socket (see
//! `room::outbox`, `DirectWrite`) when the socket takes it without waiting; the session reads,
//! writes everything else, and finishes what the ticker could not flush.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker, ready};

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::time::Instant;

use super::FrameMode;
use super::frame;
use super::push::PushClock;
use crate::room::{Batch, DirectOutcome, DirectWrite, Outgoing, PushItem};

/// How a socket's frames are made: its frame type and compression.
pub(super) struct Writer {
    pub mode: FrameMode,
    pub gzip: bool,
    pub compress_min: usize,
}

impl Writer {
    pub fn message(&self, bytes: Bytes) -> Message {
        match self.mode {
            FrameMode::Text => Message::Text(text(bytes)),
            FrameMode::Binary if self.gzip && bytes.len() >= self.compress_min => {
                Message::Binary(frame::compress(&bytes))
            }
            FrameMode::Binary => Message::Binary(bytes),
        }
    }

    /// A batch's push frame, shared with other sockets: no copy, and compressed once for all.
    fn shared(&self, batch: &Batch) -> Message {
        let plain = frame::encode_batch(batch);
        match self.mode {
            FrameMode::Binary if self.gzip && plain.len() >= self.compress_min => {
                Message::Binary(batch.compressed(&plain, frame::compress))
            }
            _ => self.message(plain),
        }
    }

    /// Turns what the outbox held into frames, written with one flush. A batch (one room's
    /// tick) goes out as its own shared frame: a member behind by several ticks writes those
    /// ticks' frames back to back, copied once into the socket's write buffer, rather than a
    /// frame merged for it alone, whose encoding no other socket would share and whose size,
    /// kept as the write buffer's capacity, would grow with the backlog. Consecutive single
    /// items (personal notices, a member that joined mid-tick, a slow member's unpacked
    /// batches) become one frame, found again by the push clock for every socket holding the
    /// same items. A `Close` ends the list (and the caller closes the socket after writing it).
    pub fn outbox_frames(
        &self,
        clock: &PushClock,
        drained: impl IntoIterator<Item = Outgoing>,
    ) -> (Vec<Message>, bool) {
        let now = Instant::now();
        let mut messages = Vec::new();
        let mut items: Vec<Arc<PushItem>> = Vec::new();
        let flush = |items: &mut Vec<Arc<PushItem>>, messages: &mut Vec<Message>| {
            if !items.is_empty() {
                messages.push(self.shared(&clock.frame(std::mem::take(items), now)));
            }
        };
        let mut close = false;
        for out in drained {
            match out {
                Outgoing::Close => {
                    close = true;
                    break;
                }
                Outgoing::Item(item) => items.push(item),
                Outgoing::Batch(batch) => {
                    flush(&mut items, &mut messages);
                    messages.push(self.shared(&batch));
                }
                Outgoing::Frame(bytes) => {
                    flush(&mut items, &mut messages);
                    messages.push(self.message(bytes));
                }
            }
        }
        flush(&mut items, &mut messages);
        (messages, close)
    }
}

/// Frames are UTF-8 JSON; a text frame takes the bytes without copying them.
fn text(bytes: Bytes) -> Utf8Bytes {
    Utf8Bytes::try_from(bytes.clone()).unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned().into())
}

/// A WebSocket behind a plain mutex held only inside a poll: the ticker can try it without
/// waiting, and the session can await it without holding the lock. (Not split into halves: a
/// split socket's halves share a lock of their own, which the ticker would often find taken
/// by the session's read, and leave its frame for the session to flush.)
pub(super) struct SharedSocket {
    socket: Mutex<WebSocket>,
    /// The session is writing, or must finish a flush the ticker left: no direct write (see
    /// `DirectWrite` for why).
    session_writing: AtomicBool,
    pub format: Writer,
    clock: Arc<PushClock>,
}

impl SharedSocket {
    pub fn new(socket: WebSocket, format: Writer, clock: Arc<PushClock>) -> Self {
        Self { socket: Mutex::new(socket), session_writing: AtomicBool::new(false), format, clock }
    }

    /// The session is about to take what the outbox holds, or to write: called before the
    /// outbox is drained, so that nothing is written directly past what the session took.
    pub fn begin_write(&self) {
        self.session_writing.store(true, Ordering::SeqCst);
    }

    /// The session has flushed what it wrote (and anything the ticker left buffered).
    pub fn end_write(&self) {
        self.session_writing.store(false, Ordering::SeqCst);
    }

    /// The next message from the client (the session's reads).
    pub async fn next(&self) -> Option<Result<Message, axum::Error>> {
        std::future::poll_fn(|cx| self.socket.lock().expect("socket lock").poll_next_unpin(cx)).await
    }

    /// Writes `messages` in order and flushes them (the session's writes).
    pub async fn send(&self, messages: Vec<Message>) -> Result<(), axum::Error> {
        let mut messages = messages.into_iter().peekable();
        std::future::poll_fn(|cx| {
            let mut sink = self.socket.lock().expect("socket lock");
            while messages.peek().is_some() {
                ready!(sink.poll_ready_unpin(cx))?;
                sink.start_send_unpin(messages.next().expect("peeked"))?;
            }
            sink.poll_flush_unpin(cx)
        })
        .await
    }
}

impl DirectWrite for SharedSocket {
    /// Takes the entries if they make one frame (a tick of one room, or merged single items)
    /// and the sink is free. The frame is polled with a waker that does nothing, so a socket
    /// that cannot take all of it now leaves the rest, buffered, to the session's flush
    /// (`Buffered`), which waits with the session's own waker.
    fn try_write(&self, entries: &VecDeque<Outgoing>) -> DirectOutcome {
        if self.session_writing.load(Ordering::SeqCst) {
            return DirectOutcome::Refused;
        }
        let Ok(mut sink) = self.socket.try_lock() else { return DirectOutcome::Refused };
        let (mut messages, _) = self.format.outbox_frames(&self.clock, entries.iter().cloned());
        let (Some(message), true) = (messages.pop(), messages.is_empty()) else { return DirectOutcome::Refused };
        let mut cx = Context::from_waker(Waker::noop());
        if !matches!(sink.poll_ready_unpin(&mut cx), Poll::Ready(Ok(()))) {
            return DirectOutcome::Refused;
        }
        if sink.start_send_unpin(message).is_err() {
            return DirectOutcome::Refused;
        }
        match sink.poll_flush_unpin(&mut cx) {
            Poll::Ready(Ok(())) => DirectOutcome::Written,
            // Pending: the rest waits in the socket's buffer, for the session's flush. An error:
            // that flush will meet it too.
            _ => {
                self.session_writing.store(true, Ordering::SeqCst);
                DirectOutcome::Buffered
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::push::tests::item;
    use std::time::Duration;

    fn payload(message: &Message) -> Bytes {
        match message {
            Message::Binary(bytes) => bytes.clone(),
            other => panic!("expected a binary frame, got {other:?}"),
        }
    }

    fn seqs(message: &Message) -> Vec<u64> {
        let frame: serde_json::Value = serde_json::from_slice(&payload(message)).unwrap();
        let items = frame["body"]["EventArray"][0]["GroupMsgArray"].as_array().unwrap();
        items.iter().map(|i| i["MsgSeq"].as_u64().unwrap()).collect()
    }

    #[tokio::test]
    async fn a_backlog_of_ticks_is_written_as_their_shared_frames_and_single_items_are_merged() {
        let writer = Writer { mode: FrameMode::Binary, gzip: false, compress_min: usize::MAX };
        let clock = PushClock::new(Duration::from_millis(100));
        let (first, second, late) =
            (Batch::new(vec![item(1), item(2)]), Batch::new(vec![item(3)]), Batch::new(vec![item(6)]));
        let drained = vec![
            Outgoing::Batch(first.clone()),
            Outgoing::Batch(second.clone()),
            Outgoing::Item(item(4)),
            Outgoing::Item(item(5)),
            Outgoing::Frame(Bytes::from_static(b"{\"reply\":1}")),
            Outgoing::Batch(late.clone()),
            Outgoing::Close,
            Outgoing::Item(item(7)),
        ];
        let (messages, close) = writer.outbox_frames(&clock, drained);
        assert!(close);
        assert_eq!(messages.len(), 5, "two ticks, the merged items, the reply, the late tick; nothing after the close");
        // Each tick's frame is the batch's own, shared with every other member: the same bytes.
        for (message, batch) in [(&messages[0], &first), (&messages[1], &second), (&messages[4], &late)] {
            assert_eq!(payload(message).as_ptr(), frame::encode_batch(batch).as_ptr());
        }
        assert_eq!(seqs(&messages[0]), [1, 2]);
        assert_eq!(seqs(&messages[1]), [3]);
        assert_eq!(seqs(&messages[2]), [4, 5]);
        assert_eq!(payload(&messages[3]), Bytes::from_static(b"{\"reply\":1}"));
        assert_eq!(seqs(&messages[4]), [6]);
    }
}
