//! Version skew: a plugin crate built on another copy of `pipeplug` than the agent's.
//!
//! An agent must hold exactly one `pipeplug`: the plugin registry lives in it, and the
//! attribute macros register each plugin with the `pipeplug` its crate depends on. A plugin
//! crate that depends on pipeplug from another folder, another git repository or commit, or
//! another version than the agent breaks the build in one of three ways: cargo stops on a
//! "package collision in the lockfile" (the same version at two paths), the plugin's types do
//! not match the agent's, or the build succeeds and the plugins register with a registry the
//! agent never reads.
//!
//! `pipeplug build` looks for it before cargo builds anything:
//!
//! 1. [`check_declared`], before cargo resolves: a plugin crate given by `path` whose
//!    `pipeplug` dependency is another folder than the agent's (cargo's `metadata --no-deps`,
//!    offline).
//! 2. [`find_resolved`], once the dependencies are fetched: every `pipeplug` in the resolved
//!    graph other than the agent's, and the plugin crates that reach it (any source, direct or
//!    through another crate).
//! 3. [`patches`]: a copy from git or crates.io of a version compatible with the agent's is
//!    pointed at the agent's copy by a `[patch]` section of the generated `Cargo.toml`. cargo
//!    cannot patch a path source, nor unify incompatible versions: those are errors that
//!    name the plugin crate, both copies and the `Cargo.toml` line that fixes it.
//! 4. [`collision_hint`]: when cargo itself stops on a collision of two `pipeplug` copies that
//!    step 1 could not see (a copy reached through another path crate), what it means.

use super::generate::{toml_str, AgentSource, Generated};
use super::spec::{Entry, Origin, Source};
use super::BuildError;
use super::Target;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The crates of pipeplug that a `[patch]` points at the agent's copy: `pipeplug` and the
/// macros it re-exports.
const FAMILY: [&str; 2] = ["pipeplug", "pipeplug-macros"];

/// The index of crates.io, as cargo writes it in a package's source.
const CRATES_IO: [&str; 2] = [
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
];

/// Where a copy of a pipeplug crate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopySource {
    /// A folder (the one holding its `Cargo.toml`).
    Path(PathBuf),
    /// A git repository.
    Git {
        /// The repository's URL.
        url: String,
        /// The `rev`, `branch` or `tag` asked for, as `rev = abc`.
        reference: Option<String>,
        /// The commit cargo checked out, if it is known yet.
        commit: Option<String>,
    },
    /// A registry: its index, as cargo names it (`registry+https://...`).
    Registry(String),
}

impl CopySource {
    /// The source of a package as `cargo metadata` writes it: `None` for a path package (then
    /// `dir` is its folder), else `git+URL?rev=abc#commit` or `registry+URL`.
    fn from_cargo(source: Option<&str>, dir: &Path) -> Self {
        let Some(source) = source else {
            return Self::Path(dir.to_owned());
        };
        if let Some(rest) = source.strip_prefix("git+") {
            let (rest, commit) = match rest.split_once('#') {
                Some((r, c)) => (r, Some(c.to_owned())),
                None => (rest, None),
            };
            let (url, reference) = match rest.split_once('?') {
                Some((u, q)) => (u, Some(q.replacen('=', " = ", 1))),
                None => (rest, None),
            };
            return Self::Git {
                url: url.to_owned(),
                reference,
                commit,
            };
        }
        Self::Registry(source.to_owned())
    }

    fn is_crates_io(&self) -> bool {
        matches!(self, Self::Registry(r) if CRATES_IO.contains(&r.as_str()))
    }

    /// The key of a `[patch]` table that replaces this source, if cargo can patch it (a git
    /// repository or crates.io; never a path).
    fn patch_key(&self) -> Option<String> {
        match self {
            Self::Git { url, .. } => Some(toml_str(url)),
            _ if self.is_crates_io() => Some("crates-io".to_owned()),
            _ => None,
        }
    }

