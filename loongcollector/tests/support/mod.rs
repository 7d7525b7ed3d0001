//! What the ABI tests share: building the C stand-ins (the adapter library and the harness
//! that plays LoongCollector's core, in `loongcollector/harness/`), writing a scenario
//! (configs, serialized event groups, the script of calls), running the harness against the
//! `pipeplug-loongcollector` cdylib, and reading back what it sent and what the calls answered.

#![allow(dead_code)] // each test binary uses its own part of this module

use pipeplug::models::{Log, LogValue, PipelineEvent, PipelineGroupEvents, Tags};
use pipeplug::protocol::LogGroup;
use pipeplug_loongcollector::proto;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// How the C stand-ins are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Build {
    /// Plain, with every warning an error.
    Plain,
    /// With AddressSanitizer (gcc/clang `-fsanitize=address`).
    Asan,
}

/// The built stand-ins.
#[derive(Debug, Clone)]
pub struct Harness {
    /// `libGoPluginAdapter.so`, the stand-in adapter.
    pub adapter: PathBuf,
    /// The harness program.
    pub program: PathBuf,
    /// `libGoPluginBase.so`, the stand-in Go plugin library (records every call).
    pub go_library: PathBuf,
}

/// The C compiler: `$CC`, else `cc` (the one Rust links with on Linux).
fn compiler() -> String {
    std::env::var("CC").unwrap_or_else(|_| "cc".to_string())
}

fn harness_sources() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("harness")
}

