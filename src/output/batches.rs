//! Batches of records formatted by whichever thread is free.
//!
//! The pipeline's three threads share the machine's cores: reading,
//! correlating and writing. When reading is ahead (its queue to the
//! correlator is full), the reading thread would only wait; instead it
//! formats a batch of records the writing thread has not reached yet. The
//! writing thread still writes every batch, in order: one it finds formatted
//! is written as is, one it finds unformatted it formats itself, one being
//! formatted elsewhere it waits for.
//!
//! Only for formats whose text of a batch is each record's own text in turn
//! ([`super::Renderer::batch_format`]: NDJSON).

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::record::Record;

/// Appends the text of a batch of records to a buffer.
pub type BatchFormat = fn(&mut Vec<u8>, &[Record]) -> io::Result<()>;

/// Batches not yet formatted that another thread may take: this many at
/// most (older ones are left to the writer).
const OPEN_BATCHES: usize = 8;
/// Formatted texts kept for reuse.
const SPARE_TEXTS: usize = 8;
/// Room of a new text: about a batch's records.
const TEXT_ROOM: usize = 256 * 1024;

/// One batch on its way to the output.
pub struct Batch {
    state: Mutex<State>,
    formatted: Condvar,
}

enum State {
    Waiting(Vec<Record>),
    /// Taken by a helping thread.
    Formatting,
    Formatted(Vec<Record>, io::Result<Vec<u8>>),
    /// Handed to the writer.
    Done,
}

/// Ends a batch taken by a helper that did not finish it.
struct Unfinished<'a>(Option<&'a Batch>);

impl Drop for Unfinished<'_> {
    fn drop(&mut self) {
        if let Some(batch) = self.0 {
            *lock(&batch.state) = State::Formatted(
                Vec::new(),
                Err(io::Error::other("formatting a record batch failed")),
            );
            batch.formatted.notify_all();
        }
    }
}

/// The batches of one run and the texts they are formatted into.
pub struct SharedFormatting {
    format: BatchFormat,
    open: Mutex<VecDeque<Arc<Batch>>>,
    spare: Mutex<Vec<Vec<u8>>>,
    /// Events a helper may wait for ([`SharedFormatting::announce`]), and
    /// how many helpers wait for them.
    news: Mutex<News>,
    news_came: Condvar,
}

#[derive(Default)]
struct News {
    count: u64,
    waiting: u32,
}

/// A waiting helper looks again this often at most, whatever the news.
const LOOK_AGAIN: std::time::Duration = std::time::Duration::from_millis(50);

