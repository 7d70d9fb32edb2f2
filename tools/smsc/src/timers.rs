//! Per-thread delayed jobs (responses after their latency, receipts after
//! their delay). Connection wake-ups use `hornet_serverkit::Timers`.
//!
//! Jobs carry what they need to find their connection again (slab key and
//! generation); a job whose connection closed is dropped when it fires, so
//! nothing is ever removed from the middle.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Instant;

/// A heap entry ordered by deadline, then by insertion order.
#[derive(Debug)]
struct Delayed<T> {
    deadline: Instant,
    order: u64,
    item: T,
}

impl<T> PartialEq for Delayed<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<T> Eq for Delayed<T> {}

impl<T> PartialOrd for Delayed<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Delayed<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: `BinaryHeap` is a max-heap and we want the earliest.
        (other.deadline, other.order).cmp(&(self.deadline, self.order))
    }
}

/// Items (delayed responses, receipts) waiting for their deadlines.
///
/// With a fixed delay the deadlines arrive in order, so most items go to a
/// FIFO (O(1) in and out); only an item due before the FIFO's newest goes
/// to a heap. Items with equal deadlines come out in insertion order.
#[derive(Debug)]
pub(crate) struct DelayQueue<T> {
    fifo: VecDeque<(Instant, u64, T)>,
    heap: BinaryHeap<Delayed<T>>,
    order: u64,
}

impl<T> Default for DelayQueue<T> {
    fn default() -> Self {
        DelayQueue {
            fifo: VecDeque::new(),
            heap: BinaryHeap::new(),
            order: 0,
        }
    }
}

impl<T> DelayQueue<T> {
    /// Queues `item` until `deadline`.
    pub(crate) fn push(&mut self, deadline: Instant, item: T) {
        self.order += 1;
        let order = self.order;
        match self.fifo.back() {
            Some(&(last, _, _)) if deadline < last => self.heap.push(Delayed {
                deadline,
                order,
                item,
            }),
            _ => self.fifo.push_back((deadline, order, item)),
        }
    }

    /// The earliest deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let a = self.fifo.front().map(|&(d, _, _)| d);
        let b = self.heap.peek().map(|d| d.deadline);
        match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Removes and returns the earliest item if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<T> {
        let fifo = self.fifo.front().map(|&(d, o, _)| (d, o));
        let heap = self.heap.peek().map(|d| (d.deadline, d.order));
        let from_fifo = match (fifo, heap) {
            (Some(f), Some(h)) => f < h,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return None,
        };
        if from_fifo {
            match self.fifo.front() {
                Some(&(d, _, _)) if d <= now => self.fifo.pop_front().map(|(_, _, item)| item),
                _ => None,
            }
        } else {
            match self.heap.peek() {
                Some(d) if d.deadline <= now => self.heap.pop().map(|d| d.item),
                _ => None,
            }
        }
    }

    /// Items waiting.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.fifo.len() + self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn delay_queue_orders_mixed_deadlines() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut q = DelayQueue::default();
        for (i, d) in [5u64, 10, 10, 3, 20, 7, 10, 1].into_iter().enumerate() {
            q.push(t0 + ms(d), (d, i));
        }
        assert_eq!(q.len(), 8);
        assert_eq!(q.next_deadline(), Some(t0 + ms(1)));
        assert_eq!(q.pop_due(t0), None);
        let mut out = Vec::new();
        while let Some(x) = q.pop_due(t0 + ms(10)) {
            out.push(x);
        }
        assert_eq!(
            out,
            [(1, 7), (3, 3), (5, 0), (7, 5), (10, 1), (10, 2), (10, 6)]
        );
        assert_eq!(q.next_deadline(), Some(t0 + ms(20)));
        assert_eq!(q.pop_due(t0 + ms(20)), Some((20, 4)));
        assert_eq!(q.len(), 0);
        assert_eq!(q.next_deadline(), None);
    }

    #[test]
    fn delay_queue_in_order_stays_in_the_fifo() {
        let t0 = Instant::now();
        let mut q = DelayQueue::default();
        for i in 0..100u64 {
            q.push(t0 + Duration::from_micros(i / 3), i);
        }
        assert!(q.heap.is_empty());
        let all: Vec<u64> = std::iter::from_fn(|| q.pop_due(t0 + Duration::from_secs(1))).collect();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
    }
}
