//! Reloading the configs of `pipeplug run` without a restart: which files are the configs,
//! what changed since the pipelines started, and a thread that watches the files
//! (`--watch`). The run loop ([`crate::run`]) applies what [`Configs::plan`] decides.
//!
//! - **A pipeline is keyed by its config name**, the file name without its extension (as
//!   `run` names pipelines, and as checkpoints are keyed): a file moved to another folder
//!   given on the command line is the same pipeline.
//! - **"Changed" means the file's bytes changed.** The text a pipeline was started from is
//!   kept and compared with the file's text: the same bytes, it keeps running untouched
//!   (same threads, counters); other bytes, it is stopped cleanly and started from the new
//!   text, even when only a comment changed (a clean stop loses nothing, and "I edited the
//!   file, so it restarted" is easier to reason about than a comparison of parsed configs
//!   that some edits pass unnoticed). The pipeline is built from the very text that was
//!   compared, so a file rewritten in between cannot run one text while another is kept.
//! - **The configs are the command line's `CONFIG` arguments**: a file as given, a
//!   directory as its `*.yaml`, `*.yml` and `*.json` files (not hidden, not in
//!   subdirectories), listed again at each reload, so that a new file in it is a new
//!   pipeline and a deleted one a removed pipeline.
//! - **A config that fails `check` is refused**: its errors are logged and the pipeline of
//!   its name, if one runs, keeps running as it was. A directory that cannot be listed
//!   refuses the whole reload (its pipelines would otherwise look removed).

use crate::engine::{self, Loaded, Pipeline};
use crate::pipeline_config::{ConfigDiagnostic, ConfigErrors, Format, Problem};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use pipeplug::fs::{ReadErrorKind, CONFIG_FILE_LIMIT};
use pipeplug::registry::Registry;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

/// How often `--watch` looks at the config files.
pub(crate) const WATCH_EVERY: Duration = Duration::from_secs(1);

/// The extensions of the config files found in a directory.
const CONFIG_EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// The config name of the file at `path`: its name without the extension (as
/// [`crate::pipeline_config::load_file`] names it).
fn config_name(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("pipeline")
        .to_owned()
}

/// The config files `args` name: a file as given, a directory as its config files (see the
/// module docs), sorted. A directory that cannot be listed is an error naming it.
///
/// # Errors
/// Every directory that could not be listed.
pub(crate) fn config_files(args: &[PathBuf]) -> Result<Vec<PathBuf>, ConfigErrors> {
    let mut files = Vec::new();
    let mut errors = ConfigErrors::default();
    for arg in args {
        if !arg.is_dir() {
            files.push(arg.clone());
            continue;
        }
        let entries = match std::fs::read_dir(arg) {
            Ok(e) => e,
            Err(e) => {
                let problem = Problem::Io(format!("cannot list the directory: {e}"));
                errors.push(ConfigDiagnostic::file(&arg.display().to_string(), problem));
                continue;
            }
        };
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| is_config_file(p))
            .collect();
        found.sort();
        files.extend(found);
    }
    errors.into_result(files)
}

/// The directories among `args` that hold no config file, each as an error naming it: what
/// `check`, and `run` without `--watch`, say of them (a reload takes an emptied directory
/// as its pipelines removed).
pub(crate) fn empty_directories(args: &[PathBuf]) -> ConfigErrors {
    let mut errors = ConfigErrors::default();
    for arg in args.iter().filter(|a| a.is_dir()) {
        let empty = std::fs::read_dir(arg).is_ok_and(|entries| {
            !entries
                .filter_map(Result::ok)
                .any(|e| is_config_file(&e.path()))
        });
        if empty {
            let problem = Problem::Pipeline(format!(
                "a directory with no config file in it ({})",
                CONFIG_EXTENSIONS
                    .iter()
                    .map(|e| format!("*.{e}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            errors.push(ConfigDiagnostic::file(&arg.display().to_string(), problem));
        }
    }
    errors
}

/// Whether a directory entry is a config file: a visible file with a config extension.
fn is_config_file(path: &Path) -> bool {
    let visible = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| !n.starts_with('.'));
    let config_ext = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| CONFIG_EXTENSIONS.iter().any(|c| c.eq_ignore_ascii_case(e)));
    visible && config_ext && !path.is_dir()
}

/// A pipeline to start, with the text it was built from.
pub(crate) struct Starting {
    /// The pipeline, built.
    pub pipeline: Pipeline,
    /// The config text it was built from (kept to tell a later change).
    pub text: String,
    /// A changed pipeline: the one it replaces, built again from the text it ran, to start
    /// in its place when the new one fails to start (a plugin's `init` fails).
    pub previous: Option<Box<Starting>>,
}

/// What a reload does, by config name, for its log line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Summary {
    /// New pipelines.
    pub added: Vec<String>,
    /// Pipelines stopped: their file is gone, or now says `enable: false`.
    pub removed: Vec<String>,
    /// Pipelines stopped and started from their new text.
    pub changed: Vec<String>,
    /// Pipelines left running untouched.
    pub unchanged: Vec<String>,
    /// Configs that failed the checks: what ran under their name keeps running.
    pub refused: Vec<String>,
}

impl fmt::Display for Summary {
    /// `added [b]; removed []; changed [a]; unchanged [c]; refused []`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts = [
            ("added", &self.added),
            ("removed", &self.removed),
            ("changed", &self.changed),
            ("unchanged", &self.unchanged),
            ("refused", &self.refused),
        ];
        let mut sep = "";
        for (what, names) in parts {
            write!(f, "{sep}{what} [{}]", names.join(", "))?;
            sep = "; ";
        }
        Ok(())
    }
}

