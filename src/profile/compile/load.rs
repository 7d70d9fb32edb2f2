//! `[load]`: the closed or open load model, its shape (steps, spikes,
//! spawn rate), run time, iterations and threads, after the command-line
//! overrides, within the bounds every mode shares.

use std::sync::Arc;
use std::time::Duration;

use super::{Compiler, Overrides, ITERATIONS_RUN_TIME, MAX_USERS};
use crate::load::{Shape, Stage};
use crate::profile::error::ProfileError;
use crate::profile::model::RawLoad;
use crate::profile::scenario::*;
use crate::vocab::limits::{MAX_DURATION, MAX_RATE, MAX_THREADS};

impl Compiler<'_> {
    pub(super) fn load(
        &self,
        raw: &RawLoad,
        ov: &Overrides,
        classes: &[Class],
    ) -> Result<LoadSpec, ProfileError> {
        let whole = |m: String| self.loc.whole(m);
        let open = match raw.model.as_ref().map(|m| m.get_ref().as_str()) {
            Some("open") => true,
            Some("closed") => false,
            Some(other) => {
                return Err(self.err(
                    raw.model.as_ref().expect("set").span(),
                    format!("load.model: '{other}' is not closed or open"),
                ))
            }
            None => ov.rate.is_some() || raw.rate.is_some(),
        };
        let users = ov.users.or(raw.users.as_ref().map(|u| *u.get_ref()));
        if let Some(u) = users {
            if u == 0 || u > MAX_USERS {
                let m = format!("load.users: {u} must be between 1 and {MAX_USERS}");
                return Err(match (&ov.users, &raw.users) {
                    (None, Some(s)) => self.err(s.span(), m),
                    _ => whole(m.replace("load.users", "--users")),
                });
            }
        }
        let spawn_rate = ov
            .spawn_rate
            .or(raw.spawn_rate.as_ref().map(|s| *s.get_ref()));
        if let Some(r) = spawn_rate {
            if !(r.is_finite() && r > 0.0 && r <= MAX_RATE) {
                let m = format!("load.spawn_rate: {r} must be above 0 and at most {MAX_RATE}");
                return Err(match (&ov.spawn_rate, &raw.spawn_rate) {
                    (None, Some(s)) => self.err(s.span(), m),
                    _ => whole(m.replace("load.spawn_rate", "--spawn-rate")),
                });
            }
        }
        let rate = ov.rate.or(raw.rate.as_ref().map(|s| *s.get_ref()));
        if let Some(r) = rate {
            if !(r.is_finite() && r > 0.0 && r <= MAX_RATE) {
                let m = format!("load.rate: {r} must be above 0 and at most {MAX_RATE}");
                return Err(match (&ov.rate, &raw.rate) {
                    (None, Some(s)) => self.err(s.span(), m),
                    _ => whole(m.replace("load.rate", "--rate")),
                });
            }
        }
        let iterations = ov
            .iterations
            .or(raw.iterations.as_ref().map(|s| *s.get_ref()));
        if iterations == Some(0) {
            return Err(whole("load.iterations: must be at least 1".into()));
        }
        let mut stages: Vec<Stage> = raw
            .stages
            .iter()
            .map(|s| Stage {
                duration: s.duration.0,
                target: *s.target.get_ref(),
            })
            .collect();
        // Level at time 0: `stages` ramp from 0 (k6), `step` and `spike`
        // start at their first level.
        let mut start_level = 0.0;
        let shapes_given = usize::from(!stages.is_empty())
            + usize::from(raw.step.is_some())
            + usize::from(raw.spike.is_some());
        if shapes_given > 1 {
            return Err(whole(
                "load: give at most one of stages, step, spike".into(),
            ));
        }
        if let Some(st) = &raw.step {
            let s = st.get_ref();
            if s.steps == 0 || s.steps > 10_000 || s.every.0.is_zero() {
                return Err(self.err(
                    st.span(),
                    "load.step: steps must be 1..10000 and every more than zero",
                ));
            }
            // The first level holds from the start; later levels are
            // reached with a 1 ms ramp (a shape is continuous).
            start_level = s.start;
            let ramp = Duration::from_millis(1).min(s.every.0 / 2);
            for i in 0..s.steps {
                let level = s.start + s.step * f64::from(i);
                stages.push(Stage {
                    duration: ramp,
                    target: level,
                });
                stages.push(Stage {
                    duration: s.every.0 - ramp,
                    target: level,
                });
            }
        }
        if let Some(sp) = &raw.spike {
            let s = sp.get_ref();
            let ramp = s.ramp.map_or(Duration::from_secs(1), |d| d.0);
            if ramp.is_zero() || s.hold.0.is_zero() || s.before.0.is_zero() {
                return Err(self.err(
                    sp.span(),
                    "load.spike: before, ramp and hold must be more than zero",
                ));
            }
            // A spike starts at its base: no ramp from 0 before it.
            start_level = s.base;
            stages.push(Stage {
                duration: s.before.0,
                target: s.base,
            });
            stages.push(Stage {
                duration: ramp,
                target: s.peak,
            });
            stages.push(Stage {
                duration: s.hold.0,
                target: s.peak,
            });
            stages.push(Stage {
                duration: ramp,
                target: s.base,
            });
            if let Some(a) = s.after.filter(|a| !a.0.is_zero()) {
                stages.push(Stage {
                    duration: a.0,
                    target: s.base,
                });
            }
        }
        let stage_time: Duration = stages.iter().map(|s| s.duration).sum();
        let run_time = match (
            ov.run_time.or(raw.run_time.map(|d| d.0)),
            stages.is_empty(),
            iterations,
        ) {
            (Some(t), _, _) => t,
            (None, false, _) => stage_time,
            (None, true, Some(_)) => ITERATIONS_RUN_TIME,
            (None, true, None) => {
                return Err(whole(
                    "load.run_time is required (or stages, step, spike, or iterations)".into(),
                ))
            }
        };
        if run_time.is_zero() || run_time > MAX_DURATION {
            return Err(whole(format!(
                "load.run_time: {} must be more than zero and at most 30 days",
                humantime::format_duration(run_time)
            )));
        }
        let shape_err = |e: crate::load::ShapeError| whole(format!("load: {e}"));
        let model = if open {
            let shape = if !stages.is_empty() && ov.rate.is_none() {
                if stages.iter().any(|s| s.target > MAX_RATE) {
                    return Err(whole(format!(
                        "load: stage targets must be at most {MAX_RATE} iterations/s"
                    )));
                }
                Shape::from_stages_at(start_level, stages).map_err(shape_err)?
            } else {
                let r = rate
                    .ok_or_else(|| whole("load: the open model needs rate (or stages)".into()))?;
                Shape::constant(r, run_time)
            };
            LoadModel::Open {
                shape: Arc::new(shape),
                max_users: users.unwrap_or(10_000),
            }
        } else {
            if raw.rate.is_some() {
                return Err(whole(
                    "load.rate goes with the open model; the closed model takes users".into(),
                ));
            }
            let shape = if !stages.is_empty() && ov.users.is_none() {
                if stages.iter().any(|s| s.target > MAX_USERS as f64) {
                    return Err(whole(format!(
                        "load: stage targets must be at most {MAX_USERS} users"
                    )));
                }
                Shape::from_stages_at(start_level, stages).map_err(shape_err)?
            } else {
                let fixed: u64 = classes.iter().filter_map(|c| c.fixed_count).sum();
                if fixed > MAX_USERS {
                    return Err(whole(format!(
                        "user classes: fixed_count adds up to {fixed}, more than {MAX_USERS} users"
                    )));
                }
                let u = users.unwrap_or(fixed.max(1));
                match spawn_rate {
                    Some(r) if (u as f64 / r) < run_time.as_secs_f64() => {
                        let ramp = Duration::from_secs_f64(u as f64 / r);
                        let mut st = Vec::new();
                        if !ramp.is_zero() {
                            st.push(Stage {
                                duration: ramp,
                                target: u as f64,
                            });
                        }
                        st.push(Stage {
                            duration: run_time.saturating_sub(ramp).max(Duration::from_millis(1)),
                            target: u as f64,
                        });
                        Shape::from_stages(st).map_err(shape_err)?
                    }
                    Some(r) => Shape::from_stages(vec![Stage {
                        duration: run_time,
                        target: r * run_time.as_secs_f64(),
                    }])
                    .map_err(shape_err)?,
                    None => Shape::constant(u as f64, run_time),
                }
            };
            LoadModel::Closed {
                shape: Arc::new(shape),
            }
        };
        let peak_users = match &model {
            LoadModel::Closed { shape } => shape.peak().ceil() as u64,
            LoadModel::Open { max_users, .. } => *max_users,
        }
        .max(1);
        let threads = match (ov.threads, &raw.threads) {
            (Some(t), _) => t,
            (None, Some(t)) => *t.get_ref() as usize,
            (None, None) => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        if threads == 0 || threads > MAX_THREADS {
            return Err(whole(format!(
                "load.threads: {threads} must be between 1 and {MAX_THREADS}"
            )));
        }
        let seed = raw.seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
        Ok(LoadSpec {
            model,
            run_time,
            iterations,
            threads: threads.min(peak_users as usize).max(1),
            seed,
        })
    }
}
