//! The `pipeplug` command line: `run`, `check`, `list`, `doc`, `build`.
//!
//! Data (the events flushers print, `list`, `check`'s verdicts) goes to stdout; logs and
//! errors go to stderr (tracing, filtered by `RUST_LOG`, `info` by default).

use crate::docs;
pub use crate::docs::DocFormat;
use crate::engine::{self, EngineOptions, Loaded, Pipeline, RedbCheckpoints, StopTimeouts};
use crate::pipeline_config::{self, ConfigErrors, PipelineConfig};
use crate::reload;
use crate::run;
use crate::signals::StopSignals;
use clap::{Parser, Subcommand};
use pipeplug::registry::Registry;
use pipeplug::CheckpointStore;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Runs iLogtail-format pipelines of pipeplug plugins.
#[derive(Debug, Parser)]
#[command(name = "pipeplug", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run pipelines until SIGTERM or SIGINT (Ctrl-C) (or `--for`), then stop them cleanly.
    /// Signals within 1 s of the first are the same stop; a signal 1 s or more after the
    /// first forces the exit (code 130) with a report of what was not delivered. SIGHUP
    /// reloads the configs: new files start, removed ones stop, changed ones restart (each
    /// stop clean), unchanged ones run on; a config that fails `check` is refused (logged)
    /// and what ran under its name keeps running.
    Run {
        /// Stop this long after the run begins (`10s`, `1m 30s`); plugins' `init` counts.
        #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration)]
        duration: Option<Duration>,
        /// Time limit of each stop step: `3s` for every step, or `STEP=DURATION` for one
        /// (steps: `inputs`, `drain`, `flush`, `stop`); repeat to set several. Defaults:
        /// inputs=5s, drain=10s, flush=5s, stop=5s. A stop takes at most
        /// inputs + drain + 1 s + flush + 2 × stop (31 s by default; pipelines stop in
        /// parallel);
        /// a stop during the start first waits up to `inputs` for the start to return.
        #[arg(long = "stop-timeout", value_name = "[STEP=]DURATION", value_parser = parse_stop_timeout)]
        stop_timeout: Vec<StopTimeoutArg>,
        /// Where checkpoints are kept (created when a plugin first saves one).
        #[arg(long, value_name = "DIR", default_value = "data")]
        data_dir: PathBuf,
        /// Reload the configs when a file changes, appears or goes (looked at every second),
        /// as SIGHUP does. Without a pipeline to run, waits for one.
        #[arg(long)]
        watch: bool,
        /// Serve every pipeline's metrics on this address (`127.0.0.1:9464`; port 0 picks a
        /// free one, logged): `GET /metrics` in the Prometheus text format, `GET /health`
        /// (200 while every pipeline runs, else 503). Off unless given.
        #[arg(long, value_name = "ADDR")]
        metrics_listen: Option<std::net::SocketAddr>,
        /// Pipeline config files (YAML or JSON), one pipeline each; a directory stands for
        /// its `*.yaml`, `*.yml` and `*.json` files (listed again at each reload).
        #[arg(required = true, value_name = "CONFIG")]
        configs: Vec<PathBuf>,
    },
    /// Check config files without running them; reports every error at once. Checks the
    /// structure, the plugin types and every plugin's parameters; what only a plugin's
    /// `init` can find (a file that cannot be opened) shows at `run`. A config file must be
    /// a regular file of at most 16 MiB, nested at most 64 levels deep; at most 20 errors
    /// are listed per file, then how many more.
    Check {
        /// Pipeline config files (YAML or JSON); a directory stands for its `*.yaml`,
        /// `*.yml` and `*.json` files.
        #[arg(required = true, value_name = "CONFIG")]
        configs: Vec<PathBuf>,
    },
    /// List the plugins in this binary.
    List {
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write documentation of every plugin in this binary.
    Doc {
        /// The folder to write into (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Markdown pages or JSON descriptions.
        #[arg(long, value_enum, default_value_t = DocFormat::Md)]
        format: DocFormat,
    },
    /// Build an agent binary (or LoongCollector's plugin library) with the plugin crates of
    /// `external_plugins.yml` files.
    Build {
        /// What to build: `agent` (the pipeplug binary, `OUT/pipeplug`) or `loongcollector`
        /// (LoongCollector's plugin library, `OUT/libGoPluginBase.so`).
        #[arg(long, value_enum, default_value = "agent")]
        target: crate::build::Target,
        /// An `external_plugins.yml`; repeat to merge several.
        #[arg(long = "plugins", required = true, value_name = "FILE")]
        plugins: Vec<PathBuf>,
        /// Where the crate is generated and the binary (or library) left.
        #[arg(long, value_name = "DIR", default_value = "agent-build")]
        out: PathBuf,
        /// Build an optimised binary.
        #[arg(long)]
        release: bool,
        /// The `agent/` folder of the pipeplug source to build against (default: the source
        /// this binary was built from).
        #[arg(long, value_name = "DIR", conflicts_with = "agent_version")]
        agent_path: Option<PathBuf>,
        /// A crates.io version of `pipeplug-agent` to build against instead.
        #[arg(long, value_name = "VERSION")]
        agent_version: Option<String>,
        /// How long downloading the crates (`cargo fetch`, the only step that uses the
        /// network) may take before the build gives up (`30s`, `10m`).
        #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10m")]
        fetch_timeout: Duration,
    },
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s)
        .map_err(|e| format!("`{s}` is not a duration such as `10s` or `1m 30s`: {e}"))
}

