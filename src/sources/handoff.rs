//! Handing source items from the reader thread to the pipeline in batches.
//!
//! Big batches keep a fast input cheap; a batch is also handed on early,
//! just before a text source reads more input ([`input_may_block`]), so a
//! slow input (a pipe, a terminal) is correlated and shown line by line.
//! The batch lives in a thread-local of the reader thread: sources call
//! [`input_may_block`] without knowing about the pipeline.

use std::cell::RefCell;
use std::sync::mpsc::SyncSender;

use crate::sources::SourceItem;

struct Pending {
    items: Vec<SourceItem>,
    capacity: usize,
    tx: SyncSender<Vec<SourceItem>>,
}

thread_local! {
    /// The reader thread's batch. Set only on that thread.
    static PENDING: RefCell<Option<Pending>> = const { RefCell::new(None) };
}

/// Starts batching on this thread: batches of `capacity` items go to `tx`.
pub fn begin(capacity: usize, tx: SyncSender<Vec<SourceItem>>) {
    let capacity = capacity.max(1);
    PENDING.with(|p| {
        *p.borrow_mut() = Some(Pending {
            items: Vec::with_capacity(capacity),
            capacity,
            tx,
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
        let full = std::mem::replace(&mut p.items, Vec::with_capacity(p.capacity));
        p.tx.send(full).is_ok()
    })
}

/// Called by text sources just before they read more input (which may
/// block): hands the partial batch on. A no-op on other threads.
pub fn input_may_block() {
    PENDING.with(|p| {
        if let Some(p) = p.borrow_mut().as_mut()
            && !p.items.is_empty()
        {
            let items = std::mem::take(&mut p.items);
            let _ = p.tx.send(items);
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
    use crate::event::{Origin, Position, TraceEvent};

    fn item(n: u64) -> SourceItem {
        SourceItem::Event(TraceEvent::new(
            "x",
            Origin {
                input: "t".into(),
                position: Position::Line(n),
            },
        ))
    }

    #[test]
    fn full_partial_and_final_batches() {
        let (tx, rx) = std::sync::mpsc::sync_channel(8);
        begin(2, tx);
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
}
