//! The corpus of bad profiles in `tests/bad_profiles/`: each one makes
//! `hornet run` exit 2 with exactly the line `expected.txt` holds for it
//! (file, line, column, key, what is wrong), with and without `--check`,
//! and before anything is sent.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

/// The corpus, relative to the crate root (the form the messages use).
const CORPUS: &str = "tests/bad_profiles";
/// The address every corpus profile points at (nothing listens there).
const PLACEHOLDER: &str = "127.0.0.1:9\"";
/// The environment variable `missing_secret_env.toml` needs unset.
const UNSET_VAR: &str = "HORNET_TEST_SURELY_UNSET_VAR";

fn crate_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `hornet ARGS` in `dir`.
fn hornet(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hornet"))
        .current_dir(dir)
        .env_remove(UNSET_VAR)
        .args(args)
        .output()
        .expect("hornet runs")
}

/// The corpus profiles, as paths relative to the crate root, sorted.
fn corpus() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(crate_root().join(CORPUS))
        .expect("the corpus directory exists")
        .map(|e| {
            e.expect("readable entry")
                .file_name()
                .into_string()
                .expect("UTF-8 name")
        })
        .filter(|n| n.ends_with(".toml"))
        .map(|n| format!("{CORPUS}/{n}"))
        .collect();
    files.sort();
    files
}

/// `expected.txt`: profile path -> the full stderr line.
fn expected() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(crate_root().join(CORPUS).join("expected.txt"))
        .expect("expected.txt");
    let mut map = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let rest = line
            .strip_prefix("hornet: error: ")
            .unwrap_or_else(|| panic!("expected.txt: not a `hornet: error:` line: {line}"));
        let end = rest
            .find(".toml")
            .unwrap_or_else(|| panic!("expected.txt: no .toml file in: {line}"))
            + ".toml".len();
        let file = rest[..end].to_string();
        assert!(
            map.insert(file.clone(), line.to_string()).is_none(),
            "expected.txt: two lines for {file}"
        );
    }
    map
}

/// Checks one run: exit 2, nothing on stdout, stderr exactly `want`.
/// Returns a description of what differs, if anything.
fn verdict(what: &str, out: &Output, want: &str) -> Option<String> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let want = format!("{want}\n");
    if out.status.code() == Some(2) && stderr == want && stdout.is_empty() {
        return None;
    }
    Some(format!(
        "{what}: exit {:?}\n  want: {want:?}\n  got:  {stderr:?}\n  stdout: {stdout:?}",
        out.status.code()
    ))
}

#[test]
fn corpus_and_expected_lines_match_one_to_one() {
    let files = corpus();
    let expected = expected();
    assert!(
        files.len() >= 20,
        "the corpus has only {} profiles",
        files.len()
    );
    let listed: Vec<&String> = expected.keys().collect();
    let on_disk: Vec<&String> = files.iter().collect();
    assert_eq!(
        listed, on_disk,
        "expected.txt and the .toml files in {CORPUS} differ"
    );
    for f in &files {
        let text = std::fs::read_to_string(crate_root().join(f)).unwrap();
        for (i, line) in text.lines().enumerate() {
            if let Some(at) = line.find("://").or_else(|| line.find("endpoint")) {
                assert!(
                    line[at..].contains(PLACEHOLDER),
                    "{f}:{}: profiles may only point at {PLACEHOLDER}",
                    i + 1
                );
            }
        }
    }
}

