//! `external_plugins.yml`: which plugin crates an agent build includes.
//!
//! ```yaml
//! plugins:
//!   common:                       # also: linux, windows, macos
//!     - crate: my_plugins         # the crate's package name
//!       path: ../my_plugins       # or version: "0.3", or git: URL with rev/branch/tag
//!       import: my_plugins::all   # a plugin module or a collection's all module; default: the crate
//!       expect: [service_example_plugin]   # optional: plugins the agent warns about if missing
//! ```
//!
//! Relative paths resolve against the folder of the file that names them. Several files
//! merge, as iLogtail's `PLUGINS_CONFIG_FILE` does.

use pipeplug::config::Decoder;
use serde_json::Value;
use std::fmt;
use std::path::{Path, PathBuf};

/// The sections of `plugins:`, as iLogtail names them (plus `macos`).
pub const SECTIONS: [&str; 4] = ["common", "linux", "windows", "macos"];
/// The keys of an entry, in the order its fields are read.
const ENTRY_KEYS: [&str; 10] = [
    "crate", "path", "version", "git", "rev", "branch", "tag", "import", "expect", "features",
];
/// iLogtail's `debug` section, answered with what to do instead.
const SECTION_HINTS: [(&str, &str); 1] = [(
    "debug",
    "iLogtail's `debug` section has no counterpart here; list debug-only crates in a file of \
     their own and add it with a second --plugins",
)];
/// iLogtail's Go entry form, answered with the Rust one.
const ENTRY_HINTS: [(&str, &str); 1] = [(
    "gomod",
    "`gomod` is iLogtail's Go form: write `crate:` with `path:`, `version:` or `git:`",
)];

/// Where an entry came from: the file and its position (`plugins.common[1]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file.
    pub file: PathBuf,
    /// The section (`common`, `linux`, ...).
    pub section: String,
    /// The index in the section.
    pub index: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: plugins.{}[{}]",
            self.file.display(),
            self.section,
            self.index
        )
    }
}

/// Where a plugin crate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A folder (absolute after loading).
    Path(PathBuf),
    /// A crates.io version requirement.
    Version(String),
    /// A git repository, with at most one of rev, branch or tag.
    Git {
        /// The URL.
        url: String,
        /// `rev`, `branch` or `tag`, and its value.
        reference: Option<(String, String)>,
    },
}

/// One plugin crate of a build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The package name.
    pub crate_name: String,
    /// Where it comes from.
    pub source: Source,
    /// The Rust path the agent names (`my_plugins::all`).
    pub import: String,
    /// Cargo features to turn on.
    pub features: Vec<String>,
    /// Plugins the agent should find once this crate is linked.
    pub expect: Vec<String>,
    /// The section it was listed in.
    pub section: String,
    /// Where it was written.
    pub origin: Origin,
}

impl Entry {
    /// The crate's name as Rust code writes it (`my-plugins` → `my_plugins`).
    #[must_use]
    pub fn lib_name(&self) -> String {
        self.crate_name.replace('-', "_")
    }

    /// Whether the entry applies when building for `os` (`linux`, `windows`, `macos`).
    #[must_use]
    pub fn applies_to(&self, os: &str) -> bool {
        self.section == "common" || self.section == os
    }
}