    /// The dependency that points at this source, for a `[patch]` entry or a plugin's
    /// `Cargo.toml`: `{ path = ".." }` or `{ git = "..", rev = ".." }`.
    fn dependency(&self) -> Option<String> {
        match self {
            Self::Path(dir) => Some(format!("{{ path = {} }}", toml_str(&dir.to_string_lossy()))),
            Self::Git {
                url,
                commit: Some(commit),
                ..
            } => Some(format!(
                "{{ git = {}, rev = {} }}",
                toml_str(url),
                toml_str(commit)
            )),
            _ => None,
        }
    }
}

/// One copy of pipeplug in a build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipeplugCopy {
    /// Its version.
    pub version: String,
    /// Where it comes from.
    pub source: CopySource,
    /// Its `repository` (for the git form of the fix), if its manifest names one.
    pub repository: Option<String>,
}

impl fmt::Display for PipeplugCopy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pipeplug {} ", self.version)?;
        match &self.source {
            CopySource::Path(dir) => write!(f, "at path {}", dir.display()),
            CopySource::Git {
                url,
                reference,
                commit,
            } => {
                write!(f, "from git {url}")?;
                let mut details = Vec::new();
                if let Some(r) = reference {
                    details.push(r.clone());
                }
                if let Some(c) = commit {
                    details.push(format!("commit {}", c.chars().take(10).collect::<String>()));
                }
                if !details.is_empty() {
                    write!(f, " ({})", details.join(", "))?;
                }
                Ok(())
            }
            s if s.is_crates_io() => write!(f, "from crates.io"),
            CopySource::Registry(r) => write!(f, "from the registry {r}"),
        }
    }
}

/// Why `pipeplug build` cannot make a skewed plugin crate use the agent's pipeplug itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unpatchable {
    /// The plugin's copy is a folder: cargo's `[patch]` replaces git and registry sources only.
    PathSource,
    /// The plugin's copy comes from a registry other than crates.io.
    OtherRegistry,
    /// The versions are not semver-compatible: the plugin's code was written against another
    /// API.
    Versions,
    /// The agent's copy cannot be written as a patch (a registry version), or is the same
    /// source at another commit.
    AgentSource,
    /// The `[patch]` was written, and cargo's resolution still holds both copies (the
    /// plugin's version requirement excludes the agent's copy).
    NotTaken,
}

impl fmt::Display for Unpatchable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::PathSource => {
                "cargo cannot redirect a path dependency (a `[patch]` replaces git and registry \
                 sources only), so `pipeplug build` cannot unify the two"
            }
            Self::OtherRegistry => {
                "`pipeplug build` patches git and crates.io copies only, not other registries"
            }
            Self::Versions => {
                "the versions are not compatible, so `pipeplug build` does not swap one for \
                 the other: the plugin crate was written against another API"
            }
            Self::AgentSource => {
                "the agent's copy cannot stand in for it through a `[patch]` (a registry \
                 version, or the same repository at another commit)"
            }
            Self::NotTaken => {
                "`pipeplug build` pointed that source at the agent's copy with a `[patch]` \
                 section, and cargo did not take it (the plugin crate's version requirement \
                 excludes the agent's copy)"
            }
        })
    }
}

/// A plugin crate built on another pipeplug than the agent's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skew {
    /// The plugin crate's package name.
    pub crate_name: String,
    /// Its entry in the plugin lists.
    pub origin: Origin,
    /// The pipeplug it depends on.
    pub plugin: PipeplugCopy,
    /// The agent's pipeplug.
    pub agent: PipeplugCopy,
    /// The `[patch]` entries that would point the plugin's copy at the agent's: crate name
    /// and the dependency it is replaced by. Empty when it cannot be patched.
    patch_entries: Vec<(String, String)>,
    /// Why it cannot be patched, if it cannot.
    unpatchable: Option<Unpatchable>,
}

impl Skew {
    /// Why `pipeplug build` cannot point the plugin's copy at the agent's; `None` when the
    /// generated `Cargo.toml` can (see [`patches`]).
    #[must_use]
    pub fn unpatchable(&self) -> Option<&Unpatchable> {
        self.unpatchable.as_ref()
    }

