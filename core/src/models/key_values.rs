//! `KeyValues`, `Tags` and `Metadata`: iLogtail's `models.KeyValues[T]`.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// An insertion-ordered map from string keys to values, like Go's `models.KeyValues[T]`.
///
/// Order is kept so that a V1 log converted to V2 and back keeps its contents in order.
/// Adding a key that is present replaces its value in place (map semantics).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyValues<T> {
    map: IndexMap<String, T>,
}

impl<T> Default for KeyValues<T> {
    fn default() -> Self {
        Self {
            map: IndexMap::new(),
        }
    }
}

/// String tags of an event or a group (`models.Tags`).
pub type Tags = KeyValues<String>;
/// String metadata of a group (`models.Metadata`).
pub type Metadata = KeyValues<String>;

impl<T> KeyValues<T> {
    /// An empty map (`models.NewTags()`).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty map with room for `capacity` pairs.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            map: IndexMap::with_capacity(capacity),
        }
    }

    /// Adds or replaces `key` (`Add`).
    pub fn add(&mut self, key: impl Into<String>, value: impl Into<T>) {
        self.map.insert(key.into(), value.into());
    }

    /// Adds or replaces every pair of `items` (`AddAll`).
    pub fn add_all<K: Into<String>, V: Into<T>>(
        &mut self,
        items: impl IntoIterator<Item = (K, V)>,
    ) {
        for (k, v) in items {
            self.add(k, v);
        }
    }

    /// The value of `key` (`Get`).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&T> {
        self.map.get(key)
    }

    /// A mutable reference to the value of `key`.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut T> {
        self.map.get_mut(key)
    }

    /// Whether `key` is present (`Contains`).
    #[must_use]
    pub fn contains(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// Removes `key`, keeping the order of the others (`Delete`); returns its value.
    pub fn delete(&mut self, key: &str) -> Option<T> {
        self.map.shift_remove(key)
    }

    /// Adds every pair of `other`, replacing values of keys present in both (`Merge`).
    pub fn merge(&mut self, other: &Self)
    where
        T: Clone,
    {
        for (k, v) in other.iter() {
            self.map.insert(k.to_owned(), v.clone());
        }
    }

    /// The pairs in insertion order (`Iterator`).
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &T)> + '_ {
        self.map.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The keys in insertion order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.map.keys().map(String::as_str)
    }

    /// The pairs sorted by key (`SortTo`).
    #[must_use]
    pub fn sorted(&self) -> Vec<(&str, &T)> {
        let mut pairs: Vec<_> = self.iter().collect();
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        pairs
    }

    /// Renames `from` to `to`, keeping the position of `from`; a pair already under `to` is
    /// replaced. Returns whether `from` was present.
    pub fn rename(&mut self, from: &str, to: impl Into<String>) -> bool {
        let Some(mut index) = self.map.get_index_of(from) else {
            return false;
        };
        let to = to.into();
        if to == from {
            return true;
        }
        if let Some((_, value)) = self.map.shift_remove_index(index) {
            if let Some(old) = self.map.get_index_of(&to) {
                self.map.shift_remove_index(old);
                // The pairs after the removed one moved up by one.
                if old < index {
                    index -= 1;
                }
            }
            self.map.shift_insert(index.min(self.map.len()), to, value);
        }
        true
    }

    /// The number of pairs (`Len`).
    #[must_use]
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are no pairs (`IsNil` for an empty map).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

impl<K: Into<String>, V: Into<T>, T> FromIterator<(K, V)> for KeyValues<T> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut kv = Self::new();
        kv.add_all(iter);
        kv
    }
}

impl<T> IntoIterator for KeyValues<T> {
    type Item = (String, T);
    type IntoIter = indexmap::map::IntoIter<String, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.map.into_iter()
    }
}

impl<K: Into<String>, V: Into<T>, T, const N: usize> From<[(K, V); N]> for KeyValues<T> {
    /// `Tags::from([("hello", "world")])`.
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::compat::new_tags_with_key_values;

    #[test]
    fn rename_keeps_position_and_replaces_target() {
        let mut t = new_tags_with_key_values(&["a", "1", "b", "2", "c", "3"]);
        assert!(t.rename("a", "c"));
        assert_eq!(
            t.sorted(),
            vec![("b", &"2".to_owned()), ("c", &"1".to_owned())]
        );
        assert_eq!(t.keys().collect::<Vec<_>>(), ["c", "b"]);
        assert!(!t.rename("zz", "y"));
    }

    #[test]
    fn rename_onto_an_earlier_key_takes_the_renamed_position() {
        let mut t = new_tags_with_key_values(&["c", "3", "a", "1", "b", "2"]);
        assert!(t.rename("a", "c"));
        assert_eq!(t.keys().collect::<Vec<_>>(), ["c", "b"]);
        assert_eq!(t.get("c").map(String::as_str), Some("1"));
        assert!(t.rename("b", "b"));
        assert_eq!(t.keys().collect::<Vec<_>>(), ["c", "b"]);
    }

    #[test]
    fn trailing_key_is_ignored() {
        let t = new_tags_with_key_values(&["a", "1", "b"]);
        assert_eq!(t.len(), 1);
    }
}
