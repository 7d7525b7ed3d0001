//! Forward mode with a stand-in Go library written here (its exports as `extern "C"`
//! functions that record each call).

use crate::ffi::*;
use crate::forward::*;
use crate::host::metrics::read::{take_alarms, take_metrics, take_str};
use crate::host::metrics::{malloc_cstr, to_c_alarms, to_c_metrics};
use crate::host::metrics::{InnerGoAlarms, InnerPluginMetrics};
use crate::host::{self, alarms, tests::serial};
use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::sync::Mutex;

static CALLS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn record(call: String) {
    CALLS.lock().unwrap().push(call);
}

/// # Safety
/// A valid `GoString`.
unsafe fn text(s: GoString) -> String {
    // SAFETY: the caller's guarantee.
    unsafe { s.to_str("x") }.unwrap().to_owned()
}

unsafe extern "C" fn go_init(c: GoString) -> GoInt {
    // SAFETY: valid for the call.
    record(format!("InitPluginBaseV2 {}", unsafe { text(c) }));
    0
}
unsafe extern "C" fn go_global(_c: GoString) -> GoInt {
    record("LoadGlobalConfig".into());
    0
}
unsafe extern "C" fn go_load(
    p: GoString,
    l: GoString,
    c: GoString,
    k: GoInt64,
    j: GoString,
) -> GoInt {
    // SAFETY: valid for the call.
    let (p, l, c, j) = unsafe { (text(p), text(l), text(c), text(j)) };
    record(format!("LoadPipeline {p} {l} {c} {k} {j}"));
    0
}
unsafe extern "C" fn go_unload(c: GoString) -> GoInt {
    // SAFETY: valid for the call.
    record(format!("UnloadPipeline {}", unsafe { text(c) }));
    0
}
unsafe extern "C" fn go_start(c: GoString) {
    // SAFETY: valid for the call.
    record(format!("Start {}", unsafe { text(c) }));
}
unsafe extern "C" fn go_stop(c: GoString, removed: GoInt) {
    // SAFETY: valid for the call.
    record(format!("Stop {} {removed}", unsafe { text(c) }));
}
unsafe extern "C" fn go_stop_all(w: GoInt) {
    record(format!("StopAllPipelines {w}"));
}
unsafe extern "C" fn go_stop_builtin() {
    record("StopBuiltInModules".into());
}
unsafe extern "C" fn go_process(c: GoString, g: GoSlice, pack: GoString) -> GoInt {
    // SAFETY: valid for the call.
    let (c, bytes, pack) = unsafe { (text(c), g.as_bytes("g").unwrap().to_vec(), text(pack)) };
    record(format!(
        "ProcessPipelineEventGroup {c} {} {pack}",
        bytes.len()
    ));
    0
}
unsafe extern "C" fn go_all() -> *mut c_char {
    malloc_cstr(r#"{"go-container":{}}"#)
}
unsafe extern "C" fn go_diff() -> *mut c_char {
    malloc_cstr("go-diff")
}
unsafe extern "C" fn go_meta(_id: GoString) -> *mut c_void {
    std::ptr::null_mut()
}
unsafe extern "C" fn go_metrics(kind: GoString) -> *mut InnerPluginMetrics {
    // SAFETY: valid for the call.
    let kind = unsafe { text(kind) };
    to_c_metrics(&[vec![("label.from".into(), format!("go-{kind}"))]])
}
unsafe extern "C" fn go_alarms() -> *mut InnerGoAlarms {
    to_c_alarms(&[alarms::Alarm {
        alarm_type: "GO_ALARM".into(),
        level: alarms::Level::Warning,
        message: "from go".into(),
        project: String::new(),
        logstore: String::new(),
        config: "gofwd/1".into(),
        count: 1,
    }])
}

fn stand_in() -> GoLibrary {
    GoLibrary {
        init_plugin_base_v2: go_init,
        load_global_config: go_global,
        load_pipeline: go_load,
        unload_pipeline: go_unload,
        start: go_start,
        stop: go_stop,
        stop_all_pipelines: go_stop_all,
        stop_built_in_modules: go_stop_builtin,
        process_pipeline_event_group: Some(go_process),
        process_log_group: None,
        process_log: None,
        get_all_containers: go_all,
        get_diff_containers: go_diff,
        get_container_meta: go_meta,
        get_go_metrics: go_metrics,
        get_go_alarms: go_alarms,
    }
}

/// Stops forwarding when the test ends, passed or not.
struct Forwarding;
impl Drop for Forwarding {
    fn drop(&mut self) {
        set_go(None);
    }
}

fn gs(s: &str) -> GoString {
    GoString::borrowed(s)
}

const GO_PIPELINE: &str = r#"{"inputs":[{"type":"input_docker_stdout/1","detail":{}}],"flushers":[{"type":"flusher_sls/2","detail":{}}]}"#;
const RS_PIPELINE: &str = r#"{"processors":[{"type":"processor_add_fields/1","detail":{"Fields":{"a":"b"}}}],"flushers":[{"type":"flusher_sls/2","detail":{}}]}"#;

#[test]
fn ownership_follows_the_plugin_types() {
    let reg = pipeplug::registry::global().unwrap();
    assert!(pipeplug_owns(RS_PIPELINE, &reg));
    assert!(!pipeplug_owns(GO_PIPELINE, &reg));
    assert!(pipeplug_owns(
        r#"{"Processors":[{"Type":"processor_rename#100"}],"flushers":[{"type":"flusher_stdout"}]}"#,
        &reg
    ));
    assert!(pipeplug_owns("not json: pipeplug reports it", &reg));
}

#[test]
fn calls_for_go_pipelines_reach_the_go_library_unchanged_and_getters_are_merged() {
    let _serial = serial();
    let _forwarding = Forwarding;
    CALLS.lock().unwrap().clear();
    let _ = alarms::take();
    set_go(Some(stand_in()));
    let h = host::host().unwrap();
    h.set_link(Arc::new(crate::adapter::tests::Null));
    // SAFETY (every call below): borrowed strings and slices valid for the call.
    unsafe {
        assert_eq!(InitPluginBaseV2(gs("{}")), RC_OK);
        assert_eq!(
            LoadPipeline(gs("p"), gs("l"), gs("gofwd/1"), 7, gs(GO_PIPELINE)),
            RC_OK
        );
        assert_eq!(
            LoadPipeline(gs("p"), gs("l"), gs("rsfwd/2"), 8, gs(RS_PIPELINE)),
            RC_OK
        );
        Start(gs("gofwd/1"));
        Start(gs("rsfwd/2"));
    }
    assert_eq!(h.running(), vec!["rsfwd/2"], "only pipeplug's runs here");
    let group = crate::proto::encode_event_group(&pipeplug::models::PipelineGroupEvents::default());
    // SAFETY: as above.
    unsafe {
        let g = GoSlice::borrowed(&group);
        assert_eq!(ProcessPipelineEventGroup(gs("gofwd/1"), g, gs("pk")), RC_OK);
        assert_eq!(ProcessPipelineEventGroup(gs("rsfwd/2"), g, gs("pk")), RC_OK);
        // A v3.3.5 call for Go's pipeline, which this Go library does not export: -1 and an
        // alarm, nothing taken by pipeplug.
        let v1 = crate::proto::encode_log_group(&pipeplug::protocol::LogGroup::default());
        assert_eq!(
            ProcessLogGroup(gs("gofwd/1"), GoSlice::borrowed(&v1), gs("pk")),
            RC_UNKNOWN_CONFIG
        );
    }
    // Getters: Go's answers, merged with pipeplug's.
    // SAFETY: freed as the core frees them.
    let (metrics, alarms_back, all, diff) = unsafe {
        (
            take_metrics(GetGoMetrics(gs("direct"))),
            take_alarms(GetGoAlarms()),
            take_str(GetAllContainers()),
            take_str(GetDiffContainers()),
        )
    };
    assert_eq!(
        metrics[0],
        vec![("label.from".to_owned(), "go-direct".to_owned())]
    );
    assert!(
        metrics[1..]
            .iter()
            .any(|r| r.contains(&("label.pipeline_name".into(), "rsfwd/2".into()))),
        "{metrics:?}"
    );
    assert_eq!(alarms_back[0].0, "GO_ALARM");
    assert!(
        alarms_back
            .iter()
            .any(|a| a.3 == "gofwd/1" && a.2.contains("has no `ProcessLogGroup`")),
        "{alarms_back:?}"
    );
    assert_eq!(all, r#"{"go-container":{}}"#);
    assert_eq!(diff, "go-diff");
    // A config update moves `gofwd/1` to pipeplug: the old one stops in Go, the new runs here.
    // SAFETY: as above.
    unsafe {
        assert_eq!(
            LoadPipeline(gs("p"), gs("l"), gs("gofwd/1"), 7, gs(RS_PIPELINE)),
            RC_OK
        );
        Stop(gs("gofwd/1"), 0);
        Start(gs("gofwd/1"));
    }
    assert_eq!(h.running(), vec!["gofwd/1", "rsfwd/2"]);
    StopAllPipelines(1);
    StopAllPipelines(0);
    StopBuiltInModules();
    assert!(h.running().is_empty());
    let calls = CALLS.lock().unwrap().clone();
    assert_eq!(
        calls,
        vec![
            "InitPluginBaseV2 {}".to_owned(),
            format!("LoadPipeline p l gofwd/1 7 {GO_PIPELINE}"),
            "Start gofwd/1".to_owned(),
            format!("ProcessPipelineEventGroup gofwd/1 {} pk", group.len()),
            "Stop gofwd/1 0".to_owned(),
            "StopAllPipelines 1".to_owned(),
            "StopAllPipelines 0".to_owned(),
            "StopBuiltInModules".to_owned(),
        ]
    );
}

#[test]
fn a_go_library_that_cannot_be_opened_is_an_error_naming_it() {
    let e = GoLibrary::open("/nonexistent/libGoPluginBase.go.so").unwrap_err();
    assert!(
        e.to_string()
            .contains("cannot open `/nonexistent/libGoPluginBase.go.so`"),
        "{e}"
    );
    // A library without the functions: this test binary's libc.
    let e = GoLibrary::open("libc.so.6").unwrap_err();
    assert!(
        e.to_string().contains("has no function `InitPluginBaseV2`"),
        "{e}"
    );
}