    /// The lines of the plugin crate's `Cargo.toml` that make it use the agent's pipeplug.
    fn fix(&self) -> String {
        let mut s = format!(
            "  fix: make `{}` depend on the agent's pipeplug. In its Cargo.toml, [dependencies]:\n",
            self.crate_name
        );
        let git = |url: &str, rev: &str| {
            format!(
                "      pipeplug = {{ git = {}, rev = {} }}\n",
                toml_str(url),
                toml_str(rev)
            )
        };
        match &self.agent.source {
            CopySource::Path(dir) => {
                s.push_str(&format!(
                    "      pipeplug = {{ path = {} }}\n",
                    toml_str(&dir.to_string_lossy())
                ));
                if let Some(repo) = &self.agent.repository {
                    let (rev, which) = match checkout_commit(dir) {
                        Some(c) => (c, "that checkout's commit"),
                        None => ("COMMIT".to_owned(), "COMMIT: that checkout's commit"),
                    };
                    s.push_str(&format!(
                        "    or, from git ({which}; `tag = \"...\"` works as well):\n"
                    ));
                    s.push_str(&git(repo, &rev));
                }
            }
            CopySource::Git {
                url,
                commit: Some(commit),
                ..
            } => s.push_str(&git(url, commit)),
            CopySource::Git { url, .. } => s.push_str(&git(url, "COMMIT")),
            CopySource::Registry(_) => s.push_str(&format!(
                "      pipeplug = {}\n",
                toml_str(&self.agent.version)
            )),
        }
        s.push_str(
            "    and the same source for a `pipeplug` line under [dev-dependencies] (with \
             `features = [\"testing\"]`)",
        );
        if let CopySource::Path(dir) = &self.plugin.source {
            if let Some(agent) = dir.parent().map(|p| p.join("agent")) {
                if agent.join("Cargo.toml").is_file() {
                    s.push_str(&format!(
                        ";\n    or build the agent from `{}`'s pipeplug instead: --agent-path {}",
                        self.crate_name,
                        agent.display()
                    ));
                }
            }
        }
        s
    }

    /// The note `pipeplug build` writes when it patched this skew.
    #[must_use]
    pub fn patched_note(&self) -> String {
        let line = self
            .agent
            .source
            .dependency()
            .map(|d| format!("pipeplug = {d}"))
            .unwrap_or_default();
        format!(
            "plugin crate `{}` ({}) depends on {}, the agent on {}: the generated Cargo.toml \
             points that source at the agent's copy with a [patch] section, so the agent holds \
             one pipeplug. To build without the patch, give `{}` the agent's pipeplug in its \
             Cargo.toml: {line}",
            self.crate_name, self.origin, self.plugin, self.agent, self.crate_name
        )
    }
}

impl fmt::Display for Skew {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "plugin crate `{}` ({}) is built on another pipeplug than the agent:",
            self.crate_name, self.origin
        )?;
        // The two copies one above the other.
        let theirs = format!("`{}` uses:", self.crate_name);
        let ours = "the agent uses:";
        let width = theirs.len().max(ours.len());
        writeln!(f, "  {theirs:<width$} {}", self.plugin)?;
        writeln!(f, "  {ours:<width$} {}", self.agent)?;
        writeln!(
            f,
            "  An agent holds one pipeplug: with two, cargo stops on a \"package collision in \
             the lockfile\" (one version at two paths), or the plugin's types do not match the \
             agent's, or the plugins register with a registry the agent never reads."
        )?;
        if let Some(why) = &self.unpatchable {
            writeln!(f, "  {why}.")?;
        }
        f.write_str(&self.fix())
    }
}

/// The commit a pipeplug checkout is at, if `dir` is in a git work tree and git can say.
fn checkout_commit(dir: &Path) -> Option<String> {
    let out = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let commit = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && commit.len() >= 7 && commit.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some(commit)
}

/// Every skewed plugin crate of a build, shown one after another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkewReport(pub Vec<Skew>);

impl fmt::Display for SkewReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