/// A problem in an `external_plugins.yml`.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The file cannot be read.
    #[error("{file}: cannot read")]
    Read {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not YAML.
    #[error("{file}: not valid YAML")]
    Yaml {
        /// The file.
        file: PathBuf,
        /// serde_yaml_ng's error, with the line and column.
        source: serde_yaml_ng::Error,
    },
    /// The file is valid YAML but not a plugin list.
    #[error("{file}: {message}")]
    Shape {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An entry is wrong.
    #[error("{origin}: {message}")]
    Entry {
        /// The entry.
        origin: Origin,
        /// What is wrong.
        message: String,
    },
    /// More than one problem in a file, one a line, in file order.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Several(Vec<SpecError>),
}

/// How a value is named in messages (`a list`, ...).
fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// Reads one file (a regular file of at most 16 MiB). Every entry is checked, and every
/// problem is returned.
///
/// # Errors
/// See [`SpecError`].
pub fn load(file: &Path) -> Result<Vec<Entry>, SpecError> {
    // Bounded as pipeline files are: only a regular file, at most CONFIG_FILE_LIMIT bytes.
    let text = pipeplug::fs::read_to_string_limited(file, pipeplug::fs::CONFIG_FILE_LIMIT)
        .map_err(|e| match e.kind {
            pipeplug::fs::ReadErrorKind::Io(source) => SpecError::Read {
                file: file.to_owned(),
                source,
            },
            kind => SpecError::Shape {
                file: file.to_owned(),
                message: kind.to_string(),
            },
        })?;
    let base = file.parent().unwrap_or(Path::new("."));
    parse(&text, file, base)
}

/// Parses the text of `file`, resolving relative paths against `base`. Keys are matched
/// as plugin configs match theirs (exactly, then case-insensitively), and every problem of
/// the file is reported ([`SpecError::Several`] when there is more than one).
///
/// # Errors
/// See [`SpecError`].
pub fn parse(text: &str, file: &Path, base: &Path) -> Result<Vec<Entry>, SpecError> {
    let root: Value = serde_yaml_ng::from_str(text).map_err(|source| SpecError::Yaml {
        file: file.to_owned(),
        source,
    })?;
    let mut errors = Vec::new();
    let mut entries = Vec::new();
    for (section, list) in sections(&root, file, &mut errors) {
        for (index, item) in list.iter().enumerate() {
            let origin = Origin {
                file: file.to_owned(),
                section: section.to_owned(),
                index,
            };
            match entry(item, &origin, base) {
                Ok(e) => entries.push(e),
                Err(messages) => {
                    errors.extend(messages.into_iter().map(|message| SpecError::Entry {
                        origin: origin.clone(),
                        message,
                    }))
                }
            }
        }
    }
    match errors.len() {
        0 => Ok(entries),
        1 => Err(errors.remove(0)),
        _ => Err(SpecError::Several(errors)),
    }
}

/// The sections of the file and their lists; problems of the file's shape go to `errors`.
fn sections<'a>(
    root: &'a Value,
    file: &Path,
    errors: &mut Vec<SpecError>,
) -> Vec<(&'static str, &'a [Value])> {
    let mut shape = |message: String| {
        errors.push(SpecError::Shape {
            file: file.to_owned(),
            message,
        });
    };
    if !root.is_object() {
        shape(format!(
            "expected a map with a `plugins` key, found {}",
            kind_of(root)
        ));
        return Vec::new();
    }
    let Ok(mut top) = Decoder::options("the file", &["plugins"]).decode(root) else {
        return Vec::new(); // a map, checked above
    };
    let plugins = top.raw(0);
    problems_to(top.into_problems(), "", &mut shape);
    let Some((key, plugins)) = plugins.filter(|(_, v)| v.is_object()) else {
        if let Some((_, other)) = plugins {
            shape(format!(
                "`plugins` must map sections ({}) to lists, found {}",
                SECTIONS.join(", "),
                kind_of(other)
            ));
        }
        return Vec::new();
    };
    let options = Decoder::options(key, &SECTIONS).explain(&SECTION_HINTS);
    let Ok(mut d) = options.decode(plugins) else {
        return Vec::new(); // a map, checked above
    };
    let mut lists = Vec::new();
    for (index, section) in SECTIONS.iter().enumerate() {
        match d.raw(index) {
            None | Some((_, Value::Null)) => {}
            Some((_, Value::Array(list))) => lists.push((*section, list.as_slice())),
            Some((_, other)) => shape(format!(
                "plugins.{section} must be a list, found {}",
                kind_of(other)
            )),
        }
    }
    problems_to(d.into_problems(), "plugins.", &mut shape);
    lists
}

/// Hands each problem's message to `report`, its key path under `prefix`.
fn problems_to(
    problems: Vec<pipeplug::ConfigProblem>,
    prefix: &str,
    report: &mut impl FnMut(String),
) {
    for mut p in problems {
        if !p.path.is_empty() {
            p.path.insert_str(0, prefix);
        }
        report(p.to_string());
    }
}

/// The fields of an entry as written, before their checks.
#[derive(Default)]
struct Fields {
    crate_name: Option<String>,
    path: Option<String>,
    version: Option<String>,
    git: Option<String>,
    refs: Vec<(String, String)>,
    import: Option<String>,
    expect: Vec<String>,
    features: Vec<String>,
}