#[test]
fn every_bad_profile_fails_with_its_expected_line() {
    let expected = expected();
    let mut failures = Vec::new();
    for f in corpus() {
        let Some(want) = expected.get(&f) else {
            failures.push(format!("{f}: no line in expected.txt"));
            continue;
        };
        for args in [&[f.as_str(), "--check"][..], &[f.as_str(), "-q"][..]] {
            let mut full = vec!["run"];
            full.extend_from_slice(args);
            let out = hornet(crate_root(), &full);
            failures.extend(verdict(&full.join(" "), &out, want));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every message is one line naming a place in the file: `FILE:LINE:COL:`
/// with both numbers from 1, except the few about the file as a whole.
#[test]
fn every_expected_line_names_a_place() {
    const WHOLE_FILE: &[&str] = &["no_user.toml"];
    for (file, line) in expected() {
        let after = &line["hornet: error: ".len() + file.len()..];
        if WHOLE_FILE.iter().any(|w| file.ends_with(w)) {
            assert!(after.starts_with(": "), "{line}");
            continue;
        }
        let mut parts = after.strip_prefix(':').unwrap_or("").splitn(3, ':');
        let line_no: usize = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        let col: usize = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        assert!(line_no >= 1 && col >= 1, "no FILE:LINE:COL in: {line}");
        assert!(
            parts
                .next()
                .is_some_and(|m| m.starts_with(' ') && m.len() > 1),
            "{line}"
        );
    }
}

/// The same profiles, pointed at a live listener and run for real (no
/// `--check`): each fails with the same line and no connection arrives.
#[test]
fn bad_profiles_send_nothing() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let live = format!("{}\"", listener.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join(CORPUS);
    std::fs::create_dir_all(&copy).unwrap();
    for e in std::fs::read_dir(crate_root().join(CORPUS)).unwrap() {
        let e = e.unwrap();
        let text = std::fs::read_to_string(e.path()).unwrap();
        std::fs::write(copy.join(e.file_name()), text.replace(PLACEHOLDER, &live)).unwrap();
    }
    let expected = expected();
    let mut failures = Vec::new();
    for f in corpus() {
        let out = hornet(dir.path(), &["run", &f, "-q"]);
        failures.extend(verdict(&f, &out, &expected[&f]));
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    match listener.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        Ok((_, peer)) => panic!("a bad profile connected to the target (from {peer})"),
        Err(e) => panic!("accept: {e}"),
    }

    // The check can see a connection: a good profile sends at once.
    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        two_classes(&live).replace("run_time = \"1s\"", "run_time = \"1s\"\niterations = 1"),
    )
    .unwrap();
    // hornet has exited; its connection waits in the listener's queue.
    let _ = hornet(dir.path(), &["run", "good.toml", "-q"]);
    assert!(listener.accept().is_ok(), "a good profile did not connect");
}

/// A valid profile with classes `Buyer` and `Browser`, its host at `addr`
/// (with the closing quote, like [`PLACEHOLDER`]).
fn two_classes(addr: &str) -> String {
    format!(
        "[target]\nhost = \"http://{addr}\ntimeout = \"300ms\"\n\n[load]\nusers = 2\nrun_time = \"1s\"\n\n\
         [[user]]\nname = \"Buyer\"\n\n[[user.task]]\npath = \"/buy\"\n\n\
         [[user]]\nname = \"Browser\"\n\n[[user.task]]\npath = \"/\"\n"
    )
}

/// Flags that override the profile are checked as strictly, before
/// anything is sent, and the message names the flag.
#[test]
fn bad_flags_fail_before_sending() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let live = format!("{}\"", listener.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("two_classes.toml"), two_classes(&live)).unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--user-class", "Nope"],
            "two_classes.toml: --user-class Nope: no such user class (the profile has: Buyer, Browser)",
        ),
        (
            &["--user-class", "Buyer", "--user-class", "Nope"],
            "two_classes.toml: --user-class Nope: no such user class (the profile has: Buyer, Browser)",
        ),
        (&["--users", "0"], "two_classes.toml: --users: 0 must be between 1 and 1000000"),
        (
            &["--spawn-rate", "0"],
            "two_classes.toml: --spawn-rate: 0 must be above 0 and at most 100000000",
        ),
        (&["--rate=-5"], "two_classes.toml: --rate: -5 must be above 0 and at most 100000000"),
    ];
    let mut failures = Vec::new();
    for (flags, want) in cases {
        for check in [true, false] {
            let mut args = vec!["run", "two_classes.toml", "-q"];
            if check {
                args.push("--check");
            }
            args.extend_from_slice(flags);
            let out = hornet(dir.path(), &args);
            failures.extend(verdict(
                &args.join(" "),
                &out,
                &format!("hornet: error: {want}"),
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == ErrorKind::WouldBlock),
        "a run with a bad flag connected to the target"
    );
}