/// Runs `cargo metadata` (offline: it never waits on the network) on `manifest`; its JSON,
/// or cargo's error output.
fn metadata(manifest: &Path, no_deps: bool) -> Result<Value, String> {
    let mut cmd = super::cargo();
    cmd.args(["metadata", "--format-version", "1", "--offline"]);
    if no_deps {
        cmd.arg("--no-deps");
    }
    // Run from the crate's folder, as the build is: the same `.cargo/config.toml` applies.
    if let Some(dir) = manifest.parent() {
        cmd.current_dir(dir);
    }
    let out = cmd
        .arg("--manifest-path")
        .arg(manifest)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata's output: {e}"))
}

/// A package of `cargo metadata`'s `packages`, by name and manifest path.
fn package<'a>(meta: &'a Value, name: &str, manifest: Option<&Path>) -> Option<&'a Value> {
    meta["packages"].as_array()?.iter().find(|p| {
        p["name"] == name
            && manifest.is_none_or(|m| {
                p["manifest_path"]
                    .as_str()
                    .is_some_and(|mp| same_path(Path::new(mp), m))
            })
    })
}

fn same_path(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The `pipeplug` dependency that `pkg` declares for normal or build use: (its folder, if a
/// path; its source, if not; its version requirement).
fn declared_pipeplug(pkg: &Value) -> Option<(Option<PathBuf>, Option<String>, String)> {
    pkg["dependencies"].as_array()?.iter().find_map(|d| {
        (d["name"] == "pipeplug" && d["kind"] != "dev").then(|| {
            (
                d["path"].as_str().map(PathBuf::from),
                d["source"].as_str().map(str::to_owned),
                d["req"].as_str().unwrap_or("*").to_owned(),
            )
        })
    })
}

/// The copy of pipeplug in the folder `dir`, read with `cargo metadata --no-deps`; `req`
/// stands in for the version if the folder cannot be read.
fn copy_at(dir: &Path, req: &str) -> PipeplugCopy {
    let manifest = dir.join("Cargo.toml");
    let meta = metadata(&manifest, true).ok();
    let pkg = meta
        .as_ref()
        .and_then(|m| package(m, "pipeplug", Some(&manifest)));
    PipeplugCopy {
        version: pkg
            .and_then(|p| p["version"].as_str())
            .unwrap_or(req.trim_start_matches('='))
            .to_owned(),
        source: CopySource::Path(dir.canonicalize().unwrap_or_else(|_| dir.to_owned())),
        repository: pkg
            .and_then(|p| p["repository"].as_str())
            .map(str::to_owned),
    }
}

/// The pipeplug of an agent taken from a path (of its host crate, `pipeplug-agent` or
/// `pipeplug-loongcollector`), read from its manifest without resolving (`cargo metadata
/// --no-deps`); `None` for other agents, or when it cannot be read.
fn agent_path_copy(agent: &AgentSource, target: Target) -> Option<PipeplugCopy> {
    let host_dir = agent.host_dir(target)?;
    let agent_manifest = host_dir.join("Cargo.toml");
    match metadata(&agent_manifest, true) {
        Ok(meta) => package(&meta, target.host_crate(), Some(&agent_manifest))
            .and_then(declared_pipeplug)
            .and_then(|(path, _, req)| path.map(|p| copy_at(&p, &req))),
        Err(e) => {
            tracing::debug!("cannot read the agent's pipeplug before cargo: {e}");
            None
        }
    }
}

/// Before cargo resolves anything: each plugin crate given by `path` whose own `pipeplug`
/// dependency is a path to another folder than the agent's pipeplug. cargo cannot unify two
/// path copies, so each is an error. Only an agent taken from a path is checked here (the
/// others are found by [`find_resolved`]); a manifest cargo cannot read is left to cargo.
///
/// # Errors
/// [`SkewReport`] of every such plugin crate.
pub fn check_declared(
    entries: &[Entry],
    agent: &AgentSource,
    target: Target,
) -> Result<(), SkewReport> {
    let Some(agent_copy) = agent_path_copy(agent, target) else {
        return Ok(());
    };
    let mut skews = Vec::new();
    let mut seen = HashSet::new();
    for e in entries {
        let Source::Path(dir) = &e.source else {
            continue;
        };
        if !seen.insert(&e.crate_name) {
            continue;
        }
        let manifest = dir.join("Cargo.toml");
        let declared = match metadata(&manifest, true) {
            Ok(meta) => package(&meta, &e.crate_name, None).and_then(declared_pipeplug),
            Err(err) => {
                tracing::debug!("not checking {}'s pipeplug before cargo: {err}", e.origin);
                None
            }
        };
        let Some((Some(path), _, req)) = declared else {
            continue;
        };
        let plugin = copy_at(&path, &req);
        if plugin.source != agent_copy.source {
            skews.push(Skew {
                crate_name: e.crate_name.clone(),
                origin: e.origin.clone(),
                plugin,
                agent: agent_copy.clone(),
                patch_entries: Vec::new(),
                unpatchable: Some(Unpatchable::PathSource),
            });
        }
    }
    if skews.is_empty() {
        Ok(())
    } else {
        Err(SkewReport(skews))
    }
}

/// The resolved dependency graph of a generated crate, from `cargo metadata`.
struct Graph<'a> {
    packages: HashMap<&'a str, &'a Value>,
    deps: HashMap<&'a str, Vec<&'a str>>,
    root: &'a str,
}

impl<'a> Graph<'a> {
    fn new(meta: &'a Value) -> Option<Self> {
        let packages = meta["packages"]
            .as_array()?
            .iter()
            .filter_map(|p| Some((p["id"].as_str()?, p)))
            .collect();
        let deps = meta["resolve"]["nodes"]
            .as_array()?
            .iter()
            .filter_map(|n| {
                let ids = n["dependencies"].as_array()?;
                Some((
                    n["id"].as_str()?,
                    ids.iter().filter_map(Value::as_str).collect(),
                ))
            })
            .collect();
        let root = meta["resolve"]["root"].as_str()?;
        Some(Self {
            packages,
            deps,
            root,
        })
    }

    fn name(&self, id: &str) -> &'a str {
        self.packages
            .get(id)
            .and_then(|p| p["name"].as_str())
            .unwrap_or("")
    }

    /// The direct dependency of `id` named `name`.
    fn dep(&self, id: &str, name: &str) -> Option<&'a str> {
        self.deps
            .get(id)?
            .iter()
            .copied()
            .find(|d| self.name(d) == name)
    }

    /// Every package `from` depends on, itself included.
    fn reachable(&self, from: &'a str) -> Vec<&'a str> {
        let mut seen = HashSet::from([from]);
        let mut order = vec![from];
        let mut queue = VecDeque::from([from]);
        while let Some(id) = queue.pop_front() {
            for d in self.deps.get(id).into_iter().flatten() {
                if seen.insert(d) {
                    order.push(d);
                    queue.push_back(d);
                }
            }
        }
        order
    }

    fn source(&self, id: &str) -> Option<&'a str> {
        self.packages.get(id)?["source"].as_str()
    }

    fn copy(&self, id: &str) -> PipeplugCopy {
        let p = self.packages.get(id).copied().unwrap_or(&Value::Null);
        let dir = p["manifest_path"]
            .as_str()
            .and_then(|m| Path::new(m).parent())
            .map(Path::to_path_buf)
            .unwrap_or_default();
        PipeplugCopy {
            version: p["version"].as_str().unwrap_or("?").to_owned(),
            source: CopySource::from_cargo(p["source"].as_str(), &dir),
            repository: p["repository"].as_str().map(str::to_owned),
        }
    }
}