/// A lock that a panicking thread left behind is still usable here: every
/// state it guards is whole between statements.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SharedFormatting {
    pub fn new(format: BatchFormat) -> Self {
        SharedFormatting {
            format,
            open: Mutex::new(VecDeque::new()),
            spare: Mutex::new(Vec::new()),
            news: Mutex::new(News::default()),
            news_came: Condvar::new(),
        }
    }

    /// A mark of the news so far, for [`SharedFormatting::wait_for_news`].
    pub fn news(&self) -> u64 {
        lock(&self.news).count
    }

    /// Something a waiting helper may act on happened: a batch came, or
    /// the pipeline took some of the helper's own output.
    pub fn announce(&self) {
        let mut news = lock(&self.news);
        news.count += 1;
        // Waking is a system call: only when someone waits.
        if news.waiting > 0 {
            self.news_came.notify_all();
        }
    }

    /// Returns once there was news since `seen`, or after [`LOOK_AGAIN`].
    pub fn wait_for_news(&self, seen: u64) {
        let mut news = lock(&self.news);
        if news.count == seen {
            news.waiting += 1;
            news = self
                .news_came
                .wait_timeout(news, LOOK_AGAIN)
                .map(|(news, _)| news)
                .unwrap_or_else(|poisoned| poisoned.into_inner().0);
            news.waiting -= 1;
        }
    }

    /// A batch of records for the output; hand it to the writer, which
    /// ends it with [`SharedFormatting::text_of`].
    pub fn submit(&self, records: Vec<Record>) -> Arc<Batch> {
        let batch = Arc::new(Batch {
            state: Mutex::new(State::Waiting(records)),
            formatted: Condvar::new(),
        });
        let mut open = lock(&self.open);
        if open.len() == OPEN_BATCHES {
            open.pop_front();
        }
        open.push_back(batch.clone());
        drop(open);
        self.announce();
        batch
    }

    /// Formats the newest batch no thread has taken (the one the writer
    /// will reach last); false when there is none.
    pub fn help(&self) -> bool {
        loop {
            let Some(batch) = lock(&self.open).pop_back() else {
                return false;
            };
            let records = {
                let mut state = lock(&batch.state);
                match std::mem::replace(&mut *state, State::Formatting) {
                    State::Waiting(records) => records,
                    other => {
                        *state = other;
                        continue;
                    }
                }
            };
            // Should formatting fail by a panic, the writer still gets an
            // answer instead of waiting for ever.
            let mut unfinished = Unfinished(Some(&batch));
            let text = self.format_batch(&records);
            unfinished.0 = None;
            *lock(&batch.state) = State::Formatted(records, text);
            batch.formatted.notify_all();
            return true;
        }
    }

    /// The batch's records and their text: formatted here unless another
    /// thread has (or is at it: then waits for it).
    pub fn text_of(&self, batch: &Batch) -> (Vec<Record>, io::Result<Vec<u8>>) {
        let mut state = lock(&batch.state);
        loop {
            match std::mem::replace(&mut *state, State::Done) {
                State::Waiting(records) => {
                    drop(state);
                    let text = self.format_batch(&records);
                    return (records, text);
                }
                State::Formatted(records, text) => return (records, text),
                State::Formatting => {
                    *state = State::Formatting;
                    state = batch
                        .formatted
                        .wait(state)
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                }
                State::Done => {
                    return (
                        Vec::new(),
                        Err(io::Error::other("a record batch was written twice")),
                    );
                }
            }
        }
    }

    /// A text written out, for reuse (not one that grew far: a batch of
    /// big records must not leave the pool holding megabytes per text).
    pub fn give_back(&self, mut text: Vec<u8>) {
        if text.capacity() > 2 * TEXT_ROOM {
            return;
        }
        text.clear();
        let mut spare = lock(&self.spare);
        if spare.len() < SPARE_TEXTS {
            spare.push(text);
        }
    }

    fn format_batch(&self, records: &[Record]) -> io::Result<Vec<u8>> {
        let mut text = lock(&self.spare)
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(TEXT_ROOM));
        (self.format)(&mut text, records)?;
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{GapRecord, InstanceId};

    fn gap(n: u64) -> Record {
        Record::Gap(Box::new(GapRecord {
            instance: InstanceId {
                host: None,
                pid: Some(7),
                ordinal: 1,
            },
            pid: Some(7),
            from_cnt: n,
            to_cnt: n,
            missing: 1,
            read_race: 0,
            time: None,
        }))
    }

    /// One line per record: the gap's first counter.
    fn numbers(buf: &mut Vec<u8>, records: &[Record]) -> io::Result<()> {
        use std::io::Write;
        for r in records {
            if let Record::Gap(g) = r {
                writeln!(buf, "{}", g.from_cnt)?;
            }
        }
        Ok(())
    }

    fn text(t: io::Result<Vec<u8>>) -> String {
        String::from_utf8(t.unwrap().clone()).unwrap()
    }

    #[test]
    fn the_writer_formats_what_no_one_helped_with() {
        let shared = SharedFormatting::new(numbers);
        let a = shared.submit(vec![gap(1), gap(2)]);
        let (records, t) = shared.text_of(&a);
        assert_eq!(records.len(), 2);
        assert_eq!(text(t), "1\n2\n");
        assert!(!shared.help(), "the written batch is not taken again");
    }

    #[test]
    fn helping_takes_the_newest_batch_and_the_writer_keeps_the_order() {
        let shared = SharedFormatting::new(numbers);
        let a = shared.submit(vec![gap(1)]);
        let b = shared.submit(vec![gap(2)]);
        let c = shared.submit(vec![gap(3)]);
        assert!(shared.help());
        assert!(matches!(*lock(&c.state), State::Formatted(..)));
        assert!(matches!(*lock(&a.state), State::Waiting(_)));
        let order: Vec<String> = [a, b, c]
            .iter()
            .map(|batch| {
                let (_, t) = shared.text_of(batch);
                text(t)
            })
            .collect();
        assert_eq!(order, ["1\n", "2\n", "3\n"]);
        assert!(!shared.help());
    }

    #[test]
    fn the_writer_waits_for_a_batch_being_formatted_elsewhere() {
        let shared = Arc::new(SharedFormatting::new(numbers));
        let a = shared.submit(vec![gap(5)]);
        // As a helper does: taken, then formatted on another thread.
        let records = match std::mem::replace(&mut *lock(&a.state), State::Formatting) {
            State::Waiting(r) => r,
            _ => unreachable!(),
        };
        let helper = {
            let (shared, a) = (shared.clone(), a.clone());
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(20));
                let t = shared.format_batch(&records);
                *lock(&a.state) = State::Formatted(records, t);
                a.formatted.notify_all();
            })
        };
        let (records, t) = shared.text_of(&a);
        assert_eq!(records.len(), 1);
        assert_eq!(text(t), "5\n");
        helper.join().unwrap();
    }

    #[test]
    fn a_helper_that_fails_by_a_panic_does_not_leave_the_writer_waiting() {
        fn panics(_: &mut Vec<u8>, _: &[Record]) -> io::Result<()> {
            panic!("formatter bug");
        }
        let shared = Arc::new(SharedFormatting::new(panics));
        let a = shared.submit(vec![gap(1)]);
        let helper = {
            let shared = shared.clone();
            std::thread::spawn(move || shared.help())
        };
        assert!(helper.join().is_err());
        let (_, t) = shared.text_of(&a);
        assert!(t.is_err());
    }

    #[test]
    fn big_texts_are_not_kept() {
        let shared = SharedFormatting::new(numbers);
        let mut big = Vec::with_capacity(2 * TEXT_ROOM + 1);
        big.push(b'x');
        shared.give_back(big);
        shared.give_back(Vec::with_capacity(TEXT_ROOM));
        let spare = lock(&shared.spare);
        assert_eq!(spare.len(), 1);
        assert!(spare[0].capacity() <= 2 * TEXT_ROOM && spare[0].is_empty());
    }

    #[test]
    fn a_waiting_helper_wakes_at_news() {
        let shared = Arc::new(SharedFormatting::new(numbers));
        let seen = shared.news();
        let waiter = {
            let shared = shared.clone();
            std::thread::spawn(move || {
                let started = std::time::Instant::now();
                shared.wait_for_news(seen);
                started.elapsed()
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(5));
        shared.submit(vec![gap(1)]);
        assert!(waiter.join().unwrap() < LOOK_AGAIN, "woken by the batch");
        assert_ne!(shared.news(), seen);
        let started = std::time::Instant::now();
        shared.wait_for_news(seen);
        assert!(started.elapsed() < LOOK_AGAIN, "news already came: no wait");
    }

    #[test]
    fn texts_are_reused_and_old_batches_left_to_the_writer() {
        let shared = SharedFormatting::new(numbers);
        let batches: Vec<_> = (0..OPEN_BATCHES as u64 + 3)
            .map(|n| shared.submit(vec![gap(n)]))
            .collect();
        assert_eq!(lock(&shared.open).len(), OPEN_BATCHES);
        let mut helped = 0;
        while shared.help() {
            helped += 1;
        }
        assert_eq!(helped, OPEN_BATCHES);
        let mut all = String::new();
        for b in &batches {
            let (_, t) = shared.text_of(b);
            let t = t.unwrap();
            all.push_str(std::str::from_utf8(t.as_slice()).unwrap());
            shared.give_back(t);
        }
        let want: String = (0..OPEN_BATCHES as u64 + 3)
            .map(|n| format!("{n}\n"))
            .collect();
        assert_eq!(all, want);
        assert_eq!(lock(&shared.spare).len(), SPARE_TEXTS);
        let reused = shared.format_batch(&[gap(9)]).unwrap();
        assert_eq!(reused.as_slice(), b"9\n", "a reused text starts empty");
    }
}
