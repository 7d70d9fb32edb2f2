//! Load shapes: the target rate as a function of time, piecewise linear.
//!
//! A shape is a list of stages, each ramping linearly from the previous
//! target (0 before the first stage) to its own over its duration, like
//! k6's `stages`: `30s:1000,1s:15000,60s:15000,10s:0` ramps to 1,000/s in
//! 30 s, jumps to 15,000/s in 1 s, holds a minute and ramps down in 10 s.
//! A constant rate is one stage that starts at its target.
//!
//! The open model needs the inverse: when is the i-th request of the run
//! due? The number of requests due by time t is the integral of the rate,
//! piecewise quadratic, so each request's intended time is solved exactly,
//! stage by stage, and nothing is stored per request.

use std::fmt;
use std::time::Duration;

/// One stage: ramp from the previous target to `target` over `duration`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    /// How long the stage lasts.
    pub duration: Duration,
    /// The target at the end of the stage (requests per second).
    pub target: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Segment {
    start_ns: f64,
    end_ns: f64,
    /// Rate at the start and end, requests per nanosecond.
    r0: f64,
    r1: f64,
    /// Requests due before the segment starts.
    before: f64,
}

impl Segment {
    fn len(&self) -> f64 {
        self.end_ns - self.start_ns
    }

    /// Requests due within the segment by `dt` ns after its start.
    fn area(&self, dt: f64) -> f64 {
        let slope = (self.r1 - self.r0) / self.len();
        self.r0 * dt + slope * dt * dt / 2.0
    }

    /// Offset within the segment at which `area` reaches `n`.
    fn offset_of(&self, n: f64) -> f64 {
        let slope = (self.r1 - self.r0) / self.len();
        if slope.abs() < 1e-30 {
            return if self.r0 > 0.0 {
                n / self.r0
            } else {
                self.len()
            };
        }
        // slope/2 dt^2 + r0 dt - n = 0, the root in [0, len].
        let disc = (self.r0 * self.r0 + 2.0 * slope * n).max(0.0);
        let dt = (disc.sqrt() - self.r0) / slope;
        dt.clamp(0.0, self.len())
    }
}

/// A piecewise-linear rate over the run.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    segments: Vec<Segment>,
    stages: Vec<Stage>,
    /// Built by [`Shape::constant`] (`-R`), not from stages.
    constant: bool,
}

/// Why a `--stages` value is not a shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError(String);

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ShapeError {}

impl Shape {
    /// A constant `rate` for `duration`.
    pub fn constant(rate: f64, duration: Duration) -> Shape {
        let end = duration.as_nanos() as f64;
        Shape {
            segments: vec![Segment {
                start_ns: 0.0,
                end_ns: end,
                r0: rate / 1e9,
                r1: rate / 1e9,
                before: 0.0,
            }],
            stages: vec![Stage {
                duration,
                target: rate,
            }],
            constant: true,
        }
    }

    /// Stages ramping from 0 (k6-style).
    pub fn from_stages(stages: Vec<Stage>) -> Result<Shape, ShapeError> {
        Shape::from_stages_at(0.0, stages)
    }

    /// Stages whose first one ramps from `start` instead of 0: a shape
    /// that begins at a level (a spike's base, a step's first level) is at
    /// that level from the first instant, with no hidden ramp up.
    pub fn from_stages_at(start: f64, stages: Vec<Stage>) -> Result<Shape, ShapeError> {
        if !start.is_finite() || start < 0.0 {
            return Err(ShapeError(format!("start level {start} must be 0 or more")));
        }
        if stages.is_empty() {
            return Err(ShapeError("at least one stage is needed".into()));
        }
        let mut segments = Vec::with_capacity(stages.len());
        let (mut t, mut rate, mut before) = (0.0f64, start / 1e9, 0.0f64);
        for s in &stages {
            if !s.target.is_finite() || s.target < 0.0 {
                return Err(ShapeError(format!("target {} must be 0 or more", s.target)));
            }
            if s.duration.is_zero() {
                return Err(ShapeError("a stage must last more than zero".into()));
            }
            let seg = Segment {
                start_ns: t,
                end_ns: t + s.duration.as_nanos() as f64,
                r0: rate,
                r1: s.target / 1e9,
                before,
            };
            before += seg.area(seg.len());
            t = seg.end_ns;
            rate = seg.r1;
            segments.push(seg);
        }
        if before < 1.0 {
            return Err(ShapeError("the stages schedule no request at all".into()));
        }
        Ok(Shape {
            segments,
            stages,
            constant: false,
        })
    }

