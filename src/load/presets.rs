//! The shorthands for common shapes, expanded into [`Stage`]s: a
//! staircase (`step`), a spike, and users spawned at a rate. They live
//! next to [`Shape`] so that every front end (profiles today, the CLI if
//! it takes them) builds the same shape from the same numbers; the front
//! end only checks the values and words its own errors.

use std::time::Duration;

use super::shape::{Shape, ShapeError, Stage};

/// `step`: `steps` levels from `start`, `step` apart, each held `every`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Staircase {
    /// Level of the first step.
    pub start: f64,
    /// Added at each step.
    pub step: f64,
    /// How long each level holds.
    pub every: Duration,
    /// Number of levels.
    pub steps: u32,
}

impl Staircase {
    /// The stages, to start at [`Staircase::start`] (see
    /// [`Shape::from_stages_at`]): the first level holds from the start;
    /// later levels are reached with a 1 ms ramp (a shape is continuous).
    pub fn stages(&self) -> Vec<Stage> {
        let ramp = Duration::from_millis(1).min(self.every / 2);
        let mut stages = Vec::with_capacity(2 * self.steps as usize);
        for i in 0..self.steps {
            let level = self.start + self.step * f64::from(i);
            stages.push(Stage {
                duration: ramp,
                target: level,
            });
            stages.push(Stage {
                duration: self.every - ramp,
                target: level,
            });
        }
        stages
    }
}

/// `spike`: at `base`, a ramp to `peak`, a hold there, a ramp back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spike {
    /// Level before and after the spike.
    pub base: f64,
    /// Level at the top of the spike.
    pub peak: f64,
    /// Time at base before the spike.
    pub before: Duration,
    /// Ramp time from base to peak and back.
    pub ramp: Duration,
    /// Time at the peak.
    pub hold: Duration,
    /// Time at base after the spike, if any.
    pub after: Option<Duration>,
}

impl Spike {
    /// The stages, to start at [`Spike::base`] (a spike starts at its
    /// base: no ramp from 0 before it).
    pub fn stages(&self) -> Vec<Stage> {
        let mut stages = vec![
            Stage {
                duration: self.before,
                target: self.base,
            },
            Stage {
                duration: self.ramp,
                target: self.peak,
            },
            Stage {
                duration: self.hold,
                target: self.peak,
            },
            Stage {
                duration: self.ramp,
                target: self.base,
            },
        ];
        if let Some(a) = self.after.filter(|a| !a.is_zero()) {
            stages.push(Stage {
                duration: a,
                target: self.base,
            });
        }
        stages
    }
}

/// `users` over `run_time`, started at `spawn_rate` per second (Locust's
/// `spawn_rate`) or all at once without one. A ramp that would outlast the
/// run becomes one ramp to `spawn_rate * run_time` users.
pub fn spawned(
    users: u64,
    spawn_rate: Option<f64>,
    run_time: Duration,
) -> Result<Shape, ShapeError> {
    match spawn_rate {
        Some(r) if (users as f64 / r) < run_time.as_secs_f64() => {
            let ramp = Duration::from_secs_f64(users as f64 / r);
            let mut st = Vec::new();
            if !ramp.is_zero() {
                st.push(Stage {
                    duration: ramp,
                    target: users as f64,
                });
            }
            st.push(Stage {
                duration: run_time.saturating_sub(ramp).max(Duration::from_millis(1)),
                target: users as f64,
            });
            Shape::from_stages(st)
        }
        Some(r) => Shape::from_stages(vec![Stage {
            duration: run_time,
            target: r * run_time.as_secs_f64(),
        }]),
        None => Ok(Shape::constant(users as f64, run_time)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn a_staircase_holds_each_level_for_its_time() {
        let s = Staircase {
            start: 10.0,
            step: 5.0,
            every: Duration::from_secs(2),
            steps: 3,
        };
        let shape = Shape::from_stages_at(s.start, s.stages()).unwrap();
        assert_eq!(shape.duration(), Duration::from_secs(6));
        assert!(
            close(shape.level_at(1.0e9), 10.0),
            "{}",
            shape.level_at(1.0e9)
        );
        assert!(
            close(shape.level_at(3.0e9), 15.0),
            "{}",
            shape.level_at(3.0e9)
        );
        assert!(
            close(shape.level_at(5.0e9), 20.0),
            "{}",
            shape.level_at(5.0e9)
        );
    }

    #[test]
    fn a_spike_returns_to_its_base_and_drops_a_zero_after() {
        let mut sp = Spike {
            base: 2.0,
            peak: 20.0,
            before: Duration::from_secs(5),
            ramp: Duration::from_secs(1),
            hold: Duration::from_secs(3),
            after: Some(Duration::ZERO),
        };
        assert_eq!(sp.stages().len(), 4);
        sp.after = Some(Duration::from_secs(4));
        let stages = sp.stages();
        assert_eq!(stages.len(), 5);
        let shape = Shape::from_stages_at(sp.base, stages).unwrap();
        assert!(
            close(shape.level_at(1.0e9), 2.0),
            "{}",
            shape.level_at(1.0e9)
        );
        assert!(
            close(shape.level_at(7.0e9), 20.0),
            "{}",
            shape.level_at(7.0e9)
        );
        assert!(
            close(shape.level_at(12.0e9), 2.0),
            "{}",
            shape.level_at(12.0e9)
        );
        assert!(close(shape.peak(), 20.0), "{}", shape.peak());
    }

    #[test]
    fn spawning_ramps_then_holds_or_is_cut_by_the_run() {
        let run = Duration::from_secs(10);
        let all_at_once = spawned(100, None, run).unwrap();
        assert!(all_at_once.is_constant());
        let ramped = spawned(100, Some(50.0), run).unwrap();
        assert_eq!(ramped.stages()[0].duration, Duration::from_secs(2));
        assert_eq!(ramped.duration(), run);
        assert!(close(ramped.peak(), 100.0), "{}", ramped.peak());
        // 100 users at 5/s need 20 s: the 10 s run reaches 50.
        let cut = spawned(100, Some(5.0), run).unwrap();
        assert!(close(cut.peak(), 50.0), "{}", cut.peak());
    }
}
