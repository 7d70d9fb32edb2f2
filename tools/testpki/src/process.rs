//! Running a test server's binary (hornet-target, hornet-smsc) in a test:
//! both take the same `--tls-*` flags, and both print `listening on ADDR`
//! once bound, which is how a test started with `--listen 127.0.0.1:0`
//! learns the port.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};

/// A command that runs the server binary `bin` on 127.0.0.1:0 serving TLS
/// with the PEM files `cert` (`--tls-cert`) and `key` (`--tls-key`); add
/// further flags to it before running it.
pub fn tls_server(bin: &str, cert: &Path, key: &Path) -> Command {
    let mut command = Command::new(bin);
    command
        .args(["--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(cert)
        .arg("--tls-key")
        .arg(key);
    command
}

/// Spawns `command` with stdout piped, reads its first line and, if that is
/// `listening on ADDR`, calls `f` with the address; then kills the child
/// and waits for it. Returns what `f` returned (`None` when the line was
/// something else, e.g. the server exited at once) and the line, for the
/// test's failure message.
///
/// The child is killed by its own handle, never by name, and whether or
/// not `f` ran, so a failing test leaves no server behind.
pub fn while_listening<T>(
    command: &mut Command,
    f: impl FnOnce(SocketAddr) -> T,
) -> (Option<T>, String) {
    let mut child = command.stdout(Stdio::piped()).spawn().expect("spawn");
    let mut line = String::new();
    // A read error leaves the line empty, which is reported like any other
    // unexpected line.
    let _ = BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut line);
    let got = line
        .strip_prefix("listening on ")
        .and_then(|a| a.trim().parse().ok())
        .map(f);
    // It may already have exited.
    let _ = child.kill();
    child.wait().expect("wait for the child");
    (got, line)
}
