//! The C ABI LoongCollector's core calls (its main branch, and release v3.3.5, whose core
//! feeds data through [`ProcessLogGroup`] and [`ProcessLog`] instead of
//! [`ProcessPipelineEventGroup`]): the Go types cgo exports, and every function either core
//! looks up in the plugin library.
//!
//! Every function here is thread-safe and never unwinds into C: its body runs under
//! [`std::panic::catch_unwind`]; a panic is reported through the alarms
//! ([`PANIC_ALARM`](crate::host::PANIC_ALARM), read with [`GetGoAlarms`]) and the function
//! returns its error code ([`RC_PANIC`] for those returning a `GoInt`, NULL or an empty
//! answer for the getters, nothing for `void` ones).
//!
//! Memory: arguments are borrowed for the call only. What a getter returns is allocated
//! with `malloc`, as the core frees it with `free`.
#![allow(non_snake_case)]

use crate::forward::{self, Owner};
use crate::host::{self, Host};
use std::ffi::{c_char, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

pub use crate::go::{ArgError, GoInt, GoInt64, GoSlice, GoString};

/// Success.
pub const RC_OK: GoInt = 0;
/// `LoadPipeline`: the config could not be read or built (the reasons are in the alarms and
/// the log); `UnloadPipeline`/`InitPluginBaseV2`: an argument could not be read.
pub const RC_ERROR: GoInt = 1;
/// `ProcessPipelineEventGroup`: no running pipeline of that name (the Go library's answer).
pub const RC_UNKNOWN_CONFIG: GoInt = -1;
/// `ProcessPipelineEventGroup`: the group is not a `PipelineEventGroup` (or an argument
/// could not be read).
pub const RC_BAD_GROUP: GoInt = -2;
/// Any function returning a `GoInt`: a panic was caught (reported in the alarms).
pub const RC_PANIC: GoInt = -3;

/// Runs `f` for the exported function `call`; a panic becomes an alarm and `on_panic`.
fn guard<R>(call: &'static str, on_panic: R, f: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let message = host::panic_message(payload.as_ref());
            // Reporting must not panic again: it only takes locks that recover from poison.
            let _ = catch_unwind(AssertUnwindSafe(|| host::report_panic(call, &message)));
            on_panic
        }
    }
}

/// Runs `f` with the host (created on first use); if the host cannot be created (a broken
/// plugin registry), that is an alarm and `on_error`.
fn with_host<R>(call: &'static str, on_error: R, f: impl FnOnce(&Host) -> R) -> R {
    match host::host() {
        Ok(h) => f(h),
        Err(e) => {
            host::report_error(call, "", &e.to_string());
            on_error
        }
    }
}

/// Logs and reports (as an alarm) an argument that cannot be read.
fn bad_arg(call: &'static str, config: &str, e: &ArgError) {
    host::report_error(call, config, &e.to_string());
}

/// Initialises the library with the core's settings (JSON: directories, `HostIP`,
/// `Hostname`, ...): logging, and where checkpoints are kept. Returns 0, or
/// [`RC_ERROR`] when `config` is not UTF-8 JSON.
///
/// # Safety
/// `config` is a valid `GoString` for the call.
#[no_mangle]
pub unsafe extern "C" fn InitPluginBaseV2(config: GoString) -> GoInt {
    guard("InitPluginBaseV2", RC_PANIC, || {
        // SAFETY: the caller's guarantee.
        let text = match unsafe { config.to_str("config") } {
            Ok(t) => t,
            Err(e) => {
                bad_arg("InitPluginBaseV2", "", &e);
                return RC_ERROR;
            }
        };
        forward::init_from_env();
        // SAFETY: the Go library's own export, given the core's argument unchanged.
        let go_rc = forward::go().map_or(RC_OK, |go| unsafe { (go.init_plugin_base_v2)(config) });
        let rc = with_host("InitPluginBaseV2", RC_ERROR, |h| match h.init(text) {
            Ok(()) => RC_OK,
            Err(e) => {
                host::report_error("InitPluginBaseV2", "", &e.to_string());
                RC_ERROR
            }
        });
        if go_rc == RC_OK {
            rc
        } else {
            go_rc
        }
    })
}

