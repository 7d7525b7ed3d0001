//! Property tests of the V1 ↔ V2 conversion and of the parsers that take user text
//! (1,000 cases each).
//!
//! What round-trips, and under which conditions, is documented in `pipeplug::convert`.

use pipeplug::compat::*;
use pipeplug::convert::{
    self, format_value, group_to_v1, group_to_v2, metric_to_v1_logs, parse_labels, parse_value,
    v1_log_to_metric, v1_log_to_v2, v1_log_to_v2_with_tags, v2_log_to_v1,
};
use pipeplug::models::{self, LogValue, MetricType, Tags};
use pipeplug::protocol::{Log, LogContent, LogGroup, LogTag};
use pipeplug::registry::PluginType;
use proptest::prelude::*;
use std::collections::HashSet;

/// Keys and values: arbitrary text, and text rich in the characters the formats treat
/// specially.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z_:#$|/ .\u{e9}\u{4e2d}]{0,10}",
        Just(String::new()),
    ]
}

/// Pairs with unique keys, in generation order.
fn unique_pairs(max: usize) -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((text(), text()), 0..max).prop_map(|pairs| {
        let mut seen = HashSet::new();
        pairs
            .into_iter()
            .filter(|(k, _)| seen.insert(k.clone()))
            .collect()
    })
}

/// A V1 log with unique keys and a valid `time_ns` (below 10^9), `Some(0)` included.
fn v1_log() -> impl Strategy<Value = Log> {
    (
        any::<u32>(),
        prop_oneof![
            Just(None),
            Just(Some(0)),
            (0..1_000_000_000_u32).prop_map(Some)
        ],
        unique_pairs(12),
    )
        .prop_map(|(time, time_ns, pairs)| Log {
            time,
            time_ns,
            contents: pairs
                .into_iter()
                .map(|(k, v)| LogContent::new(k, v))
                .collect(),
        })
}

/// The documented normalisation: `Some(0)` and `None` are the same instant.
fn normalised(mut log: Log) -> Log {
    if log.time_ns == Some(0) {
        log.time_ns = None;
    }
    log
}

/// Label text that reads back: no `|`; keys without `#$#` and not ending in `#$` (see the
/// `convert` module docs).
fn label_key() -> impl Strategy<Value = String> {
    text().prop_filter("ambiguous label key", |k| {
        !k.contains('|') && !k.contains("#$#") && !k.ends_with("#$")
    })
}

