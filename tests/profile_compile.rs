//! Profiles that must compile: TOML's equivalent spellings (dotted keys,
//! inline tables, sub-tables) mean the same thing.

use std::path::Path;

use hornet::profile::scenario::Step;
use hornet::profile::{compile_str, Overrides};

#[test]
fn dotted_keys_inline_tables_and_sub_tables_are_the_same() {
    let dotted = r#"
[target]
host = "http://127.0.0.1:9"
[load]
users = 1
run_time = "1s"
[[user]]
name = "U"
[[user.task]]
path = "/"
check.status = [200]
extract.id.json = "/id"
json.amount = 5
json.nested.x = "y"
"#;
    let inline = r#"
[target]
host = "http://127.0.0.1:9"
[load]
users = 1
run_time = "1s"
[[user]]
name = "U"
[[user.task]]
path = "/"
check = { status = [200] }
extract = { id = { json = "/id" } }
json = { amount = 5, nested = { x = "y" } }
"#;
    let tables = r#"
[target]
host = "http://127.0.0.1:9"
[load]
users = 1
run_time = "1s"
[[user]]
name = "U"
[[user.task]]
path = "/"
[user.task.check]
status = [200]
[user.task.extract.id]
json = "/id"
[user.task.json]
amount = 5
nested = { x = "y" }
"#;
    let mut seen = Vec::new();
    for text in [dotted, inline, tables] {
        let sc = compile_str(Path::new("p.toml"), text, &Overrides::default(), &|_| None)
            .unwrap_or_else(|e| panic!("{e}"));
        let Step::Http(step) = &sc.classes[0].tasks[0].steps[0] else {
            panic!("an HTTP step");
        };
        assert_eq!(step.check.status.as_deref(), Some(&[200u16][..]));
        assert_eq!(step.extract.len(), 1);
        assert_eq!(sc.user_vars, vec!["id".to_string()]);
        seen.push(format!("{:?}", step.body));
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[1], seen[2]);
}

#[test]
fn spike_and_step_shorthands_build_stages() {
    let text = |load: &str| {
        format!(
            "[target]\nhost = \"http://127.0.0.1:9\"\n[load]\n{load}\n[[user]]\nname = \"U\"\n[[user.task]]\npath = \"/\"\n"
        )
    };
    let sc = compile_str(
        Path::new("p.toml"),
        &text("rate = 1\nspike = { base = 100, peak = 1000, before = \"10s\", ramp = \"1s\", hold = \"5s\", after = \"4s\" }"),
        &Overrides::default(),
        &|_| None,
    )
    .unwrap();
    // 10 s at base, 1 s up, 5 s at the peak, 1 s down, 4 s at base.
    assert_eq!(sc.load.run_time.as_secs(), 21);
    let sc = compile_str(
        Path::new("p.toml"),
        &text("step = { start = 10, step = 10, every = \"2s\", steps = 3 }"),
        &Overrides::default(),
        &|_| None,
    )
    .unwrap();
    assert_eq!(sc.load.run_time.as_secs(), 6);
    let hornet::profile::scenario::LoadModel::Closed { shape } = &sc.load.model else {
        panic!("closed");
    };
    assert_eq!(shape.level_at(1e9).round(), 10.0);
    assert_eq!(shape.level_at(3e9).round(), 20.0);
    assert_eq!(shape.level_at(5.5e9).round(), 30.0);
}
