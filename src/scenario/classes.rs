//! Which user class gets what: users (closed model) and arrivals (open
//! model), both by a smooth weighted round robin.
//!
//! Closed model: user number `i` of the run gets a class, fixed counts
//! first, then the weights share the rest. Open model: arrival number `g`
//! of the run's schedule goes to class `wheel[g % len]`, so the split
//! follows the weights exactly over the whole run, whichever worker owns
//! the arrival (worker `w` of `n` owns `g = w + k n`), and a class is
//! spread evenly over time rather than in bursts. Each worker walks its
//! own arrivals once per class (a cursor per class), so a class whose users
//! are busy or still in `on_start` does not hold the other classes' due
//! arrivals back.

use crate::profile::scenario::Scenario;

/// Longest wheel: weights whose sum (after dividing by their greatest
/// common divisor) exceeds this are scaled down to it, which keeps every
/// class's share within 1/`MAX_WHEEL` of its weight.
const MAX_WHEEL: u64 = 100_000;

/// Class assignment of a run, shared by every worker.
#[derive(Debug, Clone)]
pub struct ClassPlan {
    fixed: Vec<(usize, u64)>,
    fixed_total: u64,
    /// Users beyond the fixed counts, by `weight`.
    wheel: Vec<usize>,
    /// Open-model arrivals, by `weight` (a class with `fixed_count` weighs
    /// its fixed count).
    arrivals: Vec<usize>,
    /// Each class's open-model weight.
    arrival_weights: Vec<u64>,
    classes: usize,
}

/// A smooth weighted round robin (nginx's) over `(class, weight)`: each
/// class spread as evenly as the weights allow.
fn wheel(weighted: &[(usize, u64)]) -> Vec<usize> {
    let weighted: Vec<(usize, u64)> = weighted.iter().copied().filter(|w| w.1 > 0).collect();
    let g = weighted.iter().fold(0, |g, w| gcd(g, w.1)).max(1);
    let mut weights: Vec<u64> = weighted.iter().map(|w| w.1 / g).collect();
    let sum: u64 = weights.iter().sum();
    if sum > MAX_WHEEL {
        // Shares within 1/MAX_WHEEL; no class drops to nothing.
        for w in &mut weights {
            *w = ((*w as u128 * MAX_WHEEL as u128 / sum as u128) as u64).max(1);
        }
    }
    let total: u64 = weights.iter().sum();
    let mut current = vec![0i64; weights.len()];
    let mut out = Vec::with_capacity(total as usize);
    for _ in 0..total {
        let mut best = 0;
        for (j, w) in weights.iter().enumerate() {
            current[j] += *w as i64;
            if current[j] > current[best] {
                best = j;
            }
        }
        current[best] -= total as i64;
        out.push(weighted[best].0);
    }
    out
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

impl ClassPlan {
    /// The plan for `scenario`'s classes.
    pub fn new(scenario: &Scenario) -> ClassPlan {
        let fixed: Vec<(usize, u64)> = scenario
            .classes
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.fixed_count.map(|n| (i, n)))
            .collect();
        let weighted: Vec<(usize, u64)> = scenario
            .classes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.fixed_count.is_none())
            .map(|(i, c)| (i, u64::from(c.weight)))
            .collect();
        let by_arrival: Vec<(usize, u64)> = scenario
            .classes
            .iter()
            .enumerate()
            .map(|(i, c)| (i, c.fixed_count.unwrap_or(u64::from(c.weight))))
            .collect();
        let fixed_total = fixed.iter().map(|f| f.1).sum();
        ClassPlan {
            fixed,
            fixed_total,
            wheel: wheel(&weighted),
            arrivals: wheel(&by_arrival),
            arrival_weights: by_arrival.iter().map(|w| w.1).collect(),
            classes: scenario.classes.len(),
        }
    }

    /// Open model: `cap` users (a worker's share of `load.users`) shared
    /// among the classes by their weights (largest remainders), at least
    /// one each, so a class whose users are slow or stuck cannot take the
    /// users the other classes' arrivals need.
    pub fn split_users(&self, cap: u64) -> Vec<u64> {
        let total: u128 = self.arrival_weights.iter().map(|&w| u128::from(w)).sum();
        if total == 0 {
            return vec![cap.max(1); self.classes];
        }
        let exact: Vec<(u64, u128)> = self
            .arrival_weights
            .iter()
            .map(|&w| {
                let x = u128::from(cap) * u128::from(w);
                ((x / total) as u64, x % total)
            })
            .collect();
        let mut out: Vec<u64> = exact.iter().map(|e| e.0).collect();
        let mut left = cap.saturating_sub(out.iter().sum());
        let mut order: Vec<usize> = (0..out.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(exact[i].1));
        for &i in order.iter().cycle().take(out.len() * 2) {
            if left == 0 {
                break;
            }
            out[i] += 1;
            left -= 1;
        }
        out.iter().map(|&n| n.max(1)).collect()
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Class of user number `id` (closed model).
    pub fn class_of(&self, id: u64) -> usize {
        if id < self.fixed_total {
            let mut left = id;
            for &(c, n) in &self.fixed {
                if left < n {
                    return c;
                }
                left -= n;
            }
        }
        if self.wheel.is_empty() {
            // Only fixed classes: extra users repeat them in order.
            return self.fixed[(id % self.fixed.len() as u64) as usize].0;
        }
        self.wheel[((id - self.fixed_total.min(id)) % self.wheel.len() as u64) as usize]
    }

    /// Class of arrival `g` of the run's open-model schedule.
    #[inline]
    pub fn arrival_class(&self, g: u64) -> usize {
        self.arrivals[(g % self.arrivals.len() as u64) as usize]
    }

    /// The length of the arrival wheel.
    fn arrival_period(&self) -> u64 {
        self.arrivals.len() as u64
    }
}

