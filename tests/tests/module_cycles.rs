//! No two modules of `core`, `agent` or `loongcollector` import each other, directly or around a longer circle.
//!
//! A circle between modules means neither can be read, tested or moved without the other: the
//! registry building a `Context` while the context calls the registry, say. This test reads the
//! sources as text, finds every path that starts with `crate::` or `super::` (in `use` lines and
//! in code, not in comments), resolves it to the module it names, and looks for circles among
//! the modules of each folder (siblings). A child using its parent's items, or a parent its
//! child's, is not a circle: a parent owns its children.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A module path: `[]` is the crate root, `["engine", "flush"]` is `crate::engine::flush`.
type ModPath = Vec<String>;

/// Where a reference was seen, for the report.
#[derive(Debug, Clone)]
struct Seen {
    file: String,
    line: usize,
    text: String,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_owned()
}

/// Every `.rs` file under `src`, with the module it is.
fn modules(src: &Path) -> BTreeMap<ModPath, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable source folder") {
            let path = entry.expect("readable entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let rel = path.strip_prefix(src).expect("under src");
            let mut parts: Vec<String> = rel
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            let file = parts.pop().expect("a file name");
            let stem = file.trim_end_matches(".rs");
            if !(parts.is_empty() && matches!(stem, "lib" | "main")) && stem != "mod" {
                parts.push(stem.to_owned());
            }
            out.insert(parts, path);
        }
    }
    out
}

/// `#[path = "x.rs"] mod y;` in a file: the module `y` lives in `x.rs` (next to the file).
fn path_attributes(modules: &mut BTreeMap<ModPath, PathBuf>) {
    let mut renames = Vec::new();
    for (module, file) in modules.iter() {
        let text = std::fs::read_to_string(file).expect("readable source");
        let mut pending: Option<String> = None;
        for line in text.lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("#[path = \"") {
                pending = rest.split('"').next().map(str::to_owned);
                continue;
            }
            if let Some(target) = pending.take() {
                let name = line
                    .trim_start_matches("pub ")
                    .trim_start_matches("mod ")
                    .trim_end_matches(';')
                    .trim();
                let from: ModPath = module
                    .iter()
                    .cloned()
                    .chain([target.trim_end_matches(".rs").to_owned()])
                    .collect();
                let to: ModPath = module.iter().cloned().chain([name.to_owned()]).collect();
                renames.push((from, to));
            }
        }
    }
    for (from, to) in renames {
        if let Some(file) = modules.remove(&from) {
            modules.insert(to, file);
        }
    }
}

/// The code of a line, without a `//` comment (doc comments included).
fn code_of(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with("//") {
        return "";
    }
    match line.find(" //") {
        Some(i) if !line[..i].contains('"') => &line[..i],
        _ => line,
    }
}

/// The paths a `use` tree or an inline path names, starting at `crate::` or `super::`; each
/// as its segments after the root, with the root (`crate` or a number of `super`s).
fn paths_in(code: &str) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < code.len() {
        if !code.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let rest = &code[i..];
        let boundary = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let supers = if boundary && rest.starts_with("crate::") {
            Some(0)
        } else if boundary && rest.starts_with("super::") {
            Some(1)
        } else {
            None
        };
        let Some(mut ups) = supers else {
            i += 1;
            continue;
        };
        let mut j = i + if ups == 0 { "crate::" } else { "super::" }.len();
        while code[j..].starts_with("super::") {
            ups += 1;
            j += "super::".len();
        }
        let (trees, end) = use_tree(code, j);
        for t in trees {
            out.push((ups, t));
        }
        i = end.max(i + 1);
    }
    out
}

