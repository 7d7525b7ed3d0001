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

use serde_yaml_ng::{Mapping, Value};
use std::fmt;
use std::path::{Path, PathBuf};

/// The sections of `plugins:`, as iLogtail names them (plus `macos`).
pub const SECTIONS: [&str; 4] = ["common", "linux", "windows", "macos"];
const ENTRY_KEYS_ALL: [&str; 10] = [
    "crate", "path", "version", "git", "rev", "branch", "tag", "import", "expect", "features",
];

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
    #[error("{file}: cannot read: {source}")]
    Read {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not YAML.
    #[error("{file}: not valid YAML: {source}")]
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
}

fn yaml_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a map",
        Value::Tagged(_) => "a tagged value",
    }
}

fn unknown_key(key: &str, accepted: &[&str]) -> String {
    let hint = pipeplug::suggest::closest(key, accepted.iter().copied())
        .map(|c| format!(", did you mean `{c}`?"))
        .unwrap_or_default();
    format!(
        "unknown key `{key}`{hint} (accepted: {})",
        accepted
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Reads one file. Every entry is checked; the first problem is returned.
///
/// # Errors
/// See [`SpecError`].
pub fn load(file: &Path) -> Result<Vec<Entry>, SpecError> {
    let text = std::fs::read_to_string(file).map_err(|source| SpecError::Read {
        file: file.to_owned(),
        source,
    })?;
    let base = file.parent().unwrap_or(Path::new("."));
    parse(&text, file, base)
}

/// Parses the text of `file`, resolving relative paths against `base`.
///
/// # Errors
/// See [`SpecError`].
pub fn parse(text: &str, file: &Path, base: &Path) -> Result<Vec<Entry>, SpecError> {
    let shape = |message: String| SpecError::Shape {
        file: file.to_owned(),
        message,
    };
    let root: Value = serde_yaml_ng::from_str(text).map_err(|source| SpecError::Yaml {
        file: file.to_owned(),
        source,
    })?;
    let Value::Mapping(root) = root else {
        return Err(shape(format!(
            "expected a map with a `plugins` key, found {}",
            yaml_kind(&root)
        )));
    };
    let mut entries = Vec::new();
    for (key, value) in &root {
        match key.as_str() {
            Some("plugins") => {}
            Some(other) => return Err(shape(unknown_key(other, &["plugins"]))),
            None => return Err(shape("top-level keys must be strings".to_owned())),
        }
        let Value::Mapping(sections) = value else {
            return Err(shape(format!(
                "`plugins` must map sections ({}) to lists, found {}",
                SECTIONS.join(", "),
                yaml_kind(value)
            )));
        };
        for (section, list) in sections {
            let Some(section) = section.as_str().filter(|s| SECTIONS.contains(s)) else {
                let name = section.as_str().unwrap_or("?");
                if name == "debug" {
                    return Err(shape(
                        "plugins: iLogtail's `debug` section has no counterpart here; list debug-only crates in a file of their own and add it with a second --plugins".to_owned(),
                    ));
                }
                return Err(shape(format!("plugins: {}", unknown_key(name, &SECTIONS))));
            };
            let list = match list {
                Value::Sequence(list) => list.as_slice(),
                Value::Null => &[],
                other => {
                    return Err(shape(format!(
                        "plugins.{section} must be a list, found {}",
                        yaml_kind(other)
                    )))
                }
            };
            for (index, item) in list.iter().enumerate() {
                let origin = Origin {
                    file: file.to_owned(),
                    section: section.to_owned(),
                    index,
                };
                entries.push(entry(item, origin, base)?);
            }
        }
    }
    Ok(entries)
}

fn entry(item: &Value, origin: Origin, base: &Path) -> Result<Entry, SpecError> {
    let err = |message: String| SpecError::Entry {
        origin: origin.clone(),
        message,
    };
    let Value::Mapping(map) = item else {
        return Err(err(format!(
            "expected a map with `crate`, found {}",
            yaml_kind(item)
        )));
    };
    for key in map.keys() {
        let Some(key) = key.as_str() else {
            return Err(err("keys must be strings".to_owned()));
        };
        if !ENTRY_KEYS_ALL.contains(&key) {
            if key == "gomod" {
                return Err(err(
                    "`gomod` is iLogtail's Go form: write `crate:` with `path:`, `version:` or `git:`"
                        .to_owned(),
                ));
            }
            return Err(err(unknown_key(key, &ENTRY_KEYS_ALL)));
        }
    }
    let string = |key: &str| -> Result<Option<String>, SpecError> {
        match map_get(map, key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            // `version: 0.3` arrives as a number; keep what the user wrote.
            Some(Value::Number(n)) if key == "version" => Ok(Some(n.to_string())),
            Some(other) => Err(err(format!(
                "`{key}` must be a string, found {}",
                yaml_kind(other)
            ))),
        }
    };
    let list = |key: &str| -> Result<Vec<String>, SpecError> {
        match map_get(map, key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Sequence(items)) => items
                .iter()
                .map(|v| {
                    v.as_str().map(str::to_owned).ok_or_else(|| {
                        err(format!(
                            "`{key}` must be a list of strings, found {}",
                            yaml_kind(v)
                        ))
                    })
                })
                .collect(),
            Some(other) => Err(err(format!(
                "`{key}` must be a list of strings, found {}",
                yaml_kind(other)
            ))),
        }
    };
    let crate_name =
        string("crate")?.ok_or_else(|| err("missing `crate` (the package name)".to_owned()))?;
    if crate_name.is_empty()
        || !crate_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(err(format!("`crate: {crate_name}` is not a package name")));
    }
    let path = string("path")?;
    let version = string("version")?;
    let git = string("git")?;
    let refs: Vec<(String, String)> = ["rev", "branch", "tag"]
        .iter()
        .filter_map(|k| {
            string(k)
                .transpose()
                .map(|v| v.map(|v| ((*k).to_owned(), v)))
        })
        .collect::<Result<_, _>>()?;
    let source = match (path, version, git) {
        (Some(p), None, None) => {
            let p = base.join(p);
            let p = p.canonicalize().map_err(|e| {
                err(format!(
                    "`path` {} does not exist or cannot be read: {e}",
                    p.display()
                ))
            })?;
            if !p.join("Cargo.toml").is_file() {
                return Err(err(format!("`path` {} has no Cargo.toml", p.display())));
            }
            Source::Path(p)
        }
        (None, Some(v), None) => Source::Version(v),
        (None, None, Some(url)) => {
            if refs.len() > 1 {
                return Err(err(
                    "give at most one of `rev`, `branch` and `tag`".to_owned()
                ));
            }
            Source::Git {
                url,
                reference: refs.first().cloned(),
            }
        }
        (None, None, None) => {
            return Err(err(
                "missing a source: give `path`, `version` or `git`".to_owned()
            ))
        }
        _ => {
            return Err(err(
                "give only one of `path`, `version` and `git`".to_owned()
            ))
        }
    };
    if !refs.is_empty() && !matches!(source, Source::Git { .. }) {
        return Err(err("`rev`, `branch` and `tag` go with `git`".to_owned()));
    }
    let lib = crate_name.replace('-', "_");
    let import = string("import")?.unwrap_or_else(|| lib.clone());
    let segments: Vec<&str> = import.split("::").collect();
    let is_ident = |s: &str| {
        let mut chars = s.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if !segments.iter().all(|s| is_ident(s)) {
        return Err(err(format!(
            "`import: {import}` is not a Rust path such as `{lib}::all`"
        )));
    }
    if segments[0] != lib {
        return Err(err(format!(
            "`import: {import}` must start with the crate's name, `{lib}`"
        )));
    }
    Ok(Entry {
        crate_name,
        source,
        import,
        features: list("features")?,
        expect: list("expect")?,
        section: origin.section.clone(),
        origin,
    })
}

fn map_get<'a>(map: &'a Mapping, key: &str) -> Option<&'a Value> {
    map.get(Value::String(key.to_owned()))
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
        parse_in(text, dir.path()).unwrap_err().to_string()
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
            e.contains("unknown key `comon`, did you mean `common`?"),
            "{e}"
        );
    }

    #[test]
    fn unknown_top_level_key_is_rejected() {
        let e = err("plugin:\n  common: []\n");
        assert!(
            e.contains("unknown key `plugin`, did you mean `plugins`?"),
            "{e}"
        );
    }

    #[test]
    fn unknown_entry_key_names_the_entry() {
        let e =
            err("plugins:\n  common:\n    - crate: a\n      version: '1'\n      improt: a::all\n");
        assert!(e.starts_with("external_plugins.yml: plugins.common[0]: unknown key `improt`, did you mean `import`?"), "{e}");
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
