//! The one timer structure of a worker, whatever drives it: one live timer
//! per owner (a connection slot of `hornet http`/`hornet smpp`, a virtual
//! user of a profile), at the earliest deadline the owner has.
//!
//! Owners keep the deadline of their live entry themselves (`armed`,
//! `u64::MAX` for none), so nothing is ever removed from the heap: an owner
//! whose deadline moves earlier pushes a new entry and the old one goes
//! stale (it no longer matches `armed` and is skipped when it comes up); an
//! owner whose deadline moves later keeps its early entry, which fires,
//! finds nothing due, and the owner arms again at its real deadline. Each
//! owner has at most one live entry, so the heap grows with owners, never
//! with the request rate, and a wake-up costs the timers due, not a scan of
//! every owner.
//!
//! A key reused by a new owner starts with `armed == u64::MAX`, so entries
//! its predecessor left behind never match it (an entry at exactly the time
//! the new owner armed would fire at the right time anyway).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Where the owners of a [`TimerHeap`]'s entries keep their live deadline.
pub trait Owners {
    /// The live deadline of `key`'s owner (`u64::MAX`: none armed), or
    /// `None` when the key has no owner any more.
    fn armed(&mut self, key: usize) -> Option<&mut u64>;
}

/// A min-heap of (deadline, owner key), one live entry per owner.
#[derive(Debug, Default)]
pub struct TimerHeap {
    heap: BinaryHeap<Reverse<(u64, usize)>>,
}

impl TimerHeap {
    /// An empty heap with room for `owners` live entries.
    pub fn with_capacity(owners: usize) -> TimerHeap {
        TimerHeap {
            heap: BinaryHeap::with_capacity(owners),
        }
    }

    /// Arms `key`'s timer at `at` if that is earlier than its live entry
    /// (`armed`, which is updated). A later `at` leaves the early entry to
    /// fire and be re-armed.
    pub fn arm(&mut self, key: usize, at: u64, armed: &mut u64) {
        if at < *armed {
            *armed = at;
            self.heap.push(Reverse((at, key)));
        }
    }

    /// The earliest deadline in the heap (it may be stale: firing it then
    /// costs one look at its owner).
    pub fn next(&self) -> Option<u64> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// Pops the next live entry due by `now` and returns its owner's key,
    /// marking the owner unarmed; stale entries are dropped on the way.
    /// `None` once nothing more is due.
    pub fn pop_due<O: Owners + ?Sized>(&mut self, now: u64, owners: &mut O) -> Option<usize> {
        while let Some(&Reverse((at, key))) = self.heap.peek() {
            if at > now {
                return None;
            }
            self.heap.pop();
            if let Some(armed) = owners.armed(key) {
                if *armed == at {
                    *armed = u64::MAX;
                    return Some(key);
                }
            }
        }
        None
    }

    /// Entries in the heap, live and stale.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when no entry is left.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Owners for Vec<u64> {
        fn armed(&mut self, key: usize) -> Option<&mut u64> {
            self.get_mut(key)
        }
    }

    fn due(heap: &mut TimerHeap, now: u64, owners: &mut Vec<u64>) -> Vec<usize> {
        std::iter::from_fn(|| heap.pop_due(now, owners)).collect()
    }

    #[test]
    fn fires_owners_in_deadline_order_once() {
        let mut heap = TimerHeap::with_capacity(3);
        let mut armed = vec![u64::MAX; 3];
        heap.arm(0, 30, &mut armed[0]);
        heap.arm(1, 10, &mut armed[1]);
        heap.arm(2, 20, &mut armed[2]);
        assert_eq!(heap.next(), Some(10));
        assert_eq!(due(&mut heap, 25, &mut armed), vec![1, 2]);
        assert_eq!(armed, vec![30, u64::MAX, u64::MAX]);
        assert_eq!(due(&mut heap, 25, &mut armed), Vec::<usize>::new());
        assert_eq!(due(&mut heap, 30, &mut armed), vec![0]);
        assert!(heap.is_empty());
    }

    #[test]
    fn an_earlier_deadline_makes_the_old_entry_stale() {
        let mut heap = TimerHeap::default();
        let mut armed = vec![u64::MAX];
        heap.arm(0, 50, &mut armed[0]);
        heap.arm(0, 20, &mut armed[0]);
        assert_eq!(heap.len(), 2);
        assert_eq!(due(&mut heap, 20, &mut armed), vec![0]);
        // The entry at 50 no longer matches: it is dropped, not fired.
        assert_eq!(due(&mut heap, 60, &mut armed), Vec::<usize>::new());
        assert!(heap.is_empty());
    }

    #[test]
    fn a_later_deadline_keeps_the_early_entry() {
        let mut heap = TimerHeap::default();
        let mut armed = vec![u64::MAX];
        heap.arm(0, 10, &mut armed[0]);
        heap.arm(0, 40, &mut armed[0]);
        assert_eq!(heap.len(), 1);
        // The early entry fires; its owner finds nothing due and re-arms.
        assert_eq!(due(&mut heap, 10, &mut armed), vec![0]);
        heap.arm(0, 40, &mut armed[0]);
        assert_eq!(heap.next(), Some(40));
    }

    #[test]
    fn entries_of_a_removed_owner_are_dropped() {
        let mut heap = TimerHeap::default();
        let mut armed = vec![u64::MAX; 2];
        heap.arm(1, 10, &mut armed[1]);
        armed.truncate(1);
        assert_eq!(due(&mut heap, 10, &mut armed), Vec::<usize>::new());
        assert!(heap.is_empty());
    }
}