/// Parses a path or a use tree at `start` (`a::b`, `a::{b, c::d}`): every full path, and where
/// it ends.
fn use_tree(code: &str, start: usize) -> (Vec<Vec<String>>, usize) {
    let bytes = code.as_bytes();
    let mut segments = Vec::new();
    let mut i = start;
    loop {
        if bytes.get(i) == Some(&b'{') {
            let mut all = Vec::new();
            i += 1;
            loop {
                while bytes
                    .get(i)
                    .is_some_and(|b| b.is_ascii_whitespace() || *b == b',' || *b == b'*')
                {
                    i += 1;
                }
                if i >= bytes.len() || bytes[i] == b'}' {
                    break;
                }
                let (trees, end) = use_tree(code, i);
                for t in trees {
                    all.push(segments.iter().cloned().chain(t).collect());
                }
                if end <= i {
                    break;
                }
                i = end;
            }
            return (all, i + 1);
        }
        let ident_end = code[i..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(code.len(), |n| i + n);
        if ident_end == i {
            break;
        }
        segments.push(code[i..ident_end].to_owned());
        i = ident_end;
        if code[i..].starts_with("::") {
            i += 2;
        } else {
            break;
        }
    }
    // `use a::b as c;` and `use a::b::*;` name `a::b`.
    if code[i..].trim_start().starts_with(" as ") || code[i..].starts_with(" as ") {
        let after = code[i..]
            .trim_start()
            .trim_start_matches("as ")
            .trim_start();
        let skip = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        i = code.len() - after.len() + skip;
    }
    if segments.is_empty() {
        return (Vec::new(), i);
    }
    (vec![segments], i)
}

/// The longest known module that `path` (from the module `from`, `ups` levels up) names.
fn resolve(
    modules: &BTreeMap<ModPath, PathBuf>,
    re_exports: &ReExports,
    from: &ModPath,
    is_mod_file: bool,
    ups: usize,
    path: &[String],
) -> Option<ModPath> {
    let mut base: ModPath = if ups == 0 {
        Vec::new()
    } else {
        // In `a/b.rs` (module `a::b`) `super` is `a`; so is it in `a/b/mod.rs`.
        let _ = is_mod_file;
        let keep = from.len().checked_sub(ups)?;
        from[..keep].to_vec()
    };
    let start = base.clone();
    let mut best = None;
    for seg in path {
        let module = best.clone().unwrap_or_else(|| start.clone());
        // An item re-exported by the module reached so far (`crate::Clock`) comes from the
        // module that defines it (`crate::clock`).
        if let Some(origin) = re_exports.get(&(module, seg.clone())) {
            return Some(origin.clone());
        }
        base.push(seg.clone());
        if modules.contains_key(&base) {
            best = Some(base.clone());
        } else {
            break;
        }
    }
    best.or_else(|| (ups > 0).then(|| base[..from.len() - ups].to_vec()))
}

/// What a module re-exports (`pub use clock::{Clock, Ticker};` in `lib.rs`): (module, name) →
/// the module the item comes from.
type ReExports = BTreeMap<(ModPath, String), ModPath>;

/// The `pub use` statements of every module, resolved to the modules they name.
fn re_exports(modules: &BTreeMap<ModPath, PathBuf>) -> ReExports {
    let mut out = ReExports::new();
    for (module, file) in modules {
        let text = std::fs::read_to_string(file).expect("readable source");
        let code: String = text.lines().map(code_of).collect::<Vec<_>>().join(" ");
        for stmt in code.split(';') {
            let Some(at) = stmt.find("pub use ") else {
                continue;
            };
            let tree = stmt[at + "pub use ".len()..].trim();
            let (ups, start) = if let Some(rest) = tree.strip_prefix("crate::") {
                (0, rest)
            } else if let Some(rest) = tree.strip_prefix("super::") {
                (1, rest)
            } else {
                (usize::MAX, tree) // relative to this module
            };
            let (paths, _) = use_tree(start, 0);
            for path in paths {
                let Some(name) = path.last().cloned() else {
                    continue;
                };
                let base: ModPath = match ups {
                    0 => Vec::new(),
                    usize::MAX => module.clone(),
                    n => module[..module.len().saturating_sub(n)].to_vec(),
                };
                let mut target = base.clone();
                let mut found = None;
                for seg in &path {
                    target.push(seg.clone());
                    if modules.contains_key(&target) {
                        found = Some(target.clone());
                    } else {
                        break;
                    }
                }
                if let Some(found) = found.filter(|f| f.len() > module.len() || ups != usize::MAX) {
                    out.insert((module.clone(), name), found);
                }
            }
        }
    }
    out
}

/// Edges between sibling modules, keyed by their parent.
type Edges = BTreeMap<ModPath, BTreeMap<(String, String), Seen>>;

fn sibling_edges(modules: &BTreeMap<ModPath, PathBuf>, root: &Path) -> Edges {
    let re_exports = re_exports(modules);
    let mut edges: Edges = BTreeMap::new();
    for (module, file) in modules {
        let text = std::fs::read_to_string(file).expect("readable source");
        let is_mod_file = file.file_name().is_some_and(|n| n == "mod.rs");
        // Inline modules (`mod tests { ... }`) open inside the file: (name, depth inside).
        let mut inline: Vec<(String, i64)> = Vec::new();
        let mut depth: i64 = 0;
        for (n, line) in text.lines().enumerate() {
            let code = code_of(line);
            let here: ModPath = module
                .iter()
                .cloned()
                .chain(inline.iter().map(|(m, _)| m.clone()))
                .collect();
            for (ups, path) in paths_in(code) {
                let Some(target) = resolve(modules, &re_exports, &here, is_mod_file, ups, &path)
                else {
                    continue;
                };
                // Paths into an inline module of this file stay within the file's module.
                let target: ModPath =
                    if target.len() > module.len() && !modules.contains_key(&target) {
                        module.clone()
                    } else {
                        target
                    };
                let common = module
                    .iter()
                    .zip(&target)
                    .take_while(|(a, b)| a == b)
                    .count();
                // Within one module, or between a module and its ancestor: not a circle.
                if common == module.len() || common == target.len() {
                    continue;
                }
                let parent = module[..common].to_vec();
                let key = (module[common].clone(), target[common].clone());
                edges.entry(parent).or_default().entry(key).or_insert(Seen {
                    file: file
                        .strip_prefix(root)
                        .unwrap_or(file)
                        .display()
                        .to_string(),
                    line: n + 1,
                    text: line.trim().to_owned(),
                });
            }
            let opens = code.matches('{').count() as i64;
            let closes = code.matches('}').count() as i64;
            if let Some(name) = inline_mod(code) {
                inline.push((name, depth + 1));
            }
            depth += opens - closes;
            while inline.last().is_some_and(|(_, d)| depth < *d) {
                inline.pop();
            }
        }
    }
    edges
}

/// `mod name {` (with any visibility) on a line: the inline module's name.
fn inline_mod(code: &str) -> Option<String> {
    let t = code.trim();
    let t = t
        .strip_prefix("pub(crate) ")
        .or_else(|| t.strip_prefix("pub "))
        .unwrap_or(t);
    let rest = t.strip_prefix("mod ")?;
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    rest[name.len()..]
        .trim_start()
        .starts_with('{')
        .then_some(name)
}

/// Each circle among the siblings of one parent, as the list of its modules.
fn circles(edges: &BTreeMap<(String, String), Seen>) -> Vec<Vec<String>> {
    let nodes: BTreeSet<&String> = edges.keys().flat_map(|(a, b)| [a, b]).collect();
    let reach = |from: &String| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(n) = todo.pop() {
            for (a, b) in edges.keys() {
                if *a == n && seen.insert(b.clone()) {
                    todo.push(b.clone());
                }
            }
        }
        seen
    };
    let mut groups: Vec<Vec<String>> = Vec::new();
    for n in &nodes {
        if groups.iter().any(|g| g.contains(n)) {
            continue;
        }
        let from_n = reach(n);
        if !from_n.contains(*n) {
            continue;
        }
        let group: Vec<String> = nodes
            .iter()
            .filter(|m| from_n.contains(**m) && reach(m).contains(*n))
            .map(|m| (*m).clone())
            .collect();
        groups.push(group);
    }
    groups
}

