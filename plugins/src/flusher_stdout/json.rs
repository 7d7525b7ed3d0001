//! A small JSON object writer: keys in the order written (V1 logs may repeat a key, which a
//! map would lose), infallible on a `Vec<u8>`.

/// Writes `s` as a JSON string.
pub(super) fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&s.as_bytes()[start..i]);
        if escape.is_empty() {
            out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&s.as_bytes()[start..]);
    out.push(b'"');
}

/// Writes a float: finite ones as JSON numbers (`1.0`, `0.25`, `1e21`), the others as
/// strings as iLogtail writes them (`"NaN"`, `"+Inf"`, `"-Inf"`), since JSON has no such
/// numbers.
pub(super) fn float(out: &mut Vec<u8>, x: f64) {
    if x.is_finite() {
        // `{:?}` is the shortest text that reads back to `x`, and always valid JSON.
        out.extend_from_slice(format!("{x:?}").as_bytes());
    } else {
        string(out, &pipeplug::convert::format_value(x));
    }
}

/// A JSON object being written.
pub(super) struct Object<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
}

impl<'a> Object<'a> {
    /// Opens an object.
    pub(super) fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { out, empty: true }
    }

    /// Writes `"key":` and returns the buffer for the value.
    pub(super) fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        string(self.out, key);
        self.out.push(b':');
        self.out
    }

    /// `"key":"value"`.
    pub(super) fn str(&mut self, key: &str, value: &str) {
        string(self.key(key), value);
    }

    /// `"key":123`.
    pub(super) fn uint(&mut self, key: &str, value: u64) {
        self.raw(key, &value.to_string());
    }

    /// `"key":` then `text`, which must be valid JSON (a number, `true`, ...).
    pub(super) fn raw(&mut self, key: &str, text: &str) {
        self.key(key).extend_from_slice(text.as_bytes());
    }

    /// `"key":1.5`.
    pub(super) fn float(&mut self, key: &str, value: f64) {
        float(self.key(key), value);
    }

    /// `"key":{...}` of string pairs.
    pub(super) fn str_map<'k>(
        &mut self,
        key: &str,
        pairs: impl IntoIterator<Item = (&'k str, &'k str)>,
    ) {
        let mut inner = Object::new(self.key(key));
        for (k, v) in pairs {
            inner.str(k, v);
        }
        inner.end();
    }

    /// `"key":{...}` written by `f`.
    pub(super) fn object(&mut self, key: &str, f: impl FnOnce(&mut Object<'_>)) {
        let mut inner = Object::new(self.key(key));
        f(&mut inner);
        inner.end();
    }

    /// `"key":[...]`, each item an object written by `f`.
    pub(super) fn objects<T>(
        &mut self,
        key: &str,
        items: &[T],
        mut f: impl FnMut(&mut Object<'_>, &T),
    ) {
        let out = self.key(key);
        out.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let mut inner = Object::new(out);
            f(&mut inner, item);
            inner.end();
        }
        out.push(b']');
    }

    /// Closes the object.
    pub(super) fn end(self) {
        self.out.push(b'}');
    }
}
