//! `service_mock`: a service input that makes up logs (iLogtail's `service_mock`).

use pipeplug::models::{KeyValues, LogValue};
use pipeplug::prelude::*;

/// Mock service input: a round of logs at start and every `Interval`.
///
/// Each round emits `LogsPerSecond` logs, each with the `Fields` and a rising `Index`,
/// until `MaxLogCount` logs in all. V1: logs with the `Tags` then the `Fields` and `Index`
/// as contents. V2: log events with the `Fields` and `Index` as contents and the `Tags` as
/// event tags, one group per round.
#[service_input(name = "service_mock", rename_all = "PascalCase")]
#[derive(Debug)]
pub struct ServiceMock {
    /// Tags of every log (V1: contents before the fields; V2: event tags).
    tags: KeyValues<pipeplug::models::Str>,
    /// Contents of every log.
    fields: KeyValues<pipeplug::models::Str>,
    /// A file whose text becomes the content `content` of every log (read at `init`; an
    /// empty file adds nothing; one that is not a regular file, is over 16 MiB or cannot be
    /// read fails `init`).
    file: String,
    /// The count before the first log; the first log carries `Index + 1`.
    index: i64,
    /// Logs per round. iLogtail's default is 0 (nothing is emitted); here it is 1.
    #[config(default = 1)]
    logs_per_second: usize,
    /// Stop emitting after this many logs in all; 0 means never stop.
    max_log_count: usize,
    /// The time between rounds (not in iLogtail, where it is one second).
    #[config(default = "1s")]
    interval: Duration,
    /// The context from `init`: its clock drives the rounds.
    #[state]
    ctx: Context,
    /// The emitting thread; `stop` stops and joins it.
    #[state]
    worker: Worker,
}

/// What the emitting thread needs: the record and the counts.
#[derive(Debug, Clone)]
struct Rounds {
    fields: KeyValues<pipeplug::models::Str>,
    index: i64,
    per_round: usize,
    /// Logs still allowed; `None` for no limit.
    left: Option<usize>,
}

/// The most logs handed on at once: a round of `LogsPerSecond` logs goes out in chunks of
/// this size, so a huge round neither allocates it all nor ignores a stop.
const CHUNK: usize = 1024;
/// The largest `File` read at `init`.
const FILE_LIMIT: u64 = 16 * 1024 * 1024;

impl Rounds {
    /// How many logs the next round has (fewer when the limit is near).
    fn round_len(&self) -> usize {
        self.left
            .map_or(self.per_round, |left| left.min(self.per_round))
    }

    /// The contents of the next `n` logs.
    fn take(&mut self, n: usize) -> Vec<KeyValues<pipeplug::models::Str>> {
        if let Some(left) = &mut self.left {
            *left -= n;
        }
        (0..n)
            .map(|_| {
                self.index = self.index.saturating_add(1);
                let mut contents = self.fields.clone();
                contents.add("Index", self.index.to_string());
                contents
            })
            .collect()
    }

    /// Whether the limit is reached.
    fn done(&self) -> bool {
        self.left == Some(0)
    }
}

impl ServiceMock {
    fn rounds(&self) -> Rounds {
        Rounds {
            fields: self.fields.clone(),
            index: self.index,
            per_round: self.logs_per_second,
            left: (self.max_log_count > 0).then_some(self.max_log_count),
        }
    }

    /// Runs `emit` once at once, then every interval, until stopped or done.
    fn spawn(
        &mut self,
        mut emit: impl FnMut(Vec<KeyValues<pipeplug::models::Str>>) + Send + 'static,
    ) -> Result<(), BoxError> {
        let ticker = self.ctx.clock().ticker(self.interval);
        let mut rounds = self.rounds();
        self.worker
            .spawn(&self.ctx, "service_mock", move |stop| loop {
                let mut round = rounds.round_len();
                while round > 0 {
                    let chunk = round.min(CHUNK);
                    emit(rounds.take(chunk));
                    round -= chunk;
                    if stop.is_signalled() {
                        return;
                    }
                }
                if rounds.done() || !ticker.tick(&stop) {
                    break;
                }
            })?;
        Ok(())
    }
}

impl ServiceInput for ServiceMock {
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        self.ctx = ctx.clone();
        if !self.file.is_empty() {
            // Bounded: a FIFO or a device is refused, and at most FILE_LIMIT bytes are read.
            let text = pipeplug::fs::read_to_string_limited(self.file.as_ref(), FILE_LIMIT)
                .map_err(|e| format!("service_mock: cannot read `File` {}", e))?;
            if !text.is_empty() {
                self.fields.add("content", text);
            }
        }
        Ok(DEFAULT_INTERVAL)
    }

    fn stop(&mut self) -> Result<(), BoxError> {
        self.worker.stop()
    }
}

impl ServiceInputV1 for ServiceMock {
    fn start(&mut self, collector: Collector) -> Result<(), BoxError> {
        let tags = self.tags.clone();
        self.spawn(move |batch| {
            for fields in batch {
                collector.add_data(tags.iter().map(|(k, v)| (k, v.as_str())), fields, None);
            }
        })
    }
}

impl ServiceInputV2 for ServiceMock {
    fn start_service(&mut self, ctx: PipelineContext) -> Result<(), BoxError> {
        let tags = self.tags.clone();
        let clock = self.ctx.clock().clone();
        self.spawn(move |batch| {
            if batch.is_empty() {
                return;
            }
            let now = clock.now_nanos();
            let events = batch
                .into_iter()
                .map(|fields| {
                    let mut log = pipeplug::models::Log {
                        tags: tags.clone(),
                        timestamp: now,
                        ..Default::default()
                    };
                    for (k, v) in fields {
                        log.contents.add(k, LogValue::String(v));
                    }
                    log.into()
                })
                .collect();
            ctx.collector().collect(GroupInfo::default(), events);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_round_goes_out_in_chunks() {
        // `LogsPerSecond: 18446744073709551615` once aborted the agent allocating the round.
        let mut rounds = Rounds {
            fields: KeyValues::new(),
            index: 0,
            per_round: usize::MAX,
            left: None,
        };
        assert_eq!(rounds.round_len(), usize::MAX);
        let chunk = rounds.take(CHUNK);
        assert_eq!(chunk.len(), CHUNK);
        assert_eq!(
            chunk[CHUNK - 1].get("Index").map(|v| v.as_str()),
            Some("1024")
        );
    }

    #[test]
    fn the_limit_shortens_the_last_round() {
        let mut rounds = Rounds {
            fields: KeyValues::new(),
            index: 0,
            per_round: 3,
            left: Some(4),
        };
        assert_eq!(rounds.round_len(), 3);
        let _ = rounds.take(3);
        assert_eq!(rounds.round_len(), 1);
        let _ = rounds.take(1);
        assert!(rounds.done());
    }
}
