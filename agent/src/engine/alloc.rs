//! The agent's global allocator: mimalloc (feature `mimalloc`, on by default), tuned so that
//! idle threads stay cheap.
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
//! # Idle threads: no transparent huge pages for the arena
//!
//! Every input runs on its own thread, and each thread allocating gets its own mimalloc
//! pages: one 64 KiB page per size class it uses, of which it touches only a few 4 KiB OS
//! pages. Left at its defaults, mimalloc commits its 1 GiB arena eagerly and asks the kernel
//! for transparent huge pages on it (`MADV_HUGEPAGE`, honoured by the Linux THP setting
//! `madvise` as well as `always`): the kernel then backs each touched 2 MiB of the arena
//! with a whole huge page, so a thread costs the full span of its pages, not what it
//! touches. Measured with `cargo run --release -p pipeplug-agent --example idle`, 1,000
//! idle `metric_mock` inputs (one thread each) took 303 MB resident, 1,000 `service_mock`
//! inputs (two threads each: the engine's and the plugin's worker) 774 MB; the system
//! allocator 16 MB and 29 MB.
//!
//! So `arena_eager_commit` is set to 0 before anything allocates: the arena is committed as
//! it is used, without huge pages, and a thread costs what it touches. The same 1,000 inputs
//! then take 58 MB (metric) and 124 MB (service), about 50 KB per thread (its thread heap
//! and the first OS pages of its size classes). The data path keeps its speed (`--example
//! peer -n 2000000`, medians of 10 interleaved runs: V1 1.46 M events/s before, 1.44 M
//! after; V2 1.01 M both). mimalloc's `allow_thp = 0` gives the
//! same figures, but it turns THP off for the whole process and its children (`prctl`).
//!
//! The value is a default: `MIMALLOC_ARENA_EAGER_COMMIT=1` in the environment restores
//! mimalloc's own (as `MIMALLOC_*` variables set any other option).
//!
//! Declared in the library so that every agent gets it: the `pipeplug` binary, agents made by
//! `pipeplug build`, and the tests and benchmarks that run the engine. A binary that wants
//! another allocator (or the system one) turns the feature off:
//! `pipeplug-agent = { version = "...", default-features = false }`.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_arena_eager_commit`: the fifth of its options in mimalloc v2 and v3
/// (`mimalloc.h`), which the Rust bindings do not name.
#[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

/// Sets mimalloc's option defaults (see the module docs). Runs before `main`, from
/// [`TUNE`], ahead of every constructor of default priority (the plugin registrations, and
/// mimalloc's own set-up), so before the first arena is reserved.
// Elsewhere (no ELF constructors) mimalloc keeps its defaults.
#[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
extern "C" fn tune() {
    // SAFETY: stores an option's value in mimalloc's option table; it takes no lock,
    // allocates nothing, and is overridden by a `MIMALLOC_ARENA_EAGER_COMMIT` variable.
    unsafe { libmimalloc_sys::mi_option_set_default(ARENA_EAGER_COMMIT, 0) };
}

/// [`tune`] as an ELF constructor of priority 101, the earliest one that may call into the
/// C library (the loader runs `.init_array.NNNNN` entries in ascending order, then the
/// plain `.init_array` ones).
#[cfg(any(target_os = "linux", target_os = "android"))]
#[used]
#[link_section = ".init_array.00101"]
static TUNE: extern "C" fn() = tune;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn the_arena_is_not_committed_eagerly() {
        if std::env::var_os("MIMALLOC_ARENA_EAGER_COMMIT").is_some() {
            return; // set by hand: the environment wins
        }
        // SAFETY: reads an option's value.
        let value = unsafe { libmimalloc_sys::mi_option_get(ARENA_EAGER_COMMIT) };
        assert_eq!(value, 0);
    }
}