/// Initialises the library without settings (the core's fallback when
/// `InitPluginBaseV2` is missing): as [`InitPluginBaseV2`] with `{}`.
#[no_mangle]
pub extern "C" fn InitPluginBase() -> GoInt {
    guard("InitPluginBase", RC_PANIC, || {
        with_host("InitPluginBase", RC_ERROR, |h| match h.init("{}") {
            Ok(()) => RC_OK,
            Err(e) => {
                host::report_error("InitPluginBase", "", &e.to_string());
                RC_ERROR
            }
        })
    })
}

/// Looked up by the core, never called: accepts anything and returns 0.
#[no_mangle]
pub extern "C" fn LoadGlobalConfig(config: GoString) -> GoInt {
    guard("LoadGlobalConfig", RC_PANIC, || {
        // SAFETY: forwarded unchanged to the Go library's export of the same name.
        forward::go().map_or(RC_OK, |go| unsafe { (go.load_global_config)(config) })
    })
}

/// Builds the pipeline `config_name` from `pipeline_json` (the internal form:
/// `{"global":{..},"processors":[{"type":"processor_x/1","detail":{..}}],..}`) and stages
/// it beside the running one of that name, if any; `Start` runs it. An empty
/// `pipeline_json` drops what is staged under that name. `project`, `logstore` and
/// `logstore_key` are where `flusher_sls` sends (the key is what `LogtailIsValidToSend`
/// is asked about). Returns 0, or [`RC_ERROR`] with every problem in the alarms.
///
/// # Safety
/// The `GoString`s are valid for the call.
#[no_mangle]
pub unsafe extern "C" fn LoadPipeline(
    project: GoString,
    logstore: GoString,
    config_name: GoString,
    logstore_key: GoInt64,
    pipeline_json: GoString,
) -> GoInt {
    guard("LoadPipeline", RC_PANIC, || {
        let raw = (project, logstore, config_name, pipeline_json);
        // SAFETY: the caller's guarantee.
        let args = unsafe {
            (|| {
                Ok::<_, ArgError>((
                    project.to_str("project")?,
                    logstore.to_str("logstore")?,
                    config_name.to_str("config_name")?,
                    pipeline_json.to_str("pipeline_json")?,
                ))
            })()
        };
        let (project, logstore, name, json) = match args {
            Ok(a) => a,
            Err(e) => {
                bad_arg("LoadPipeline", "", &e);
                return RC_ERROR;
            }
        };
        with_host("LoadPipeline", RC_ERROR, |h| {
            if let Some(go) = forward::go() {
                let to_go = if json.trim().is_empty() {
                    forward::staged(name) == Owner::Go || forward::running(name) == Owner::Go
                } else {
                    !forward::pipeplug_owns(json, h.registry())
                };
                if to_go {
                    h.unload(name);
                    forward::set_staged(name, (!json.trim().is_empty()).then_some(Owner::Go));
                    // SAFETY: the core's arguments, unchanged, to the Go library's export.
                    return unsafe { (go.load_pipeline)(raw.0, raw.1, raw.2, logstore_key, raw.3) };
                }
                forward::set_staged(name, Some(Owner::Pipeplug));
            }
            let ident = host::Ident {
                project: project.to_owned(),
                logstore: logstore.to_owned(),
                logstore_key,
            };
            match h.load(name, ident, json) {
                Ok(()) => RC_OK,
                Err(e) => {
                    host::report_error("LoadPipeline", name, &e.to_string());
                    RC_ERROR
                }
            }
        })
    })
}