/// A step of a pipeline's stop, as `--stop-timeout` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopStep {
    /// `inputs`: inputs stop (also how long a stop during the start waits for it).
    Inputs,
    /// `drain`: processors and aggregators drain the input queue.
    Drain,
    /// `flush`: flushers flush what is queued for them.
    Flush,
    /// `stop`: flushers' and extensions' `stop`.
    Stop,
}

/// A `--stop-timeout` value: the time limit of one stop step, or of every step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopTimeoutArg {
    /// The step; `None` for every step.
    pub step: Option<StopStep>,
    /// Its time limit.
    pub limit: Duration,
}

impl StopTimeoutArg {
    /// Sets the limit of its step (or every step) in `timeouts`.
    pub fn apply(&self, timeouts: &mut StopTimeouts) {
        let fields = match self.step {
            None => vec![
                &mut timeouts.inputs,
                &mut timeouts.drain,
                &mut timeouts.flush,
                &mut timeouts.stop,
            ],
            Some(StopStep::Inputs) => vec![&mut timeouts.inputs],
            Some(StopStep::Drain) => vec![&mut timeouts.drain],
            Some(StopStep::Flush) => vec![&mut timeouts.flush],
            Some(StopStep::Stop) => vec![&mut timeouts.stop],
        };
        for f in fields {
            *f = self.limit;
        }
    }
}

/// The longest stop step limit `--stop-timeout` takes (a day: longer is surely a typo).
const MAX_STOP_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

fn parse_stop_timeout(s: &str) -> Result<StopTimeoutArg, String> {
    let (step, duration) = match s.split_once('=') {
        None => (None, s),
        Some((step, d)) => {
            let step = match step.trim() {
                "inputs" => StopStep::Inputs,
                "drain" => StopStep::Drain,
                "flush" => StopStep::Flush,
                "stop" => StopStep::Stop,
                other => {
                    return Err(format!(
                        "`{other}` is not a stop step; the steps are `inputs`, `drain`, `flush` and `stop`"
                    ))
                }
            };
            (Some(step), d)
        }
    };
    let limit = parse_duration(duration.trim())?;
    if limit.is_zero() || limit > MAX_STOP_TIMEOUT {
        return Err(format!(
            "`{}` is out of range: a stop step's limit is more than 0 and at most 24h",
            duration.trim()
        ));
    }
    Ok(StopTimeoutArg { step, limit })
}

