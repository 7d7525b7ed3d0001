//! Forward mode: the library stands in for LoongCollector's Go plugin library and passes
//! everything it does not run itself to the real one.
//!
//! When the environment variable [`GO_LIBRARY_ENV`] names a file (the Go library, renamed,
//! e.g. `libGoPluginBase.go.so`), `InitPluginBaseV2` opens it ([`GoLibrary::open`]) and
//! from then on:
//!
//! - `LoadPipeline` gives a pipeline to pipeplug when every plugin type in its config is
//!   registered here ([`pipeplug_owns`]), else passes the call, unchanged, to the Go
//!   library. The owner is remembered per config name, for the staged and for the running
//!   pipeline apart (a config update may move a name from one to the other);
//! - `UnloadPipeline`, `Start`, `Stop`, `ProcessPipelineEventGroup` (and v3.3.5's
//!   `ProcessLogGroup` and `ProcessLog`) go to the owner of the pipeline they name (staged
//!   for the first two, running for the others);
//! - `InitPluginBaseV2`, `LoadGlobalConfig`, `StopAllPipelines` and `StopBuiltInModules` go
//!   to both;
//! - the container getters are the Go library's (pipeplug has no container discovery);
//!   `GetGoMetrics` and `GetGoAlarms` return the Go library's records followed by
//!   pipeplug's, in one list.
//!
//! Without the variable (or when the file cannot be opened: an alarm says why) the library
//! serves pipeplug's pipelines alone.

use crate::go::{GoInt, GoInt64, GoSlice, GoString};
use crate::host::metrics::{InnerGoAlarms, InnerPluginMetrics};
use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::sync::{Mutex, PoisonError, RwLock};

/// The environment variable naming the Go library to forward to.
pub const GO_LIBRARY_ENV: &str = "PIPEPLUG_GO_LIBRARY";

/// `GoInt f(GoString)`: `InitPluginBaseV2`, `LoadGlobalConfig`, `UnloadPipeline`.
pub type StrArgFn = unsafe extern "C" fn(GoString) -> GoInt;
/// `LoadPipeline`.
pub type LoadPipelineFn =
    unsafe extern "C" fn(GoString, GoString, GoString, GoInt64, GoString) -> GoInt;
/// `Start`.
pub type StartFn = unsafe extern "C" fn(GoString);
/// `Stop`.
pub type StopFn = unsafe extern "C" fn(GoString, GoInt);
/// `StopAllPipelines`.
pub type StopAllFn = unsafe extern "C" fn(GoInt);
/// `StopBuiltInModules`.
pub type VoidFn = unsafe extern "C" fn();
/// `ProcessPipelineEventGroup`, and v3.3.5's `ProcessLogGroup`.
pub type ProcessFn = unsafe extern "C" fn(GoString, GoSlice, GoString) -> GoInt;
/// v3.3.5's `ProcessLog`.
pub type ProcessLogFn =
    unsafe extern "C" fn(GoString, GoSlice, GoString, GoString, GoSlice) -> GoInt;
/// `GetAllContainers`, `GetDiffContainers`.
pub type ContainersFn = unsafe extern "C" fn() -> *mut c_char;
/// `GetContainerMeta`.
pub type ContainerMetaFn = unsafe extern "C" fn(GoString) -> *mut c_void;
/// `GetGoMetrics`.
pub type MetricsFn = unsafe extern "C" fn(GoString) -> *mut InnerPluginMetrics;
/// `GetGoAlarms`.
pub type AlarmsFn = unsafe extern "C" fn() -> *mut InnerGoAlarms;

