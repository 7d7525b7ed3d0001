//! The signals of `pipeplug run`: those that stop it, the rule that tells one stop from a
//! forced exit, and SIGHUP, which reloads the configs.
//!
//! SIGTERM and SIGINT (Ctrl-C) each ask for a clean stop: every pipeline stops in the
//! engine's order and flushes what it accepted.
//!
//! **SIGHUP reloads the configs** (see [`StopSignals::reloads`]): new pipelines start,
//! removed ones stop, changed ones restart, unchanged ones run on untouched. SIGHUPs that
//! come while a reload is under way make one more reload after it; a SIGHUP once a stop
//! has begun is logged and ignored (it neither reloads nor forces the exit).
//!
//! **One stop however many signals arrive at once.** Signals often come in bursts that nobody
//! meant as two requests: `timeout` sends SIGTERM to the agent and to its process group,
//! systemd signals every process of a unit, a terminal's Ctrl-C reaches the whole foreground
//! group. So every signal that arrives within [`SAME_STOP_WINDOW`] (1 s) of the first counts
//! as the same stop, and is only logged.
//!
//! **A later signal forces the exit.** A signal at least [`SAME_STOP_WINDOW`] after the
//! first says "do not wait for the clean stop": the agent prints what it knows of the stop
//! (per pipeline: events in, flushed per flusher, how many were not delivered) and exits at
//! once with code 130, without running any more plugin code.

use crossbeam_channel::Receiver;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Signals closer than this to the first one are the same stop; a signal this long or
/// longer after the first forces the exit.
pub const SAME_STOP_WINDOW: Duration = Duration::from_secs(1);

/// The exit code of a forced exit (as a shell reports a process ended by SIGINT).
pub const FORCED_EXIT_CODE: i32 = 130;

/// The signals that stop `pipeplug run`.
pub const STOP_SIGNALS: [i32; 2] = [SIGTERM, SIGINT];

/// The signal that reloads the configs of `pipeplug run`.
pub const RELOAD_SIGNAL: i32 = SIGHUP;

/// What a signal means, given when the first one came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    /// The first signal: stop cleanly.
    Stop,
    /// Within [`SAME_STOP_WINDOW`] of the first: the same stop.
    SameStop {
        /// Since the first signal.
        after: Duration,
    },
    /// [`SAME_STOP_WINDOW`] or longer after the first: exit now.
    ForceExit {
        /// Since the first signal.
        after: Duration,
    },
}

/// The rule: what a signal arriving at `now` means when the first came at `first`.
#[must_use]
pub fn meaning(first: Option<Instant>, now: Instant) -> Meaning {
    match first {
        None => Meaning::Stop,
        Some(first) => {
            let after = now.saturating_duration_since(first);
            if after < SAME_STOP_WINDOW {
                Meaning::SameStop { after }
            } else {
                Meaning::ForceExit { after }
            }
        }
    }
}

/// Listens for [`STOP_SIGNALS`] on a thread of its own while it lives: the first signal is
/// sent to [`StopSignals::requests`]; a signal [`SAME_STOP_WINDOW`] or more after it calls
/// the `force` callback given to [`StopSignals::listen`]. [`RELOAD_SIGNAL`] before the
/// first stop signal is sent to [`StopSignals::reloads`].
#[derive(Debug)]
pub struct StopSignals {
    requests: Receiver<&'static str>,
    reloads: Receiver<&'static str>,
    handle: Handle,
    thread: Option<JoinHandle<()>>,
}

impl StopSignals {
    /// Installs the handlers. `force` gets the signal's name and the time since the first
    /// signal; it is expected to report and exit (if it returns, later signals call it again).
    ///
    /// # Errors
    /// The handlers or the listening thread could not be set up.
    pub fn listen(force: impl Fn(&str, Duration) + Send + 'static) -> std::io::Result<Self> {
        let mut signals = Signals::new(STOP_SIGNALS.iter().chain([&RELOAD_SIGNAL]))?;
        let handle = signals.handle();
        let (tx, requests) = crossbeam_channel::bounded(1);
        // One pending reload is enough: it reads the files as they are when it runs.
        let (reload_tx, reloads) = crossbeam_channel::bounded(1);
        let thread = std::thread::Builder::new()
            .name("pipeplug-signals".to_owned())
            .spawn(move || {
                let mut first = None;
                for signal in signals.forever() {
                    let name = signal_hook::low_level::signal_name(signal).unwrap_or("a signal");
                    let now = Instant::now();
                    if signal == RELOAD_SIGNAL {
                        if first.is_some() {
                            tracing::info!("{name} received while stopping: ignored (no reload during a stop)");
                        } else {
                            tracing::info!("{name} received: reloading the configs");
                            let _ = reload_tx.try_send(name);
                        }
                        continue;
                    }
                    match meaning(first, now) {
                        Meaning::Stop => {
                            first = Some(now);
                            tracing::info!(
                                "{name} received: stopping cleanly (another signal {} s or more from now forces the exit)",
                                SAME_STOP_WINDOW.as_secs_f64()
                            );
                            let _ = tx.try_send(name);
                        }
                        Meaning::SameStop { after } => tracing::info!(
                            "{name} received {after:.1?} after the first signal: the same stop"
                        ),
                        Meaning::ForceExit { after } => force(name, after),
                    }
                }
            })?;
        Ok(Self {
            requests,
            reloads,
            handle,
            thread: Some(thread),
        })
    }

    /// Receives the name of the first stop signal.
    #[must_use]
    pub fn requests(&self) -> &Receiver<&'static str> {
        &self.requests
    }

    /// Receives a request to reload the configs (the signal's name) for each
    /// [`RELOAD_SIGNAL`] before the first stop signal; requests not yet received are one.
    #[must_use]
    pub fn reloads(&self) -> &Receiver<&'static str> {
        &self.reloads
    }
}

impl Drop for StopSignals {
    fn drop(&mut self) {
        self.handle.close();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_within_a_second_of_the_first_are_one_stop_and_a_later_one_forces_the_exit() {
        let t0 = Instant::now();
        assert_eq!(meaning(None, t0), Meaning::Stop);
        let ms = Duration::from_millis;
        assert_eq!(
            meaning(Some(t0), t0 + ms(10)),
            Meaning::SameStop { after: ms(10) }
        );
        assert_eq!(
            meaning(Some(t0), t0 + ms(999)),
            Meaning::SameStop { after: ms(999) }
        );
        assert_eq!(
            meaning(Some(t0), t0 + ms(1000)),
            Meaning::ForceExit { after: ms(1000) }
        );
    }
}
