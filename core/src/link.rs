//! [`link!`](crate::link): the one line that brings a plugin collection into a binary.

/// Links plugin collections into this binary, so that their plugins register before `main`.
///
/// Write it once, at the top level of a binary, an integration test or an agent, naming the
/// `all` module of each collection (Go's blank `import _ ".../all"`):
///
/// ```
/// # mod example_plugin { pub mod all { pub const PLUGINS: &[&str] = &[]; } }
/// # mod my_plugins { pub mod all { pub const PLUGINS: &[&str] = &[]; } }
/// pipeplug::link!(example_plugin::all, my_plugins::all);
/// # fn main() {}
/// ```
///
/// (`example_plugin`'s own docs show the registry seeing its plugin after this line.)
///
/// # Why a line is needed
///
/// rustc links a dependency only when the code names something in it, and a plugin crate's
/// registrations run only if the crate is linked: a binary (or an integration test) that
/// depends on a plugin crate but names nothing of it sees none of its plugins. Naming any
/// item of the crate would do; `link!` names the collection's `all` module without the
/// "unused import" warning that `use my_plugins::all as _;` gets.
///
/// # The `all` module
///
/// A collection's `all` module declares the names of its plugins:
///
/// ```
/// pub mod all {
///     /// The plugins this crate registers.
///     pub const PLUGINS: &[&str] = &["service_example_plugin"];
/// }
/// ```
///
/// `link!` names `PLUGINS`. An agent tells `pipeplug_agent::main_with_plugins` which plugins
/// it expects, and is warned at start-up about any that is not registered. (`pipeplug build`
/// writes `use <import> as _;` lines instead, since an import there may be a single plugin's
/// module without a `PLUGINS` list, and passes the `expect:` names of `external_plugins.yml`.)
///
/// # Equivalent code without the macro
///
/// ```
/// # mod example_plugin { pub mod all { pub const PLUGINS: &[&str] = &[]; } }
/// const _: &[&[&str]] = &[example_plugin::all::PLUGINS];
/// ```
#[macro_export]
macro_rules! link {
    ($($($segment:ident)::+),+ $(,)?) => {
        const _: &[&[&str]] = &[$($($segment)::+::PLUGINS),+];
    };
}