/// Once the dependencies are fetched: every plugin crate of `entries` that reaches (directly
/// or through other crates) a `pipeplug` other than the agent's, in the resolved graph of the
/// generated crate, for every target. Empty when there is none, or when cargo cannot
/// resolve the graph offline (the build then shows cargo's own error).
#[must_use]
pub fn find_resolved(generated: &Generated, entries: &[Entry]) -> Vec<Skew> {
    let meta = match metadata(&generated.dir.join("Cargo.toml"), false) {
        Ok(m) => m,
        Err(e) => {
            tracing::debug!("not checking the plugin crates' pipeplug: {e}");
            return Vec::new();
        }
    };
    let Some(graph) = Graph::new(&meta) else {
        return Vec::new();
    };
    let Some(agent_pp) = graph
        .dep(graph.root, generated.target.host_crate())
        .and_then(|a| graph.dep(a, "pipeplug"))
    else {
        return Vec::new();
    };
    // The agent's copy of each crate of the family.
    let agent_family: BTreeMap<&str, &str> = graph
        .reachable(agent_pp)
        .into_iter()
        .filter(|id| FAMILY.contains(&graph.name(id)))
        .map(|id| (graph.name(id), id))
        .collect();
    let agent = graph.copy(agent_pp);
    let mut skews = Vec::new();
    let mut seen = HashSet::new();
    for e in entries {
        if !seen.insert(&e.crate_name) {
            continue;
        }
        let Some(plugin_id) = graph.dep(graph.root, &e.crate_name) else {
            continue;
        };
        for id in graph.reachable(plugin_id) {
            if graph.name(id) != "pipeplug" || id == agent_pp {
                continue;
            }
            let plugin = graph.copy(id);
            let unpatchable = unpatchable(&plugin, &agent);
            // One entry for each crate of the family from the plugin's source, pointed at
            // the agent's copy of it.
            let patch_entries = if unpatchable.is_some() {
                Vec::new()
            } else {
                let src = graph.source(id);
                graph
                    .packages
                    .keys()
                    .filter(|other| {
                        graph.source(other) == src && FAMILY.contains(&graph.name(other))
                    })
                    .filter_map(|other| {
                        let name = graph.name(other);
                        let target = graph.copy(agent_family.get(name)?);
                        Some((name.to_owned(), target.source.dependency()?))
                    })
                    .collect::<BTreeMap<_, _>>()
                    .into_iter()
                    .collect()
            };
            skews.push(Skew {
                crate_name: e.crate_name.clone(),
                origin: e.origin.clone(),
                plugin,
                agent: agent.clone(),
                patch_entries,
                unpatchable,
            });
        }
    }
    skews
}