/// One worker's open-model arrivals, per class: the next arrival of each
/// class that has not started yet. Nothing is stored per arrival.
#[derive(Debug, Clone)]
pub struct ClassArrivals {
    worker: u64,
    workers: u64,
    /// The worker's arrivals in the run (local indices `0..total`).
    total: u64,
    /// Local steps after which the classes of the worker's arrivals repeat.
    period: u64,
    /// Per class: its next local arrival not started, `total` when none is
    /// left.
    next: Vec<u64>,
}

impl ClassArrivals {
    /// Worker `worker` of `workers`, owning `total` arrivals of the run.
    pub fn new(plan: &ClassPlan, worker: usize, workers: usize, total: u64) -> ClassArrivals {
        let (worker, workers) = (worker as u64, workers.max(1) as u64);
        let len = plan.arrival_period().max(1);
        let mut a = ClassArrivals {
            worker,
            workers,
            total,
            period: len / gcd(len, workers).max(1),
            next: vec![total; plan.classes()],
        };
        for c in 0..plan.classes() {
            a.next[c] = a.find(plan, c, 0);
        }
        a
    }

    /// The first local arrival at or after `from` that belongs to class
    /// `c`, or `total`. One period of the wheel covers every class this
    /// worker ever sees, so a class it never gets costs one period once.
    fn find(&self, plan: &ClassPlan, c: usize, from: u64) -> u64 {
        let end = self.total.min(from.saturating_add(self.period));
        (from..end)
            .find(|&k| plan.arrival_class(self.worker + k * self.workers) == c)
            .unwrap_or(self.total)
    }

    /// Class `c`'s next arrival not started (a local index), if any is
    /// left.
    #[inline]
    pub fn next(&self, c: usize) -> Option<u64> {
        let k = self.next[c];
        (k < self.total).then_some(k)
    }

    /// Class `c`'s next arrival has started: move to the one after it.
    pub fn advance(&mut self, plan: &ClassPlan, c: usize) {
        let k = self.next[c];
        if k < self.total {
            self.next[c] = self.find(plan, c, k + 1);
        }
    }

