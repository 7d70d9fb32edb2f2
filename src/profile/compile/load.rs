//! `[load]`: the closed or open load model, its shape (steps, spikes,
//! spawn rate), run time, iterations and threads, after the command-line
//! overrides, within the bounds every mode shares. The shapes themselves
//! are built by `crate::load` (the same shapes the CLI runs); this file
//! checks the values and places errors on the keys that gave them.

use std::sync::Arc;
use std::time::Duration;

use toml::Spanned;

use super::{Compiler, Overrides, ITERATIONS_RUN_TIME, MAX_USERS};
use crate::load::{spawned, Shape, ShapeError, Spike, Stage, Staircase};
use crate::profile::error::ProfileError;
use crate::profile::model::RawLoad;
use crate::profile::scenario::*;
use crate::vocab::limits::{MAX_DURATION, MAX_RATE, MAX_THREADS};

/// The counts of `[load]` after the command-line overrides, in range.
struct Counts {
    users: Option<u64>,
    spawn_rate: Option<f64>,
    rate: Option<f64>,
    iterations: Option<u64>,
}

/// The stages a profile gave (`stages`, `step` or `spike`) and the level
/// the shape starts at.
struct Stages {
    start_level: f64,
    stages: Vec<Stage>,
}

impl Compiler<'_> {
    pub(super) fn load(
        &self,
        raw: &RawLoad,
        ov: &Overrides,
        classes: &[Class],
    ) -> Result<LoadSpec, ProfileError> {
        let open = self.load_is_open(raw, ov)?;
        let counts = self.load_counts(raw, ov)?;
        let stages = self.load_stages(raw)?;
        let run_time = self.run_time(raw, ov, &stages, counts.iterations)?;
        let model = if open {
            self.open_model(ov, &counts, stages, run_time)?
        } else {
            self.closed_model(raw, ov, &counts, stages, run_time, classes)?
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
            return Err(self.loc.whole(format!(
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
            iterations: counts.iterations,
            threads: threads.min(peak_users as usize).max(1),
            seed,
        })
    }

    /// `load.model`, or open when a rate is given.
    fn load_is_open(&self, raw: &RawLoad, ov: &Overrides) -> Result<bool, ProfileError> {
        match raw.model.as_ref().map(|m| m.get_ref().as_str()) {
            Some("open") => Ok(true),
            Some("closed") => Ok(false),
            Some(other) => Err(self.err(
                raw.model.as_ref().expect("set").span(),
                format!("load.model: '{other}' is not closed or open"),
            )),
            None => Ok(ov.rate.is_some() || raw.rate.is_some()),
        }
    }

    /// An out-of-range value: placed on the profile's key, or named by its
    /// flag when the command line gave it.
    fn bad_count<T>(
        &self,
        m: String,
        from_flag: bool,
        key: Option<&Spanned<T>>,
        name: &str,
        flag: &str,
    ) -> ProfileError {
        match (from_flag, key) {
            (false, Some(s)) => self.err(s.span(), m),
            _ => self.loc.whole(m.replace(name, flag)),
        }
    }

    /// Users, spawn rate, rate and iterations, overrides first, in range.
    fn load_counts(&self, raw: &RawLoad, ov: &Overrides) -> Result<Counts, ProfileError> {
        let users = ov.users.or(raw.users.as_ref().map(|u| *u.get_ref()));
        if let Some(u) = users {
            if u == 0 || u > MAX_USERS {
                let m = format!("load.users: {u} must be between 1 and {MAX_USERS}");
                let key = raw.users.as_ref();
                return Err(self.bad_count(m, ov.users.is_some(), key, "load.users", "--users"));
            }
        }
        let spawn_rate = ov
            .spawn_rate
            .or(raw.spawn_rate.as_ref().map(|s| *s.get_ref()));
        if let Some(r) = spawn_rate {
            if !(r.is_finite() && r > 0.0 && r <= MAX_RATE) {
                let m = format!("load.spawn_rate: {r} must be above 0 and at most {MAX_RATE}");
                let (flag, key) = (ov.spawn_rate.is_some(), raw.spawn_rate.as_ref());
                return Err(self.bad_count(m, flag, key, "load.spawn_rate", "--spawn-rate"));
            }
        }
        let rate = ov.rate.or(raw.rate.as_ref().map(|s| *s.get_ref()));
        if let Some(r) = rate {
            if !(r.is_finite() && r > 0.0 && r <= MAX_RATE) {
                let m = format!("load.rate: {r} must be above 0 and at most {MAX_RATE}");
                let key = raw.rate.as_ref();
                return Err(self.bad_count(m, ov.rate.is_some(), key, "load.rate", "--rate"));
            }
        }
        let iterations = ov
            .iterations
            .or(raw.iterations.as_ref().map(|s| *s.get_ref()));
        if iterations == Some(0) {
            return Err(self.loc.whole("load.iterations: must be at least 1"));
        }
        Ok(Counts {
            users,
            spawn_rate,
            rate,
            iterations,
        })
    }

    /// `stages`, `step` or `spike` (at most one) as stages.
    fn load_stages(&self, raw: &RawLoad) -> Result<Stages, ProfileError> {
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
            return Err(self
                .loc
                .whole("load: give at most one of stages, step, spike"));
        }
        if let Some(st) = &raw.step {
            let s = st.get_ref();
            if s.steps == 0 || s.steps > 10_000 || s.every.0.is_zero() {
                return Err(self.err(
                    st.span(),
                    "load.step: steps must be 1..10000 and every more than zero",
                ));
            }
            let staircase = Staircase {
                start: s.start,
                step: s.step,
                every: s.every.0,
                steps: s.steps,
            };
            start_level = staircase.start;
            stages.extend(staircase.stages());
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
            let spike = Spike {
                base: s.base,
                peak: s.peak,
                before: s.before.0,
                ramp,
                hold: s.hold.0,
                after: s.after.map(|a| a.0),
            };
            start_level = spike.base;
            stages.extend(spike.stages());
        }
        Ok(Stages {
            start_level,
            stages,
        })
    }

    /// How long the load runs: given, the stages' length, or the default
    /// of a run bounded by iterations.
    fn run_time(
        &self,
        raw: &RawLoad,
        ov: &Overrides,
        stages: &Stages,
        iterations: Option<u64>,
    ) -> Result<Duration, ProfileError> {
        let stage_time: Duration = stages.stages.iter().map(|s| s.duration).sum();
        let run_time = match (
            ov.run_time.or(raw.run_time.map(|d| d.0)),
            stages.stages.is_empty(),
            iterations,
        ) {
            (Some(t), _, _) => t,
            (None, false, _) => stage_time,
            (None, true, Some(_)) => ITERATIONS_RUN_TIME,
            (None, true, None) => {
                return Err(self
                    .loc
                    .whole("load.run_time is required (or stages, step, spike, or iterations)"))
            }
        };
        if run_time.is_zero() || run_time > MAX_DURATION {
            return Err(self.loc.whole(format!(
                "load.run_time: {} must be more than zero and at most 30 days",
                humantime::format_duration(run_time)
            )));
        }
        Ok(run_time)
    }

    fn shape_err(&self, e: ShapeError) -> ProfileError {
        self.loc.whole(format!("load: {e}"))
    }

    /// The open model: the stages (unless `--rate` replaces them) or a
    /// constant rate.
    fn open_model(
        &self,
        ov: &Overrides,
        counts: &Counts,
        stages: Stages,
        run_time: Duration,
    ) -> Result<LoadModel, ProfileError> {
        let shape = if !stages.stages.is_empty() && ov.rate.is_none() {
            if stages.stages.iter().any(|s| s.target > MAX_RATE) {
                return Err(self.loc.whole(format!(
                    "load: stage targets must be at most {MAX_RATE} iterations/s"
                )));
            }
            Shape::from_stages_at(stages.start_level, stages.stages)
                .map_err(|e| self.shape_err(e))?
        } else {
            let r = counts.rate.ok_or_else(|| {
                self.loc
                    .whole("load: the open model needs rate (or stages)")
            })?;
            Shape::constant(r, run_time)
        };
        Ok(LoadModel::Open {
            shape: Arc::new(shape),
            max_users: counts.users.unwrap_or(10_000),
        })
    }

    /// The closed model: the stages (unless `--users` replaces them) or
    /// the users, spawned at the spawn rate.
    fn closed_model(
        &self,
        raw: &RawLoad,
        ov: &Overrides,
        counts: &Counts,
        stages: Stages,
        run_time: Duration,
        classes: &[Class],
    ) -> Result<LoadModel, ProfileError> {
        if raw.rate.is_some() {
            return Err(self
                .loc
                .whole("load.rate goes with the open model; the closed model takes users"));
        }
        let shape = if !stages.stages.is_empty() && ov.users.is_none() {
            if stages.stages.iter().any(|s| s.target > MAX_USERS as f64) {
                return Err(self.loc.whole(format!(
                    "load: stage targets must be at most {MAX_USERS} users"
                )));
            }
            Shape::from_stages_at(stages.start_level, stages.stages)
                .map_err(|e| self.shape_err(e))?
        } else {
            let fixed: u64 = classes.iter().filter_map(|c| c.fixed_count).sum();
            if fixed > MAX_USERS {
                return Err(self.loc.whole(format!(
                    "user classes: fixed_count adds up to {fixed}, more than {MAX_USERS} users"
                )));
            }
            let u = counts.users.unwrap_or(fixed.max(1));
            spawned(u, counts.spawn_rate, run_time).map_err(|e| self.shape_err(e))?
        };
        Ok(LoadModel::Closed {
            shape: Arc::new(shape),
        })
    }
}