/// Drops the pipeline staged under `config_name` (the core's answer to a failed load of
/// its sibling). Returns 0 (also when nothing was staged).
///
/// # Safety
/// `config_name` is valid for the call.
#[no_mangle]
pub unsafe extern "C" fn UnloadPipeline(config_name: GoString) -> GoInt {
    guard("UnloadPipeline", RC_PANIC, || {
        // SAFETY: the caller's guarantee.
        match unsafe { config_name.to_str("config_name") } {
            Ok(name) => {
                if let Some(go) = forward::go() {
                    if forward::staged(name) == Owner::Go {
                        forward::set_staged(name, None);
                        // SAFETY: forwarded unchanged.
                        return unsafe { (go.unload_pipeline)(config_name) };
                    }
                }
                with_host("UnloadPipeline", RC_ERROR, |h| {
                    h.unload(name);
                    RC_OK
                })
            }
            Err(e) => {
                bad_arg("UnloadPipeline", "", &e);
                RC_ERROR
            }
        }
    })
}

/// Starts the pipeline staged under `config_name` (a pipeline still running under that
/// name is stopped first). A plugin whose `init` fails or panics is reported in the alarms
/// and the pipeline does not run.
///
/// # Safety
/// `config_name` is valid for the call.
#[no_mangle]
pub unsafe extern "C" fn Start(config_name: GoString) {
    guard("Start", (), || {
        // SAFETY: the caller's guarantee.
        match unsafe { config_name.to_str("config_name") } {
            Ok(name) => {
                if let Some(go) = forward::go() {
                    if forward::started(name) == Owner::Go {
                        // SAFETY: forwarded unchanged.
                        unsafe { (go.start)(config_name) };
                        return;
                    }
                }
                with_host("Start", (), |h| {
                    if let Err(e) = h.start(name) {
                        host::report_error("Start", name, &e.to_string());
                    }
                });
            }
            Err(e) => bad_arg("Start", "", &e),
        }
    });
}

/// Stops the pipeline running under `config_name`, in the engine's order (inputs, drain,
/// flush), and forgets it; returns when it has stopped. `removed` (the config is deleted,
/// not updated) changes nothing here.
///
/// # Safety
/// `config_name` is valid for the call.
#[no_mangle]
pub unsafe extern "C" fn Stop(config_name: GoString, removed: GoInt) {
    guard("Stop", (), || {
        // SAFETY: the caller's guarantee.
        match unsafe { config_name.to_str("config_name") } {
            Ok(name) => {
                if let Some(go) = forward::go() {
                    if forward::stopped(name) == Owner::Go {
                        // SAFETY: forwarded unchanged.
                        unsafe { (go.stop)(config_name, removed) };
                        return;
                    }
                }
                with_host("Stop", (), |h| h.stop(name, removed != 0));
            }
            Err(e) => bad_arg("Stop", "", &e),
        }
    });
}

/// Stops every running pipeline that has inputs (`with_input` 1) or every one that has
/// none (0: the pipelines fed by the core).
#[no_mangle]
pub extern "C" fn StopAllPipelines(with_input: GoInt) {
    guard("StopAllPipelines", (), || {
        if let Some(go) = forward::go() {
            // SAFETY: forwarded unchanged.
            unsafe { (go.stop_all_pipelines)(with_input) };
        }
        with_host("StopAllPipelines", (), |h| h.stop_all(with_input != 0));
    });
}

/// Stops what is not a pipeline (here: nothing runs outside pipelines; staged pipelines
/// are dropped and `flusher_sls` stops retrying sends).
#[no_mangle]
pub extern "C" fn StopBuiltInModules() {
    guard("StopBuiltInModules", (), || {
        if let Some(go) = forward::go() {
            // SAFETY: forwarded unchanged.
            unsafe { (go.stop_built_in_modules)() };
        }
        with_host("StopBuiltInModules", (), Host::stop_builtin);
    });
}