/// What a reload decided: the pipelines to stop (by name), then those to start.
pub(crate) struct Change {
    /// Names of the running pipelines to stop (removed and changed).
    pub stop: Vec<String>,
    /// Pipelines to start (added and changed), in file order.
    pub start: Vec<Starting>,
    /// Names, by what happens to them.
    pub summary: Summary,
    /// The problems of the refused configs.
    pub errors: ConfigErrors,
    /// Configs skipped (`enable: false`), by file.
    pub disabled: Vec<String>,
}

/// The configs of a run: where they are, and the text each running pipeline was started
/// from.
#[derive(Debug)]
pub(crate) struct Configs {
    args: Vec<PathBuf>,
    running: BTreeMap<String, String>,
}

impl Configs {
    /// The configs named by the command line's `args` (files and directories), none running.
    pub(crate) fn new(args: Vec<PathBuf>) -> Self {
        Self {
            args,
            running: BTreeMap::new(),
        }
    }

    /// The pipeline `name` runs, started from `text`.
    pub(crate) fn started(&mut self, name: &str, text: String) {
        self.running.insert(name.to_owned(), text);
    }

    /// The pipeline `name` is stopping or stopped.
    pub(crate) fn stopped(&mut self, name: &str) {
        self.running.remove(name);
    }

    /// Reads the configs and compares them with what runs. At the start (`initial`), a
    /// file that is missing is an error as any other; on a reload, it is a removed pipeline.
    ///
    /// # Errors
    /// A directory could not be listed: nothing is to change (on a reload, the caller logs
    /// the errors and leaves every pipeline running).
    pub(crate) fn plan(&self, registry: &Registry, initial: bool) -> Result<Change, ConfigErrors> {
        let files = config_files(&self.args)?;
        let mut change = Change {
            stop: Vec::new(),
            start: Vec::new(),
            summary: Summary::default(),
            errors: ConfigErrors::default(),
            disabled: Vec::new(),
        };
        // Names that have a config file now (whether it runs, is refused or is disabled).
        let mut present: BTreeMap<String, String> = BTreeMap::new();
        for path in &files {
            let file = path.display().to_string();
            let name = config_name(path);
            if let Some(other) = present.get(&name) {
                change.errors.push(ConfigDiagnostic::file(
                    &file,
                    Problem::Pipeline(format!(
                        "config name `{name}` is also the name of {other} (names come from file names and key checkpoints)"
                    )),
                ));
                change.summary.refused.push(name);
                continue;
            }
            let text = match pipeplug::fs::read_to_string_limited(path, CONFIG_FILE_LIMIT) {
                Ok(t) => t,
                Err(e) if !initial && is_not_found(&e.kind) => continue,
                Err(e) => {
                    present.insert(name.clone(), file.clone());
                    let problem = Problem::Io(e.kind.to_string());
                    change.errors.push(ConfigDiagnostic::file(&file, problem));
                    change.summary.refused.push(name);
                    continue;
                }
            };
            present.insert(name.clone(), file.clone());
            self.compare(&mut change, path, name, text, registry);
        }
        let gone: BTreeSet<&String> = self
            .running
            .keys()
            .filter(|n| !present.contains_key(*n))
            .collect();
        for name in gone {
            change.stop.push(name.clone());
            change.summary.removed.push(name.clone());
        }
        Ok(change)
    }
}

