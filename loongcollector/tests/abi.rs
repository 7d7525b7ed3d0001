//! The pipeplug library as LoongCollector's C++ core sees it: a C harness of ours (in
//! `loongcollector/harness/`, built here with the system C compiler) loads a stand-in of the
//! core's adapter library (`libGoPluginAdapter.so`, which records every group it is sent),
//! then the `pipeplug-loongcollector` cdylib, and replays the core's calls; the groups the
//! adapter recorded are decoded here and checked event by event.

mod support;

use std::collections::BTreeMap;
use support::*;

/// Groups of the first batch and logs per group: 4 threads × 1,000 calls.
const GROUPS: u64 = 4_000;
const PER_GROUP: u64 = 2;
/// Groups sent while a new config is staged beside the running one.
const MID_GROUPS: u64 = 100;
/// Groups sent to the new config.
const LATE_GROUPS: u64 = 400;
/// Logs of the `/1` input's one round.
const ROUND: u64 = 100;

/// The core's whole life cycle: init → LoadPipeline `/2` and `/1` → Start → 4 threads ×
/// 1,000 ProcessPipelineEventGroup → the getters → a config update (load beside running,
/// stop old, start new) → Stop → StopAllPipelines(1), (0) → StopBuiltInModules.
fn life_cycle_script() -> String {
    let first_events = GROUPS * PER_GROUP;
    let lines = [
        "init init.json".to_string(),
        load(2, "p2.json"),
        load(1, "p1.json"),
        format!("start {CONFIG}/2"),
        format!("start {CONFIG}/1"),
        // The /1 input's round is sent from its own thread: line up with it.
        format!("wait_lines {ROUND} 120"),
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
            first_events + MID_GROUPS * PER_GROUP + 2 * ROUND
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
fn life_cycle_scenario() -> Scenario {
    let s = Scenario::new();
    s.file("init.json", init_json(s.dir.path()));
    s.file("p2.json", pipeline2("first"));
    s.file("p1.json", pipeline1("first", ROUND));
    s.file("p2_new.json", pipeline2("second"));
    s.file("p1_new.json", pipeline1("second", ROUND));
    let mid_first = GROUPS * PER_GROUP;
    let late_first = mid_first + MID_GROUPS * PER_GROUP;
    s.groups("groups.bin", &make_groups(0, GROUPS, PER_GROUP));
    s.groups("groups_mid.bin", &make_groups(mid_first, MID_GROUPS, PER_GROUP));
    s.groups("groups_late.bin", &make_groups(late_first, LATE_GROUPS, PER_GROUP));
    s
}

/// Checks a life-cycle run: every call answered 0, every event of the core's groups came
/// back exactly once, through the pipeline that was running when it was sent, with its
/// contents, and every log of both `/1` rounds exactly once.
fn check_life_cycle(run: &Run, script: &str) {
    run.assert_ran();
    for (line, text) in script.lines().enumerate() {
        let word = text.split(' ').next().unwrap_or_default();
        if ["init", "load", "start", "stop", "stop_all", "stop_builtin"].contains(&word) {
            assert_eq!(run.rc(line + 1), 0, "`{text}` answered an error:\n{}", run.stderr);
        }
    }
    for batch in ["groups.bin", "groups_mid.bin", "groups_late.bin"] {
        let threads = if batch == "groups_mid.bin" { 2 } else { 4 };
        let line = line_of(script, &format!("process {CONFIG}/2 {batch} {threads}"));
        let (calls, failures, first) = run.process(line);
        let expected = match batch {
            "groups.bin" => GROUPS,
            "groups_mid.bin" => MID_GROUPS,
            _ => LATE_GROUPS,
        };
        assert_eq!(calls, expected, "ProcessPipelineEventGroup calls of {batch}");
        assert_eq!(
            failures, 0,
            "ProcessPipelineEventGroup failed for {batch} (first answer {first})"
        );
    }
    for wait in run.lines("wait") {
        assert_eq!(wait[2], "ok", "a wait_lines timed out: {wait:?}\n{}", run.stderr);
    }
    run.assert_records_well_formed();

    let total = (GROUPS + MID_GROUPS + LATE_GROUPS) * PER_GROUP;
    let late_first = (GROUPS + MID_GROUPS) * PER_GROUP;
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
        assert_eq!(c.get("message").copied(), Some(format!("event-{n}").as_str()));
        assert!(!c.contains_key("msg"), "`msg` was not renamed: {log:?}");
        assert_eq!(u64::from(log.time), BASE_SECONDS + n, "the time of event {n}");
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
        for index in 1..=ROUND {
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
        2 * ROUND,
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
    for all in run.lines("containers_all") {
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
    let s = life_cycle_scenario();
    let script = life_cycle_script();
    let run = s.run(&harness, &script, &[]);
    check_life_cycle(&run, &script);
}

#[test]
fn queue_full_and_not_valid_answers_lose_nothing() {
    let harness = build(Build::Plain).unwrap_or_else(|e| panic!("{e}"));
    let s = life_cycle_scenario();
    let script = life_cycle_script();
    // The adapter answers -1 to the first 300 sends and the first 300 IsValidToSend calls.
    let run = s.run(
        &harness,
        &script,
        &[
            ("PIPEPLUG_ADAPTER_FULL", "300"),
            ("PIPEPLUG_ADAPTER_INVALID", "300"),
        ],
    );
    check_life_cycle(&run, &script);
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
        format!("process nobody/2 good.bin 1"),
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
    assert_ne!(run.rc(3), 0, "LoadPipeline of an unknown plugin type answered 0");
    assert_eq!(run.process(4), (1, 1, -1), "a group for a config never loaded");
    assert_eq!(run.rc(5), 0, "LoadPipeline of a good config:\n{}", run.stderr);
    assert_eq!(run.process(7), (1, 1, -1), "a group for an unknown config");
    assert_eq!(run.process(9), (1, 1, -2), "an undecodable group");
    assert_eq!(run.process(10), (1, 0, 0), "a good group after a bad one");
    // The good group arrived, once; the bad calls sent nothing.
    assert_eq!(run.logs().count(), 1, "logs sent: {:?}", run.records);
    let alarms = run.alarms();
    for needle in ["processor_nobody_has"] {
        assert!(
            alarms.iter().any(|a| a[2].contains(needle)),
            "no alarm says `{needle}`: {alarms:?}"
        );
    }
    for a in &alarms {
        assert!(!a[0].is_empty(), "an alarm without a type: {a:?}");
    }
}