fn report(crate_dir: &str) -> String {
    let root = workspace_root();
    let src = root.join(crate_dir).join("src");
    let mut modules = modules(&src);
    path_attributes(&mut modules);
    let edges = sibling_edges(&modules, &root);
    let mut out = String::new();
    for (parent, e) in &edges {
        for group in circles(e) {
            let name = |m: &String| {
                let mut p = vec!["crate".to_owned()];
                p.extend(parent.iter().cloned());
                p.push(m.clone());
                p.join("::")
            };
            let _ = writeln!(
                out,
                "circle: {}",
                group.iter().map(name).collect::<Vec<_>>().join(" <-> ")
            );
            for ((a, b), seen) in e {
                if group.contains(a) && group.contains(b) {
                    let _ = writeln!(
                        out,
                        "  {} -> {}: {}:{}: {}",
                        name(a),
                        name(b),
                        seen.file,
                        seen.line,
                        seen.text
                    );
                }
            }
        }
    }
    out
}

#[test]
fn core_has_no_circular_imports() {
    let r = report("core");
    assert!(r.is_empty(), "modules of core import each other:\n{r}");
}

#[test]
fn agent_has_no_circular_imports() {
    let r = report("agent");
    assert!(r.is_empty(), "modules of agent import each other:\n{r}");
}

#[test]
fn loongcollector_has_no_circular_imports() {
    let r = report("loongcollector");
    assert!(
        r.is_empty(),
        "modules of loongcollector import each other:\n{r}"
    );
}

#[test]
fn the_checker_finds_a_circle_and_reads_use_trees() {
    let paths = paths_in("use crate::{a::{b, c as d}, e::*}; let x = super::super::f::g();");
    let names: Vec<String> = paths
        .iter()
        .map(|(ups, p)| format!("{ups}:{}", p.join("::")))
        .collect();
    assert_eq!(names, ["0:a::b", "0:a::c", "0:e", "2:f::g"]);
    let seen = || Seen {
        file: String::new(),
        line: 0,
        text: String::new(),
    };
    let mut e = BTreeMap::new();
    e.insert(("a".to_owned(), "b".to_owned()), seen());
    e.insert(("b".to_owned(), "c".to_owned()), seen());
    e.insert(("c".to_owned(), "a".to_owned()), seen());
    e.insert(("c".to_owned(), "d".to_owned()), seen());
    assert_eq!(circles(&e), vec![vec!["a", "b", "c"]]);
}