impl Configs {
    /// Compares the config `name`, read from `path` as `text`, with what runs under its
    /// name, and notes in `change` what is to happen to it.
    fn compare(
        &self,
        change: &mut Change,
        path: &Path,
        name: String,
        text: String,
        registry: &Registry,
    ) {
        let file = path.display().to_string();
        let format = Format::from_path(path);
        let running = self.running.get(&name);
        if running == Some(&text) {
            change.summary.unchanged.push(name);
            return;
        }
        match engine::load_str(&text, format, &file, &name, registry) {
            Ok(Loaded::Pipeline(pipeline)) => {
                for w in &pipeline.config().warnings {
                    tracing::warn!("{w}");
                }
                // What runs passed these checks when it started: built again, it can
                // start in the new one's place.
                let previous = running.and_then(|old| {
                    match engine::load_str(old, format, &file, &name, registry) {
                        Ok(Loaded::Pipeline(pipeline)) => Some(Box::new(Starting {
                            pipeline,
                            text: old.clone(),
                            previous: None,
                        })),
                        _ => None,
                    }
                });
                if running.is_some() {
                    change.stop.push(name.clone());
                    change.summary.changed.push(name);
                } else {
                    change.summary.added.push(name);
                }
                change.start.push(Starting {
                    pipeline,
                    text,
                    previous,
                });
            }
            Ok(Loaded::Disabled(_)) => {
                if running.is_some() {
                    change.stop.push(name.clone());
                    change.summary.removed.push(name);
                }
                change.disabled.push(file);
            }
            Err(e) => {
                change.errors.errors.extend(e.errors);
                change.summary.refused.push(name);
            }
        }
    }
}

fn is_not_found(kind: &ReadErrorKind) -> bool {
    matches!(kind, ReadErrorKind::Io(e) if e.kind() == std::io::ErrorKind::NotFound)
}

/// What `--watch` compares between two looks: each config file with its size, modification
/// time and inode (a file replaced by a rename has a new inode), or the listing's error.
type Fingerprint = Result<Vec<(PathBuf, Option<(u64, SystemTime, u64)>)>, String>;

fn fingerprint(args: &[PathBuf]) -> Fingerprint {
    let files = config_files(args).map_err(|e| e.to_string())?;
    Ok(files
        .into_iter()
        .map(|f| {
            let meta = std::fs::metadata(&f).ok().map(|m| {
                let modified = m.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                (m.len(), modified, inode(&m))
            });
            (f, meta)
        })
        .collect())
}

#[cfg(unix)]
fn inode(m: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(m)
}

#[cfg(not(unix))]
fn inode(_: &std::fs::Metadata) -> u64 {
    0
}

/// `--watch`: when `watch`, starts a [`Watcher`] on the configs `args` names (and says so
/// in the log).
///
/// # Errors
/// The thread could not be started.
pub(crate) fn watch(
    args: &[PathBuf],
    watch: bool,
) -> std::io::Result<Option<(Watcher, Receiver<&'static str>)>> {
    if !watch {
        return Ok(None);
    }
    let watcher = Watcher::start(args.to_vec(), WATCH_EVERY)?;
    tracing::info!("watching the configs for changes (every {WATCH_EVERY:?})");
    Ok(Some(watcher))
}

