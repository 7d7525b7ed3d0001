//! `pipeplug build --target loongcollector`: a plugin crate of its own, named in an
//! `external_plugins.yml`, is built into LoongCollector's plugin library
//! (`OUT/libGoPluginBase.so`), and the C harness that plays the core runs a pipeline with
//! that crate's plugin through the built library.
//!
//! One test in this binary: it sets `CARGO_TARGET_DIR` for the cargo the build runs.

mod support;

use pipeplug_agent::build::{
    build as build_library, AgentSource, BuildOptions, Target, DEFAULT_FETCH_TIMEOUT,
};
use std::path::Path;
use support::*;

/// A plugin crate of a user's: `processor_tiny_tag` adds `tiny_tag` = its `Value` to each
/// log, and counts the logs it saw in `tiny_seen` (per instance).
const TINY_LIB: &str = r#"//! A user's plugin crate.
use pipeplug::prelude::*;

/// The plugins of this crate.
pub mod all {
    /// Their names.
    pub const PLUGINS: &[&str] = &["processor_tiny_tag"];
}

/// Tags each log with `tiny_tag`.
#[processor(name = "processor_tiny_tag", conformance = false)]
pub struct TinyTag {
    /// The tag's value.
    #[config(default = "tiny")]
    value: String,
}

impl Processor for TinyTag {}

impl ProcessorV1 for TinyTag {
    fn process_logs(&mut self, mut logs: Vec<Log>) -> Vec<Log> {
        for log in &mut logs {
            log.push("tiny_tag", self.value.clone());
        }
        logs
    }
}
"#;

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// Writes the plugin crate and its `external_plugins.yml` into `dir`.
fn user_folder(dir: &Path) {
    let core = repo().join("core").canonicalize().expect("the core crate");
    std::fs::create_dir_all(dir.join("tiny/src")).expect("a folder");
    std::fs::write(
        dir.join("tiny/Cargo.toml"),
        format!(
            "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\npipeplug = {{ path = {:?} }}\n",
            core.display().to_string()
        ),
    )
    .expect("the plugin crate's manifest");
    std::fs::write(dir.join("tiny/src/lib.rs"), TINY_LIB).expect("the plugin crate");
    // `processor_not_there` is expected and missing: the built library says so in an alarm.
    std::fs::write(
        dir.join("external_plugins.yml"),
        "plugins:\n  common:\n    - crate: tiny\n      path: tiny\n      import: tiny::all\n      expect: [processor_tiny_tag, processor_not_there]\n",
    )
    .expect("the plugin list");
}

/// The `/2` pipeline the core hands over, with the user's processor.
fn tiny_pipeline() -> String {
    serde_json::json!({
        "global": {},
        "processors": [
            {"type": "processor_tiny_tag/3", "detail": {"Value": "from-rust"}}
        ],
        "aggregators": [{"type": "aggregator_default/4", "detail": {}}],
        "flushers": [{"type": "flusher_sls/5", "detail": {"Logstore": LOGSTORE}}]
    })
    .to_string()
}

#[test]
fn a_library_built_with_an_external_plugin_crate_runs_its_plugin_inside_the_core() {
    let harness = build(Build::Plain).unwrap_or_else(|e| panic!("{e}"));
    let user = tempfile::tempdir().expect("a temporary directory");
    user_folder(user.path());

    // The compiled dependencies are shared with the other `pipeplug build` tests.
    std::env::set_var(
        "CARGO_TARGET_DIR",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("doc-tests"),
    );
    let out = user.path().join("lc");
    let library = build_library(&BuildOptions {
        target: Target::LoongCollector,
        plugin_files: vec![user.path().join("external_plugins.yml")],
        out: out.clone(),
        release: false,
        agent: AgentSource::Path(repo().join("agent").canonicalize().expect("agent/")),
        fetch_timeout: DEFAULT_FETCH_TIMEOUT,
    })
    .unwrap_or_else(|e| panic!("the build failed: {}", pipeplug::error_chain(&e)));
    assert_eq!(library, out.join("libGoPluginBase.so"));
    assert!(library.is_file());
    // Built alone (not with the workspace), the library keeps the host's allocator: no
    // mimalloc, which `pipeplug-agent` brings by default and the library turns off.
    match std::process::Command::new("nm").arg(&library).output() {
        Ok(nm) if nm.status.success() => {
            let symbols = String::from_utf8_lossy(&nm.stdout);
            assert!(symbols.contains(" T InitPluginBaseV2"), "no exports?");
            assert!(
                !symbols.lines().any(|l| l.ends_with(" mi_free")),
                "mimalloc is linked into the library"
            );
        }
        _ => eprintln!("SKIPPED the allocator check: `nm` (binutils) is not installed"),
    }
    // The crate stays beside it, a cdylib naming the plugin crate's import.
    let lib_rs = std::fs::read_to_string(out.join("src/lib.rs")).expect("the generated lib.rs");
    assert!(lib_rs.contains("use tiny::all as _;"), "{lib_rs}");

    // The core's life cycle through the built library: the harness looks up every function
    // the core does (a missing export fails the run), 4 threads send 100 groups each.
    let s = Scenario::new();
    s.file("init.json", init_json(s.dir.path()));
    s.file("tiny.json", tiny_pipeline());
    let (groups, per_group) = (400, 3);
    s.groups("groups.bin", &make_groups(0, groups, per_group));
    let script = [
        "init init.json".to_owned(),
        load(2, "tiny.json"),
        format!("start {CONFIG}/2"),
        format!("process {CONFIG}/2 groups.bin 4"),
        format!("stop {CONFIG}/2 1"),
        "alarms".to_owned(),
        "stop_all 1".to_owned(),
        "stop_all 0".to_owned(),
        "stop_builtin".to_owned(),
    ]
    .join("\n")
        + "\n";
    let run = s.run_library(&harness, &library, &script, &[], &[]);
    run.assert_ran();
    for call in [
        "init init.json",
        &load(2, "tiny.json"),
        &format!("start {CONFIG}/2"),
    ] {
        assert_eq!(
            run.rc(line_of(&script, call)),
            0,
            "`{call}` answered an error:\n{}",
            run.stderr
        );
    }
    let (calls, failures, first) = run.process(line_of(
        &script,
        &format!("process {CONFIG}/2 groups.bin 4"),
    ));
    assert_eq!((calls, failures), (groups, 0), "first error answer {first}");
    run.assert_records_well_formed();

    // Every event came back once, tagged by the user's plugin.
    let mut seen = vec![0u32; (groups * per_group) as usize];
    for log in run.logs() {
        let c = contents(log);
        let n: usize = c["n"].parse().expect("a numeric n");
        seen[n] += 1;
        assert_eq!(c.get("tiny_tag"), Some(&"from-rust"), "{log:?}");
        assert_eq!(c.get("msg").copied(), Some(format!("event-{n}").as_str()));
    }
    assert_each_once(&seen);

    // The expected plugin that no crate registers is an alarm; the one that is, is not.
    let alarms = run.alarms();
    let about = |name: &str| alarms.iter().any(|a| a.iter().any(|f| f.contains(name)));
    assert!(about("`processor_not_there`"), "{alarms:?}");
    assert!(!about("`processor_tiny_tag`"), "{alarms:?}");
}