fn compile(args: &[&str]) -> Result<(), String> {
    let output = Command::new(compiler())
        .args(args)
        .output()
        .map_err(|e| format!("cannot run the C compiler `{}`: {e}", compiler()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{} {}` failed: {}",
            compiler(),
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Builds the adapter and the harness (once per test binary and kind) into the target's
/// temporary directory. `Err` says why it could not.
pub fn build(kind: Build) -> Result<Harness, String> {
    static BUILT: OnceLock<std::sync::Mutex<HashMap<Build, Result<Harness, String>>>> =
        OnceLock::new();
    let cache = BUILT.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry(kind)
        .or_insert_with(|| build_uncached(kind))
        .clone()
}

fn flags_for(kind: Build) -> Vec<&'static str> {
    let mut flags = vec![
        "-std=c11",
        "-D_GNU_SOURCE",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-g",
    ];
    if kind == Build::Asan {
        flags.extend(["-fsanitize=address", "-fno-omit-frame-pointer", "-O1"]);
    } else {
        flags.push("-O2");
    }
    flags
}

fn build_uncached(kind: Build) -> Result<Harness, String> {
    // Each test binary builds into its own directory: binaries run at the same time.
    let binary = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "abi".to_string());
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("lc-harness")
        .join(format!("{binary}-{kind:?}"));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let src = harness_sources();
    let adapter = dir.join("libGoPluginAdapter.so");
    let program = dir.join("lc_harness");
    let flags = flags_for(kind);
    let adapter_src = src.join("adapter.c");
    let harness_src = src.join("harness.c");
    let mut args = flags.clone();
    args.extend([
        "-shared",
        "-fPIC",
        "-Wl,-soname,libGoPluginAdapter.so",
        "-o",
    ]);
    let adapter_s = adapter.to_string_lossy().into_owned();
    let adapter_src_s = adapter_src.to_string_lossy().into_owned();
    args.extend([adapter_s.as_str(), adapter_src_s.as_str(), "-lpthread"]);
    compile(&args)?;
    let mut args = flags;
    let program_s = program.to_string_lossy().into_owned();
    let harness_src_s = harness_src.to_string_lossy().into_owned();
    args.extend([
        "-o",
        program_s.as_str(),
        harness_src_s.as_str(),
        "-ldl",
        "-lpthread",
    ]);
    compile(&args)?;
    let go_library = dir.join("libGoPluginBase.so");
    let go_library_s = go_library.to_string_lossy().into_owned();
    let golib_src_s = src.join("golib.c").to_string_lossy().into_owned();
    let mut args = flags_for(kind);
    args.extend(["-shared", "-fPIC", "-o"]);
    args.extend([go_library_s.as_str(), golib_src_s.as_str(), "-lpthread"]);
    compile(&args)?;
    Ok(Harness {
        adapter,
        program,
        go_library,
    })
}

/// Whether the C compiler builds and runs a program with AddressSanitizer here (`Err` says
/// why not); only then is a failure to build the harness with it a test failure.
pub fn asan_available() -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| format!("no temporary directory: {e}"))?;
    let src = dir.path().join("probe.c");
    let exe = dir.path().join("probe");
    std::fs::write(
        &src,
        "#include <stdlib.h>\nint main(void) { free(malloc(1)); return 0; }\n",
    )
    .map_err(|e| format!("cannot write {}: {e}", src.display()))?;
    compile(&[
        "-fsanitize=address",
        "-o",
        &exe.to_string_lossy(),
        &src.to_string_lossy(),
    ])?;
    let status = Command::new(&exe)
        .status()
        .map_err(|e| format!("cannot run an AddressSanitizer program: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("an AddressSanitizer program fails here ({status})"))
    }
}

/// The cdylib under test: cargo builds it beside this test's own executable (in `deps/`, and
/// a copy one directory up).
pub fn plugin_library() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let deps = exe.parent().expect("the test's directory");
    let name = "libpipeplug_loongcollector.so";
    let candidates = [deps.join(name), deps.join("..").join(name)];
    for c in &candidates {
        if c.is_file() {
            return c.clone();
        }
    }
    panic!("the cdylib {name} is not beside the test executable (looked at {candidates:?})");
}

/// The harness's config name (the core's `<config>/2` and `<config>/1` pipelines).
pub const CONFIG: &str = "harness";
/// The project and logstore every pipeline is loaded with.
pub const PROJECT: &str = "harness-project";
/// See [`PROJECT`].
pub const LOGSTORE: &str = "harness-logstore";
/// The logstore key every pipeline is loaded with.
pub const LOGSTORE_KEY: i64 = 7;

/// A scenario: a directory with the script and the files it names.
pub struct Scenario {
    /// The directory (removed when dropped).
    pub dir: tempfile::TempDir,
}

impl Scenario {
    /// An empty scenario.
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// Writes a file of the scenario.
    pub fn file(&self, name: &str, bytes: impl AsRef<[u8]>) {
        std::fs::write(self.dir.path().join(name), bytes).expect("writing a scenario file");
    }

    /// Writes serialized event groups, each as a little-endian u32 length and the bytes.
    pub fn groups(&self, name: &str, groups: &[PipelineGroupEvents]) {
        let mut bytes = Vec::new();
        for g in groups {
            let pb = proto::encode_event_group(g);
            bytes.extend_from_slice(
                &u32::try_from(pb.len())
                    .expect("a small group")
                    .to_le_bytes(),
            );
            bytes.extend_from_slice(&pb);
        }
        self.file(name, bytes);
    }

    /// Runs the harness with this script and the extra environment variables.
    pub fn run(&self, harness: &Harness, script: &str, env: &[(&str, &str)]) -> Run {
        self.run_wrapped(harness, script, env, &[])
    }

    /// Runs the harness under a wrapper command (`valgrind ...`), or directly when it is empty.
    pub fn run_wrapped(
        &self,
        harness: &Harness,
        script: &str,
        env: &[(&str, &str)],
        wrapper: &[&str],
    ) -> Run {
        self.run_library(harness, &plugin_library(), script, env, wrapper)
    }

    /// Runs the harness against `library` in the plugin library's place.
    pub fn run_library(
        &self,
        harness: &Harness,
        library: &Path,
        script: &str,
        env: &[(&str, &str)],
        wrapper: &[&str],
    ) -> Run {
        self.file("script.txt", script);
        let record = self.dir.path().join("record.bin");
        let out = self.dir.path().join("out.txt");
        let _ = std::fs::remove_file(&record);
        let mut command = match wrapper.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(&harness.program);
                c
            }
            None => Command::new(&harness.program),
        };
        command
            .arg(&harness.adapter)
            .arg(library)
            .arg(self.dir.path().join("script.txt"))
            .arg(&out)
            .env("PIPEPLUG_ADAPTER_RECORD", &record);
        for (k, v) in env {
            command.env(k, v);
        }
        let output = command.output().expect("running the harness");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let out = std::fs::read_to_string(&out).unwrap_or_default();
        let (records, record_problem) = match std::fs::read(&record).map(|b| parse_records(&b)) {
            Ok(Ok(records)) => (records, None),
            Ok(Err(problem)) => (Vec::new(), Some(problem)),
            // Nothing was sent (the adapter creates the file at its first call).
            Err(_) => (Vec::new(), None),
        };
        Run {
            status: output.status,
            stderr,
            out,
            records,
            record_problem,
        }
    }
}

/// One `LogtailSendPbV2` call the adapter accepted.
#[derive(Debug)]
pub struct Record {
    /// The config name it was sent for.
    pub config: String,
    /// The logstore.
    pub logstore: String,
    /// The shard hash.
    pub shard_hash: String,
    /// The line count the library said the group has.
    pub lines: u32,
    /// The group, decoded.
    pub group: LogGroup,
}

/// The adapter's record, or why it cannot be read (cut short, not UTF-8 where text is).
fn parse_records(bytes: &[u8]) -> Result<Vec<Record>, String> {
    fn take<'a>(bytes: &'a [u8], at: &mut usize, n: usize) -> Result<&'a [u8], String> {
        let end = at
            .checked_add(n)
            .filter(|&end| end <= bytes.len())
            .ok_or_else(|| format!("the record is cut short at byte {} of {}", at, bytes.len()))?;
        let c = &bytes[*at..end];
        *at = end;
        Ok(c)
    }
    fn u32_at(bytes: &[u8], at: &mut usize) -> Result<u32, String> {
        let b: [u8; 4] = take(bytes, at, 4)?
            .try_into()
            .map_err(|_| "four bytes".to_string())?;
        Ok(u32::from_le_bytes(b))
    }
    fn chunk<'a>(bytes: &'a [u8], at: &mut usize) -> Result<&'a [u8], String> {
        let n = u32_at(bytes, at)? as usize;
        take(bytes, at, n)
    }
    fn text(b: &[u8]) -> Result<String, String> {
        String::from_utf8(b.to_vec()).map_err(|e| format!("not UTF-8 in the record: {e}"))
    }
    let mut at = 0;
    let mut records = Vec::new();
    while at < bytes.len() {
        let config = text(chunk(bytes, &mut at)?)?;
        let logstore = text(chunk(bytes, &mut at)?)?;
        let shard_hash = text(chunk(bytes, &mut at)?)?;
        let lines = u32_at(bytes, &mut at)?;
        let pb = chunk(bytes, &mut at)?;
        // A group that does not decode is the library's fault, not the record's: fail here.
        let group = proto::decode_log_group(pb)
            .unwrap_or_else(|e| panic!("a LogGroup the adapter was sent does not decode: {e}"));
        records.push(Record {
            config,
            logstore,
            shard_hash,
            lines,
            group,
        });
    }
    Ok(records)
}

/// What a harness run left.
#[derive(Debug)]
pub struct Run {
    /// The harness's exit status.
    pub status: std::process::ExitStatus,
    /// Its standard error.
    pub stderr: String,
    /// Its `out` file.
    pub out: String,
    /// What the adapter accepted, in order.
    pub records: Vec<Record>,
    /// Why the adapter's record could not be read, if it could not.
    pub record_problem: Option<String>,
}

impl Run {
    /// Panics with the harness's output unless it ran the whole script.
    pub fn assert_ran(&self) {
        assert!(
            self.status.success(),
            "the harness failed ({}):\n{}\nout:\n{}",
            self.status,
            self.stderr,
            self.out
        );
        if let Some(problem) = &self.record_problem {
            panic!("the adapter's record: {problem}\n{}", self.stderr);
        }
    }

    /// The `out` lines whose first field is `kind`, split at tabs (without the kind).
    pub fn lines(&self, kind: &str) -> Vec<Vec<&str>> {
        self.out
            .lines()
            .filter_map(|l| {
                let mut f = l.split('\t');
                (f.next() == Some(kind)).then(|| f.collect())
            })
            .collect()
    }

    /// The return code of the call on script line `line`.
    pub fn rc(&self, line: usize) -> i64 {
        let l = line.to_string();
        let found = self.lines("rc").into_iter().find(|f| f[0] == l);
        let f = found.unwrap_or_else(|| panic!("no answer for script line {line}:\n{}", self.out));
        f[2].parse().expect("a number")
    }

    /// `(calls, non-zero answers, first non-zero answer)` of the `process` on script line `line`.
    pub fn process(&self, line: usize) -> (u64, u64, i64) {
        let l = line.to_string();
        let found = self.lines("process").into_iter().find(|f| f[0] == l);
        let f = found.unwrap_or_else(|| panic!("no process on script line {line}:\n{}", self.out));
        (
            f[1].parse().expect("a number"),
            f[2].parse().expect("a number"),
            f[3].parse().expect("a number"),
        )
    }

    /// The alarms returned by every `alarms` call: type, level, message, project, category,
    /// config, count.
    pub fn alarms(&self) -> Vec<Vec<&str>> {
        self.lines("alarm")
    }

    /// The alarms of each `alarms` call, call by call.
    pub fn alarm_batches(&self) -> Vec<Vec<Vec<&str>>> {
        let mut batches = Vec::new();
        let mut batch = Vec::new();
        for l in self.out.lines() {
            let mut f = l.split('\t');
            match f.next() {
                Some("alarm") => batch.push(f.collect()),
                Some("alarms") => batches.push(std::mem::take(&mut batch)),
                _ => {}
            }
        }
        batches
    }

    /// The logs of every record, in order.
    pub fn logs(&self) -> impl Iterator<Item = &pipeplug::protocol::Log> {
        self.records.iter().flat_map(|r| r.group.logs.iter())
    }

    /// Checks what every record says about itself: its config, logstore and line count.
    pub fn assert_records_well_formed(&self) {
        for r in &self.records {
            assert_eq!(r.config, CONFIG, "the config name sent with a group");
            assert_eq!(r.logstore, LOGSTORE, "the logstore sent with a group");
            assert_eq!(
                r.lines as usize,
                r.group.logs.len(),
                "the line count sent with a group is its log count"
            );
            assert!(!r.group.logs.is_empty(), "an empty group was sent");
        }
    }
}

/// The time of event `n` of the made-up groups, in Unix seconds.
pub const BASE_SECONDS: u64 = 1_700_000_000;

/// `count` groups of `per_group` logs each, numbered from `first`: log `n` (counting across
/// groups) has the contents `msg` = `event-<n>` and `n` = `<n>`, and the time
/// `BASE_SECONDS + n` seconds and `n % 1000` nanoseconds.
pub fn make_groups(first: u64, count: u64, per_group: u64) -> Vec<PipelineGroupEvents> {
    (0..count)
        .map(|g| {
            let events = (0..per_group)
                .map(|e| {
                    let n = first + g * per_group + e;
                    let mut log = Log {
                        timestamp: (BASE_SECONDS + n) * 1_000_000_000 + n % 1000,
                        tags: Tags::default(),
                        ..Log::default()
                    };
                    log.contents
                        .add("msg", LogValue::String(format!("event-{n}").into()));
                    log.contents
                        .add("n", LogValue::String(n.to_string().into()));
                    PipelineEvent::Log(log)
                })
                .collect();
            PipelineGroupEvents::new(Default::default(), events)
        })
        .collect()
}

/// Checks that event `n` was seen once for every `n`: `seen[n]` counts its arrivals.
pub fn assert_each_once(seen: &[u32]) {
    let wrong: Vec<(usize, u32)> = seen
        .iter()
        .enumerate()
        .filter(|(_, count)| **count != 1)
        .map(|(n, count)| (n, *count))
        .collect();
    assert!(
        wrong.is_empty(),
        "events not seen exactly once (n, times): {wrong:?}"
    );
}

/// The contents of a V1 log as a map (a key twice is a test failure).
pub fn contents(log: &pipeplug::protocol::Log) -> BTreeMap<&str, &str> {
    let mut map = BTreeMap::new();
    for c in &log.contents {
        let old = map.insert(c.key.as_str(), c.value.as_str());
        assert!(old.is_none(), "the key {} twice in {log:?}", c.key);
    }
    map
}

/// The `/2` pipeline: the core's groups through `processor_add_fields` (`stage` = `stage`)
/// and `processor_rename` (`msg` → `message`), then `flusher_sls` back to the core, in the
/// JSON form the core hands over (it adds `aggregator_default` and `flusher_sls`).
pub fn pipeline2(stage: &str) -> String {
    serde_json::json!({
        "global": {},
        "processors": [
            {"type": "processor_add_fields/3", "detail": {"Fields": {"stage": stage}}},
            {"type": "processor_rename/4", "detail": {"SourceKeys": ["msg"], "DestKeys": ["message"]}}
        ],
        "aggregators": [{"type": "aggregator_default/5", "detail": {}}],
        "flushers": [{"type": "flusher_sls/6", "detail": {"Logstore": LOGSTORE}}]
    })
    .to_string()
}

/// The `/1` pipeline: a pipeplug input (`service_mock`, one round of `count` logs with
/// `source` = `source` at start) into `flusher_sls`.
pub fn pipeline1(source: &str, count: u64) -> String {
    serde_json::json!({
        "global": {},
        "inputs": [{"type": "service_mock/1", "detail": {
            "Fields": {"source": source},
            "LogsPerSecond": count,
            "MaxLogCount": count
        }}],
        "aggregators": [{"type": "aggregator_default/2", "detail": {}}],
        "flushers": [{"type": "flusher_sls/3", "detail": {"Logstore": LOGSTORE}}]
    })
    .to_string()
}

/// The `InitPluginBaseV2` JSON, as the core builds it.
pub fn init_json(dir: &Path) -> String {
    let d = |name: &str| dir.join(name).to_string_lossy().into_owned();
    serde_json::json!({
        "LoongCollectorConfDir": d("conf"),
        "LoongCollectorLogDir": d("log"),
        "LoongCollectorDataDir": d("data"),
        "LoongCollectorLogConfDir": d("conf"),
        "LoongCollectorPluginLogName": "go_plugin.LOG",
        "LoongCollectorVersionTag": "loongcollector_version",
        "LoongCollectorGoCheckPointDir": d("data"),
        "LoongCollectorGoCheckPointFile": "go_plugin_checkpoint",
        "LoongCollectorThirdPartyDir": d("thirdparty"),
        "LoongCollectorPrometheusAuthorizationPath": d("conf"),
        "HostIP": "127.0.0.1",
        "Hostname": "harness-host",
        "EnableSlsMetricsFormat": false
    })
    .to_string()
}

/// A `load` line of the script for `<CONFIG>/<suffix>` with the JSON file `file`.
pub fn load(suffix: u8, file: &str) -> String {
    format!("load {CONFIG}/{suffix} {PROJECT} {LOGSTORE} {LOGSTORE_KEY} {file}")
}

/// Finds the 1-based script line holding `needle` (for [`Run::rc`] and [`Run::process`]).
pub fn line_of(script: &str, needle: &str) -> usize {
    script
        .lines()
        .position(|l| l.trim() == needle)
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("`{needle}` is not a line of the script"))
}