/// Why the plugin's copy cannot be pointed at the agent's, if it cannot.
fn unpatchable(plugin: &PipeplugCopy, agent: &PipeplugCopy) -> Option<Unpatchable> {
    let key = match &plugin.source {
        CopySource::Path(_) => return Some(Unpatchable::PathSource),
        s => match s.patch_key() {
            Some(k) => k,
            None => return Some(Unpatchable::OtherRegistry),
        },
    };
    if !compatible(&plugin.version, &agent.version) {
        return Some(Unpatchable::Versions);
    }
    if agent.source.dependency().is_none() || agent.source.patch_key() == Some(key) {
        return Some(Unpatchable::AgentSource);
    }
    None
}

/// Whether cargo treats the two versions as compatible: the same leftmost non-zero
/// component (`0.1.2` and `0.1.5`; `1.2.0` and `1.4.1`), or equal.
fn compatible(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let parts = |v: &str| -> Option<Vec<u64>> {
        let core = v.split(['-', '+']).next()?;
        if core.len() != v.len() {
            return None; // a pre-release is compatible only with itself
        }
        core.split('.').map(|p| p.parse().ok()).collect()
    };
    let (Some(a), Some(b)) = (parts(a), parts(b)) else {
        return false;
    };
    if a.len() != 3 || b.len() != 3 {
        return false;
    }
    match (a[0], a[1]) {
        (0, 0) => a == b,
        (0, minor) => b[0] == 0 && b[1] == minor,
        (major, _) => b[0] == major,
    }
}

/// A `[patch]` table of the generated `Cargo.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    /// The table's key: `crates-io`, or a quoted git URL.
    pub key: String,
    /// Its entries: crate name, and the dependency on the agent's copy.
    pub entries: Vec<(String, String)>,
    /// The plugin crates it is for.
    pub crates: Vec<String>,
}

