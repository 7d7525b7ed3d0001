//! The plugins this crate registers: `flusher_sls`, which sends to the core, and
//! `service_loongcollector_core`, the input of pipelines the core feeds.

use crate::adapter::{CoreLink, SendOutcome};
use crate::host::{self, Ident};
use pipeplug::prelude::*;
use pipeplug::PermanentError;
use std::sync::Arc;
use std::time::Duration;

/// The names of the plugins of this crate (see [`pipeplug::link!`]).
pub const PLUGINS: &[&str] = &[
    "flusher_sls",
    "service_loongcollector_core",
    #[cfg(any(test, feature = "test-plugins"))]
    "processor_pipeplug_test_panic",
];

/// First pause after the core answered "queue full"; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(5);
/// The longest pause between two tries of a send.
const MAX_PAUSE: Duration = Duration::from_millis(50);

/// Sends to LoongCollector's core, through the adapter's `LogtailSendPbV2`: each group (V2
/// groups converted to V1 as [`pipeplug::convert::group_to_v1`] says) as one uncompressed
/// `sls_logs.LogGroup`, for the pipeline's config name (without `/1` or `/2`) and the
/// logstore `LoadPipeline` was given.
///
/// Back-pressure: the flusher is ready only while `LogtailIsValidToSend(logstore_key)`
/// answers 0, so the engine holds data in its queue (and the pipeline back) until the
/// core's queue has room; a send answered -1 (queue full) is tried again, after a pause
/// that grows from 5 ms to 50 ms, until it is taken — never dropped. Only the core
/// answering -2 (it has no pipeline of that name any more) or another error drops the
/// groups (counted by the engine as permanent failures, and an alarm), and so does a send
/// still refused once `StopBuiltInModules` was called (the process is exiting).
///
/// The core adds this flusher to every pipeline it hands over; its keys (`Project`,
/// `Logstore`, `Region`, ...) are accepted and not used: where data goes is decided by the
/// core.
/// (No generated conformance test: its `init` needs a pipeline loaded through
/// `LoadPipeline`; the crate's tests run it through the exported functions.)
#[flusher(
    name = "flusher_sls",
    rename_all = "PascalCase",
    lenient = true,
    conformance = false
)]
#[derive(Debug)]
pub struct FlusherSls {
    /// The SLS project (not used).
    project: String,
    /// The logstore (not used: `LoadPipeline`'s is).
    logstore: String,
    /// The region (not used).
    region: String,
    /// The endpoint (not used).
    endpoint: String,
    /// The config name without its suffix, from `init`.
    #[state]
    config: String,
    /// Where to send, from `init`.
    #[state]
    ident: Ident,
    /// The way to the core, from `init`.
    #[state]
    link: Option<Arc<dyn CoreLink>>,
}

impl FlusherSls {
    fn send(&self, group: &LogGroup) -> Result<(), BoxError> {
        let Some(link) = &self.link else {
            return Err("flusher_sls: not initialised".into());
        };
        let bytes = crate::proto::encode_log_group(group);
        let lines = i32::try_from(group.logs.len()).unwrap_or(i32::MAX);
        let mut pause = FIRST_PAUSE;
        loop {
            match link.send(&self.config, &self.ident.logstore, &bytes, lines, "") {
                SendOutcome::Sent => return Ok(()),
                SendOutcome::QueueFull => {
                    if host::host().is_ok_and(host::Host::is_shutting_down) {
                        return Err(PermanentError::new(format!(
                            "flusher_sls: the core's queue for `{}` stayed full until the \
                             process stopped; {} log(s) not sent",
                            self.config, lines
                        ))
                        .into());
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(MAX_PAUSE);
                }
                SendOutcome::ConfigGone => {
                    return Err(PermanentError::new(format!(
                        "flusher_sls: the core has no pipeline `{}` any more (SendPbV2 \
                         answered -2); {lines} log(s) dropped",
                        self.config
                    ))
                    .into())
                }
                SendOutcome::Other(rc) => {
                    return Err(PermanentError::new(format!(
                        "flusher_sls: SendPbV2 answered {rc} for `{}`; {lines} log(s) dropped",
                        self.config
                    ))
                    .into())
                }
            }
        }
    }
}

impl Flusher for FlusherSls {
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        let name = ctx.config_name();
        let h = host::host()?;
        self.ident = h.ident(name).ok_or_else(|| {
            format!(
                "flusher_sls: pipeline `{name}` was not loaded through LoadPipeline (it only \
                 runs inside LoongCollector)"
            )
        })?;
        self.link = Some(h.link().ok_or(crate::adapter::AdapterError::NotLoaded)?);
        self.config = host::base_name(name).to_owned();
        Ok(())
    }

