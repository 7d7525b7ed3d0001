//! The pipeplug library as LoongCollector's C++ core sees it: a C harness of ours (in
//! `loongcollector/harness/`, built here with the system C compiler) loads a stand-in of the
//! core's adapter library (`libGoPluginAdapter.so`, which records every group it is sent),
//! then the `pipeplug-loongcollector` cdylib, and replays the core's calls; the groups the
//! adapter recorded are decoded here and checked event by event.

mod support;

use pipeplug_loongcollector::proto;
use std::collections::BTreeMap;
use std::path::Path;
use support::*;

/// How much a life-cycle run sends.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    /// Groups of the first batch, shared among 4 threads.
    groups: u64,
    /// Logs per group.
    per_group: u64,
    /// Groups sent (by 2 threads) while a new config is staged beside the running one.
    mid_groups: u64,
    /// Groups sent (by 4 threads) to the new config.
    late_groups: u64,
    /// Logs of each `/1` input's one round.
    round: u64,
}

/// The issue's run: 4 threads × 1,000 calls.
const FULL: Sizes = Sizes {
    groups: 4_000,
    per_group: 2,
    mid_groups: 100,
    late_groups: 400,
    round: 100,
};

/// The core's whole life cycle: init → LoadPipeline `/2` and `/1` → Start → 4 threads ×
/// `groups / 4` ProcessPipelineEventGroup → the getters → a config update (load beside
/// running, stop old, start new) → Stop → StopAllPipelines(1), (0) → StopBuiltInModules.
fn life_cycle_script(z: Sizes) -> String {
    let first_events = z.groups * z.per_group;
    let lines = [
        "init init.json".to_string(),
        load(2, "p2.json"),
        load(1, "p1.json"),
        format!("start {CONFIG}/2"),
        format!("start {CONFIG}/1"),
        // The /1 input's round is sent from its own thread: line up with it.
        format!("wait_lines {} 120", z.round),
        format!("process {CONFIG}/2 groups.bin 4"),
        "metrics direct".to_string(),
        "metrics cpp_provided".to_string(),
        "alarms".to_string(),
        "containers".to_string(),
        "# a config update: the new pipelines beside the running ones".to_string(),
        load(2, "p2_new.json"),
        load(1, "p1_new.json"),
        format!("process {CONFIG}/2 groups_mid.bin 2"),
        format!("stop {CONFIG}/1 0"),
        format!("stop {CONFIG}/2 0"),
        format!("start {CONFIG}/2"),
        format!("start {CONFIG}/1"),
        format!(
            "wait_lines {} 120",
            first_events + z.mid_groups * z.per_group + 2 * z.round
        ),
        format!("process {CONFIG}/2 groups_late.bin 4"),
        format!("stop {CONFIG}/1 1"),
        format!("stop {CONFIG}/2 1"),
        "metrics direct".to_string(),
        "alarms".to_string(),
        "containers".to_string(),
        "stop_all 1".to_string(),
        "stop_all 0".to_string(),
        "stop_builtin".to_string(),
    ];
    lines.join("\n") + "\n"
}

/// Writes the life cycle's files into a new scenario.
fn life_cycle_scenario(z: Sizes) -> Scenario {
    let s = Scenario::new();
    s.file("init.json", init_json(s.dir.path()));
    s.file("p2.json", pipeline2("first"));
    s.file("p1.json", pipeline1("first", z.round));
    s.file("p2_new.json", pipeline2("second"));
    s.file("p1_new.json", pipeline1("second", z.round));
    let mid_first = z.groups * z.per_group;
    let late_first = mid_first + z.mid_groups * z.per_group;
    s.groups("groups.bin", &make_groups(0, z.groups, z.per_group));
    s.groups(
        "groups_mid.bin",
        &make_groups(mid_first, z.mid_groups, z.per_group),
    );
    s.groups(
        "groups_late.bin",
        &make_groups(late_first, z.late_groups, z.per_group),
    );
    s
}