/// `--watch`: a thread that looks at the config files every [`WATCH_EVERY`] and asks for a
/// reload when one was added, removed or rewritten (its size, modification time or inode
/// changed). The reload then compares texts: a file touched but not changed leaves its
/// pipeline untouched. Stops when dropped.
#[derive(Debug)]
pub(crate) struct Watcher {
    quit: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Watcher {
    /// Starts watching the configs `args` names; reload requests come on the receiver. The
    /// files are looked at once before this returns: any change after it is seen (start
    /// watching before the configs are first read, so that no change slips in between).
    ///
    /// # Errors
    /// The thread could not be started.
    pub(crate) fn start(
        args: Vec<PathBuf>,
        every: Duration,
    ) -> std::io::Result<(Self, Receiver<&'static str>)> {
        let (quit, quit_rx) = crossbeam_channel::bounded::<()>(0);
        let (tx, requests) = crossbeam_channel::bounded(1);
        let mut last = fingerprint(&args);
        let thread = std::thread::Builder::new()
            .name("pipeplug-watch".to_owned())
            .spawn(move || {
                loop {
                    match quit_rx.recv_timeout(every) {
                        Err(RecvTimeoutError::Timeout) => {}
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                    }
                    let now = fingerprint(&args);
                    if now != last {
                        last = now;
                        // A reload already asked for reads the files as they are then.
                        let _ = tx.try_send("a config file changed");
                    }
                }
            })?;
        Ok((
            Self {
                quit: Some(quit),
                thread: Some(thread),
            },
            requests,
        ))
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        drop(self.quit.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> std::sync::Arc<Registry> {
        pipeplug::registry::global().unwrap()
    }

    const GOOD: &str = "inputs:\n  - Type: metric_mock\nflushers:\n  - Type: flusher_stdout\n";

    #[test]
    fn a_directory_is_its_visible_config_files_sorted() {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "b.yaml",
            "a.json",
            "c.yml",
            ".hidden.yaml",
            "notes.txt",
            "d.yaml~",
        ] {
            std::fs::write(dir.path().join(f), GOOD).unwrap();
        }
        std::fs::create_dir(dir.path().join("sub.yaml")).unwrap();
        let files = config_files(&[dir.path().to_owned()]).unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(names, ["a.json", "b.yaml", "c.yml"]);
    }

    #[test]
    fn a_reload_sorts_configs_into_added_removed_changed_unchanged_and_refused() {
        let reg = registry();
        let dir = tempfile::tempdir().unwrap();
        let path = |n: &str| dir.path().join(n);
        for n in ["same.yaml", "edit.yaml", "gone.yaml", "broken.yaml"] {
            std::fs::write(path(n), GOOD).unwrap();
        }
        let mut configs = Configs::new(vec![dir.path().to_owned()]);
        let first = configs.plan(&reg, true).unwrap();
        assert_eq!(first.summary.added, ["broken", "edit", "gone", "same"]);
        for s in first.start {
            configs.started(&s.pipeline.config().name.clone(), s.text);
        }
        std::fs::write(path("edit.yaml"), format!("# edited\n{GOOD}")).unwrap();
        std::fs::remove_file(path("gone.yaml")).unwrap();
        std::fs::write(path("broken.yaml"), "inputs:\n  - Type: metric_mokc\n").unwrap();
        std::fs::write(path("new.yaml"), GOOD).unwrap();
        let change = configs.plan(&reg, false).unwrap();
        let s = &change.summary;
        assert_eq!(s.added, ["new"]);
        assert_eq!(s.removed, ["gone"]);
        assert_eq!(s.changed, ["edit"]);
        assert_eq!(s.unchanged, ["same"]);
        assert_eq!(s.refused, ["broken"]);
        assert_eq!(change.stop, ["edit", "gone"]);
        let starting: Vec<_> = change
            .start
            .iter()
            .map(|s| s.pipeline.config().name.clone())
            .collect();
        assert_eq!(starting, ["edit", "new"]);
        // The changed one can fall back on what it ran; the new one has nothing to fall on.
        let previous = change.start[0].previous.as_ref().unwrap();
        assert_eq!(previous.text, GOOD);
        assert!(change.start[1].previous.is_none());
        let errors = change.errors.to_string();
        assert!(
            errors.contains("broken.yaml") && errors.contains("metric_mokc"),
            "{errors}"
        );
        assert_eq!(
            s.to_string(),
            "added [new]; removed [gone]; changed [edit]; unchanged [same]; refused [broken]"
        );
    }

    #[test]
    fn a_config_turned_off_is_removed_and_a_missing_file_fails_only_the_start() {
        let reg = registry();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.yaml");
        std::fs::write(&file, GOOD).unwrap();
        let mut configs = Configs::new(vec![file.clone()]);
        configs.started("p", GOOD.to_owned());
        std::fs::write(&file, format!("enable: false\n{GOOD}")).unwrap();
        let change = configs.plan(&reg, false).unwrap();
        assert_eq!(change.summary.removed, ["p"]);
        assert_eq!(change.stop, ["p"]);
        std::fs::remove_file(&file).unwrap();
        let change = configs.plan(&reg, false).unwrap();
        assert_eq!(change.summary.removed, ["p"]);
        assert!(change.errors.is_empty());
        let at_start = Configs::new(vec![file]).plan(&reg, true).unwrap();
        assert_eq!(at_start.summary.refused, ["p"]);
        assert!(at_start.errors.to_string().contains("p.yaml"));
    }
}