/// The Go library's exported functions. The ones that feed the core's data in differ
/// between LoongCollector versions (main: `ProcessPipelineEventGroup`; v3.3.5:
/// `ProcessLogGroup` and `ProcessLog`), so each is there only if the library has it.
#[derive(Debug, Clone, Copy)]
#[allow(missing_docs)] // Each field is the export of the same name (see `crate::ffi`).
pub struct GoLibrary {
    pub init_plugin_base_v2: StrArgFn,
    pub load_global_config: StrArgFn,
    pub load_pipeline: LoadPipelineFn,
    pub unload_pipeline: StrArgFn,
    pub start: StartFn,
    pub stop: StopFn,
    pub stop_all_pipelines: StopAllFn,
    pub stop_built_in_modules: VoidFn,
    pub process_pipeline_event_group: Option<ProcessFn>,
    pub process_log_group: Option<ProcessFn>,
    pub process_log: Option<ProcessLogFn>,
    pub get_all_containers: ContainersFn,
    pub get_diff_containers: ContainersFn,
    pub get_container_meta: ContainerMetaFn,
    pub get_go_metrics: MetricsFn,
    pub get_go_alarms: AlarmsFn,
}

/// The Go library could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// `dlopen` failed.
    #[error("{GO_LIBRARY_ENV}: cannot open `{path}`: {reason}")]
    Open {
        /// The path.
        path: String,
        /// `dlerror()`.
        reason: String,
    },
    /// A function is missing.
    #[error("{GO_LIBRARY_ENV}: `{path}` has no function `{symbol}` (not LoongCollector's Go plugin library of the same version?)")]
    Missing {
        /// The path.
        path: String,
        /// The function.
        symbol: &'static str,
    },
}

impl GoLibrary {
    /// Opens the library at `path` (`RTLD_LAZY | RTLD_LOCAL`, as the core opens it) and
    /// looks up every function the core would. The handle is never closed.
    ///
    /// # Errors
    /// It cannot be opened, or lacks a function.
    pub fn open(path: &str) -> Result<Self, ForwardError> {
        let c_path = CString::new(path).map_err(|_| ForwardError::Open {
            path: path.to_owned(),
            reason: "the path holds a NUL byte".to_owned(),
        })?;
        // SAFETY: a NUL-terminated path. Loading runs the library's initialisers (the Go
        // runtime's), as the core's own dlopen would.
        let handle = unsafe { libc::dlopen(c_path.as_ptr(), libc::RTLD_LAZY | libc::RTLD_LOCAL) };
        if handle.is_null() {
            // SAFETY: dlerror returns NULL or a NUL-terminated message.
            let reason = unsafe {
                let e = libc::dlerror();
                if e.is_null() {
                    "unknown error".to_owned()
                } else {
                    CStr::from_ptr(e).to_string_lossy().into_owned()
                }
            };
            return Err(ForwardError::Open {
                path: path.to_owned(),
                reason,
            });
        }
        let sym = |symbol: &'static str| -> Result<*mut c_void, ForwardError> {
            let missing = || ForwardError::Missing {
                path: path.to_owned(),
                symbol,
            };
            let name = CString::new(symbol).map_err(|_| missing())?;
            // SAFETY: a live handle and a NUL-terminated name.
            let p = unsafe { libc::dlsym(handle, name.as_ptr()) };
            if p.is_null() {
                Err(missing())
            } else {
                Ok(p)
            }
        };
        macro_rules! f {
            ($name:literal, $t:ty) => {
                // SAFETY: the Go library exports this function with the C signature of the
                // field it goes into (the plugin-library ABI the core calls).
                unsafe { std::mem::transmute::<*mut c_void, $t>(sym($name)?) }
            };
        }
        // A function only some versions export.
        macro_rules! optional {
            ($name:literal, $t:ty) => {
                // SAFETY: as for `f!`, when the library has the function.
                sym($name)
                    .ok()
                    .map(|p| unsafe { std::mem::transmute::<*mut c_void, $t>(p) })
            };
        }
        Ok(Self {
            init_plugin_base_v2: f!("InitPluginBaseV2", StrArgFn),
            load_global_config: f!("LoadGlobalConfig", StrArgFn),
            load_pipeline: f!("LoadPipeline", LoadPipelineFn),
            unload_pipeline: f!("UnloadPipeline", StrArgFn),
            start: f!("Start", StartFn),
            stop: f!("Stop", StopFn),
            stop_all_pipelines: f!("StopAllPipelines", StopAllFn),
            stop_built_in_modules: f!("StopBuiltInModules", VoidFn),
            process_pipeline_event_group: optional!("ProcessPipelineEventGroup", ProcessFn),
            process_log_group: optional!("ProcessLogGroup", ProcessFn),
            process_log: optional!("ProcessLog", ProcessLogFn),
            get_all_containers: f!("GetAllContainers", ContainersFn),
            get_diff_containers: f!("GetDiffContainers", ContainersFn),
            get_container_meta: f!("GetContainerMeta", ContainerMetaFn),
            get_go_metrics: f!("GetGoMetrics", MetricsFn),
            get_go_alarms: f!("GetGoAlarms", AlarmsFn),
        })
    }
}

