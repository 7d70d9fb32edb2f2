//! The open-files limit (`ulimit -n`): every connection is a file
//! descriptor, and a default soft limit of 1024 (or a container's 64)
//! would otherwise show up as thousands of connect errors blamed on the
//! target.
//!
//! At start the soft limit is raised to the hard limit (what nginx, wrk
//! and most servers do); a run whose connections still cannot fit fails
//! up front with a usage error naming the limit, and a pool that might
//! grow past it gets a warning. Whatever still runs out is counted as
//! `local_resource`, apart from the target's errors.

use super::ConfigError;

/// Descriptors hornet needs besides its connections: stdio, per worker an
/// epoll, a timer and a waker, the output files, a Prometheus listener,
/// the live view. Generous on purpose: running out mid-run is worse.
pub fn reserve(threads: usize) -> u64 {
    32 + 4 * threads as u64
}

/// The open-files limit: (soft, hard).
pub fn open_files() -> (u64, u64) {
    let mut l = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) } != 0 {
        return (u64::MAX, u64::MAX);
    }
    // rlim_t is u64 on Linux (hornet's platform).
    (l.rlim_cur, l.rlim_max)
}

/// Raises the soft open-files limit to the hard one; returns (soft, hard)
/// afterwards. Failing to raise it is not an error: the check below
/// reports what the limit is.
pub fn raise_open_files() -> (u64, u64) {
    let (soft, hard) = open_files();
    if soft < hard {
        let l = libc::rlimit {
            rlim_cur: hard,
            rlim_max: hard,
        };
        // SAFETY: setrlimit reads the struct we own; raising the soft
        // limit up to the hard limit needs no privilege.
        unsafe {
            libc::setrlimit(libc::RLIMIT_NOFILE, &l);
        }
    }
    open_files()
}

/// Checks that `connections` (`what` they are, e.g. `200 connections
/// (-c/--connections)`) fit under the open-files limit with hornet's own
/// reserve. `cap`, the most the pool may grow to, only warns (on stderr)
/// when it does not fit: the run may never need it.
pub fn check(
    what: &str,
    connections: usize,
    cap: usize,
    threads: usize,
) -> Result<(), ConfigError> {
    let (limit, hard) = open_files();
    let reserve = reserve(threads);
    let needed = connections as u64 + reserve;
    if needed > limit {
        return Err(ConfigError::OpenFiles {
            what: what.to_string(),
            needed,
            limit,
            hard,
        });
    }
    let most = cap as u64 + reserve;
    if most > limit {
        eprintln!(
            "hornet: warning: up to {cap} connections may be opened (about {most} open files), but this process may open only {limit} (ulimit -n; hard limit {hard}): connections beyond that fail as local_resource"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_beyond_the_limit_is_a_usage_error_naming_it() {
        let (limit, _) = raise_open_files();
        if limit > 1 << 40 {
            return; // unlimited: nothing can exceed it
        }
        let too_many = limit as usize;
        let e = check("many connections", too_many, too_many, 1).unwrap_err();
        let text = e.to_string();
        assert!(text.contains(&format!("may open only {limit}")), "{text}");
        assert!(text.contains("ulimit -n"), "{text}");
        assert!(check("1 connection", 1, 1, 1).is_ok());
    }
}
