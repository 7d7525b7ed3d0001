//! Hand-registered flushers for the stop and signal tests of the `pipeplug-testkit` binary
//! (`tests/e2e_signals.rs`), which run the agent as a child process and so can only learn what
//! a flusher got from a file:
//!
//! - `flusher_tally`: counts the events it gets and the distinct values of their `n` field
//!   (what `service_counter` numbers them with), and after every call rewrites the file
//!   `Path` with `count=C distinct=D` — D < C means a duplicate;
//! - `flusher_open_path`: opens `Path` for writing in its `init` (a FIFO that no one reads
//!   blocks there, as a flusher opening its destination can), then discards what it gets.
//!
//! Call [`register`] once before using them (idempotent).

use pipeplug::config::Decoder;
use pipeplug::models::{LogValue, PipelineEvent, PipelineGroupEvents};
use pipeplug::plugin::{Flusher, FlusherV1, FlusherV2, Plugin};
use pipeplug::protocol::LogGroup;
use pipeplug::registry::{self, Both};
use pipeplug::{BoxError, ConfigError, Context, PipelineContext};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Once;

const PATH_KEYS: &[&str] = &["Path"];

fn path_param(name: &str, c: &Value) -> Result<PathBuf, ConfigError> {
    let mut d = Decoder::new(name, PATH_KEYS, false, c)?;
    let path: Option<String> = d.value(0, "String");
    d.finish()?;
    Ok(PathBuf::from(path.unwrap_or_default()))
}

/// Counts events and the distinct `n` values among them, into a file.
#[derive(Debug)]
pub struct FlusherTally {
    path: PathBuf,
    count: u64,
    distinct: u64,
    /// Bit `n` is set once an event numbered `n` was seen.
    seen: Vec<u64>,
}

impl FlusherTally {
    fn new(path: PathBuf) -> Self {
        Self {
            path,
            count: 0,
            distinct: 0,
            seen: Vec::new(),
        }
    }

    fn note(&mut self, n: Option<u64>) {
        self.count += 1;
        let Some(n) = n.and_then(|n| usize::try_from(n).ok()) else {
            return;
        };
        let (word, bit) = (n / 64, n % 64);
        if self.seen.len() <= word {
            self.seen.resize(word + 1, 0);
        }
        if self.seen[word] & (1 << bit) == 0 {
            self.seen[word] |= 1 << bit;
            self.distinct += 1;
        }
    }

    fn write(&self) -> Result<(), BoxError> {
        // Written aside and renamed: a reader never sees half a file.
        let tmp = self.path.with_extension("tmp");
        std::fs::write(
            &tmp,
            format!("count={} distinct={}\n", self.count, self.distinct),
        )?;
        std::fs::rename(&tmp, &self.path)?;
        Ok(())
    }
}

impl Plugin for FlusherTally {
    fn description(&self) -> &str {
        "counts events and distinct `n` values into a file (test plugin)"
    }
}
impl Flusher for FlusherTally {
    fn init(&mut self, _: &Context) -> Result<(), BoxError> {
        self.write()
    }
}
impl FlusherV1 for FlusherTally {
    fn flush(&mut self, _: &str, _: &str, _: &str, groups: &[LogGroup]) -> Result<(), BoxError> {
        for l in groups.iter().flat_map(|g| &g.logs) {
            let n = l
                .contents
                .iter()
                .find(|c| c.key == "n")
                .and_then(|c| c.value.parse().ok());
            self.note(n);
        }
        self.write()
    }
}
impl FlusherV2 for FlusherTally {
    fn export(
        &mut self,
        groups: &[PipelineGroupEvents],
        _: &PipelineContext,
    ) -> Result<(), BoxError> {
        for e in groups.iter().flat_map(|g| &g.events) {
            let n = match e {
                PipelineEvent::Log(l) => l.contents.iter().find_map(|(k, v)| match v {
                    LogValue::String(s) if k == "n" => s.parse().ok(),
                    _ => None,
                }),
                _ => None,
            };
            self.note(n);
        }
        self.write()
    }
}

/// Opens `Path` for writing in `init`; discards what it gets.
#[derive(Debug)]
pub struct FlusherOpenPath {
    path: PathBuf,
    file: Option<std::fs::File>,
}

impl Plugin for FlusherOpenPath {
    fn description(&self) -> &str {
        "opens a path for writing in init, then discards events (test plugin)"
    }
}
impl Flusher for FlusherOpenPath {
    fn init(&mut self, _: &Context) -> Result<(), BoxError> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&self.path)
            .map_err(|e| format!("cannot open {}: {e}", self.path.display()))?;
        self.file = Some(file);
        Ok(())
    }
}
impl FlusherV1 for FlusherOpenPath {
    fn flush(&mut self, _: &str, _: &str, _: &str, _: &[LogGroup]) -> Result<(), BoxError> {
        Ok(())
    }
}
impl FlusherV2 for FlusherOpenPath {
    fn export(&mut self, _: &[PipelineGroupEvents], _: &PipelineContext) -> Result<(), BoxError> {
        Ok(())
    }
}

/// Registers the flushers above (once per process).
pub fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        registry::add_flusher_creator(
            "flusher_tally",
            "counts events and distinct `n` values into a file (test plugin)",
            |c| path_param("flusher_tally", c).map(|p| Both(FlusherTally::new(p))),
        );
        registry::add_flusher_creator(
            "flusher_open_path",
            "opens a path for writing in init, then discards events (test plugin)",
            |c| {
                path_param("flusher_open_path", c)
                    .map(|path| Both(FlusherOpenPath { path, file: None }))
            },
        );
    });
}