/// One entry; the error is every problem found, each a message.
fn entry(item: &Value, origin: &Origin, base: &Path) -> Result<Entry, Vec<String>> {
    if !item.is_object() {
        return Err(vec![format!(
            "expected a map with `crate`, found {}",
            kind_of(item)
        )]);
    }
    let mut d = Decoder::options(origin.to_string(), &ENTRY_KEYS)
        .explain(&ENTRY_HINTS)
        .decode(item)
        .map_err(|e| vec![e.to_string()])?;
    let fields = fields(&mut d);
    let problems = d.into_problems();
    if !problems.is_empty() {
        return Err(problems.iter().map(ToString::to_string).collect());
    }
    checked(fields, origin, base).map_err(|m| vec![m])
}

/// Reads every field; a value of the wrong type is a problem of `d`.
fn fields(d: &mut Decoder<'_>) -> Fields {
    let mut f = Fields {
        crate_name: d.value(0, "string"),
        path: d.value(1, "string"),
        // `version: 0.3` arrives as a number; keep what the user wrote.
        version: match d.raw(2) {
            Some((_, Value::Number(n))) => Some(n.to_string()),
            Some((key, v)) => string_value(d, key, v),
            None => None,
        },
        git: d.value(3, "string"),
        ..Fields::default()
    };
    for (index, name) in [(4, "rev"), (5, "branch"), (6, "tag")] {
        if let Some(v) = d.value::<String>(index, "string") {
            f.refs.push((name.to_owned(), v));
        }
    }
    f.import = d.value(7, "string");
    f.expect = d.value(8, "Vec<String>").unwrap_or_default();
    f.features = d.value(9, "Vec<String>").unwrap_or_default();
    f
}

fn string_value(d: &mut Decoder<'_>, key: &str, v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => {
            d.report(
                key,
                pipeplug::ConfigProblemKind::Invalid {
                    expected: "`string`".to_owned(),
                    reason: format!("found {}", kind_of(other)),
                },
            );
            None
        }
    }
}

/// The entry, once its fields agree with each other; the error is the first problem.
fn checked(f: Fields, origin: &Origin, base: &Path) -> Result<Entry, String> {
    let crate_name = f
        .crate_name
        .ok_or_else(|| "missing `crate` (the package name)".to_owned())?;
    if crate_name.is_empty()
        || !crate_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(format!("`crate: {crate_name}` is not a package name"));
    }
    let source = match (f.path, f.version, f.git) {
        (Some(p), None, None) => Source::Path(crate_path(base, &p)?),
        (None, Some(v), None) => Source::Version(v),
        (None, None, Some(url)) => {
            if f.refs.len() > 1 {
                return Err("give at most one of `rev`, `branch` and `tag`".to_owned());
            }
            Source::Git {
                url,
                reference: f.refs.first().cloned(),
            }
        }
        (None, None, None) => {
            return Err("missing a source: give `path`, `version` or `git`".to_owned())
        }
        _ => return Err("give only one of `path`, `version` and `git`".to_owned()),
    };
    if !f.refs.is_empty() && !matches!(source, Source::Git { .. }) {
        return Err("`rev`, `branch` and `tag` go with `git`".to_owned());
    }
    let lib = crate_name.replace('-', "_");
    let import = f.import.unwrap_or_else(|| lib.clone());
    check_import(&import, &lib)?;
    Ok(Entry {
        crate_name,
        source,
        import,
        features: f.features,
        expect: f.expect,
        section: origin.section.clone(),
        origin: origin.clone(),
    })
}

/// `path`, resolved against `base`: a folder with a `Cargo.toml`.
fn crate_path(base: &Path, path: &str) -> Result<PathBuf, String> {
    let p = base.join(path);
    let p = p.canonicalize().map_err(|e| {
        format!(
            "`path` {} does not exist or cannot be read: {e}",
            p.display()
        )
    })?;
    if !p.join("Cargo.toml").is_file() {
        return Err(format!("`path` {} has no Cargo.toml", p.display()));
    }
    Ok(p)
}