/// Sets up logging to stderr (`RUST_LOG`, `info` by default). Does nothing if a subscriber
/// is already installed.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only on a terminal: a log file or a CI capture gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_env_filter(filter)
        .try_init();
}

/// Runs a parsed command line against the plugin registry.
#[must_use]
pub fn execute(cli: Cli, registry: &Registry) -> ExitCode {
    match cli.command {
        Command::Run {
            duration,
            stop_timeout,
            data_dir,
            watch,
            metrics_listen,
            configs,
        } => {
            let mut timeouts = StopTimeouts::default();
            for t in &stop_timeout {
                t.apply(&mut timeouts);
            }
            let flags = RunFlags {
                duration,
                timeouts,
                data_dir,
                watch,
                metrics_listen,
            };
            run(&configs, flags, registry)
        }
        Command::Check { configs } => check(&configs, registry),
        Command::List { json } => {
            let out = if json {
                docs::list_json(registry)
            } else {
                docs::list_table(registry)
            };
            print!("{out}");
            ExitCode::SUCCESS
        }
        Command::Doc { out, format } => match docs::write(registry, &out, format) {
            Ok(n) => {
                println!("wrote the docs of {n} plugin(s) to {}", out.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!(
                    "error: cannot write docs to {}: {}",
                    out.display(),
                    pipeplug::error_chain(&e)
                );
                ExitCode::FAILURE
            }
        },
        Command::Build {
            target,
            plugins,
            out,
            release,
            agent_path,
            agent_version,
            fetch_timeout,
        } => build(
            BuildFlags {
                target,
                plugin_files: plugins,
                out,
                release,
                fetch_timeout,
            },
            agent_path,
            agent_version,
        ),
    }
}

/// `pipeplug build`'s flags beside the agent's source.
struct BuildFlags {
    target: crate::build::Target,
    plugin_files: Vec<PathBuf>,
    out: PathBuf,
    release: bool,
    fetch_timeout: Duration,
}

fn build(
    flags: BuildFlags,
    agent_path: Option<PathBuf>,
    agent_version: Option<String>,
) -> ExitCode {
    use crate::build::{AgentSource, BuildOptions};
    let agent = match (agent_path, agent_version) {
        (Some(p), _) => match p.canonicalize() {
            Ok(p) if p.join("Cargo.toml").is_file() => AgentSource::Path(p),
            _ => {
                eprintln!(
                    "error: --agent-path {}: no Cargo.toml there (give the `agent/` folder of a pipeplug source tree)",
                    p.display()
                );
                return ExitCode::FAILURE;
            }
        },
        (None, Some(v)) => AgentSource::Version(v),
        (None, None) => match AgentSource::this_build_for(flags.target) {
            Some(a) => a,
            None => {
                eprintln!(
                    "error: the pipeplug source this binary was built from is gone; give --agent-path DIR or --agent-version VERSION"
                );
                return ExitCode::FAILURE;
            }
        },
    };
    let opts = BuildOptions {
        target: flags.target,
        plugin_files: flags.plugin_files,
        out: flags.out,
        release: flags.release,
        agent,
        fetch_timeout: flags.fetch_timeout,
    };
    match crate::build::build(&opts) {
        Ok(exe) => {
            println!("built {}", exe.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}", pipeplug::error_chain(&e));
            ExitCode::FAILURE
        }
    }
}

/// Loads and builds every config; the enabled pipelines, or every error.
fn load_all(
    paths: &[PathBuf],
    registry: &Registry,
) -> (Vec<Pipeline>, Vec<PipelineConfig>, ConfigErrors) {
    let mut errors = ConfigErrors::default();
    let mut pipelines = Vec::new();
    let mut disabled = Vec::new();
    let mut names: Vec<(String, String)> = Vec::new();
    for path in paths {
        let pipeline = match engine::load_file(path, registry) {
            Ok(Loaded::Pipeline(p)) => p,
            Ok(Loaded::Disabled(cfg)) => {
                disabled.push(cfg);
                continue;
            }
            Err(e) => {
                errors.errors.extend(e.errors);
                continue;
            }
        };
        let cfg = pipeline.config();
        for w in &cfg.warnings {
            tracing::warn!("{w}");
        }
        if let Some((_, other)) = names.iter().find(|(n, _)| *n == cfg.name) {
            errors.push(pipeline_config::ConfigDiagnostic::file(
                &cfg.file,
                pipeline_config::Problem::Pipeline(format!(
                    "config name `{}` is also the name of {other} (names come from file names and key checkpoints)",
                    cfg.name
                )),
            ));
        }
        names.push((cfg.name.clone(), cfg.file.clone()));
        pipelines.push(pipeline);
    }
    (pipelines, disabled, errors)
}

/// Prints the problems to stderr, at most [`pipeline_config::MAX_ERRORS_PER_FILE`] per
/// file and then `and M more error(s) in FILE`, and the total count.
fn print_errors(errors: &ConfigErrors) {
    use pipeline_config::{Problem, MAX_ERRORS_PER_FILE};
    // Per file, in first-seen order: the file, how many were printed, how many were not.
    let mut files: Vec<(&str, usize, usize)> = Vec::new();
    let mut total = 0;
    for e in &errors.errors {
        let i = match files.iter().position(|f| f.0 == e.file) {
            Some(i) => i,
            None => {
                files.push((&e.file, 0, 0));
                files.len() - 1
            }
        };
        let (_, shown, more) = &mut files[i];
        if let Problem::MoreErrors(n) = e.problem {
            *more += n;
            total += n;
            continue;
        }
        total += 1;
        if *shown < MAX_ERRORS_PER_FILE {
            eprintln!("error: {e}");
            *shown += 1;
        } else {
            *more += 1;
        }
    }
    for (file, _, more) in files {
        if more > 0 {
            eprintln!("error: and {more} more error(s) in {file}");
        }
    }
    eprintln!("{total} error(s)");
}

/// Whether no directory among `paths` lacks config files; prints those that do.
fn no_empty_directories(paths: &[PathBuf]) -> bool {
    let empty = reload::empty_directories(paths);
    if !empty.is_empty() {
        print_errors(&empty);
    }
    empty.is_empty()
}

/// Starts the metrics server of `--metrics-listen` (none without it); an address that
/// cannot be served is printed, and `Err`.
fn serve_metrics(
    listen: Option<std::net::SocketAddr>,
) -> Result<Option<crate::metrics::MetricsServer>, ()> {
    match listen.map(crate::metrics::MetricsServer::start).transpose() {
        Ok(m) => {
            if let Some(m) = &m {
                tracing::info!("metrics on http://{}/metrics", m.local_addr());
            }
            Ok(m)
        }
        Err(e) => {
            eprintln!("error: {}", pipeplug::error_chain(&e));
            Err(())
        }
    }
}

fn check(paths: &[PathBuf], registry: &Registry) -> ExitCode {
    if !no_empty_directories(paths) {
        return ExitCode::FAILURE;
    }
    let paths = match reload::config_files(paths) {
        Ok(p) => p,
        Err(errors) => {
            print_errors(&errors);
            return ExitCode::FAILURE;
        }
    };
    let (pipelines, disabled, errors) = load_all(&paths, registry);
    for p in &pipelines {
        let c = p.config();
        println!(
            "ok: {} ({}, {} plugin(s))",
            c.file,
            c.structure,
            c.plugins().count()
        );
    }
    for c in &disabled {
        println!("skipped: {} (enable: false)", c.file);
    }
    if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        print_errors(&errors);
        ExitCode::FAILURE
    }
}