/// Checks a life-cycle run: every call answered 0, every event of the core's groups came
/// back exactly once, through the pipeline that was running when it was sent, with its
/// contents, and every log of both `/1` rounds exactly once.
fn check_life_cycle(run: &Run, script: &str, z: Sizes) {
    run.assert_ran();
    for (line, text) in script.lines().enumerate() {
        let word = text.split(' ').next().unwrap_or_default();
        if ["init", "load", "start", "stop", "stop_all", "stop_builtin"].contains(&word) {
            assert_eq!(
                run.rc(line + 1),
                0,
                "`{text}` answered an error:\n{}",
                run.stderr
            );
        }
    }
    for (batch, threads, expected) in [
        ("groups.bin", 4, z.groups),
        ("groups_mid.bin", 2, z.mid_groups),
        ("groups_late.bin", 4, z.late_groups),
    ] {
        let line = line_of(script, &format!("process {CONFIG}/2 {batch} {threads}"));
        let (calls, failures, first) = run.process(line);
        assert_eq!(
            calls, expected,
            "ProcessPipelineEventGroup calls of {batch}"
        );
        assert_eq!(
            failures, 0,
            "ProcessPipelineEventGroup failed for {batch} (first answer {first})"
        );
    }
    for wait in run.lines("wait") {
        assert_eq!(
            wait[2], "ok",
            "a wait_lines timed out: {wait:?}\n{}",
            run.stderr
        );
    }
    run.assert_records_well_formed();

    let total = (z.groups + z.mid_groups + z.late_groups) * z.per_group;
    let late_first = (z.groups + z.mid_groups) * z.per_group;
    let mut seen = vec![0u32; total as usize];
    let mut rounds: BTreeMap<(String, u64), u32> = BTreeMap::new();
    for log in run.logs() {
        let c = contents(log);
        if let Some(source) = c.get("source") {
            let index: u64 = c["Index"].parse().expect("a numeric Index");
            *rounds.entry((source.to_string(), index)).or_default() += 1;
            continue;
        }
        let n: u64 = c
            .get("n")
            .unwrap_or_else(|| panic!("a log neither from the core nor from /1: {log:?}"))
            .parse()
            .expect("a numeric n");
        assert!(n < total, "an event that was never sent: {log:?}");
        seen[n as usize] += 1;
        let stage = if n < late_first { "first" } else { "second" };
        assert_eq!(
            c.get("stage"),
            Some(&stage),
            "event {n} went through the wrong pipeline: {log:?}"
        );
        assert_eq!(
            c.get("message").copied(),
            Some(format!("event-{n}").as_str())
        );
        assert!(!c.contains_key("msg"), "`msg` was not renamed: {log:?}");
        assert_eq!(
            u64::from(log.time),
            BASE_SECONDS + n,
            "the time of event {n}"
        );
        if let Some(ns) = log.time_ns {
            assert_eq!(u64::from(ns), n % 1000, "the nanoseconds of event {n}");
        }
    }
    let lost: Vec<usize> = (0..seen.len()).filter(|&n| seen[n] == 0).collect();
    let twice: Vec<usize> = (0..seen.len()).filter(|&n| seen[n] > 1).collect();
    assert!(
        lost.is_empty() && twice.is_empty(),
        "{} events lost (first {:?}), {} more than once (first {:?})",
        lost.len(),
        lost.iter().take(10).collect::<Vec<_>>(),
        twice.len(),
        twice.iter().take(10).collect::<Vec<_>>()
    );
    for source in ["first", "second"] {
        for index in 1..=z.round {
            let count = rounds.get(&(source.to_string(), index)).copied();
            assert_eq!(
                count,
                Some(1),
                "log {index} of the /1 round `{source}` arrived {count:?} times"
            );
        }
    }
    assert_eq!(
        rounds.len() as u64,
        2 * z.round,
        "logs of /1 that were never made"
    );

    // The getters: what the core reads periodically, every pointer freed by the harness.
    let metrics = run.lines("metrics");
    let direct: Vec<&Vec<&str>> = metrics.iter().filter(|m| m[0] == "direct").collect();
    assert_eq!(direct.len(), 2, "two GetGoMetrics(\"direct\") calls");
    assert!(
        direct[0][1].parse::<u32>().expect("a count") >= 1,
        "no metrics record while pipelines run:\n{}",
        run.out
    );
    assert!(
        !run.lines("metric").is_empty(),
        "metrics records without keys:\n{}",
        run.out
    );
    // As from the Go library: empty (no containers) or a JSON object.
    for all in run.lines("containers_all") {
        if all[0].is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(all[0])
            .unwrap_or_else(|e| panic!("GetAllContainers is not JSON ({e}): {:?}", all[0]));
        assert!(v.is_object(), "GetAllContainers is not a JSON object: {v}");
    }
    for diff in run.lines("containers_diff") {
        assert_ne!(diff[0], "NULL", "GetDiffContainers returned NULL");
    }
    assert_eq!(
        run.alarms(),
        Vec::<Vec<&str>>::new(),
        "alarms in a run without errors"
    );
}

#[test]
fn core_life_cycle_delivers_every_event_exactly_once() {
    let harness = build(Build::Plain).unwrap_or_else(|e| panic!("{e}"));
    let s = life_cycle_scenario(FULL);
    let script = life_cycle_script(FULL);
    let run = s.run(&harness, &script, &[]);
    check_life_cycle(&run, &script, FULL);
}

#[test]
fn queue_full_and_not_valid_answers_lose_nothing() {
    let harness = build(Build::Plain).unwrap_or_else(|e| panic!("{e}"));
    let s = life_cycle_scenario(FULL);
    let script = life_cycle_script(FULL);
    // The adapter answers -1 ("queue full") to the first 100 sends and -1 ("not valid to
    // send") to the first 100 validity checks.
    let run = s.run(
        &harness,
        &script,
        &[
            ("PIPEPLUG_ADAPTER_FULL", "100"),
            ("PIPEPLUG_ADAPTER_INVALID", "100"),
        ],
    );
    assert_eq!(
        run.lines("adapter_left"),
        vec![vec!["0", "0"]],
        "the library did not meet every -1 answer asked for (full, invalid still to give)"
    );
    check_life_cycle(&run, &script, FULL);
}