impl Patch {
    /// The table, with a comment saying why it is there.
    #[must_use]
    pub fn to_toml(&self) -> String {
        let mut s = format!(
            "\n# Plugin crate(s) {} depend on another pipeplug than the agent: `pipeplug build`\n\
             # points that source at the agent's copy, so the agent holds one pipeplug.\n\
             [patch.{}]\n",
            self.crates
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", "),
            self.key
        );
        for (name, dep) in &self.entries {
            s.push_str(&format!("{name} = {dep}\n"));
        }
        s
    }
}

/// The `[patch]` tables that point every skewed copy at the agent's, or `None` when one of
/// them cannot be patched.
#[must_use]
pub fn patches(skews: &[Skew]) -> Option<Vec<Patch>> {
    let mut out: Vec<Patch> = Vec::new();
    for s in skews {
        if s.unpatchable.is_some() || s.patch_entries.is_empty() {
            return None;
        }
        let key = s.plugin.source.patch_key()?;
        match out.iter_mut().find(|p| p.key == key) {
            Some(p) => {
                if !p.crates.contains(&s.crate_name) {
                    p.crates.push(s.crate_name.clone());
                }
                for e in &s.patch_entries {
                    if !p.entries.iter().any(|(n, _)| *n == e.0) {
                        p.entries.push(e.clone());
                    }
                }
            }
            None => out.push(Patch {
                key,
                entries: s.patch_entries.clone(),
                crates: vec![s.crate_name.clone()],
            }),
        }
    }
    Some(out)
}

/// Marks skews that remain after their `[patch]` was written.
#[must_use]
pub fn not_taken(mut skews: Vec<Skew>) -> SkewReport {
    for s in &mut skews {
        s.unpatchable = Some(Unpatchable::NotTaken);
    }
    SkewReport(skews)
}

/// When cargo stopped on a collision of two `pipeplug` copies (the same version at two
/// paths), what it means and what to do; `None` for any other failure.
#[must_use]
pub fn collision_hint(generated: &Generated, agent: &AgentSource) -> Option<String> {
    let target = generated.target;
    let err = metadata(&generated.dir.join("Cargo.toml"), false).err()?;
    let line = err
        .lines()
        .find(|l| l.contains("package collision in the lockfile"))?;
    if !FAMILY
        .iter()
        .any(|name| line.contains(&format!("packages {name} v")))
    {
        return None;
    }
    let fix = match (agent_path_copy(agent, target), agent) {
        (Some(copy), _) => copy
            .source
            .dependency()
            .map(|d| format!("pipeplug = {d}"))
            .unwrap_or_default(),
        (None, AgentSource::Version(v)) => format!("pipeplug = {}", toml_str(v)),
        (None, AgentSource::Path(dir)) => format!(
            "pipeplug = {{ path = \"...\" }}, the `pipeplug` dependency of {}",
            agent
                .host_dir(target)
                .unwrap_or_else(|| dir.clone())
                .join("Cargo.toml")
                .display()
        ),
    };
    Some(format!(
        "note: two copies of pipeplug are in this build (cargo's \"package collision in the \
         lockfile\" above names both folders): a plugin crate, or a crate it depends on, \
         depends on pipeplug from another folder than the agent. An agent holds one pipeplug: \
         make that crate depend on the agent's, `{fix}`"
    ))
}