/// `import` is a Rust path that starts with the crate's name.
fn check_import(import: &str, lib: &str) -> Result<(), String> {
    let segments: Vec<&str> = import.split("::").collect();
    let is_ident = |s: &str| {
        let mut chars = s.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if !segments.iter().all(|s| is_ident(s)) {
        return Err(format!(
            "`import: {import}` is not a Rust path such as `{lib}::all`"
        ));
    }
    if segments[0] != lib {
        return Err(format!(
            "`import: {import}` must start with the crate's name, `{lib}`"
        ));
    }
    Ok(())
}

/// Merges the entries of several files: a crate listed twice must come from one source;
/// its imports and expectations are unioned.
///
/// # Errors
/// The same crate from two different sources.
pub fn merge(lists: Vec<Vec<Entry>>) -> Result<Vec<Entry>, SpecError> {
    let mut out: Vec<Entry> = Vec::new();
    for e in lists.into_iter().flatten() {
        if let Some(prev) = out
            .iter()
            .find(|p| p.crate_name == e.crate_name && p.source != e.source)
        {
            return Err(SpecError::Entry {
                origin: e.origin.clone(),
                message: format!(
                    "crate `{}` is also listed at {} from another source",
                    e.crate_name, prev.origin
                ),
            });
        }
        if !out
            .iter()
            .any(|p| p.import == e.import && p.section == e.section)
        {
            out.push(e);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in(text: &str, base: &Path) -> Result<Vec<Entry>, SpecError> {
        parse(text, Path::new("external_plugins.yml"), base)
    }

    fn err(text: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        pipeplug::error_chain(&parse_in(text, dir.path()).unwrap_err())
    }

    /// A folder with a crate `my_plugins` in it.
    fn with_crate() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("my_plugins")).unwrap();
        std::fs::write(dir.path().join("my_plugins/Cargo.toml"), "[package]\n").unwrap();
        dir
    }

    #[test]
    fn reads_every_source_kind_and_defaults_import_to_the_crate() {
        let dir = with_crate();
        let entries = parse_in(
            "plugins:\n  common:\n    - crate: my_plugins\n      path: my_plugins\n      import: my_plugins::all\n      expect: [service_x]\n  linux:\n    - crate: other-plugins\n      version: 0.3\n  macos:\n    - crate: g\n      git: https://example.invalid/g.git\n      tag: v1\n",
            dir.path(),
        )
        .unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].import, "my_plugins::all");
        assert_eq!(entries[0].expect, ["service_x"]);
        assert!(matches!(&entries[0].source, Source::Path(p) if p.ends_with("my_plugins")));
        assert_eq!(entries[1].import, "other_plugins");
        assert_eq!(entries[1].source, Source::Version("0.3".into()));
        assert!(entries[1].applies_to("linux") && !entries[1].applies_to("windows"));
        assert_eq!(
            entries[2].source,
            Source::Git {
                url: "https://example.invalid/g.git".into(),
                reference: Some(("tag".into(), "v1".into()))
            }
        );
    }

    #[test]
    fn bad_yaml_names_the_file_and_line() {
        let e = err("plugins:\n  common:\n    - crate: [a\n");
        assert!(e.starts_with("external_plugins.yml: not valid YAML"), "{e}");
        assert!(e.contains("line"), "{e}");
    }

    #[test]
    fn unknown_section_is_rejected_with_a_suggestion() {
        let e = err("plugins:\n  comon:\n    - crate: a\n      version: '1'\n");
        assert!(
            e.contains("key `plugins.comon`: unknown key, did you mean `common`?"),
            "{e}"
        );
    }

    #[test]
    fn unknown_top_level_key_is_rejected() {
        let e = err("plugin:\n  common: []\n");
        assert!(
            e.contains("key `plugin`: unknown key, did you mean `plugins`?"),
            "{e}"
        );
    }

    #[test]
    fn unknown_entry_key_names_the_entry() {
        let e =
            err("plugins:\n  common:\n    - crate: a\n      version: '1'\n      improt: a::all\n");
        assert!(e.starts_with("external_plugins.yml: plugins.common[0]: key `improt`: unknown key, did you mean `import`?"), "{e}");
    }

    #[test]
    fn every_problem_of_the_file_is_reported() {
        let e = err("plugins:\n  common:\n    - crate: a\n      improt: a::all\n      version: [1]\n    - crate: b\n      version: '1'\n      git: x\n  linux: 3\n");
        let lines: Vec<&str> = e.lines().collect();
        assert_eq!(
            lines,
            [
                "external_plugins.yml: plugins.linux must be a list, found a number",
                "external_plugins.yml: plugins.common[0]: key `improt`: unknown key, did you mean `import`?; accepted keys: `crate`, `path`, `version`, `git`, `rev`, `branch`, `tag`, `import`, `expect`, `features`",
                "external_plugins.yml: plugins.common[0]: key `version`: expected `string`: found a list",
                "external_plugins.yml: plugins.common[1]: give only one of `path`, `version` and `git`",
            ],
            "{e}"
        );
    }

    #[test]
    fn the_debug_section_gets_a_hint() {
        let e = err("plugins:\n  debug:\n    - crate: a\n      version: '1'\n");
        assert!(e.contains("`debug` section has no counterpart"), "{e}");
    }

    #[test]
    fn go_form_gets_a_hint() {
        let e = err("plugins:\n  common:\n    - gomod: my-repo.com/x latest\n");
        assert!(e.contains("`gomod` is iLogtail's Go form"), "{e}");
    }

    #[test]
    fn entry_without_crate_names_the_entry() {
        let e = err("plugins:\n  common:\n    - crate: a\n      version: '1'\n    - path: x\n");
        assert!(
            e.starts_with("external_plugins.yml: plugins.common[1]: missing `crate`"),
            "{e}"
        );
    }

    #[test]
    fn a_path_that_does_not_exist_names_the_entry() {
        let e = err("plugins:\n  common:\n    - crate: a\n      path: ./nowhere\n");
        assert!(e.contains("plugins.common[0]: `path`"), "{e}");
        assert!(e.contains("does not exist"), "{e}");
    }

    #[test]
    fn a_source_is_required_and_only_one() {
        let e = err("plugins:\n  common:\n    - crate: a\n");
        assert!(e.contains("missing a source"), "{e}");
        let e = err("plugins:\n  common:\n    - crate: a\n      version: '1'\n      git: x\n");
        assert!(e.contains("only one of"), "{e}");
        let e = err("plugins:\n  common:\n    - crate: a\n      version: '1'\n      rev: abc\n");
        assert!(e.contains("go with `git`"), "{e}");
    }

    #[test]
    fn imports_must_be_paths_into_the_crate() {
        let e =
            err("plugins:\n  common:\n    - crate: a\n      version: '1'\n      import: b::all\n");
        assert!(e.contains("must start with the crate's name, `a`"), "{e}");
        let e =
            err("plugins:\n  common:\n    - crate: a\n      version: '1'\n      import: 'a::'\n");
        assert!(e.contains("is not a Rust path"), "{e}");
    }

    #[test]
    fn wrong_shapes_are_errors_not_panics() {
        for text in [
            "",
            "[]",
            "plugins: 3",
            "plugins:\n  common: 3",
            "plugins:\n  common: [3]",
            "plugins:\n  common:\n    - crate: 3\n",
        ] {
            let dir = tempfile::tempdir().unwrap();
            assert!(parse_in(text, dir.path()).is_err(), "{text:?} was accepted");
        }
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let e = load(Path::new("no/such/external_plugins.yml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("no/such/external_plugins.yml: cannot read"),
            "{e}"
        );
    }

    #[test]
    fn files_merge_and_a_crate_from_two_sources_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let a = parse_in(
            "plugins:\n  common:\n    - crate: a\n      version: '1'\n",
            dir.path(),
        )
        .unwrap();
        let b = parse_in(
            "plugins:\n  common:\n    - crate: a\n      version: '1'\n      import: a::all\n",
            dir.path(),
        )
        .unwrap();
        assert_eq!(merge(vec![a.clone(), b]).unwrap().len(), 2);
        let c = parse_in(
            "plugins:\n  common:\n    - crate: a\n      version: '2'\n",
            dir.path(),
        )
        .unwrap();
        let e = merge(vec![a, c]).unwrap_err().to_string();
        assert!(e.contains("also listed at"), "{e}");
    }
}
