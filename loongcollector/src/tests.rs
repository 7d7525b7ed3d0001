//! The exported functions called as the core calls them, in this process, with a
//! [`CoreLink`] that keeps what is sent (the C harness in `tests/` does the same through a
//! real adapter library).

use crate::adapter::{CoreLink, SendOutcome};
use crate::ffi::*;
use crate::host::metrics::read::{take_alarms, take_metrics, take_str};
use crate::host::{self, alarms, tests::serial};
use pipeplug::models::{GroupInfo, Log, LogValue, PipelineEvent, PipelineGroupEvents};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// One send: config, logstore, the serialized group, its line count.
type Sent = (String, String, Vec<u8>, i32);

/// Keeps every group sent; answers -1 to the first `full` sends and "not valid" to the
/// first `invalid` checks.
#[derive(Debug, Default)]
struct Recorder {
    sent: Mutex<Vec<Sent>>,
    full: AtomicUsize,
    invalid: AtomicUsize,
    refused: AtomicUsize,
}

fn take_one(n: &AtomicUsize) -> bool {
    n.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| v.checked_sub(1))
        .is_ok()
}

impl CoreLink for Recorder {
    fn is_valid_to_send(&self, _logstore_key: i64) -> bool {
        !take_one(&self.invalid)
    }

    fn send(
        &self,
        config: &str,
        logstore: &str,
        pb: &[u8],
        lines: i32,
        _hash: &str,
    ) -> SendOutcome {
        if take_one(&self.full) {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return SendOutcome::QueueFull;
        }
        (self.sent.lock().unwrap()).push((config.into(), logstore.into(), pb.to_vec(), lines));
        SendOutcome::Sent
    }
}

fn gs(s: &str) -> GoString {
    GoString::borrowed(s)
}

fn load(name: &str, json: &str) -> GoInt {
    // SAFETY: borrowed strings valid for the call.
    unsafe { LoadPipeline(gs("proj"), gs("store"), gs(name), 42, gs(json)) }
}

fn process(name: &str, bytes: &[u8]) -> GoInt {
    // SAFETY: as above.
    unsafe { ProcessPipelineEventGroup(gs(name), GoSlice::borrowed(bytes), gs("pack")) }
}

fn group(thread: usize, i: usize) -> Vec<u8> {
    let mut log = Log {
        timestamp: 1_700_000_000_000_000_000,
        ..Default::default()
    };
    log.contents
        .add("thread", LogValue::from(thread.to_string()));
    log.contents.add("i", LogValue::from(i.to_string()));
    crate::proto::encode_event_group(&PipelineGroupEvents::new(
        GroupInfo::default(),
        vec![PipelineEvent::Log(log)],
    ))
}

const P2: &str = r#"{
  "global": {},
  "processors": [{"type": "processor_add_fields/1", "detail": {"Fields": {"via": "pipeplug"}}}],
  "aggregators": [{"type": "aggregator_default/2"}],
  "flushers": [{"type": "flusher_sls/3", "detail": {"Project": "proj", "Logstore": "store", "Region": "r"}}]
}"#;

/// What was sent, decoded: `(thread, i) → times seen`, checking each log on the way.
fn decode_sent(rec: &Recorder, config: &str, via: &str) -> HashMap<(String, String), usize> {
    let mut seen = HashMap::new();
    for (c, logstore, pb, lines) in rec.sent.lock().unwrap().iter() {
        assert_eq!(
            c, config,
            "the core gets the config name without its suffix"
        );
        assert_eq!(logstore, "store");
        let g = crate::proto::decode_log_group(pb).unwrap();
        assert_eq!(usize::try_from(*lines).unwrap(), g.logs.len());
        for log in &g.logs {
            let get = |k: &str| {
                log.contents
                    .iter()
                    .find(|c| c.key == k)
                    .map(|c| c.value.to_string())
                    .unwrap_or_default()
            };
            assert_eq!(get("via"), via, "{log:?}");
            assert_eq!(log.time, 1_700_000_000);
            *seen.entry((get("thread"), get("i"))).or_insert(0) += 1;
        }
    }
    seen
}