/// What the exports that feed a running pipeline share: the config name is read; a
/// pipeline the Go library runs (forward mode) gets the call unchanged through `go` (`None`
/// when the Go library lacks that function: an alarm and [`RC_UNKNOWN_CONFIG`]); any other
/// goes to `ours`, whose outer error is an argument that could not be read.
///
/// # Safety
/// `config_name` is valid for the call.
unsafe fn feed(
    call: &'static str,
    config_name: GoString,
    go: impl FnOnce(&forward::GoLibrary) -> Option<GoInt>,
    ours: impl FnOnce(&Host, &str) -> Result<Result<(), host::ProcessError>, ArgError>,
) -> GoInt {
    guard(call, RC_PANIC, || {
        // SAFETY: the caller's guarantee.
        let name = match unsafe { config_name.to_str("config_name") } {
            Ok(n) => n,
            Err(e) => {
                bad_arg(call, "", &e);
                return RC_BAD_GROUP;
            }
        };
        if let Some(lib) = forward::go() {
            if forward::running(name) == Owner::Go {
                return go(&lib).unwrap_or_else(|| {
                    host::report_error(
                        call,
                        name,
                        &format!(
                            "the Go library runs this pipeline but has no `{call}` (a Go library of another LoongCollector version than the core?)"
                        ),
                    );
                    RC_UNKNOWN_CONFIG
                });
            }
        }
        with_host(call, RC_UNKNOWN_CONFIG, |h| match ours(h, name) {
            Ok(Ok(())) => RC_OK,
            Ok(Err(host::ProcessError::UnknownConfig)) => RC_UNKNOWN_CONFIG,
            Ok(Err(e @ host::ProcessError::Decode(_))) => {
                host::report_error(call, name, &e.to_string());
                RC_BAD_GROUP
            }
            Err(e) => {
                bad_arg(call, name, &e);
                RC_BAD_GROUP
            }
        })
    })
}

/// Puts one serialized `logtail.models.PipelineEventGroup` into the input queue of the
/// pipeline running under `config_name` (`<name>/2`), blocking while the queue is full.
/// Returns 0, [`RC_UNKNOWN_CONFIG`] when no such pipeline runs, [`RC_BAD_GROUP`] when the
/// bytes are not a group (the reason in the alarms).
///
/// # Safety
/// `config_name` and `pack_id` are valid for the call; `group` points to `group.len`
/// readable bytes for the call.
#[no_mangle]
pub unsafe extern "C" fn ProcessPipelineEventGroup(
    config_name: GoString,
    group: GoSlice,
    pack_id: GoString,
) -> GoInt {
    // SAFETY: the caller's guarantees, passed on.
    unsafe {
        feed(
            "ProcessPipelineEventGroup",
            config_name,
            |go| {
                go.process_pipeline_event_group
                    .map(|f| f(config_name, group, pack_id))
            },
            |h, name| {
                let bytes = group.as_bytes("group")?;
                let pack_id = pack_id.to_str("pack_id")?;
                Ok(h.process(name, bytes, pack_id))
            },
        )
    }
}

/// LoongCollector v3.3.5's way in: one serialized `sls_logs.LogGroup` into the input queue
/// of the pipeline running under `config_name`, as [`ProcessPipelineEventGroup`] does
/// (see [`Host::process_log_group`]), with the same answers.
///
/// # Safety
/// As [`ProcessPipelineEventGroup`]; `log_group` points to `log_group.len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn ProcessLogGroup(
    config_name: GoString,
    log_group: GoSlice,
    pack_id: GoString,
) -> GoInt {
    // SAFETY: the caller's guarantees, passed on.
    unsafe {
        feed(
            "ProcessLogGroup",
            config_name,
            |go| {
                go.process_log_group
                    .map(|f| f(config_name, log_group, pack_id))
            },
            |h, name| {
                let bytes = log_group.as_bytes("log_group")?;
                let pack_id = pack_id.to_str_lossy("pack_id")?;
                Ok(h.process_log_group(name, bytes, &pack_id))
            },
        )
    }
}

/// LoongCollector v3.3.5's way in for one log: a serialized `sls_logs.Log`, with the core's
/// topic and tags (`k1~=~v1^^^k2~=~v2`), into the input queue of the pipeline running under
/// `config_name` (see [`Host::process_log`]), with the answers of
/// [`ProcessPipelineEventGroup`].
///
/// # Safety
/// `config_name`, `pack_id` and `topic` are valid for the call; `log` and `tags` point to
/// their `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn ProcessLog(
    config_name: GoString,
    log: GoSlice,
    pack_id: GoString,
    topic: GoString,
    tags: GoSlice,
) -> GoInt {
    // SAFETY: the caller's guarantees, passed on.
    unsafe {
        feed(
            "ProcessLog",
            config_name,
            |go| {
                go.process_log
                    .map(|f| f(config_name, log, pack_id, topic, tags))
            },
            |h, name| {
                let bytes = log.as_bytes("log")?;
                // Any bytes, as Go takes them.
                let pack_id = pack_id.to_str_lossy("pack_id")?;
                let topic = topic.to_str_lossy("topic")?;
                let tags = tags.as_bytes("tags")?;
                Ok(h.process_log(name, bytes, &pack_id, &topic, tags))
            },
        )
    }
}