/// Adds `[patch]` tables to the generated `Cargo.toml` (after its `[workspace]`).
///
/// # Errors
/// [`BuildError::Write`] when the file cannot be written.
pub fn append_patches(generated: &Generated, patches: &[Patch]) -> Result<(), BuildError> {
    let path = generated.dir.join("Cargo.toml");
    let werr = |source| BuildError::Write {
        dir: generated.dir.clone(),
        source,
    };
    let mut manifest = std::fs::read_to_string(&path).map_err(werr)?;
    for p in patches {
        manifest.push_str(&p.to_toml());
    }
    std::fs::write(&path, manifest).map_err(werr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_compatible_as_cargo_says() {
        assert!(compatible("0.1.0", "0.1.0"));
        assert!(compatible("0.1.2", "0.1.5"));
        assert!(!compatible("0.1.0", "0.2.0"));
        assert!(compatible("1.2.0", "1.4.1"));
        assert!(!compatible("1.0.0", "2.0.0"));
        assert!(!compatible("0.0.1", "0.0.2"));
        assert!(!compatible("0.1.0-alpha", "0.1.0"));
        assert!(!compatible("x", "0.1.0"));
    }

    #[test]
    fn cargo_sources_are_read_and_shown() {
        let git = CopySource::from_cargo(
            Some("git+https://example.invalid/pp.git?rev=abc#0123456789abcdef"),
            Path::new("/x"),
        );
        assert_eq!(
            git,
            CopySource::Git {
                url: "https://example.invalid/pp.git".into(),
                reference: Some("rev = abc".into()),
                commit: Some("0123456789abcdef".into()),
            }
        );
        assert_eq!(
            git.patch_key().as_deref(),
            Some("\"https://example.invalid/pp.git\"")
        );
        let copy = PipeplugCopy {
            version: "0.1.0".into(),
            source: git,
            repository: None,
        };
        assert_eq!(
            copy.to_string(),
            "pipeplug 0.1.0 from git https://example.invalid/pp.git (rev = abc, commit 0123456789)"
        );
        let io = CopySource::from_cargo(Some(CRATES_IO[0]), Path::new("/x"));
        assert_eq!(io.patch_key().as_deref(), Some("crates-io"));
        assert_eq!(io.dependency(), None);
        let path = CopySource::from_cargo(None, Path::new("/p/core"));
        assert_eq!(path, CopySource::Path("/p/core".into()));
        assert_eq!(path.patch_key(), None);
        assert_eq!(path.dependency().as_deref(), Some("{ path = \"/p/core\" }"));
    }

    fn skew(plugin: CopySource, version: &str) -> Skew {
        let plugin = PipeplugCopy {
            version: version.into(),
            source: plugin,
            repository: None,
        };
        let agent = PipeplugCopy {
            version: "0.1.0".into(),
            source: CopySource::Path("/pp/core".into()),
            repository: None,
        };
        let unpatchable = unpatchable(&plugin, &agent);
        Skew {
            crate_name: "tiny".into(),
            origin: Origin {
                file: "external_plugins.yml".into(),
                section: "common".into(),
                index: 0,
            },
            patch_entries: if unpatchable.is_none() {
                vec![("pipeplug".into(), "{ path = \"/pp/core\" }".into())]
            } else {
                Vec::new()
            },
            plugin,
            agent,
            unpatchable,
        }
    }

    #[test]
    fn a_crates_io_copy_of_a_compatible_version_is_patched() {
        let s = skew(CopySource::Registry(CRATES_IO[1].into()), "0.1.3");
        let p = patches(std::slice::from_ref(&s)).unwrap();
        assert_eq!(
            p[0].to_toml().lines().skip(3).collect::<Vec<_>>(),
            ["[patch.crates-io]", "pipeplug = { path = \"/pp/core\" }"]
        );
        assert!(s.patched_note().contains(
            "`tiny` (external_plugins.yml: plugins.common[0]) depends on pipeplug 0.1.3 from crates.io, the agent on pipeplug 0.1.0 at path /pp/core"
        ));
    }

    #[test]
    fn path_copies_and_other_versions_are_errors_that_say_why() {
        let s = skew(CopySource::Path("/copy/core".into()), "0.1.0");
        assert_eq!(s.unpatchable, Some(Unpatchable::PathSource));
        assert!(patches(std::slice::from_ref(&s)).is_none());
        let text = s.to_string();
        assert!(
            text.contains("`tiny` uses:    pipeplug 0.1.0 at path /copy/core"),
            "{text}"
        );
        assert!(
            text.contains("pipeplug = { path = \"/pp/core\" }"),
            "{text}"
        );
        assert!(text.contains("cannot redirect a path dependency"), "{text}");
        let s = skew(
            CopySource::Git {
                url: "https://example.invalid/pp".into(),
                reference: None,
                commit: None,
            },
            "0.2.0",
        );
        assert_eq!(s.unpatchable, Some(Unpatchable::Versions));
        assert!(s.to_string().contains("not compatible"));
    }
}