#[test]
fn the_core_life_cycle_delivers_every_event_once_through_back_pressure() {
    let _serial = serial();
    let rec = Arc::new(Recorder::default());
    // The core's queue is full for a while, and not valid for a while.
    rec.full.store(20, Ordering::SeqCst);
    rec.invalid.store(20, Ordering::SeqCst);
    let h = host::host().unwrap();
    h.set_link(Arc::clone(&rec) as Arc<dyn CoreLink>);
    // SAFETY: a borrowed string.
    assert_eq!(
        unsafe { InitPluginBaseV2(gs(r#"{"HostIP":"127.0.0.1"}"#)) },
        RC_OK
    );
    assert_eq!(load("life/2", P2), RC_OK);
    assert_eq!(h.staged(), vec!["life/2"]);
    assert_eq!(
        process("life/2", &group(0, 0)),
        RC_UNKNOWN_CONFIG,
        "not started yet"
    );
    // SAFETY: as above.
    unsafe { Start(gs("life/2")) };
    assert_eq!(h.running(), vec!["life/2"]);
    std::thread::scope(|s| {
        for t in 0..4 {
            s.spawn(move || {
                for i in 0..250 {
                    assert_eq!(process("life/2", &group(t, i)), RC_OK);
                }
            });
        }
    });
    // Config update: the new one is staged beside the running one.
    let p2_new = P2.replace("\"pipeplug\"", "\"pipeplug-new\"");
    assert_eq!(load("life/2", &p2_new), RC_OK);
    assert_eq!(h.staged(), vec!["life/2"]);
    assert_eq!(h.running(), vec!["life/2"]);
    let metrics = take_metrics_now();
    let mine = metrics
        .iter()
        .find(|r| r.contains(&("label.pipeline_name".into(), "life/2".into())))
        .expect("a record for the running pipeline");
    assert!(
        mine.contains(&("value.in_events_total".into(), "1000".into())),
        "{mine:?}"
    );
    // SAFETY: as above.
    unsafe { Stop(gs("life/2"), 0) };
    assert!(h.running().is_empty());
    let seen = decode_sent(&rec, "life", "pipeplug");
    assert_eq!(seen.len(), 1000, "every event arrives");
    assert!(seen.values().all(|n| *n == 1), "and exactly once");
    assert!(
        rec.refused.load(Ordering::SeqCst) > 0,
        "the core did answer -1"
    );
    // The new one starts and runs.
    // SAFETY: as above.
    unsafe { Start(gs("life/2")) };
    rec.sent.lock().unwrap().clear();
    assert_eq!(process("life/2", &group(9, 9)), RC_OK);
    StopAllPipelines(1);
    assert_eq!(
        h.running(),
        vec!["life/2"],
        "StopAllPipelines(1) leaves core-fed ones"
    );
    StopAllPipelines(0);
    assert!(h.running().is_empty());
    StopBuiltInModules();
    let seen = decode_sent(&rec, "life", "pipeplug-new");
    assert_eq!(seen.get(&("9".into(), "9".into())), Some(&1));
    assert!(
        !alarms::take().iter().any(|a| a.config == "life/2"),
        "a clean run raises no alarm for its pipeline"
    );
}

fn take_metrics_now() -> Vec<Vec<(String, String)>> {
    // SAFETY: a borrowed string; the tree is freed by `take_metrics` as the core frees it.
    unsafe { take_metrics(GetGoMetrics(gs("direct"))) }
}

#[test]
fn bad_calls_get_error_codes_and_alarms_never_a_crash() {
    let _serial = serial();
    let _ = alarms::take();
    assert_eq!(process("nobody/2", &group(0, 0)), RC_UNKNOWN_CONFIG);
    assert_eq!(load("bad/2", "{not json"), RC_ERROR);
    assert_eq!(
        load(
            "bad/2",
            r#"{"processors":[{"type":"processor_nope/1"}],"flushers":[{"type":"flusher_sls/1"}]}"#
        ),
        RC_ERROR
    );
    // Start with nothing staged, Stop of what does not run: reported, no crash.
    // SAFETY: borrowed strings.
    unsafe {
        Start(gs("bad/2"));
        Stop(gs("bad/2"), 1);
    }
    // A NULL pointer with a length.
    let null = GoString {
        p: std::ptr::null(),
        n: 5,
    };
    // SAFETY: the function must refuse the NULL, not read it.
    assert_eq!(
        unsafe { LoadPipeline(null, gs(""), gs("x/2"), 0, gs("{}")) },
        RC_ERROR
    );
    // Bytes that are not a group, into a running pipeline.
    let h = host::host().unwrap();
    h.set_link(Arc::new(Recorder::default()));
    assert_eq!(load("garbage/2", P2), RC_OK);
    // SAFETY: borrowed strings.
    unsafe { Start(gs("garbage/2")) };
    assert_eq!(process("garbage/2", &[0xff, 0xff, 0xff]), RC_BAD_GROUP);
    // SAFETY: as above.
    unsafe { Stop(gs("garbage/2"), 1) };
    // SAFETY: freed as the core frees it.
    let alarms = unsafe { take_alarms(GetGoAlarms()) };
    let about = |config: &str, text: &str| {
        alarms.iter().any(|(t, level, m, c, _)| {
            t == host::ERROR_ALARM && level == "2" && c == config && m.contains(text)
        })
    };
    assert!(about("bad/2", "not JSON"), "{alarms:?}");
    assert!(about("bad/2", "processor_nope"), "{alarms:?}");
    assert!(about("bad/2", "nothing staged"), "{alarms:?}");
    assert!(about("", "NULL pointer"), "{alarms:?}");
    assert!(about("garbage/2", "cannot decode"), "{alarms:?}");
    // SAFETY: as above: taken alarms are gone.
    assert!(unsafe { take_alarms(GetGoAlarms()) }.is_empty());
}

#[test]
fn a_plugin_panicking_in_an_exported_call_is_an_alarm_and_an_error_code() {
    let _serial = serial();
    let _ = alarms::take();
    let h = host::host().unwrap();
    h.set_link(Arc::new(Recorder::default()));
    let with = |when: &str| {
        format!(
            r#"{{"processors":[{{"type":"processor_pipeplug_test_panic/1","detail":{{"PanicIn":"{when}"}}}}],
                "flushers":[{{"type":"flusher_sls/2"}}]}}"#
        )
    };
    assert_eq!(load("panics/2", &with("load")), RC_ERROR);
    assert_eq!(load("panics/2", &with("init")), RC_OK);
    // SAFETY: borrowed strings.
    unsafe { Start(gs("panics/2")) };
    assert!(
        h.running().iter().all(|n| n != "panics/2"),
        "init panicked: not running"
    );
    // A panic on the pipeline's thread: the pipeline goes on and the panic is reported.
    assert_eq!(load("panics/2", &with("process")), RC_OK);
    // SAFETY: as above.
    unsafe { Start(gs("panics/2")) };
    assert_eq!(process("panics/2", &group(0, 0)), RC_OK);
    // SAFETY: as above.
    unsafe { Stop(gs("panics/2"), 1) };
    // SAFETY: freed as the core frees it.
    let alarms = unsafe { take_alarms(GetGoAlarms()) };
    let panics: Vec<&String> = alarms
        .iter()
        .filter(|(t, ..)| t == host::PANIC_ALARM)
        .map(|(_, _, m, _, _)| m)
        .collect();
    for asked in ["in LoadPipeline", "in init", "in process"] {
        assert!(
            panics.iter().any(|m| m.contains(asked)),
            "no panic alarm {asked}: {alarms:?}"
        );
    }
}

#[test]
fn a_panic_in_an_export_itself_is_caught() {
    let _serial = serial();
    let _ = alarms::take();
    // What every export runs its body in.
    let rc = guard_for_tests("LoadPipeline", || -> GoInt { panic!("boom") });
    assert_eq!(rc, RC_PANIC);
    let a = alarms::take();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].alarm_type, host::PANIC_ALARM);
    assert!(
        a[0].message.contains("LoadPipeline panicked: boom"),
        "{a:?}"
    );
}

