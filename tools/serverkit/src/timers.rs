//! Per-thread timer heap for delayed responses and lingering closes.
//!
//! Entries name a connection by slab key and generation; a connection that
//! closed (and whose slot may have been reused) simply ignores its stale
//! entries when they fire, so nothing is ever removed from the middle.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

/// Min-heap of `(deadline, slab key, connection generation)`.
#[derive(Debug, Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<(Instant, usize, u64)>>,
}

impl Timers {
    /// Schedules a wake-up for connection `key`/`generation` at `deadline`.
    pub fn push(&mut self, deadline: Instant, key: usize, generation: u64) {
        self.heap.push(Reverse((deadline, key, generation)));
    }

    /// The earliest deadline, which bounds the next poll timeout.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((deadline, _, _))| *deadline)
    }

    /// Removes and returns one entry that is due at `now`, if any.
    pub fn pop_due(&mut self, now: Instant) -> Option<(usize, u64)> {
        match self.heap.peek() {
            Some(Reverse((deadline, _, _))) if *deadline <= now => self
                .heap
                .pop()
                .map(|Reverse((_, key, generation))| (key, generation)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn pops_in_deadline_order_and_only_when_due() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut timers = Timers::default();
        timers.push(t0 + ms(30), 3, 1);
        timers.push(t0 + ms(10), 1, 1);
        timers.push(t0 + ms(20), 2, 7);
        assert_eq!(timers.next_deadline(), Some(t0 + ms(10)));
        assert_eq!(timers.pop_due(t0), None);
        assert_eq!(timers.pop_due(t0 + ms(25)), Some((1, 1)));
        assert_eq!(timers.pop_due(t0 + ms(25)), Some((2, 7)));
        assert_eq!(timers.pop_due(t0 + ms(25)), None);
        assert_eq!(timers.pop_due(t0 + ms(30)), Some((3, 1)));
        assert_eq!(timers.next_deadline(), None);
    }
}