fn label_value() -> impl Strategy<Value = String> {
    text().prop_filter("label value with `|`", |v| !v.contains('|'))
}

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(1000)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn v1_log_to_v2_and_back_is_the_identity(log in v1_log()) {
        let v2 = v1_log_to_v2(&log);
        prop_assert_eq!(v2.timestamp, log.timestamp_nanos());
        prop_assert_eq!(v2.contents.len(), log.contents.len());
        prop_assert_eq!(v2_log_to_v1(&v2), normalised(log));
    }

    #[test]
    fn v2_log_to_v1_and_back_keeps_contents_tags_and_time(
        contents in unique_pairs(10),
        tags in unique_pairs(5),
        timestamp in 0..=(u64::from(u32::MAX) * 1_000_000_000 + 999_999_999),
    ) {
        let mut log = models::Log { timestamp, ..models::Log::default() };
        for (k, v) in contents {
            if !k.starts_with(convert::TAG_PREFIX) {
                log.contents.add(k, v);
            }
        }
        log.tags.add_all(tags);
        let back = v1_log_to_v2_with_tags(&v2_log_to_v1(&log));
        prop_assert_eq!(back.timestamp, timestamp);
        prop_assert_eq!(back.tags, log.tags);
        let keys: Vec<_> = back.contents.keys().collect();
        let expected: Vec<_> = log.contents.keys().collect();
        prop_assert_eq!(keys, expected);
        prop_assert_eq!(back.contents, log.contents);
    }

    #[test]
    fn metric_to_v1_log_and_back_keeps_name_labels_value_and_time(
        name in text(),
        labels in prop::collection::vec((label_key(), label_value()), 0..6),
        timestamp in any::<u64>(),
        bits in any::<u64>(),
        metric_type in prop::sample::select(MetricType::ALL.to_vec()),
    ) {
        let value = f64::from_bits(bits);
        let tags: Tags = labels.into_iter().collect();
        let metric = new_single_value_metric(name.clone(), metric_type, tags.clone(), timestamp, value);
        let logs = metric_to_v1_logs(&metric);
        prop_assert_eq!(logs.len(), 1);
        let back = v1_log_to_metric(&logs[0]);
        prop_assert!(back.is_some(), "not read back: {:?}", logs[0]);
        let back = back.unwrap_or_default();
        prop_assert_eq!(&back.name, &name);
        prop_assert_eq!(back.tags.sorted(), tags.sorted());
        prop_assert_eq!(back.timestamp, timestamp);
        let read = back.single_value().unwrap_or(0.0);
        if value.is_nan() {
            prop_assert!(read.is_nan());
        } else {
            prop_assert_eq!(read.to_bits(), value.to_bits());
        }
    }

    #[test]
    fn log_group_to_v2_and_back_is_the_identity(
        logs in prop::collection::vec(v1_log(), 0..5),
        fields in (text(), text(), text(), text()),
        tags in unique_pairs(5),
    ) {
        let group = LogGroup {
            logs,
            category: fields.0,
            topic: fields.1,
            source: fields.2,
            machine_uuid: fields.3,
            log_tags: tags.into_iter().map(|(k, v)| LogTag::new(k, v)).collect(),
        };
        let back = group_to_v1(&group_to_v2(&group));
        let expected = LogGroup {
            logs: group.logs.iter().cloned().map(normalised).collect(),
            ..group
        };
        prop_assert_eq!(back, expected);
    }

    #[test]
    fn every_number_reads_back(bits in any::<u64>()) {
        let v = f64::from_bits(bits);
        let text = format_value(v);
        let read = parse_value(&text);
        prop_assert!(read.is_some(), "`{}` does not read back", text);
        let read = read.unwrap_or(0.0);
        if v.is_nan() {
            prop_assert!(read.is_nan());
        } else {
            prop_assert_eq!(read.to_bits(), bits, "{} read back as {}", text, read);
        }
    }

    #[test]
    fn float_log_values_print_as_their_v1_metric_value(bits in any::<u64>()) {
        let v = f64::from_bits(bits);
        prop_assert_eq!(LogValue::Float(v).to_string(), format_value(v));
    }

    #[test]
    fn reading_any_text_as_metric_parts_never_panics(labels in any::<String>(), value in any::<String>(), time in any::<String>()) {
        let _ = parse_labels(&labels);
        let _ = parse_value(&value);
        let log = Log::new(0, [("__name__", "m"), ("__labels__", &labels), ("__value__", &value), ("__time_nano__", &time)]);
        let _ = v1_log_to_metric(&log);
    }

    #[test]
    fn type_strings_never_panic_and_valid_ones_parse_as_written(
        s in prop_oneof![any::<String>(), "[a-z/#0-9 +-]{0,12}"],
    ) {
        match PluginType::parse(&s) {
            Ok(t) => {
                prop_assert!(!t.name.is_empty());
                prop_assert!(!t.name.contains('/') && !t.name.contains('#'));
                prop_assert!(t.id.as_deref().is_none_or(|id| !id.is_empty() && !id.contains('/')));
                prop_assert!(s.starts_with(&t.name));
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn well_formed_type_strings_round_trip(
        name in "[a-z_][a-z0-9_]{0,15}",
        id in proptest::option::of("[a-zA-Z0-9_.-]{1,8}"),
        priority in proptest::option::of(any::<i32>()),
    ) {
        let mut s = name.clone();
        if let Some(id) = &id {
            s.push('/');
            s.push_str(id);
        }
        if let Some(p) = priority {
            s.push_str(&format!("#{p}"));
        }
        let t = PluginType::parse(&s);
        prop_assert!(t.is_ok(), "{} did not parse: {:?}", s, t);
        let t = t.unwrap_or_else(|_| unreachable!());
        prop_assert_eq!(t.name, name);
        prop_assert_eq!(t.id, id);
        prop_assert_eq!(t.priority, priority);
    }

    #[test]
    fn metric_type_names_parse_without_panicking(s in prop_oneof![any::<String>(), "(?i)(un)?typed|counter|gauge|x"]) {
        match s.parse::<MetricType>() {
            Ok(t) => prop_assert!(t.as_str().eq_ignore_ascii_case(&s)),
            Err(e) => {
                prop_assert!(MetricType::ALL.iter().all(|t| !t.as_str().eq_ignore_ascii_case(&s)));
                prop_assert!(e.to_string().contains(&s));
            }
        }
    }
}