/// `InitPluginBaseV2`: opens the library [`GO_LIBRARY_ENV`] names, if any and not open yet;
/// a library that cannot be used is reported (alarm) and pipeplug serves alone.
pub fn init_from_env() {
    let Some(path) = std::env::var_os(GO_LIBRARY_ENV).filter(|p| !p.is_empty()) else {
        return;
    };
    if go().is_some() {
        return;
    }
    let path = path.to_string_lossy().into_owned();
    match GoLibrary::open(&path) {
        Ok(lib) => {
            tracing::info!("pipeplug: forward mode: other pipelines go to {path}");
            set_go(Some(lib));
        }
        Err(e) => crate::host::report_error("InitPluginBaseV2", "", &e.to_string()),
    }
}

/// Who runs a pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// pipeplug.
    Pipeplug,
    /// The Go library.
    Go,
}

#[derive(Debug, Default, Clone, Copy)]
struct Owners {
    staged: Option<Owner>,
    running: Option<Owner>,
}

static GO: RwLock<Option<GoLibrary>> = RwLock::new(None);
static OWNERS: Mutex<Option<HashMap<String, Owners>>> = Mutex::new(None);

/// The Go library, when forwarding.
#[must_use]
pub fn go() -> Option<GoLibrary> {
    *GO.read().unwrap_or_else(PoisonError::into_inner)
}

/// Forwards to `lib` from now on (`None`: stops forwarding). `InitPluginBaseV2` calls it
/// with what [`GO_LIBRARY_ENV`] names; an embedding program or a test may too.
pub fn set_go(lib: Option<GoLibrary>) {
    *GO.write().unwrap_or_else(PoisonError::into_inner) = lib;
}

fn with_owners<R>(f: impl FnOnce(&mut HashMap<String, Owners>) -> R) -> R {
    let mut g = OWNERS.lock().unwrap_or_else(PoisonError::into_inner);
    f(g.get_or_insert_with(HashMap::new))
}

/// Remembers who has the pipeline staged under `name`.
pub fn set_staged(name: &str, owner: Option<Owner>) {
    with_owners(|o| o.entry(name.to_owned()).or_default().staged = owner);
}

/// Who has the pipeline staged under `name` (pipeplug when nobody said).
#[must_use]
pub fn staged(name: &str) -> Owner {
    with_owners(|o| o.get(name).and_then(|x| x.staged)).unwrap_or(Owner::Pipeplug)
}

/// Who runs the pipeline under `name` (pipeplug when nobody said).
#[must_use]
pub fn running(name: &str) -> Owner {
    with_owners(|o| o.get(name).and_then(|x| x.running)).unwrap_or(Owner::Pipeplug)
}

/// `Start(name)`: the staged pipeline's owner now runs it; returns that owner.
pub fn started(name: &str) -> Owner {
    with_owners(|o| {
        let e = o.entry(name.to_owned()).or_default();
        let owner = e.staged.take().unwrap_or(Owner::Pipeplug);
        e.running = Some(owner);
        owner
    })
}