    /// The target (per second) at `t_ns` on the run clock: the ramp's value
    /// inside a stage, the last target after the end. The closed model
    /// reads users from it.
    pub fn level_at(&self, t_ns: f64) -> f64 {
        for seg in &self.segments {
            if t_ns < seg.end_ns {
                let frac = ((t_ns - seg.start_ns) / seg.len()).clamp(0.0, 1.0);
                return (seg.r0 + (seg.r1 - seg.r0) * frac) * 1e9;
            }
        }
        self.segments.last().map_or(0.0, |s| s.r1 * 1e9)
    }

    /// Which stage runs at `t_ns`, as `stage 2/4 -> 1500` (the target it
    /// ramps to); `None` for a constant shape or after the end.
    pub fn stage_label(&self, t_ns: f64) -> Option<String> {
        if self.constant {
            return None;
        }
        let i = self.segments.iter().position(|s| t_ns < s.end_ns)?;
        Some(format!(
            "stage {}/{} -> {}",
            i + 1,
            self.stages.len(),
            self.stages[i].target
        ))
    }

    /// Parses `DURATION:TARGET,...`, e.g. `30s:1000,1s:15000,60s:15000`.
    pub fn parse(text: &str) -> Result<Shape, ShapeError> {
        let stages =
            text.split(',')
                .map(|part| {
                    let (d, t) = part.trim().split_once(':').ok_or_else(|| {
                        ShapeError(format!("stage '{part}' is not DURATION:TARGET"))
                    })?;
                    let duration = humantime::parse_duration(d.trim())
                        .map_err(|e| ShapeError(format!("stage '{part}': duration: {e}")))?;
                    let target: f64 = t.trim().parse().map_err(|_| {
                        ShapeError(format!("stage '{part}': target '{t}' is not a number"))
                    })?;
                    Ok(Stage { duration, target })
                })
                .collect::<Result<Vec<_>, ShapeError>>()?;
        Shape::from_stages(stages)
    }

    /// True for a constant rate (`-R`), false for stages.
    pub fn is_constant(&self) -> bool {
        self.constant
    }

    /// The stages as given.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// Total length of the shape.
    pub fn duration(&self) -> Duration {
        Duration::from_nanos(self.end_ns() as u64)
    }

    fn end_ns(&self) -> f64 {
        self.segments.last().map_or(0.0, |s| s.end_ns)
    }

    /// Highest target rate, requests per second.
    pub fn peak(&self) -> f64 {
        self.segments
            .iter()
            .map(|s| s.r0.max(s.r1) * 1e9)
            .fold(0.0, f64::max)
    }

    /// Requests due in `[0, t_ns)`: the integral of the rate.
    pub fn due_by(&self, t_ns: f64) -> f64 {
        let t = t_ns.min(self.end_ns());
        match self.segments.iter().find(|s| t < s.end_ns) {
            Some(s) => s.before + s.area((t - s.start_ns).max(0.0)),
            None => self
                .segments
                .last()
                .map_or(0.0, |s| s.before + s.area(s.len())),
        }
    }

