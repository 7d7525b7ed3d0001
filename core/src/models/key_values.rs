//! `KeyValues`, `Tags` and `Metadata`: iLogtail's `models.KeyValues[T]`.

use super::Str;
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;

/// Above this many pairs a map keeps a hash index of its keys; at or below it, a key is found
/// by comparing it with each (faster for the few tags and fields most events have, and no
/// allocation beyond the pairs themselves).
const INDEX_ABOVE: usize = 16;

/// An insertion-ordered map from string keys to values, like Go's `models.KeyValues[T]`.
///
/// Order is kept so that a V1 log converted to V2 and back keeps its contents in order.
/// Adding a key that is present replaces its value in place (map semantics), and two maps are
/// equal when they hold the same pairs, in any order (as Go's maps).
///
/// The pairs are one vector: an event with a few tags costs one allocation for them, and keys
/// and values of [`Str`] up to 24 bytes none. Maps of more than 16 pairs also keep a hash index,
/// so that large ones (a log with hundreds of fields) are still read and built in constant
/// time per key.
#[derive(Clone)]
pub struct KeyValues<T> {
    pairs: Vec<(Str, T)>,
    /// Position of each key, kept while there are more than [`INDEX_ABOVE`] pairs.
    // Boxed: 8 bytes in every map (every event has one or two) instead of 48; most maps never
    // get an index.
    #[allow(clippy::box_collection)]
    index: Option<Box<HashMap<Str, usize>>>,
}

impl<T> Default for KeyValues<T> {
    fn default() -> Self {
        Self {
            pairs: Vec::new(),
            index: None,
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for KeyValues<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.pairs.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

/// Map equality: the same pairs, in any order.
impl<T: PartialEq> PartialEq for KeyValues<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

/// String tags of an event or a group (`models.Tags`).
pub type Tags = KeyValues<Str>;
/// String metadata of a group (`models.Metadata`).
pub type Metadata = KeyValues<Str>;

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
            pairs: Vec::with_capacity(capacity),
            index: None,
        }
    }

    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.pairs.iter().position(|(k, _)| k == key),
        }
    }

    /// Builds the index when the map has grown past [`INDEX_ABOVE`], drops it when it has
    /// shrunk back, and rebuilds it after pairs moved.
    fn reindex(&mut self) {
        self.index = (self.pairs.len() > INDEX_ABOVE).then(|| {
            Box::new(
                self.pairs
                    .iter()
                    .enumerate()
                    .map(|(i, (k, _))| (k.clone(), i))
                    .collect(),
            )
        });
    }

    /// Adds or replaces `key` (`Add`).
    pub fn add(&mut self, key: impl Into<Str>, value: impl Into<T>) {
        let key = key.into();
        let value = value.into();
        let found = if self.pairs.is_empty() {
            None
        } else {
            self.position(&key)
        };
        match found {
            Some(i) => self.pairs[i].1 = value,
            None => {
                let i = self.pairs.len();
                match &mut self.index {
                    Some(index) => {
                        index.insert(key.clone(), i);
                        self.pairs.push((key, value));
                    }
                    None => {
                        self.pairs.push((key, value));
                        if i + 1 > INDEX_ABOVE {
                            self.reindex();
                        }
                    }
                }
            }
        }
    }

    /// Adds or replaces every pair of `items` (`AddAll`).
    pub fn add_all<K: Into<Str>, V: Into<T>>(&mut self, items: impl IntoIterator<Item = (K, V)>) {
        let items = items.into_iter();
        self.pairs.reserve(items.size_hint().0);
        for (k, v) in items {
            self.add(k, v);
        }
    }

    /// The value of `key` (`Get`).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&T> {
        self.position(key).map(|i| &self.pairs[i].1)
    }

    /// A mutable reference to the value of `key`.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut T> {
        self.position(key).map(|i| &mut self.pairs[i].1)
    }

    /// Whether `key` is present (`Contains`).
    #[must_use]
    pub fn contains(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Removes `key`, keeping the order of the others (`Delete`); returns its value.
    pub fn delete(&mut self, key: &str) -> Option<T> {
        let i = self.position(key)?;
        let (_, value) = self.pairs.remove(i);
        if self.index.is_some() {
            self.reindex();
        }
        Some(value)
    }

    /// Adds every pair of `other`, replacing values of keys present in both (`Merge`).
    pub fn merge(&mut self, other: &Self)
    where
        T: Clone,
    {
        for (k, v) in &other.pairs {
            self.add(k.clone(), v.clone());
        }
    }

    /// The pairs in insertion order (`Iterator`).
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &T)> + '_ {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The keys in insertion order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.pairs.iter().map(|(k, _)| k.as_str())
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
    pub fn rename(&mut self, from: &str, to: impl Into<Str>) -> bool {
        let Some(index) = self.position(from) else {
            return false;
        };
        let to = to.into();
        if to == from {
            return true;
        }
        if let Some(old) = self.position(&to) {
            self.pairs.remove(old);
            // The pairs after the removed one moved up by one.
            let index = if old < index { index - 1 } else { index };
            self.pairs[index].0 = to;
        } else {
            self.pairs[index].0 = to;
        }
        if self.index.is_some() {
            self.reindex();
        }
        true
    }

    /// The number of pairs (`Len`).
    #[must_use]
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are no pairs (`IsNil` for an empty map).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// Room for a few pairs more than given, as a vector built by pushes has: processors often
/// add a tag or two (a map of one pair would otherwise be copied to a larger block by the
/// first).
impl<K: Into<Str>, V: Into<T>, T> FromIterator<(K, V)> for KeyValues<T> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let mut kv = Self::with_capacity(iter.size_hint().0.max(3) + 1);
        kv.add_all(iter);
        kv
    }
}

