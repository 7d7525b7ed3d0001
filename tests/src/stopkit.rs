//! Hand-registered flushers for the stop and signal tests of the `pipeplug-testkit` binary
//! (`tests/e2e_signals.rs`), which run the agent as a child process and so can only learn what
//! a flusher got from a file:
//!
//! - `flusher_tally`: counts the events it gets and the distinct values of their `n` field
//!   (what `service_counter` numbers them with), and after every call rewrites the file
//!   `Path` with `count=C distinct=D` — D < C means a duplicate. A call whose file cannot be
//!   written (a full disk) fails and counts nothing: the engine calls again with the same
//!   groups, and they are counted then, once (as the engine counts only calls that
//!   returned `Ok`);
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

    /// Counts the events of one call (`ns`: the `n` of each, when it has one) and rewrites
    /// the file. When the file cannot be written the call counts nothing (its counts are
    /// taken back) and fails: the engine retries it with the same events, which must not
    /// then count twice.
    fn take(&mut self, ns: impl Iterator<Item = Option<u64>>) -> Result<(), BoxError> {
        let (count, distinct) = (self.count, self.distinct);
        let mut first_seen = Vec::new();
        for n in ns {
            self.count += 1;
            let Some(n) = n.and_then(|n| usize::try_from(n).ok()) else {
                continue;
            };
            let (word, bit) = (n / 64, n % 64);
            if self.seen.len() <= word {
                self.seen.resize(word + 1, 0);
            }
            if self.seen[word] & (1 << bit) == 0 {
                self.seen[word] |= 1 << bit;
                self.distinct += 1;
                first_seen.push(n);
            }
        }
        if let Err(e) = self.write() {
            self.count = count;
            self.distinct = distinct;
            for n in first_seen {
                self.seen[n / 64] &= !(1 << (n % 64));
            }
            return Err(e);
        }
        Ok(())
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
        self.take(groups.iter().flat_map(|g| &g.logs).map(|l| {
            l.contents
                .iter()
                .find(|c| c.key == "n")
                .and_then(|c| c.value.parse().ok())
        }))
    }
}
impl FlusherV2 for FlusherTally {
    fn export(
        &mut self,
        groups: &[PipelineGroupEvents],
        _: &PipelineContext,
    ) -> Result<(), BoxError> {
        self.take(groups.iter().flat_map(|g| &g.events).map(|e| match e {
            PipelineEvent::Log(l) => l.contents.iter().find_map(|(k, v)| match v {
                LogValue::String(s) if k == "n" => s.parse().ok(),
                _ => None,
            }),
            _ => None,
        }))
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

#[cfg(test)]
mod tests {
    use super::*;
    use pipeplug::models::{GroupInfo, Log as LogEvent};
    use pipeplug::protocol::Log;
    use std::path::Path;

    /// A V1 group of the events numbered `ns`.
    fn log_group(ns: std::ops::Range<u64>) -> LogGroup {
        LogGroup {
            logs: ns.map(|n| Log::new(1, [("n", n.to_string())])).collect(),
            ..LogGroup::default()
        }
    }

    /// A V2 group of the events numbered `ns`.
    fn event_group(ns: std::ops::Range<u64>) -> PipelineGroupEvents {
        let events = ns
            .map(|n| {
                let mut log = LogEvent::default();
                log.contents.add("n", n.to_string());
                PipelineEvent::Log(log)
            })
            .collect();
        PipelineGroupEvents::new(GroupInfo::default(), events)
    }

    fn file(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    /// Runs `call` (one `flush` or `export` of events 0..3, then one of 3..1027) as the
    /// engine does when the file cannot be written for a moment: the second call fails
    /// (its directory is gone), the directory comes back, and the engine calls again with the
    /// same groups.
    fn failed_write_then_retry(
        mut call: impl FnMut(&mut FlusherTally, bool) -> Result<(), BoxError>,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let path = out.join("t.tally");
        let mut tally = FlusherTally::new(path.clone());
        call(&mut tally, false).unwrap();
        assert_eq!(file(&path), "count=3 distinct=3\n");

        let away = dir.path().join("away");
        std::fs::rename(&out, &away).unwrap();
        let err = call(&mut tally, true).unwrap_err();
        assert_eq!(
            err.downcast_ref::<std::io::Error>()
                .map(std::io::Error::kind),
            Some(std::io::ErrorKind::NotFound),
            "{err}"
        );
        std::fs::rename(&away, &out).unwrap();
        assert_eq!(
            file(&path),
            "count=3 distinct=3\n",
            "the failed call wrote nothing"
        );

        // The engine's retry: the same 1024 events again, counted once.
        call(&mut tally, true).unwrap();
        assert_eq!(file(&path), "count=1027 distinct=1027\n");
    }

    #[test]
    fn a_flush_that_cannot_write_the_file_counts_nothing_and_its_retry_counts_once_v1() {
        failed_write_then_retry(|t, second| {
            let groups = if second {
                [log_group(3..1027)]
            } else {
                [log_group(0..3)]
            };
            FlusherV1::flush(t, "p", "l", "c", &groups)
        });
    }

    #[test]
    fn an_export_that_cannot_write_the_file_counts_nothing_and_its_retry_counts_once_v2() {
        failed_write_then_retry(|t, second| {
            let groups = if second {
                [event_group(3..1027)]
            } else {
                [event_group(0..3)]
            };
            let ctx = PipelineContext::new(pipeplug::PipelineCollector::noop());
            FlusherV2::export(t, &groups, &ctx)
        });
    }

    #[test]
    fn a_duplicate_shows_as_count_above_distinct() {
        // What the end-to-end tests rely on to see a duplicate.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.tally");
        let mut tally = FlusherTally::new(path.clone());
        let groups = [log_group(0..4), log_group(2..3)];
        FlusherV1::flush(&mut tally, "p", "l", "c", &groups).unwrap();
        assert_eq!(file(&path), "count=5 distinct=4\n");
    }
}
