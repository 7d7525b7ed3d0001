//! The agent's global allocator: mimalloc (feature `mimalloc`, on by default).
//!
//! A pipeline moves every event across threads: an input allocates it, a flusher frees it.
//! glibc's allocator serves a thread from its own arena, and a free from another thread takes
//! that arena's lock, the lock the input's next allocation needs; the input's thread cache
//! stays empty since it never frees. Measured with `cargo bench -p pipeplug-agent --bench
//! pipeline` (docs/benchmarks.md), most of a pipeline's time went to that contention. With
//! mimalloc, which hands a page's cross-thread frees back to its owner without a lock, the
//! same V2 pipeline went from about 0.85 M to 2.4 M events/s (and the one-thread loop it is
//! compared with from 1.9 M to 3.8 M).
//!
//! Declared in the library so that every agent gets it: the `pipeplug` binary, agents made by
//! `pipeplug build`, and the tests and benchmarks that run the engine. A binary that wants
//! another allocator (or the system one) turns the feature off:
//! `pipeplug-agent = { version = "...", default-features = false }`.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