#[test]
fn calls_for_unknown_configs_and_bad_input_answer_error_codes() {
    let harness = build(Build::Plain).unwrap_or_else(|e| panic!("{e}"));
    let s = Scenario::new();
    s.file("init.json", init_json(s.dir.path()));
    s.file("p2.json", pipeline2("first"));
    s.file("broken.json", "{\"processors\": [");
    s.file(
        "unknown_type.json",
        serde_json::json!({
            "processors": [{"type": "processor_nobody_has/1", "detail": {}}],
            "flushers": [{"type": "flusher_sls/2", "detail": {}}]
        })
        .to_string(),
    );
    s.groups("good.bin", &make_groups(0, 1, 1));
    // One group that is not a protobuf message at all (a field with wire type 7).
    s.file("garbage.bin", [3, 0, 0, 0, 0x0f, 0xff, 0xff]);
    let script = [
        "init init.json".to_string(),
        load(2, "broken.json"),
        load(2, "unknown_type.json"),
        format!("process {CONFIG}/2 good.bin 1"),
        load(2, "p2.json"),
        "# staged, not started: not running yet".to_string(),
        "process nobody/2 good.bin 1".to_string(),
        format!("start {CONFIG}/2"),
        format!("process {CONFIG}/2 garbage.bin 1"),
        format!("process {CONFIG}/2 good.bin 1"),
        format!("stop {CONFIG}/2 1"),
        "alarms".to_string(),
        "stop_all 1".to_string(),
        "stop_all 0".to_string(),
        "stop_builtin".to_string(),
    ]
    .join("\n");
    let run = s.run(&harness, &script, &[]);
    run.assert_ran();
    assert_ne!(run.rc(2), 0, "LoadPipeline of broken JSON answered 0");
    assert_ne!(
        run.rc(3),
        0,
        "LoadPipeline of an unknown plugin type answered 0"
    );
    assert_eq!(
        run.process(4),
        (1, 1, -1),
        "a group for a config never loaded"
    );
    assert_eq!(
        run.rc(5),
        0,
        "LoadPipeline of a good config:\n{}",
        run.stderr
    );
    assert_eq!(run.process(7), (1, 1, -1), "a group for an unknown config");
    assert_eq!(run.process(9), (1, 1, -2), "an undecodable group");
    assert_eq!(run.process(10), (1, 0, 0), "a good group after a bad one");
    // The good group arrived, once; the bad calls sent nothing.
    assert_eq!(run.logs().count(), 1, "logs sent: {:?}", run.records);
    let alarms = run.alarms();
    assert!(
        alarms.iter().any(|a| a[2].contains("processor_nobody_has")),
        "no alarm names the unknown plugin type: {alarms:?}"
    );
    for a in &alarms {
        assert!(!a[0].is_empty(), "an alarm without a type: {a:?}");
    }
}

/// A smaller life cycle for the memory checkers, which run many times slower.
const SMALL: Sizes = Sizes {
    groups: 200,
    per_group: 2,
    mid_groups: 20,
    late_groups: 40,
    round: 10,
};

/// Whether `program --version` runs.
fn tool_present(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn life_cycle_runs_clean_under_address_sanitizer() {
    if let Err(e) = asan_available() {
        eprintln!("SKIPPED: no AddressSanitizer here (gcc needs libasan): {e}");
        return;
    }
    let harness = build(Build::Asan).unwrap_or_else(|e| panic!("{e}"));
    let s = life_cycle_scenario(FULL);
    let script = life_cycle_script(FULL);
    // Errors in the harness and the adapter (instrumented) and bad frees of what the library
    // returns (every free goes through ASan's allocator); leaks are checked at exit.
    let run = s.run(
        &harness,
        &script,
        &[(
            "ASAN_OPTIONS",
            "exitcode=23:detect_leaks=1:halt_on_error=1:allocator_may_return_null=0",
        )],
    );
    assert!(
        !run.stderr.contains("Sanitizer"),
        "AddressSanitizer reported:\n{}",
        run.stderr
    );
    check_life_cycle(&run, &script, FULL);
}

/// Runs the harness under valgrind with the crate's suppressions, an error or a definite
/// leak failing the run; `None` (after saying SKIPPED) where valgrind is not installed.
fn run_under_valgrind(
    s: &Scenario,
    harness: &Harness,
    script: &str,
    env: &[(&str, &str)],
) -> Option<Run> {
    if !tool_present("valgrind") {
        eprintln!("SKIPPED: valgrind is not installed (apt-get install -y valgrind)");
        return None;
    }
    let suppressions = format!(
        "--suppressions={}",
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("harness/valgrind.supp")
            .display()
    );
    Some(s.run_wrapped(
        harness,
        script,
        env,
        &[
            "valgrind",
            &suppressions,
            "--error-exitcode=23",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
            "--show-leak-kinds=definite",
            "--track-origins=yes",
            "-q",
        ],
    ))
}

/// Checks valgrind said nothing (its reports start with `==<pid>==`).
fn assert_valgrind_clean(run: &Run) {
    assert!(
        !run.stderr.contains("=="),
        "valgrind reported:\n{}",
        run.stderr
    );
}

#[test]
fn life_cycle_runs_clean_under_valgrind() {
    let harness = build(Build::Plain).unwrap_or_else(|e| panic!("{e}"));
    let s = life_cycle_scenario(SMALL);
    let script = life_cycle_script(SMALL);
    // valgrind sees every read and write, the library's uninstrumented code too: a read past
    // a Go string or slice, or of one after its call, is an error here.
    let Some(run) = run_under_valgrind(&s, &harness, &script, &[]) else {
        return;
    };
    check_life_cycle(&run, &script, SMALL);
    assert_valgrind_clean(&run);
}

/// The `/2` pipeline with `processor_pipeplug_test_panic` (feature `test-plugins` of this
/// crate) panicking in `panic_in`: `load` (LoadPipeline), `init` (Start) or `process` (on
/// the pipeline's thread, for each group).
#[cfg(feature = "test-plugins")]
fn panicking_pipeline(panic_in: &str) -> String {
    serde_json::json!({
        "global": {},
        "processors": [
            {"type": "processor_pipeplug_test_panic/3", "detail": {"PanicIn": panic_in}}
        ],
        "flushers": [{"type": "flusher_sls/4", "detail": {}}]
    })
    .to_string()
}

#[test]
#[cfg_attr(
    not(feature = "test-plugins"),
    ignore = "needs the panicking test plugin: cargo test -p pipeplug-loongcollector --features test-plugins --test abi"
)]
fn a_panicking_plugin_is_an_alarm_and_an_error_code_and_the_host_survives() {
    #[cfg(feature = "test-plugins")]
    {
        let harness = build(Build::Plain).unwrap_or_else(|e| panic!("{e}"));
        let s = Scenario::new();
        s.file("init.json", init_json(s.dir.path()));
        for stage in ["load", "init", "process"] {
            s.file(
                format!("panic_{stage}.json").as_str(),
                panicking_pipeline(stage),
            );
        }
        s.file("p2.json", pipeline2("after"));
        s.groups("a.bin", &make_groups(0, 1, 1));
        s.groups("b.bin", &make_groups(1, 1, 1));
        let script = [
            "init init.json".to_string(),
            load(2, "panic_load.json"),
            "alarms".to_string(),
            load(2, "panic_init.json"),
            format!("start {CONFIG}/2"),
            "alarms".to_string(),
            format!("stop {CONFIG}/2 1"),
            load(2, "panic_process.json"),
            format!("start {CONFIG}/2"),
            format!("process {CONFIG}/2 a.bin 1"),
            format!("stop {CONFIG}/2 1"),
            "alarms".to_string(),
            "# the library still works".to_string(),
            load(2, "p2.json"),
            format!("start {CONFIG}/2"),
            format!("process {CONFIG}/2 b.bin 1"),
            format!("stop {CONFIG}/2 1"),
            "stop_all 1".to_string(),
            "stop_all 0".to_string(),
            "stop_builtin".to_string(),
        ]
        .join("\n");
        let run = s.run(&harness, &script, &[]);
        run.assert_ran();
        assert_ne!(
            run.rc(2),
            0,
            "LoadPipeline with a plugin panicking in it answered 0"
        );
        let batches = run.alarm_batches();
        assert_eq!(batches.len(), 3, "three alarms calls:\n{}", run.out);
        for (i, call) in ["LoadPipeline", "Start", "the pipeline's processing"]
            .iter()
            .enumerate()
        {
            assert!(
                batches[i]
                    .iter()
                    .any(|a| !a[0].is_empty() && a[2].contains("processor_pipeplug_test_panic")),
                "no alarm about the panic in {call}: {:?}\n{}",
                batches[i],
                run.stderr
            );
        }
        assert_eq!(
            run.rc(14),
            0,
            "LoadPipeline of a good config after the panics"
        );
        assert_eq!(run.process(16), (1, 0, 0), "a group after the panics");
        let ns: Vec<&str> = run
            .logs()
            .filter_map(|l| contents(l).get("n").copied())
            .collect();
        assert_eq!(
            ns.iter().filter(|n| **n == "1").count(),
            1,
            "the group sent after the panics arrived once: {ns:?}"
        );
    }
}