/// Every container known, as JSON, allocated with `malloc` (never NULL): `{}` — pipeplug
/// does no container discovery (forward mode would ask the Go library).
#[no_mangle]
pub extern "C" fn GetAllContainers() -> *mut c_char {
    guard("GetAllContainers", std::ptr::null_mut(), || {
        match forward::go() {
            // SAFETY: the Go library's getter; its malloc'd answer goes to the core as is.
            Some(go) => unsafe { (go.get_all_containers)() },
            None => host::metrics::malloc_cstr("{}"),
        }
    })
}

/// The containers changed since the last call, as JSON, allocated with `malloc` (never
/// NULL): empty — see [`GetAllContainers`].
#[no_mangle]
pub extern "C" fn GetDiffContainers() -> *mut c_char {
    guard("GetDiffContainers", std::ptr::null_mut(), || {
        match forward::go() {
            // SAFETY: as in `GetAllContainers`.
            Some(go) => unsafe { (go.get_diff_containers)() },
            None => host::metrics::malloc_cstr(""),
        }
    })
}

/// One container's metadata: always NULL (no container discovery; the core no longer
/// calls it).
#[no_mangle]
pub extern "C" fn GetContainerMeta(container_id: GoString) -> *mut c_void {
    guard(
        "GetContainerMeta",
        std::ptr::null_mut(),
        || match forward::go() {
            // SAFETY: forwarded unchanged; the answer goes to the core as is.
            Some(go) => unsafe { (go.get_container_meta)(container_id) },
            None => std::ptr::null_mut(),
        },
    )
}

/// The library's metrics for the core: `kind` `"direct"` gives one record per running
/// pipeline (see [`crate::host::metrics`]), `"cpp_provided"` none. A tree allocated with
/// `malloc` that the core frees with `free`; NULL only when the allocation fails.
///
/// # Safety
/// `kind` is valid for the call.
#[no_mangle]
pub unsafe extern "C" fn GetGoMetrics(kind: GoString) -> *mut host::metrics::InnerPluginMetrics {
    let kind_raw = kind;
    guard("GetGoMetrics", std::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee.
        let kind = match unsafe { kind.to_str("kind") } {
            Ok(k) => k,
            Err(e) => {
                bad_arg("GetGoMetrics", "", &e);
                ""
            }
        };
        let records = match host::host() {
            Ok(h) if kind == "direct" => h.metric_records(),
            _ => Vec::new(),
        };
        let ours = host::metrics::to_c_metrics(&records);
        match forward::go() {
            // SAFETY: both trees are the core's to free; merged into one.
            Some(go) => unsafe { forward::merge_metrics((go.get_go_metrics)(kind_raw), ours) },
            None => ours,
        }
    })
}

/// The alarms raised since the last call (then forgotten), allocated with `malloc`; the
/// core frees them with `free`. NULL only when the allocation fails.
#[no_mangle]
pub extern "C" fn GetGoAlarms() -> *mut host::metrics::InnerGoAlarms {
    guard("GetGoAlarms", std::ptr::null_mut(), || {
        let ours = host::metrics::to_c_alarms(&host::alarms::take());
        match forward::go() {
            // SAFETY: both lists are the core's to free; merged into one.
            Some(go) => unsafe { forward::merge_alarms((go.get_go_alarms)(), ours) },
            None => ours,
        }
    })
}

/// [`guard`] as the exports use it, for the crate's tests.
#[cfg(test)]
pub(crate) fn guard_for_tests(call: &'static str, f: impl FnOnce() -> GoInt) -> GoInt {
    guard(call, RC_PANIC, f)
}