impl<T> IntoIterator for KeyValues<T> {
    type Item = (Str, T);
    type IntoIter = std::vec::IntoIter<(Str, T)>;
    fn into_iter(self) -> Self::IntoIter {
        self.pairs.into_iter()
    }
}

impl<K: Into<Str>, V: Into<T>, T, const N: usize> From<[(K, V); N]> for KeyValues<T> {
    /// `Tags::from([("hello", "world")])`.
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

/// A map (a JSON object), in order.
impl<T: Serialize> Serialize for KeyValues<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (k, v) in &self.pairs {
            map.serialize_entry(k.as_str(), v)?;
        }
        map.end()
    }
}

/// From a map; a key given twice keeps its last value, at its first position.
impl<'de, T: Deserialize<'de>> Deserialize<'de> for KeyValues<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for PairsVisitor<T> {
            type Value = KeyValues<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut kv = KeyValues::with_capacity(access.size_hint().unwrap_or(0).min(4096));
                while let Some((k, v)) = access.next_entry::<Str, T>()? {
                    kv.add(k, v);
                }
                Ok(kv)
            }
        }
        deserializer.deserialize_map(PairsVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::{KeyValues, INDEX_ABOVE};
    use crate::compat::new_tags_with_key_values;
    use proptest::prelude::*;

    /// One change to a map, applied to a `KeyValues` and to a plain list of pairs.
    #[derive(Debug, Clone)]
    enum Op {
        Add(u8, u32),
        Delete(u8),
        Rename(u8, u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        // 40 distinct keys: enough to cross the index threshold and come back under it.
        prop_oneof![
            6 => (0u8..40, any::<u32>()).prop_map(|(k, v)| Op::Add(k, v)),
            2 => (0u8..40).prop_map(Op::Delete),
            1 => (0u8..40, 0u8..40).prop_map(|(a, b)| Op::Rename(a, b)),
        ]
    }

    /// The reference: an ordered list of pairs, searched from the start.
    fn apply(model: &mut Vec<(String, u32)>, op: &Op) {
        let find = |m: &Vec<(String, u32)>, k: &str| m.iter().position(|(x, _)| x == k);
        match op {
            Op::Add(k, v) => match find(model, &format!("k{k}")) {
                Some(i) => model[i].1 = *v,
                None => model.push((format!("k{k}"), *v)),
            },
            Op::Delete(k) => {
                if let Some(i) = find(model, &format!("k{k}")) {
                    model.remove(i);
                }
            }
            Op::Rename(a, b) => {
                let (from, to) = (format!("k{a}"), format!("k{b}"));
                if let Some(i) = find(model, &from) {
                    if from != to {
                        let mut i = i;
                        if let Some(old) = find(model, &to) {
                            model.remove(old);
                            if old < i {
                                i -= 1;
                            }
                        }
                        model[i].0 = to;
                    }
                }
            }
        }
    }

    proptest! {
        /// Whatever the sequence of changes, on either side of the index threshold, the map
        /// holds the same pairs in the same order as the list, and finds every key.
        #[test]
        fn behaves_as_an_ordered_list_of_unique_keys(ops in proptest::collection::vec(op(), 0..200)) {
            let mut kv = KeyValues::<u32>::new();
            let mut model = Vec::new();
            for op in &ops {
                apply(&mut model, op);
                match op {
                    Op::Add(k, v) => kv.add(format!("k{k}"), *v),
                    Op::Delete(k) => { kv.delete(&format!("k{k}")); }
                    Op::Rename(a, b) => { kv.rename(&format!("k{a}"), format!("k{b}")); }
                }
                let pairs: Vec<(String, u32)> = kv.iter().map(|(k, v)| (k.to_owned(), *v)).collect();
                prop_assert_eq!(&pairs, &model);
                for (k, v) in &model {
                    prop_assert_eq!(kv.get(k), Some(v));
                }
                prop_assert_eq!(kv.get("absent"), None);
            }
        }
    }

    #[test]
    fn equal_maps_hold_the_same_pairs_in_any_order() {
        let a = new_tags_with_key_values(&["a", "1", "b", "2"]);
        let b = new_tags_with_key_values(&["b", "2", "a", "1"]);
        let c = new_tags_with_key_values(&["b", "2", "a", "3"]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        let many: KeyValues<u32> = (0..INDEX_ABOVE as u32 * 2)
            .map(|i| (format!("k{i}"), i))
            .collect();
        let reversed: KeyValues<u32> = (0..INDEX_ABOVE as u32 * 2)
            .rev()
            .map(|i| (format!("k{i}"), i))
            .collect();
        assert_eq!(many, reversed);
    }

    #[test]
    fn reads_and_writes_a_json_object_in_order() {
        let t = new_tags_with_key_values(&["z", "1", "a", "2"]);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, r#"{"z":"1","a":"2"}"#);
        let back: KeyValues<crate::models::Str> =
            serde_json::from_str(r#"{"z":"1","a":"2","z":"3"}"#).unwrap();
        // A repeated key keeps its first place and its last value.
        assert_eq!(back.keys().collect::<Vec<_>>(), ["z", "a"]);
        assert_eq!(back.get("z").map(|v| v.as_str()), Some("3"));
        let err = serde_json::from_str::<KeyValues<u32>>("[1]").unwrap_err();
        assert!(err.to_string().contains("expected a map"), "{err}");
    }

    #[test]
    fn rename_keeps_position_and_replaces_target() {
        let mut t = new_tags_with_key_values(&["a", "1", "b", "2", "c", "3"]);
        assert!(t.rename("a", "c"));
        assert_eq!(t.sorted(), vec![("b", &"2".into()), ("c", &"1".into())]);
        assert_eq!(t.keys().collect::<Vec<_>>(), ["c", "b"]);
        assert!(!t.rename("zz", "y"));
    }

    #[test]
    fn rename_onto_an_earlier_key_takes_the_renamed_position() {
        let mut t = new_tags_with_key_values(&["c", "3", "a", "1", "b", "2"]);
        assert!(t.rename("a", "c"));
        assert_eq!(t.keys().collect::<Vec<_>>(), ["c", "b"]);
        assert_eq!(t.get("c").map(|v| v.as_str()), Some("1"));
        assert!(t.rename("b", "b"));
        assert_eq!(t.keys().collect::<Vec<_>>(), ["c", "b"]);
    }

    #[test]
    fn trailing_key_is_ignored() {
        let t = new_tags_with_key_values(&["a", "1", "b"]);
        assert_eq!(t.len(), 1);
    }
}