/// The options of `pipeplug run` besides its configs.
struct RunFlags {
    /// `--for`.
    duration: Option<Duration>,
    /// `--stop-timeout`.
    timeouts: StopTimeouts,
    /// `--data-dir`.
    data_dir: PathBuf,
    /// `--watch`.
    watch: bool,
    /// `--metrics-listen`.
    metrics_listen: Option<std::net::SocketAddr>,
}

/// The configs `run` starts with and what to start: `Err` with the exit code when there is
/// nothing to run or a config is broken (printed).
fn first_configs(
    paths: &[PathBuf],
    watch: bool,
    registry: &Registry,
) -> Result<(reload::Configs, reload::Change), ExitCode> {
    // Without `--watch` an empty directory is a mistake, as in `check`; with it, the run
    // waits for a config to appear.
    if !watch && !no_empty_directories(paths) {
        return Err(ExitCode::FAILURE);
    }
    let configs = reload::Configs::new(paths.to_vec());
    let first = match configs.plan(registry, true) {
        Ok(change) if change.errors.is_empty() => change,
        Ok(change) => {
            print_errors(&change.errors);
            return Err(ExitCode::FAILURE);
        }
        Err(errors) => {
            print_errors(&errors);
            return Err(ExitCode::FAILURE);
        }
    };
    for file in &first.disabled {
        tracing::info!("{file}: skipped (enable: false)");
    }
    if first.start.is_empty() && !watch {
        tracing::warn!("no enabled pipeline to run");
        return Err(ExitCode::SUCCESS);
    }
    Ok((configs, first))
}

