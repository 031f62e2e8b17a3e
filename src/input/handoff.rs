//! Handing source items from the reader thread to the pipeline in batches.
//!
//! Big batches keep a fast input cheap; a batch is also handed on early,
//! just before a text source reads more input ([`input_may_block`]), so a
//! slow input (a pipe, a terminal) is correlated and shown line by line.
//! The batch lives in a thread-local of the reader thread: sources call
//! [`input_may_block`] without knowing about the pipeline.

use std::cell::RefCell;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};

use crate::input::SourceItem;

/// Message texts kept for reuse: enough for a few batches.
const TEXT_POOL: usize = 8 * 1024;
/// Batch vectors kept for reuse: as many as the pipeline's way back holds
/// (several come back at once while the reader is ahead), so that the
/// reader allocates none once they came back.
const SPARE_BATCHES: usize = 8;
/// Texts with more capacity than this are not kept (a capture of long
/// lines must not leave the pool holding megabytes per entry).
const POOLED_TEXT_MAX: usize = 1024;

struct Pending {
    items: Vec<SourceItem>,
    capacity: usize,
    tx: SyncSender<Vec<SourceItem>>,
    /// Batches the pipeline is done with, for reuse: their vectors and
    /// their events' text allocations (no allocation per event, and none
    /// freed on the other thread).
    returned: Receiver<Vec<SourceItem>>,
    texts: Vec<String>,
    /// Batch vectors back from the pipeline, for the next batches.
    batches: Vec<Vec<SourceItem>>,
    /// Work to do instead of waiting while the pipeline is behind.
    help: Option<Box<dyn Help>>,
}

/// Someone else's work the reading thread does instead of waiting while
/// the pipeline is behind.
pub trait Help: Send {
    /// A mark of what has happened so far, for [`Help::wait`].
    fn news(&self) -> u64;
    /// Does one piece of work; false when there is none.
    fn help(&mut self) -> bool;
    /// Returns once something happened since [`Help::news`] gave `seen`
    /// (work came, or room in the pipeline), or after a while at most.
    fn wait(&self, seen: u64);
}

impl Pending {
    /// Takes back what the pipeline returned.
    fn reclaim(&mut self) {
        while let Ok(mut batch) = self.returned.try_recv() {
            for item in batch.drain(..) {
                if let SourceItem::Event(ev) = item
                    && self.texts.len() < TEXT_POOL
                    && ev.text.capacity() <= POOLED_TEXT_MAX
                {
                    let mut text = ev.text;
                    text.clear();
                    self.texts.push(text);
                }
            }
            if batch.capacity() >= self.capacity && self.batches.len() < SPARE_BATCHES {
                self.batches.push(batch);
            }
        }
    }

    fn send(&mut self) -> bool {
        let mut full = std::mem::take(&mut self.items);
        let ok = loop {
            let Some(help) = self.help.as_mut() else {
                break self.tx.send(full).is_ok();
            };
            // Taken before trying: news that comes after a failed try
            // (room made meanwhile) must end the wait below.
            let seen = help.news();
            match self.tx.try_send(full) {
                Ok(()) => break true,
                Err(TrySendError::Disconnected(_)) => break false,
                Err(TrySendError::Full(batch)) => {
                    full = batch;
                    if !help.help() {
                        help.wait(seen);
                    }
                }
            }
        };
        self.reclaim();
        match self.batches.pop() {
            Some(batch) => self.items = batch,
            None => self.items.reserve(self.capacity),
        }
        ok
    }
}

thread_local! {
    /// The reader thread's batch. Set only on that thread.
    static PENDING: RefCell<Option<Pending>> = const { RefCell::new(None) };
}

/// Starts batching on this thread: batches of `capacity` items go to `tx`;
/// batches sent back on `returned` are reused. While `tx` is full, the
/// thread does `help`'s work, and waits for news when there is none.
pub fn begin(
    capacity: usize,
    tx: SyncSender<Vec<SourceItem>>,
    returned: Receiver<Vec<SourceItem>>,
    help: Option<Box<dyn Help>>,
) {
    let capacity = capacity.max(1);
    PENDING.with(|p| {
        *p.borrow_mut() = Some(Pending {
            items: Vec::with_capacity(capacity),
            capacity,
            tx,
            returned,
            texts: Vec::new(),
            batches: Vec::new(),
            help,
        })
    });
}