    fn is_ready(&self, _project: &str, _logstore: &str, _logstore_key: i64) -> bool {
        self.link
            .as_ref()
            .is_some_and(|l| l.is_valid_to_send(self.ident.logstore_key))
    }
}

impl FlusherV1 for FlusherSls {
    fn flush(
        &mut self,
        _project: &str,
        _logstore: &str,
        _config_name: &str,
        groups: &[LogGroup],
    ) -> Result<(), BoxError> {
        for g in groups {
            self.send(g)?;
        }
        Ok(())
    }
}

impl FlusherV2 for FlusherSls {
    fn export(
        &mut self,
        groups: &[PipelineGroupEvents],
        _ctx: &PipelineContext,
    ) -> Result<(), BoxError> {
        for g in groups {
            self.send(&pipeplug::convert::group_to_v1(g))?;
        }
        Ok(())
    }
}

/// The input of a pipeline LoongCollector's core feeds (`ProcessPipelineEventGroup`): it
/// produces nothing itself; the library puts the core's groups into the pipeline's input
/// queue. Added by the library to configs without inputs; not for use in a config.
#[service_input(name = "service_loongcollector_core")]
#[derive(Debug)]
pub struct ServiceLoongcollectorCore {}

impl ServiceInput for ServiceLoongcollectorCore {}

impl ServiceInputV1 for ServiceLoongcollectorCore {
    fn start(&mut self, _collector: Collector) -> Result<(), BoxError> {
        Ok(())
    }
}

impl ServiceInputV2 for ServiceLoongcollectorCore {
    fn start_service(&mut self, _ctx: PipelineContext) -> Result<(), BoxError> {
        Ok(())
    }
}

#[cfg(any(test, feature = "test-plugins"))]
pub use test_panic::ProcessorPipeplugTestPanic;

#[cfg(any(test, feature = "test-plugins"))]
mod test_panic {
    use pipeplug::prelude::*;
    use pipeplug::ConfigProblem;

    /// For the ABI tests only (feature `test-plugins`): panics where `PanicIn` says —
    /// `load` (while its config is checked, inside `LoadPipeline`), `init` (inside
    /// `Start`) or `process` (on the pipeline's thread, for each group); otherwise passes
    /// everything on.
    #[processor(
        name = "processor_pipeplug_test_panic",
        rename_all = "PascalCase",
        validate = "Self::check"
    )]
    #[derive(Debug)]
    pub struct ProcessorPipeplugTestPanic {
        /// `load`, `init`, `process` or empty.
        panic_in: String,
    }

    impl ProcessorPipeplugTestPanic {
        fn check(&self) -> Result<(), ConfigProblem> {
            assert!(
                self.panic_in != "load",
                "processor_pipeplug_test_panic: panicking in LoadPipeline, as asked"
            );
            Ok(())
        }
    }

    impl Processor for ProcessorPipeplugTestPanic {
        fn init(&mut self, _ctx: &Context) -> Result<(), BoxError> {
            assert!(
                self.panic_in != "init",
                "processor_pipeplug_test_panic: panicking in init, as asked"
            );
            Ok(())
        }
    }

    impl ProcessorV1 for ProcessorPipeplugTestPanic {
        fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
            assert!(
                self.panic_in != "process",
                "processor_pipeplug_test_panic: panicking in process, as asked"
            );
            logs
        }
    }

    impl ProcessorV2 for ProcessorPipeplugTestPanic {
        fn process(&mut self, group: PipelineGroupEvents, ctx: &PipelineContext) {
            assert!(
                self.panic_in != "process",
                "processor_pipeplug_test_panic: panicking in process, as asked"
            );
            ctx.collector().collect_list([group]);
        }
    }
}