fn run(paths: &[PathBuf], flags: RunFlags, registry: &Registry) -> ExitCode {
    let RunFlags {
        duration,
        timeouts,
        data_dir,
        watch,
        metrics_listen,
    } = flags;
    // `--for` counts from here: a plugin whose `init` blocks does not hold it back.
    let began = Instant::now();
    // Listening from the start: a signal while configs load or plugins start stops the run.
    let board = Arc::new(Mutex::new(run::Board::default()));
    let b = Arc::clone(&board);
    let signals = match StopSignals::listen(move |signal, after| {
        run::forced_exit(&b, signal, after)
    }) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!("cannot listen for SIGTERM, SIGINT and SIGHUP ({e}); use --for to stop");
            None
        }
    };
    let watcher = match reload::watch(paths, watch) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: --watch: cannot start a thread to watch the configs: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (configs, first) = match first_configs(paths, watch, registry) {
        Ok(c) => c,
        Err(code) => return code,
    };
    // Served until the run returns (dropped at the end of this function).
    let Ok(metrics) = serve_metrics(metrics_listen) else {
        return ExitCode::FAILURE;
    };
    let checkpoints: Arc<dyn CheckpointStore> = match RedbCheckpoints::open(&data_dir) {
        Ok(store) => Arc::new(store),
        Err(e) => {
            eprintln!("error: {}", pipeplug::error_chain(&e));
            return ExitCode::FAILURE;
        }
    };
    let plan = run::RunPlan {
        configs,
        pipelines: first.start,
        checkpoints,
        options: EngineOptions {
            data_dir,
            timeouts,
            metrics: metrics.as_ref().map(crate::metrics::MetricsServer::hub),
            ..EngineOptions::default()
        },
        stop_at: duration.and_then(|d| began.checked_add(d)),
    };
    let requests = run::Requests {
        stop: signals
            .as_ref()
            .map_or_else(crossbeam_channel::never, |s| s.requests().clone()),
        reload: signals
            .as_ref()
            .map_or_else(crossbeam_channel::never, |s| s.reloads().clone()),
        watch: watcher
            .as_ref()
            .map_or_else(crossbeam_channel::never, |(_, rx)| rx.clone()),
    };
    let code = run::run(plan, &requests, registry, &board);
    drop(watcher);
    drop(signals);
    code
}

/// Warns about each of `expected` that no plugin in the registry is called.
pub fn warn_missing(expected: &[&str], registry: &Registry) -> Vec<String> {
    let missing: Vec<String> = expected
        .iter()
        .filter(|n| registry.kinds_of(n).is_empty())
        .map(|n| (*n).to_owned())
        .collect();
    for m in &missing {
        tracing::warn!(
            "plugin `{m}` was meant to be in this binary but is not registered; is its crate named in the binary (`pipeplug::link!(the_crate::all);`)?"
        );
    }
    missing
}