/// `Stop(name)`: nobody runs it any more; returns who did.
pub fn stopped(name: &str) -> Owner {
    with_owners(|o| {
        o.get_mut(name)
            .and_then(|e| e.running.take())
            .unwrap_or(Owner::Pipeplug)
    })
}

/// Whether every plugin type the pipeline `json` names is registered in pipeplug (types
/// are read as `name/id#priority`; the core's `aggregator_default` and `flusher_sls` are
/// registered here). A config that is not JSON is pipeplug's (its error is reported
/// there).
#[must_use]
pub fn pipeplug_owns(json: &str, registry: &pipeplug::registry::Registry) -> bool {
    let Ok(serde_json::Value::Object(top)) = serde_json::from_str::<serde_json::Value>(json) else {
        return true;
    };
    top.iter()
        .filter(|(k, _)| {
            [
                "inputs",
                "processors",
                "aggregators",
                "flushers",
                "extensions",
            ]
            .iter()
            .any(|s| k.eq_ignore_ascii_case(s))
        })
        .filter_map(|(_, v)| v.as_array())
        .flatten()
        .filter_map(serde_json::Value::as_object)
        .filter_map(|p| {
            p.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("type"))
                .and_then(|(_, t)| t.as_str())
        })
        .all(|t| {
            let name = t.split(['/', '#']).next().unwrap_or(t);
            !registry.kinds_of(name).is_empty()
        })
}

/// `{T **items; int count}`: the shape of both lists the getters return.
#[repr(C)]
struct List<T> {
    items: *mut *mut T,
    count: c_int,
}

/// Appends `tail`'s pointers to `head`'s (both lists allocated with `malloc`), freeing the
/// shells that are no longer needed; returns the merged list. A NULL list is left out.
///
/// # Safety
/// Each argument is NULL or a list as described, owned by the caller.
unsafe fn merge_lists<T>(head: *mut List<T>, tail: *mut List<T>) -> *mut List<T> {
    if head.is_null() {
        return tail;
    }
    if tail.is_null() {
        return head;
    }
    // SAFETY: both are valid lists (the caller's guarantee).
    unsafe {
        let h_n = usize::try_from((*head).count).unwrap_or(0);
        let t_n = usize::try_from((*tail).count).unwrap_or(0);
        let items = libc::malloc(((h_n + t_n) * size_of::<*mut T>()).max(1)).cast::<*mut T>();
        if items.is_null() {
            return head;
        }
        if h_n > 0 {
            std::ptr::copy_nonoverlapping((*head).items, items, h_n);
        }
        if t_n > 0 {
            std::ptr::copy_nonoverlapping((*tail).items, items.add(h_n), t_n);
        }
        libc::free((*head).items.cast());
        libc::free((*tail).items.cast());
        libc::free(tail.cast());
        (*head).items = items;
        (*head).count = c_int::try_from(h_n + t_n).unwrap_or(c_int::MAX);
        head
    }
}

/// The Go library's metric records followed by pipeplug's, in one list.
///
/// # Safety
/// Both are NULL or trees the getters return, owned by the caller.
#[must_use]
pub unsafe fn merge_metrics(
    go: *mut InnerPluginMetrics,
    ours: *mut InnerPluginMetrics,
) -> *mut InnerPluginMetrics {
    // SAFETY: `InnerPluginMetrics` is `#[repr(C)] {InnerPluginMetric **; int}`: a `List`.
    unsafe { merge_lists::<c_void>(go.cast(), ours.cast()).cast() }
}

/// The Go library's alarms followed by pipeplug's, in one list.
///
/// # Safety
/// Both are NULL or lists `GetGoAlarms` returns, owned by the caller.
#[must_use]
pub unsafe fn merge_alarms(go: *mut InnerGoAlarms, ours: *mut InnerGoAlarms) -> *mut InnerGoAlarms {
    // SAFETY: `InnerGoAlarms` is `#[repr(C)] {InnerGoAlarm **; int}`: a `List`.
    unsafe { merge_lists::<c_void>(go.cast(), ours.cast()).cast() }
}