    /// When request `i` (0-based, over the whole run) is due: the moment the
    /// integral reaches `i`. `None` if the shape ends first.
    pub fn time_of(&self, i: u64) -> Option<u64> {
        let n = i as f64;
        let seg = self
            .segments
            .iter()
            .find(|s| n < s.before + s.area(s.len()))?;
        let t = seg.start_ns + seg.offset_of(n - seg.before);
        // Requests are intended strictly before the end; float error in the
        // integral must not add one at the very end (at 20,000/s for 5 s,
        // request 100,000 would land on 5 s exactly).
        if t >= self.end_ns() - 0.5 {
            return None;
        }
        Some(t.round() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn constant_rate_matches_the_plain_formula() {
        let shape = Shape::constant(2000.0, Duration::from_secs(1));
        assert_eq!(shape.time_of(0), Some(0));
        assert_eq!(shape.time_of(1), Some(500_000));
        assert_eq!(shape.time_of(1999), Some(999_500_000));
        assert_eq!(shape.time_of(2000), None);
        assert!((shape.due_by(S as f64) - 2000.0).abs() < 1e-6);
    }

    #[test]
    fn float_error_never_adds_a_request_at_the_end() {
        for (rate, secs) in [(20_000.0, 5), (3.0, 7), (333.0, 1), (12_345.0, 13)] {
            let shape = Shape::constant(rate, Duration::from_secs(secs));
            let n = (rate * secs as f64) as u64;
            assert!(shape.time_of(n - 1).is_some(), "{rate} {secs}");
            assert_eq!(shape.time_of(n), None, "{rate} {secs}");
        }
    }

    #[test]
    fn ramps_integrate_and_invert() {
        // 0 -> 1000/s over 1 s (500 requests), then hold 1 s (1000 more).
        let shape = Shape::parse("1s:1000, 1s:1000").unwrap();
        assert!((shape.due_by(S as f64) - 500.0).abs() < 1e-6);
        assert!((shape.due_by(2.0 * S as f64) - 1500.0).abs() < 1e-6);
        assert_eq!(shape.time_of(1500), None);
        // Half the ramp's requests are due at t = 1/sqrt(2) s.
        let t = shape.time_of(250).unwrap() as f64 / 1e9;
        assert!((t - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-6, "{t}");
        // Times increase and agree with the integral.
        let mut last = 0;
        for i in 0..1500 {
            let t = shape.time_of(i).unwrap();
            assert!(t >= last);
            assert!((shape.due_by(t as f64) - i as f64).abs() < 1e-3, "{i}");
            last = t;
        }
        assert_eq!(shape.duration(), Duration::from_secs(2));
        assert_eq!(shape.peak(), 1000.0);
    }

    #[test]
    fn spike_shape_from_the_issue() {
        let shape = Shape::parse("30s:1000,1s:15000,60s:15000,10s:0").unwrap();
        assert_eq!(shape.duration(), Duration::from_secs(101));
        assert_eq!(shape.peak(), 15000.0);
        let total = 15_000.0 + 8_000.0 + 900_000.0 + 75_000.0;
        assert!((shape.due_by(1e12) - total).abs() < 1e-3);
    }

    #[test]
    fn level_follows_the_ramps() {
        let s = Shape::parse("10s:100,10s:100,5s:0").unwrap();
        assert_eq!(s.level_at(0.0), 0.0);
        assert!((s.level_at(5e9) - 50.0).abs() < 1e-6);
        assert!((s.level_at(15e9) - 100.0).abs() < 1e-6);
        assert!((s.level_at(22.5e9) - 50.0).abs() < 1e-6);
        assert_eq!(s.level_at(1e12), 0.0);
        assert_eq!(
            Shape::constant(7.0, Duration::from_secs(1)).level_at(0.0),
            7.0
        );
    }

    #[test]
    fn stages_can_start_at_a_level() {
        // 200/s from the first instant for 2 s: 400 requests, 200 in the
        // first second (from 0 it would be 200 in all, 100 in the first).
        let s = Shape::from_stages_at(
            200.0,
            vec![Stage {
                duration: Duration::from_secs(2),
                target: 200.0,
            }],
        )
        .unwrap();
        assert_eq!(s.level_at(0.0), 200.0);
        assert!((s.due_by(1e9) - 200.0).abs() < 1e-6);
        assert!((s.due_by(2e9) - 400.0).abs() < 1e-6);
        assert_eq!(s.time_of(1), Some(5_000_000));
        assert!(Shape::from_stages_at(-1.0, s.stages().to_vec()).is_err());
    }

    #[test]
    fn bad_stages_say_why() {
        for (text, needle) in [
            ("", "DURATION:TARGET"),
            ("10s", "DURATION:TARGET"),
            ("soon:10", "duration"),
            ("10s:many", "not a number"),
            ("10s:-5", "0 or more"),
            ("0s:10", "more than zero"),
            ("10s:0", "no request"),
        ] {
            let e = Shape::parse(text).unwrap_err().to_string();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }
}