    /// How many of class `c`'s arrivals below local index `due` have not
    /// started, counting no further than `limit`.
    pub fn pending(&self, plan: &ClassPlan, c: usize, due: u64, limit: u64) -> u64 {
        let mut n = 0;
        let mut k = self.next[c];
        while n < limit && k < due.min(self.total) {
            n += 1;
            k = self.find(plan, c, k + 1);
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(weights: &[u64]) -> ClassPlan {
        let by: Vec<(usize, u64)> = weights.iter().copied().enumerate().collect();
        ClassPlan {
            fixed: Vec::new(),
            fixed_total: 0,
            wheel: wheel(&by),
            arrivals: wheel(&by),
            arrival_weights: weights.to_vec(),
            classes: weights.len(),
        }
    }

    #[test]
    fn users_split_by_weight_with_one_each_at_least() {
        assert_eq!(plan(&[4, 1]).split_users(10), vec![8, 2]);
        assert_eq!(plan(&[1, 1]).split_users(3), vec![2, 1]);
        assert_eq!(plan(&[10, 1]).split_users(2), vec![2, 1]);
        assert_eq!(plan(&[1, 1, 1]).split_users(10).iter().sum::<u64>(), 10);
    }

    #[test]
    fn arrivals_split_exactly_by_weight_and_evenly() {
        let p = plan(&[4, 1]);
        let counts = (0..1000).fold([0u64; 2], |mut c, g| {
            c[p.arrival_class(g)] += 1;
            c
        });
        assert_eq!(counts, [800, 200]);
        // Spread: the weight-1 class comes once in every five arrivals.
        let first: Vec<usize> = (0..10).map(|g| p.arrival_class(g)).collect();
        assert_eq!(first.iter().filter(|&&c| c == 1).count(), 2);
        // Weights 10 and 1 (protei-10k): 1 in 11.
        let p = plan(&[10, 1]);
        let b = (0..11_000).filter(|&g| p.arrival_class(g) == 1).count();
        assert_eq!(b, 1000);
    }

    #[test]
    fn common_factors_and_huge_weights_keep_the_split() {
        assert_eq!(wheel(&[(0, 400), (1, 100)]).len(), 5);
        let w = wheel(&[(0, 3_000_000), (1, 1), (2, 1_000_000)]);
        assert!(w.len() as u64 <= MAX_WHEEL + 2);
        let share = |c| w.iter().filter(|&&x| x == c).count() as f64 / w.len() as f64;
        assert!((share(0) - 0.75).abs() < 1e-4);
        assert!(share(1) > 0.0);
    }

    #[test]
    fn workers_cursors_cover_every_arrival_once() {
        // Any worker count, including ones that share a factor with the
        // wheel (a class may never reach some workers).
        for workers in [1usize, 2, 3, 5, 7, 10] {
            let p = plan(&[4, 1]);
            let total_run = 997u64;
            let mut per_class = [0u64; 2];
            let mut seen = vec![false; total_run as usize];
            for w in 0..workers {
                let local = (total_run - w as u64).div_ceil(workers as u64);
                let mut a = ClassArrivals::new(&p, w, workers, local);
                for (c, count) in per_class.iter_mut().enumerate() {
                    let mut last = None;
                    while let Some(k) = a.next(c) {
                        assert!(last.map_or(true, |l| k > l));
                        last = Some(k);
                        let g = w as u64 + k * workers as u64;
                        assert_eq!(p.arrival_class(g), c);
                        assert!(!seen[g as usize]);
                        seen[g as usize] = true;
                        *count += 1;
                        a.advance(&p, c);
                    }
                }
            }
            assert!(seen.iter().all(|&s| s), "{workers} workers");
            // 997 arrivals at 4:1: 199 whole turns of the wheel, then A, A.
            assert_eq!(per_class, [798, 199], "{workers} workers");
        }
    }

    #[test]
    fn pending_counts_due_arrivals_of_a_class() {
        let p = plan(&[4, 1]);
        let a = ClassArrivals::new(&p, 0, 1, 100);
        assert_eq!(a.pending(&p, 1, 10, 100), 2);
        assert_eq!(a.pending(&p, 0, 10, 100), 8);
        assert_eq!(a.pending(&p, 0, 10, 3), 3);
        assert_eq!(a.pending(&p, 0, 0, 3), 0);
    }
}