#[test]
fn container_getters_return_malloced_json_and_metrics_kinds_are_told_apart() {
    let _serial = serial();
    // SAFETY: malloc'd strings, freed by `take_str`.
    unsafe {
        assert_eq!(take_str(GetAllContainers()), "{}");
        assert_eq!(take_str(GetDiffContainers()), "");
    }
    assert!(GetContainerMeta(gs("abc")).is_null());
    assert_eq!(LoadGlobalConfig(gs("{}")), RC_OK);
    // SAFETY: as above.
    assert!(unsafe { take_metrics(GetGoMetrics(gs("cpp_provided"))) }.is_empty());
}

#[test]
fn the_cores_tags_read_as_ilogtail_reads_them() {
    let tags = |raw: &str| -> Vec<(String, String)> {
        host::parse_core_tags(raw.as_bytes())
            .into_iter()
            .map(|t| (t.key.to_string(), t.value.to_string()))
            .collect()
    };
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    assert_eq!(tags(""), vec![]);
    assert_eq!(
        tags("k1~=~v1^^^k2~=~v2"),
        vec![pair("k1", "v1"), pair("k2", "v2")]
    );
    // A value without a key gets one numbered by its place among the non-empty parts.
    assert_eq!(
        tags("^^^bare^^^k~=~v^^^~=~nokey^^^"),
        vec![
            pair("__tag__:__prefix__0", "bare"),
            pair("k", "v"),
            pair("__tag__:__prefix__2", "~=~nokey"),
        ]
    );
    // Only the first separator splits; the value keeps the rest.
    assert_eq!(tags("k~=~a~=~b"), vec![pair("k", "a~=~b")]);
    assert_eq!(
        host::parse_core_tags(b"k~=~\xff"),
        vec![pipeplug::protocol::LogTag::new("k", "\u{fffd}")]
    );
}