/// How the stand-in Go library writes a string argument in its record.
fn escaped(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

/// The stand-in Go library (`harness/golib.c`, the library a test of forward mode puts where
/// LoongCollector's Go library would be) in the plugin library's place: every call the
/// harness makes reaches it with its arguments unchanged, its answers come back, and what its
/// getters return is read and freed — plainly and under AddressSanitizer where there is one.
#[test]
fn the_harness_passes_every_call_to_the_stand_in_go_library_unchanged() {
    let mut kinds = vec![Build::Plain];
    match asan_available() {
        Ok(()) => kinds.push(Build::Asan),
        Err(e) => eprintln!("SKIPPED (the AddressSanitizer run only): {e}"),
    }
    for kind in kinds {
        let harness = build(kind).unwrap_or_else(|e| panic!("{e}"));
        let s = Scenario::new();
        // Pretty JSON: newlines, and a tab and a backslash in a value, must arrive unchanged.
        let init = "{\n  \"Hostname\": \"tab\\there\",\n  \"HostIP\": \"back\\\\slash\"\n}";
        s.file("init.json", init);
        let pipeline = pipeline1("go", 1);
        s.file("p1.json", &pipeline);
        let groups: Vec<&[u8]> = vec![b"\x00\x01\x02", b"group two", b"\xff"];
        let mut bytes = Vec::new();
        for g in &groups {
            bytes.extend_from_slice(&(g.len() as u32).to_le_bytes());
            bytes.extend_from_slice(g);
        }
        s.file("groups.bin", bytes);
        let record = s.dir.path().join("golib.txt");
        let script = [
            "init init.json".to_string(),
            load(1, "p1.json"),
            format!("start {CONFIG}/1"),
            format!("process {CONFIG}/2 groups.bin 3"),
            "metrics direct".to_string(),
            "alarms".to_string(),
            "containers".to_string(),
            format!("stop {CONFIG}/1 1"),
            format!("unload {CONFIG}/1"),
            "stop_all 1".to_string(),
            "stop_all 0".to_string(),
            "stop_builtin".to_string(),
        ]
        .join("\n");
        let record_s = record.to_string_lossy().into_owned();
        let run = s.run_library(
            &harness,
            &harness.go_library,
            &script,
            &[
                ("PIPEPLUG_GOLIB_RECORD", record_s.as_str()),
                ("PIPEPLUG_GOLIB_ANSWER", "5"),
                ("ASAN_OPTIONS", "exitcode=23:detect_leaks=1"),
            ],
            &[],
        );
        run.assert_ran();
        assert!(
            !run.stderr.contains("Sanitizer"),
            "{kind:?}:\n{}",
            run.stderr
        );

        let text = std::fs::read_to_string(&record).expect("the stand-in Go library's record");
        let calls: Vec<&str> = text.lines().collect();
        let (processed, others): (Vec<&str>, Vec<&str>) = calls
            .iter()
            .partition(|c| c.starts_with("ProcessPipelineEventGroup\t"));
        let expected = [
            format!("InitPluginBaseV2\t{}", escaped(init)),
            format!(
                "LoadPipeline\t{PROJECT}\t{LOGSTORE}\t{CONFIG}/1\t{LOGSTORE_KEY}\t{}",
                escaped(&pipeline)
            ),
            format!("Start\t{CONFIG}/1"),
            "GetGoMetrics\tdirect".to_string(),
            "GetGoAlarms".to_string(),
            "GetAllContainers".to_string(),
            "GetDiffContainers".to_string(),
            format!("Stop\t{CONFIG}/1\t1"),
            format!("UnloadPipeline\t{CONFIG}/1"),
            "StopAllPipelines\t1".to_string(),
            "StopAllPipelines\t0".to_string(),
            "StopBuiltInModules".to_string(),
        ];
        assert_eq!(others, expected, "{kind:?}: the calls the Go library got");
        // Three threads at once: in any order, each group once, its bytes unchanged.
        let mut got: Vec<String> = processed
            .iter()
            .map(|c| {
                let f: Vec<&str> = c.split('\t').collect();
                assert_eq!(f.len(), 4, "{c}");
                assert_eq!(f[1], format!("{CONFIG}/2"), "{c}");
                assert!(!f[3].is_empty(), "no pack id: {c}");
                f[2].to_string()
            })
            .collect();
        got.sort();
        let mut want: Vec<String> = groups
            .iter()
            .map(|g| g.iter().map(|b| format!("{b:02x}")).collect())
            .collect();
        want.sort();
        assert_eq!(got, want, "{kind:?}: the groups the Go library got");

        // Its answers and getters, as the harness read them.
        assert_eq!(run.rc(1), 5, "InitPluginBaseV2's answer");
        assert_eq!(run.rc(2), 5, "LoadPipeline's answer");
        assert_eq!(
            run.process(4),
            (3, 3, 5),
            "ProcessPipelineEventGroup's answers"
        );
        assert_eq!(run.rc(9), 5, "UnloadPipeline's answer");
        let metric: Vec<Vec<&str>> = run.lines("metric");
        assert_eq!(
            metric,
            vec![
                vec!["direct", "0", "label.plugin_library", "go-stand-in"],
                vec!["direct", "0", "label.kind", "direct"],
                vec!["direct", "0", "value.calls", "7"],
            ]
        );
        assert_eq!(
            run.alarms(),
            vec![vec![
                "GO_STAND_IN_ALARM",
                "1",
                "from the stand-in Go library",
                "",
                "",
                "",
                "1"
            ]]
        );
        assert_eq!(
            run.lines("containers_all"),
            vec![vec![
                "{\"All\":[{\"ID\":\"stand-in-1\",\"Name\":\"stand-in\"}]}"
            ]]
        );
        assert_eq!(
            run.lines("containers_diff"),
            vec![vec![
                "{\"Update\":[],\"Delete\":[\"stand-in-0\"],\"Stop\":[]}"
            ]]
        );
    }
}

/// Forward mode: with `PIPEPLUG_GO_LIBRARY` naming the stand-in Go library, the pipelines with
/// plugin types pipeplug does not register, and every call for them, reach it unchanged; the
/// library-wide calls reach both; pipeplug's own pipeline stays with pipeplug; the getters
/// answer with both libraries' records (the containers are Go's).
/// Runs the harness in forward mode, with the stand-in Go library recording every call it
/// gets into the returned file.
fn run_forwarding(
    s: &Scenario,
    harness: &Harness,
    script: &str,
    env: &[(&str, &str)],
) -> (Run, std::path::PathBuf) {
    let record = s.dir.path().join("golib.txt");
    let record_s = record.to_string_lossy().into_owned();
    let go_library = harness.go_library.to_string_lossy().into_owned();
    let mut all = vec![
        ("PIPEPLUG_GO_LIBRARY", go_library.as_str()),
        ("PIPEPLUG_GOLIB_RECORD", record_s.as_str()),
    ];
    all.extend_from_slice(env);
    (s.run(harness, script, &all), record)
}

#[test]
fn forward_mode_passes_go_pipelines_to_the_go_library_unchanged_and_merges_getters() {
    let harness = build(Build::Plain).unwrap_or_else(|e| panic!("{e}"));
    let s = Scenario::new();
    let init = init_json(s.dir.path());
    s.file("init.json", &init);
    s.file("p2.json", pipeline2("pipeplug"));
    // Types only Go has: these pipelines are Go's.
    let go2 = serde_json::json!({
        "global": {},
        "processors": [{"type": "processor_only_in_go/3", "detail": {"Keep": true}}],
        "flushers": [{"type": "flusher_sls/4", "detail": {}}]
    })
    .to_string();
    let go1 = serde_json::json!({
        "global": {},
        "inputs": [{"type": "service_only_in_go/1", "detail": {}}],
        "flushers": [{"type": "flusher_sls/2", "detail": {}}]
    })
    .to_string();
    s.file("go2.json", &go2);
    s.file("go1.json", &go1);
    s.groups("ours.bin", &make_groups(0, 10, 2));
    let go_group = proto::encode_event_group(&make_groups(100, 1, 1)[0]);
    let mut bytes = (go_group.len() as u32).to_le_bytes().to_vec();
    bytes.extend_from_slice(&go_group);
    s.file("go.bin", bytes);
    let go_load =
        |suffix: u8, file: &str| format!("load gopipe/{suffix} {PROJECT} {LOGSTORE} 9 {file}");
    let script = [
        "init init.json".to_string(),
        load(2, "p2.json"),
        go_load(2, "go2.json"),
        go_load(1, "go1.json"),
        format!("start {CONFIG}/2"),
        "start gopipe/2".to_string(),
        "start gopipe/1".to_string(),
        format!("process {CONFIG}/2 ours.bin 2"),
        "process gopipe/2 go.bin 1".to_string(),
        "metrics direct".to_string(),
        "alarms".to_string(),
        "containers".to_string(),
        "stop gopipe/1 1".to_string(),
        "stop gopipe/2 1".to_string(),
        format!("stop {CONFIG}/2 1"),
        "stop_all 1".to_string(),
        "stop_all 0".to_string(),
        "stop_builtin".to_string(),
    ]
    .join("\n");
    let (run, record) = run_forwarding(&s, &harness, &script, &[]);
    run.assert_ran();
    for line in [1, 2, 3, 4] {
        assert_eq!(run.rc(line), 0, "script line {line}:\n{}", run.stderr);
    }
    assert_eq!(run.process(8), (10, 0, 0), "groups for pipeplug's pipeline");
    assert_eq!(run.process(9), (1, 0, 0), "a group for Go's pipeline");

    // What the Go library got: its pipelines' calls and the library-wide ones, unchanged.
    let text = std::fs::read_to_string(&record).expect("the stand-in Go library's record");
    let hex: String = go_group.iter().map(|b| format!("{b:02x}")).collect();
    let calls: Vec<String> = text
        .lines()
        .map(|c| {
            // The pack id is the harness's own: leave it out.
            if c.starts_with("ProcessPipelineEventGroup\t") {
                c.rsplit_once('\t').map_or(c, |(head, _)| head).to_string()
            } else {
                c.to_string()
            }
        })
        .collect();
    let expected = vec![
        format!("InitPluginBaseV2\t{}", escaped(&init)),
        format!(
            "LoadPipeline\t{PROJECT}\t{LOGSTORE}\tgopipe/2\t9\t{}",
            escaped(&go2)
        ),
        format!(
            "LoadPipeline\t{PROJECT}\t{LOGSTORE}\tgopipe/1\t9\t{}",
            escaped(&go1)
        ),
        "Start\tgopipe/2".to_string(),
        "Start\tgopipe/1".to_string(),
        format!("ProcessPipelineEventGroup\tgopipe/2\t{hex}"),
        "GetGoMetrics\tdirect".to_string(),
        "GetGoAlarms".to_string(),
        "GetAllContainers".to_string(),
        "GetDiffContainers".to_string(),
        "Stop\tgopipe/1\t1".to_string(),
        "Stop\tgopipe/2\t1".to_string(),
        "StopAllPipelines\t1".to_string(),
        "StopAllPipelines\t0".to_string(),
        "StopBuiltInModules".to_string(),
    ];
    assert_eq!(calls, expected, "the calls the Go library got");

    // pipeplug's pipeline delivered through the adapter, every event once.
    run.assert_records_well_formed();
    let mut ns: Vec<u64> = run
        .logs()
        .map(|l| contents(l)["n"].parse().expect("a numeric n"))
        .collect();
    ns.sort_unstable();
    assert_eq!(ns, (0..20).collect::<Vec<u64>>(), "pipeplug's events");

    // The getters: Go's records and ours in one answer; Go's containers.
    let metric = run.lines("metric");
    assert!(
        metric
            .iter()
            .any(|m| m[2] == "label.plugin_library" && m[3] == "go-stand-in"),
        "no metrics record of the Go library: {metric:?}"
    );
    assert!(
        metric
            .iter()
            .any(|m| m[2] == "label.pipeline_name" && m[3] == format!("{CONFIG}/2")),
        "no metrics record of pipeplug's pipeline: {metric:?}"
    );
    assert!(
        run.alarms().iter().any(|a| a[0] == "GO_STAND_IN_ALARM"),
        "the Go library's alarm is missing: {:?}",
        run.alarms()
    );
    assert_eq!(
        run.lines("containers_all"),
        vec![vec![
            "{\"All\":[{\"ID\":\"stand-in-1\",\"Name\":\"stand-in\"}]}"
        ]]
    );
    assert_eq!(
        run.lines("containers_diff"),
        vec![vec![
            "{\"Update\":[],\"Delete\":[\"stand-in-0\"],\"Stop\":[]}"
        ]]
    );
}

/// `count` V1 groups of `per_group` logs, numbered from `first` as [`make_groups`] numbers
/// them, each with topic `t-<group>` and the tag `host` = `h<group % 3>`, serialized as the
/// `sls_logs.LogGroup`s LoongCollector v3.3.5's core hands to `ProcessLogGroup`.
fn v1_groups(first: u64, count: u64, per_group: u64) -> Vec<Vec<u8>> {
    (0..count)
        .map(|g| {
            let logs = (0..per_group)
                .map(|e| {
                    let n = first + g * per_group + e;
                    let mut log = pipeplug::protocol::Log {
                        time: u32::try_from(BASE_SECONDS + n).expect("a 32-bit time"),
                        time_ns: Some(u32::try_from(n % 1000).expect("small")),
                        ..Default::default()
                    };
                    log.push("msg", format!("event-{n}"));
                    log.push("n", n.to_string());
                    log
                })
                .collect();
            proto::encode_log_group(&pipeplug::protocol::LogGroup {
                logs,
                topic: format!("t-{g}"),
                log_tags: vec![pipeplug::protocol::LogTag::new(
                    "host",
                    format!("h{}", g % 3),
                )],
                ..Default::default()
            })
        })
        .collect()
}

/// Writes records as the harness reads them: each a u32 little-endian length, then the bytes.
fn records(items: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for item in items {
        bytes.extend_from_slice(&u32::try_from(item.len()).expect("small").to_le_bytes());
        bytes.extend_from_slice(item);
    }
    bytes
}

/// How much a v3.3.5 run sends: `groups` `LogGroup`s of `per_group` logs (by 4 threads),
/// then `singles` `ProcessLog` calls.
#[derive(Debug, Clone, Copy)]
struct V335 {
    groups: u64,
    per_group: u64,
    singles: u64,
}

/// The v3.3.5 core's calls: `ProcessLogGroup` from 4 threads and `ProcessLog`, into the `/2`
/// pipeline, plus a config that does not run and bytes that are not a `LogGroup`.
fn v335_scenario(z: V335) -> (Scenario, String) {
    let V335 {
        groups,
        per_group,
        singles,
    } = z;
    let s = Scenario::new();
    s.file("init.json", init_json(s.dir.path()));
    s.file("p2.json", pipeline2("first"));
    s.file("groups.bin", records(&v1_groups(0, groups, per_group)));
    let first_single = groups * per_group;
    let logs: Vec<Vec<u8>> = (first_single..first_single + singles)
        .map(|n| {
            let mut log = pipeplug::protocol::Log {
                time: u32::try_from(BASE_SECONDS + n).expect("a 32-bit time"),
                ..Default::default()
            };
            log.push("msg", format!("event-{n}"));
            log.push("n", n.to_string());
            let message = proto::to_log_group_message(&pipeplug::protocol::LogGroup {
                logs: vec![log],
                ..Default::default()
            });
            prost::Message::encode_to_vec(&message.logs[0])
        })
        .collect();
    s.file("logs.bin", records(&logs));
    s.file("bad.bin", records(&[vec![0xff, 0xff, 0xff]]));
    let script = [
        "init init.json".to_owned(),
        load(2, "p2.json"),
        format!("start {CONFIG}/2"),
        format!("process {CONFIG}/2 groups.bin 4"),
        format!("process_log {CONFIG}/2 logs.bin core-topic k1~=~v1^^^bare"),
        "process nowhere/2 groups.bin 1".to_owned(),
        format!("process {CONFIG}/2 bad.bin 1"),
        format!("stop {CONFIG}/2 1"),
        "alarms".to_owned(),
        "stop_all 1".to_owned(),
        "stop_all 0".to_owned(),
        "stop_builtin".to_owned(),
    ]
    .join("\n")
        + "\n";
    (s, script)
}

/// Checks a v3.3.5 run: every answer, and every event back once with its group's topic
/// and tags.
fn check_v335(run: &Run, script: &str, z: V335) {
    let V335 {
        groups,
        per_group,
        singles,
    } = z;
    let first_single = groups * per_group;
    run.assert_ran();
    assert_eq!(
        run.process(line_of(script, &format!("process {CONFIG}/2 groups.bin 4"))),
        (groups, 0, 0),
        "{}",
        run.stderr
    );
    let process_log = format!("process_log {CONFIG}/2 logs.bin core-topic k1~=~v1^^^bare");
    assert_eq!(run.process(line_of(script, &process_log)), (singles, 0, 0));
    // A config that does not run: -1 for each call; bytes that are not a LogGroup: -2.
    assert_eq!(
        run.process(line_of(script, "process nowhere/2 groups.bin 1")),
        (groups, groups, -1)
    );
    assert_eq!(
        run.process(line_of(script, &format!("process {CONFIG}/2 bad.bin 1"))),
        (1, 1, -2)
    );
    assert!(
        run.alarms().iter().any(|a| a
            .iter()
            .any(|f| f.contains("cannot decode a serialized sls_logs.LogGroup"))),
        "{:?}",
        run.alarms()
    );
    run.assert_records_well_formed();

    let total = groups * per_group + singles;
    let mut seen = vec![0u32; total as usize];
    for r in &run.records {
        for log in &r.group.logs {
            let c = contents(log);
            let n: u64 = c["n"].parse().expect("a numeric n");
            seen[n as usize] += 1;
            assert_eq!(c.get("stage"), Some(&"first"), "{log:?}");
            assert_eq!(
                c.get("message").copied(),
                Some(format!("event-{n}").as_str())
            );
            assert_eq!(u64::from(log.time), BASE_SECONDS + n);
            let tags: BTreeMap<&str, &str> = r
                .group
                .log_tags
                .iter()
                .map(|t| (t.key.as_str(), t.value.as_str()))
                .collect();
            if n < first_single {
                // The group's topic and tags come back with it.
                let g = n / per_group;
                assert_eq!(r.group.topic, format!("t-{g}"), "{log:?}");
                let host = format!("h{}", g % 3);
                assert_eq!(tags.get("host"), Some(&host.as_str()), "{:?}", r.group);
                assert_eq!(u64::from(log.time_ns.unwrap_or(0)), n % 1000, "{log:?}");
            } else {
                // ProcessLog: the topic as `__log_topic__` (as iLogtail's Go library adds
                // it) and the group's, the core's tags the group's.
                assert_eq!(c.get("__log_topic__"), Some(&"core-topic"), "{log:?}");
                assert_eq!(r.group.topic, "core-topic");
                assert_eq!(tags.get("k1"), Some(&"v1"), "{:?}", r.group);
                assert_eq!(
                    tags.get("__tag__:__prefix__1"),
                    Some(&"bare"),
                    "{:?}",
                    r.group
                );
            }
        }
    }
    assert_each_once(&seen);
}

/// The v3.3.5 run at full size.
const V335_FULL: V335 = V335 {
    groups: 400,
    per_group: 3,
    singles: 20,
};

#[test]
fn the_v3_3_5_core_feeds_log_groups_and_logs_and_every_event_arrives_once() {
    let harness = build(Build::Plain).unwrap_or_else(|e| panic!("{e}"));
    let (s, script) = v335_scenario(V335_FULL);
    let run = s.run(&harness, &script, &[("PIPEPLUG_HARNESS_ABI", "v3.3.5")]);
    check_v335(&run, &script, V335_FULL);
}

#[test]
fn the_v3_3_5_calls_run_clean_under_valgrind() {
    let harness = build(Build::Plain).unwrap_or_else(|e| panic!("{e}"));
    let z = V335 {
        groups: 40,
        per_group: 2,
        singles: 5,
    };
    let (s, script) = v335_scenario(z);
    // A read past the topic, the tags or a log's bytes, or after the call, is an error here.
    let Some(run) =
        run_under_valgrind(&s, &harness, &script, &[("PIPEPLUG_HARNESS_ABI", "v3.3.5")])
    else {
        return;
    };
    check_v335(&run, &script, z);
    assert_valgrind_clean(&run);
}

#[test]
fn forward_mode_passes_v3_3_5_calls_for_go_pipelines_to_the_go_library_unchanged() {
    let harness = build(Build::Plain).unwrap_or_else(|e| panic!("{e}"));
    let s = Scenario::new();
    s.file("init.json", init_json(s.dir.path()));
    s.file("p2.json", pipeline2("pipeplug"));
    let go2 = serde_json::json!({
        "global": {},
        "processors": [{"type": "processor_only_in_go/3", "detail": {}}],
        "flushers": [{"type": "flusher_sls/4", "detail": {}}]
    })
    .to_string();
    s.file("go2.json", &go2);
    let ours = v1_groups(0, 5, 2);
    s.file("ours.bin", records(&ours));
    let go_group = v1_groups(100, 1, 1).remove(0);
    s.file("go.bin", records(std::slice::from_ref(&go_group)));
    let go_log = vec![0x08, 0x01]; // a `sls_logs.Log` with Time = 1: bytes, passed as they are
    s.file("go_log.bin", records(std::slice::from_ref(&go_log)));
    let script = [
        "init init.json".to_string(),
        load(2, "p2.json"),
        format!("load gopipe/2 {PROJECT} {LOGSTORE} 9 go2.json"),
        format!("start {CONFIG}/2"),
        "start gopipe/2".to_string(),
        format!("process {CONFIG}/2 ours.bin 2"),
        "process gopipe/2 go.bin 1".to_string(),
        "process_log gopipe/2 go_log.bin go-topic a~=~b".to_string(),
        "stop gopipe/2 1".to_string(),
        format!("stop {CONFIG}/2 1"),
        "stop_all 1".to_string(),
        "stop_all 0".to_string(),
    ]
    .join("\n");
    let (run, record) =
        run_forwarding(&s, &harness, &script, &[("PIPEPLUG_HARNESS_ABI", "v3.3.5")]);
    run.assert_ran();
    let at = |line: &str| run.process(line_of(&script, line));
    assert_eq!(
        at(&format!("process {CONFIG}/2 ours.bin 2")),
        (5, 0, 0),
        "groups for pipeplug's pipeline"
    );
    assert_eq!(
        at("process gopipe/2 go.bin 1"),
        (1, 0, 0),
        "a group for Go's pipeline"
    );
    assert_eq!(
        at("process_log gopipe/2 go_log.bin go-topic a~=~b"),
        (1, 0, 0),
        "a log for Go's pipeline"
    );

    let hex = |b: &[u8]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let text = std::fs::read_to_string(&record).expect("the stand-in Go library's record");
    let process_calls: Vec<Vec<&str>> = text
        .lines()
        .filter(|c| c.starts_with("Process"))
        .map(|c| c.split('\t').collect())
        .collect();
    assert_eq!(process_calls.len(), 2, "{text}");
    assert_eq!(
        process_calls[0][..3],
        ["ProcessLogGroup", "gopipe/2", hex(&go_group).as_str()]
    );
    // ProcessLog: config, log, pack id (the harness's), topic, tags, all unchanged.
    let call = &process_calls[1];
    assert_eq!(call[..3], ["ProcessLog", "gopipe/2", hex(&go_log).as_str()]);
    assert_eq!(call[4..], ["go-topic", hex(b"a~=~b").as_str()]);

    // pipeplug's own pipeline, fed through ProcessLogGroup beside it: every event once.
    run.assert_records_well_formed();
    let mut ns: Vec<u64> = run
        .logs()
        .map(|l| contents(l)["n"].parse().expect("a numeric n"))
        .collect();
    ns.sort_unstable();
    assert_eq!(ns, (0..10).collect::<Vec<u64>>(), "pipeplug's events");
}