/// Adds an item, sending the batch when full; false when the pipeline is
/// gone (or batching was not begun on this thread).
pub fn push(item: SourceItem) -> bool {
    PENDING.with(|p| {
        let mut p = p.borrow_mut();
        let Some(p) = p.as_mut() else {
            return false;
        };
        p.items.push(item);
        if p.items.len() < p.capacity {
            return true;
        }
        p.send()
    })
}

/// A message text: `s` copied into a reused allocation when batching on
/// this thread has one.
pub fn text(s: &str) -> String {
    let reused = PENDING.with(|p| {
        let mut p = p.borrow_mut();
        let texts = &mut p.as_mut()?.texts;
        texts.pop()
    });
    match reused {
        Some(mut t) => {
            t.push_str(s);
            t
        }
        None => s.to_owned(),
    }
}

/// Called by text sources just before they read more input (which may
/// block): hands the partial batch on. A no-op on other threads.
pub fn input_may_block() {
    PENDING.with(|p| {
        if let Some(p) = p.borrow_mut().as_mut()
            && !p.items.is_empty()
        {
            let _ = p.send();
        }
    });
}

/// Sends what is left and stops batching on this thread.
pub fn end() {
    input_may_block();
    PENDING.with(|p| p.borrow_mut().take());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::event::{Origin, Position, TraceEvent};

    fn item(n: u64) -> SourceItem {
        SourceItem::Event(TraceEvent::new(
            "x".repeat(32),
            Origin {
                input: "t".into(),
                position: Position::Line(n),
            },
        ))
    }

    #[test]
    fn full_partial_and_final_batches() {
        let (tx, rx) = std::sync::mpsc::sync_channel(8);
        let (_back, returned) = std::sync::mpsc::sync_channel(8);
        begin(2, tx, returned, None);
        assert!(push(item(1)));
        assert!(rx.try_recv().is_err());
        assert!(push(item(2)));
        assert_eq!(rx.try_recv().unwrap().len(), 2);
        assert!(push(item(3)));
        input_may_block();
        assert_eq!(rx.try_recv().unwrap().len(), 1);
        input_may_block();
        assert!(rx.try_recv().is_err(), "no empty batches");
        assert!(push(item(4)));
        end();
        assert_eq!(rx.try_recv().unwrap().len(), 1);
        assert!(!push(item(5)), "ended");
    }

    /// Work for the tests: `work` pieces, then waiting for news; the
    /// `room_at`-th piece of work empties the pipeline's queue.
    struct TestHelp {
        work: usize,
        done: std::sync::Arc<std::sync::atomic::AtomicUsize>,
        waits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
        queue: std::sync::Arc<std::sync::Mutex<Receiver<Vec<SourceItem>>>>,
        room_at: usize,
    }

    impl Help for TestHelp {
        fn news(&self) -> u64 {
            0
        }
        fn help(&mut self) -> bool {
            use std::sync::atomic::Ordering;
            if self.done.load(Ordering::SeqCst) == self.work {
                return false;
            }
            if self.done.fetch_add(1, Ordering::SeqCst) + 1 == self.room_at {
                assert_eq!(self.queue.lock().unwrap().try_recv().unwrap().len(), 1);
            }
            true
        }
        fn wait(&self, _seen: u64) {
            use std::sync::atomic::Ordering;
            // News: the queue is emptied.
            self.waits.fetch_add(1, Ordering::SeqCst);
            let _ = self.queue.lock().unwrap().try_recv();
        }
    }

    /// The help, and the sending end of the queue it can empty.
    fn test_help(work: usize, room_at: usize) -> (TestHelp, SyncSender<Vec<SourceItem>>) {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<SourceItem>>(1);
        let help = TestHelp {
            work,
            done: Default::default(),
            waits: Default::default(),
            queue: std::sync::Arc::new(std::sync::Mutex::new(rx)),
            room_at,
        };
        (help, tx)
    }

    #[test]
    fn a_full_pipeline_gets_help_before_waiting() {
        use std::sync::atomic::Ordering;
        let (help, tx) = test_help(5, 3);
        let (done, waits, queue) = (help.done.clone(), help.waits.clone(), help.queue.clone());
        let (_back, returned) = std::sync::mpsc::sync_channel(8);
        begin(1, tx, returned, Some(Box::new(help)));
        assert!(push(item(1)));
        assert_eq!(done.load(Ordering::SeqCst), 0, "room: no help");
        assert!(push(item(2)));
        assert_eq!(done.load(Ordering::SeqCst), 3, "helped until room");
        assert_eq!(waits.load(Ordering::SeqCst), 0);
        assert_eq!(queue.lock().unwrap().try_recv().unwrap().len(), 1);
        end();
    }

    #[test]
    fn with_nothing_to_help_with_the_reader_waits_for_news() {
        use std::sync::atomic::Ordering;
        let (help, tx) = test_help(1, 0);
        let (done, waits, queue) = (help.done.clone(), help.waits.clone(), help.queue.clone());
        let (_back, returned) = std::sync::mpsc::sync_channel(8);
        begin(1, tx, returned, Some(Box::new(help)));
        assert!(push(item(1)));
        assert!(push(item(2)));
        assert_eq!(done.load(Ordering::SeqCst), 1, "the one piece of work");
        assert_eq!(waits.load(Ordering::SeqCst), 1, "then waited");
        assert_eq!(queue.lock().unwrap().try_recv().unwrap().len(), 1);
        end();
    }

    /// Batches come back several at a time while the reader is ahead:
    /// every vector is kept for the next batches (none allocated anew).
    #[test]
    fn every_returned_batch_vector_is_reused() {
        let (tx, rx) = std::sync::mpsc::sync_channel(8);
        let (back, returned) = std::sync::mpsc::sync_channel(8);
        begin(2, tx, returned, None);
        for n in 0..8 {
            assert!(push(item(n)));
        }
        let sent: Vec<Vec<SourceItem>> = (0..4).map(|_| rx.try_recv().unwrap()).collect();
        let vectors: Vec<*const SourceItem> = sent.iter().map(|b| b.as_ptr()).collect();
        for mut batch in sent {
            batch.clear();
            back.send(batch).unwrap();
        }
        // The first send takes all four back; the next batches use them.
        let mut reused = Vec::new();
        for n in 8..18 {
            assert!(push(item(n)));
            if let Ok(b) = rx.try_recv() {
                reused.push(b.as_ptr());
            }
        }
        assert_eq!(reused.len(), 5);
        let again = reused.iter().filter(|p| vectors.contains(p)).count();
        assert!(again >= 4, "{again} of the four returned vectors reused");
        end();
    }

    #[test]
    fn returned_batches_are_reused() {
        let (tx, rx) = std::sync::mpsc::sync_channel(8);
        let (back, returned) = std::sync::mpsc::sync_channel(8);
        begin(2, tx, returned, None);
        assert_eq!(text("abc"), "abc");
        assert!(push(item(1)));
        assert!(push(item(2)));
        let batch = rx.try_recv().unwrap();
        let ptrs: Vec<*const u8> = batch
            .iter()
            .map(|i| match i {
                SourceItem::Event(e) => e.text.as_ptr(),
                _ => unreachable!(),
            })
            .collect();
        back.send(batch).unwrap();
        assert!(push(item(3)));
        assert!(push(item(4)), "sending reclaims the returned batch");
        let t = text("reused");
        assert_eq!(t, "reused");
        assert!(ptrs.contains(&t.as_ptr()), "a returned text allocation");
        assert_eq!(rx.try_recv().unwrap().len(), 2);
        end();
        assert_eq!(text("after"), "after");
    }

    #[test]
    fn long_texts_are_not_kept() {
        let (tx, rx) = std::sync::mpsc::sync_channel(8);
        let (back, returned) = std::sync::mpsc::sync_channel(8);
        begin(1, tx, returned, None);
        let long = SourceItem::Event(TraceEvent::new(
            "x".repeat(POOLED_TEXT_MAX + 1),
            Origin {
                input: "t".into(),
                position: Position::Line(1),
            },
        ));
        assert!(push(long));
        back.send(rx.try_recv().unwrap()).unwrap();
        assert!(push(item(2)));
        PENDING.with(|p| {
            let p = p.borrow();
            let pool = &p.as_ref().unwrap().texts;
            assert!(pool.iter().all(|t| t.capacity() <= POOLED_TEXT_MAX));
        });
        end();
    }
}