#[test]
fn a_v1_pipeline_fed_by_the_v3_3_5_calls_gets_topic_and_tags_as_contents() {
    let _serial = serial();
    let rec = Arc::new(Recorder::default());
    let h = host::host().unwrap();
    h.set_link(rec.clone());
    let v1 = P2.replace(r#""global": {}"#, r#""global": {"StructureType": "v1"}"#);
    assert_eq!(load("oldcore/2", &v1), RC_OK);
    // SAFETY: borrowed strings.
    unsafe { Start(gs("oldcore/2")) };
    let mut log = pipeplug::protocol::Log {
        time: 1_700_000_000,
        ..Default::default()
    };
    log.push("i", "0");
    let group = pipeplug::protocol::LogGroup {
        logs: vec![log.clone()],
        topic: "group-topic".into(),
        log_tags: vec![pipeplug::protocol::LogTag::new("host", "h1")],
        ..Default::default()
    };
    let group_pb = crate::proto::encode_log_group(&group);
    let message = crate::proto::to_log_group_message(&group);
    let log_pb = prost::Message::encode_to_vec(&message.logs[0]);
    // SAFETY: borrowed strings and slices.
    unsafe {
        assert_eq!(
            ProcessLogGroup(gs("oldcore/2"), GoSlice::borrowed(&group_pb), gs("p")),
            RC_OK
        );
        assert_eq!(
            ProcessLog(
                gs("oldcore/2"),
                GoSlice::borrowed(&log_pb),
                gs("p"),
                gs("log-topic"),
                GoSlice::borrowed(b"path~=~/var/log/a^^^bare")
            ),
            RC_OK
        );
        assert_eq!(
            ProcessLog(
                gs("nobody/2"),
                GoSlice::borrowed(&log_pb),
                gs("p"),
                gs(""),
                GoSlice::borrowed(b"")
            ),
            RC_UNKNOWN_CONFIG
        );
        assert_eq!(
            ProcessLog(
                gs("oldcore/2"),
                GoSlice::borrowed(&[0xff]),
                gs("p"),
                gs(""),
                GoSlice::borrowed(b"")
            ),
            RC_BAD_GROUP
        );
        Stop(gs("oldcore/2"), 1);
    }
    let mut logs: Vec<Vec<(String, String)>> = Vec::new();
    for (_, _, pb, _) in rec.sent.lock().unwrap().iter() {
        for l in crate::proto::decode_log_group(pb).unwrap().logs {
            logs.push(
                l.contents
                    .iter()
                    .map(|c| (c.key.to_string(), c.value.to_string()))
                    .filter(|(k, _)| k != "via")
                    .collect(),
            );
        }
    }
    logs.sort();
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    assert_eq!(
        logs,
        vec![
            pairs(&[
                ("i", "0"),
                ("__log_topic__", "group-topic"),
                ("__tag__:host", "h1"),
            ]),
            pairs(&[
                ("i", "0"),
                ("__log_topic__", "log-topic"),
                ("__tag__:path", "/var/log/a"),
                ("__tag__:__prefix__1", "bare"),
            ]),
        ]
    );
}
