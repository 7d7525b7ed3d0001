//! How deep a YAML or JSON text nests, estimated in one linear pass before it is parsed.
//!
//! The YAML parser's cost grows with the square of the nesting depth (100,000 nested lists
//! take seconds), so a file is measured first. The estimate counts open flow collections
//! (`[`, `{` outside quotes and comments) plus the block levels that indentation and `- `
//! chains open. It errs on the high side by at most a level per multi-line plain scalar and
//! on the low side by at most half (a block list at its key's own indentation), which is what
//! a limit far above real configs needs; the parsers' own limits stay behind it.

/// The line (from 1) where `text` first nests deeper than `limit`, or `None`.
pub(crate) fn exceeds(text: &str, limit: usize) -> Option<usize> {
    let mut scan = Scan::default();
    for (i, line) in text.lines().enumerate() {
        if scan.line(line.as_bytes(), limit) {
            return Some(i + 1);
        }
    }
    None
}

#[derive(Default)]
struct Scan {
    /// Open flow collections.
    flow: usize,
    /// Columns of the open block levels, increasing.
    block: Vec<usize>,
    /// Inside a quoted scalar that goes on to the next line: its quote.
    quote: Option<u8>,
    /// Inside a block scalar (`|`, `>`): the indentation of the line that opened it.
    block_scalar: Option<usize>,
}

/// Whether a quote or a bracket after `prev` (the last non-blank byte before it on the
/// line, if any) starts a node: elsewhere it is part of a plain scalar (`it's`, `a[0]`).
fn starts_node(prev: Option<u8>) -> bool {
    matches!(prev, None | Some(b':' | b'-' | b',' | b'?' | b'[' | b'{'))
}

impl Scan {
    fn depth(&self) -> usize {
        self.flow + self.block.len()
    }

    /// Scans one line; whether the depth went over `limit`.
    fn line(&mut self, line: &[u8], limit: usize) -> bool {
        let indent = line.iter().take_while(|b| **b == b' ').count();
        let blank = line[indent..].is_empty() || line[indent] == b'#';
        if let Some(parent) = self.block_scalar {
            if blank || indent > parent {
                return false;
            }
            self.block_scalar = None;
        }
        let mut at = 0;
        if self.quote.is_none() && self.flow == 0 {
            if blank {
                return false;
            }
            at = self.block_start(line, indent);
            if self.depth() > limit {
                return true;
            }
        }
        self.rest(line, at, indent, limit)
    }

    /// Opens the block levels of a line at `indent` (its first node, and each `- ` or `? `
    /// chained after it); returns where the rest of the line starts.
    fn block_start(&mut self, line: &[u8], indent: usize) -> usize {
        while self.block.last().is_some_and(|top| *top > indent) {
            self.block.pop();
        }
        let mut at = indent;
        loop {
            if self.block.last() != Some(&at) {
                self.block.push(at);
            }
            let is_indicator = matches!(line.get(at), Some(b'-' | b'?'))
                && matches!(line.get(at + 1), None | Some(b' '));
            if !is_indicator {
                return at;
            }
            at += 1;
            while line.get(at) == Some(&b' ') {
                at += 1;
            }
            if at >= line.len() {
                return at;
            }
        }
    }

    /// Scans quotes, comments and flow brackets from `at`.
    fn rest(&mut self, line: &[u8], mut at: usize, indent: usize, limit: usize) -> bool {
        let mut prev: Option<u8> = None;
        while at < line.len() {
            let b = line[at];
            if let Some(q) = self.quote {
                let escaped = (b == b'\\' && q == b'"')
                    || (b == q && q == b'\'' && line.get(at + 1) == Some(&b'\''));
                if escaped {
                    // `\x` in double quotes, `''` in single quotes: skip the next byte too.
                    at += 1;
                } else if b == q {
                    self.quote = None;
                    prev = Some(b);
                }
                at += 1;
                continue;
            }
            match b {
                b'#' if at == 0 || line[at - 1] == b' ' => return false,
                b'"' | b'\'' if starts_node(prev) => self.quote = Some(b),
                b'[' | b'{' if self.flow > 0 || starts_node(prev) => {
                    self.flow += 1;
                    if self.depth() > limit {
                        return true;
                    }
                }
                b']' | b'}' if self.flow > 0 => self.flow -= 1,
                _ => {}
            }
            if b != b' ' {
                prev = Some(b);
            }
            at += 1;
        }
        if self.flow == 0 && self.quote.is_none() && opens_block_scalar(line) {
            self.block_scalar = Some(indent);
        }
        false
    }
}

/// Whether the line ends with a block scalar's header (`|`, `>-`, `|2`, before a comment).
fn opens_block_scalar(line: &[u8]) -> bool {
    let text = std::str::from_utf8(line).unwrap_or("");
    let text = match text.find(" #") {
        Some(i) => &text[..i],
        None => text,
    };
    let last = text.trim_end().rsplit(' ').next().unwrap_or("");
    last.starts_with(['|', '>'])
        && last[1..]
            .chars()
            .all(|c| c == '-' || c == '+' || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::exceeds;

    #[test]
    fn real_configs_are_shallow() {
        let text = "inputs:\n  - Type: a\n    Fields: {a: [1, 2, {b: 'x]'}]}\n    Text: |\n      [[[[[[\n          {{{{\n    Msg: it's [ok\nflushers:\n- Type: f # [[[\n";
        // inputs → list → entry → Fields → a → {b}: six levels, on line 3; the brackets
        // in the block scalar, the quotes, the plain scalar and the comment are not counted.
        assert_eq!(exceeds(text, 6), None);
        assert_eq!(exceeds(text, 5), Some(3));
    }

    #[test]
    fn flow_and_block_nesting_are_counted() {
        // The line's own node is a level, then each bracket.
        assert_eq!(exceeds(&"[".repeat(64), 64), Some(1));
        assert_eq!(exceeds(&"[".repeat(63), 64), None);
        assert_eq!(exceeds(&"- ".repeat(100), 64), Some(1));
        let deep: String = (0..100).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        assert_eq!(exceeds(&deep, 64), Some(65));
        assert_eq!(exceeds(&"{\"a\":".repeat(70), 64), Some(1));
    }
}
