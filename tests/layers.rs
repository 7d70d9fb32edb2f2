//! The rooms of `src/` show the layers: no folder imports a folder that
//! imports it back (directly or through others), the shared vocabulary
//! stays at the bottom, and a report never sees a socket.
//!
//! The check reads the source: every `crate::NAME` outside comments in a
//! top-level module (a folder or a file under `src/`) is an edge from that
//! module to `NAME`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir` (or `dir` itself when it is a file).
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return;
    }
    for entry in fs::read_dir(dir).expect("readable source folder") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules `line` names through `crate::`, including those
/// inside a `crate::{a::X, b}` group.
fn named_modules(line: &str, into: &mut BTreeSet<String>) {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Names at depth 1 of the group: after `{` and after each `,`.
            let mut depth = 1;
            let mut expect = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => expect = true,
                    c if expect && !c.is_whitespace() => {
                        let name = ident(&group[i..]);
                        if !name.is_empty() {
                            into.insert(name);
                        }
                        expect = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                into.insert(name);
            }
        }
    }
}

/// Module -> the other top-level modules it names.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph = BTreeMap::new();
    for entry in fs::read_dir(src()).expect("src/") {
        let path = entry.expect("directory entry").path();
        let stem = path.file_stem().expect("a name").to_string_lossy();
        let module = stem.to_string();
        if module == "main" || module == "lib" {
            continue;
        }
        let mut files = Vec::new();
        rust_files(&path, &mut files);
        let mut deps = BTreeSet::new();
        for f in files {
            let text = fs::read_to_string(&f).expect("readable source");
            for line in text.lines() {
                if !line.trim_start().starts_with("//") {
                    named_modules(line, &mut deps);
                }
            }
        }
        deps.remove(&module);
        graph.insert(module, deps);
    }
    graph
}

/// The modules `from` reaches by following imports.
fn reachable(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<&str> = graph[from].iter().map(String::as_str).collect();
    while let Some(m) = todo.pop() {
        if seen.insert(m.to_string()) {
            if let Some(next) = graph.get(m) {
                todo.extend(next.iter().map(String::as_str));
            }
        }
    }
    seen
}

#[test]
fn the_scanner_sees_plain_and_grouped_imports() {
    let mut names = BTreeSet::new();
    named_modules("use crate::metrics::ErrorKind;", &mut names);
    named_modules("use crate::{load::Shape, tls::{A, B}, vocab};", &mut names);
    named_modules("let x = crate::report::common::REDACTED;", &mut names);
    let want: BTreeSet<String> = ["metrics", "load", "tls", "vocab", "report"]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
    assert_eq!(names, want);
}

#[test]
fn no_folder_imports_a_folder_that_imports_it_back() {
    let graph = graph();
    // The graph is real: the top of the program reaches the bottom.
    assert!(graph["app"].contains("cli"), "{graph:?}");
    let mut cycles = Vec::new();
    for module in graph.keys() {
        for other in reachable(&graph, module) {
            if module < &other
                && graph.contains_key(&other)
                && reachable(&graph, &other).contains(module)
            {
                cycles.push(format!("{module} <-> {other}"));
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "import cycles between folders of src/: {cycles:?}\nimports: {graph:#?}"
    );
}

#[test]
fn the_shared_vocabulary_and_the_shapes_import_no_other_folder() {
    let graph = graph();
    for low in ["vocab", "load", "target", "interrupt"] {
        assert!(
            graph[low].is_empty(),
            "{low} is below every other module but imports {:?}",
            graph[low]
        );
    }
}

#[test]
fn a_report_never_sees_a_socket() {
    let mut files = Vec::new();
    rust_files(&src().join("report"), &mut files);
    assert!(files.len() > 5, "report/ has its files: {files:?}");
    for f in files {
        let text = fs::read_to_string(&f).expect("readable source");
        for needle in ["std::net", "TcpListener", "TcpStream", "mio::", "UdpSocket"] {
            assert!(
                !text.contains(needle),
                "{} uses `{needle}`: sockets belong in serve/ or the engine",
                f.display()
            );
        }
    }
}

#[test]
fn one_event_loop_kind_in_the_whole_crate() {
    // Every worker, whatever drives it (the engine's slots, a profile's
    // users), and the setup and teardown exchanges wait on the engine's
    // reactor: it is the only place a mio::Poll is made.
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let makers: Vec<String> = files
        .iter()
        .filter(|f| {
            fs::read_to_string(f)
                .expect("readable source")
                .lines()
                .any(|l| !l.trim_start().starts_with("//") && l.contains("Poll::new"))
        })
        .map(|f| {
            f.strip_prefix(src())
                .expect("under src")
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(makers, ["engine/reactor.rs"]);
}
