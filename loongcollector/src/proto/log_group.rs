//! `sls_logs.LogGroup` (proto2): what the adapter's `SendPbV2` takes, uncompressed.
//!
//! Written from the wire format: the field numbers and types are the protocol. Fields the
//! protocol marks `required` are `required` here too, so that they are written even when
//! they hold 0 or "" (the core's parser rejects a message without them).

/// `sls_logs.Log`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Log {
    /// Unix seconds (`required uint32 Time = 1`).
    #[prost(uint32, required, tag = "1")]
    pub time: u32,
    /// The fields, in order (field 2).
    #[prost(message, repeated, tag = "2")]
    pub contents: Vec<LogContent>,
    /// Values of a column layout (`repeated string values = 3`); never written by us, and
    /// refused when decoding (the V1 model has no place for them).
    #[prost(string, repeated, tag = "3")]
    pub values: Vec<String>,
    /// Nanoseconds within the second (`optional fixed32 Time_ns = 4`).
    #[prost(fixed32, optional, tag = "4")]
    pub time_ns: Option<u32>,
}

/// `sls_logs.Log.Content`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct LogContent {
    /// `required string Key = 1`.
    #[prost(string, required, tag = "1")]
    pub key: String,
    /// `required string Value = 2`.
    #[prost(string, required, tag = "2")]
    pub value: String,
}

/// `sls_logs.LogTag`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct LogTag {
    /// `required string Key = 1`.
    #[prost(string, required, tag = "1")]
    pub key: String,
    /// `required string Value = 2`.
    #[prost(string, required, tag = "2")]
    pub value: String,
}

/// `sls_logs.LogGroup`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct LogGroup {
    /// `repeated Log Logs = 1`.
    #[prost(message, repeated, tag = "1")]
    pub logs: Vec<Log>,
    /// `optional string Category = 2` (the logstore).
    #[prost(string, optional, tag = "2")]
    pub category: Option<String>,
    /// `optional string Topic = 3`.
    #[prost(string, optional, tag = "3")]
    pub topic: Option<String>,
    /// `optional string Source = 4`.
    #[prost(string, optional, tag = "4")]
    pub source: Option<String>,
    /// `optional string MachineUUID = 5`.
    #[prost(string, optional, tag = "5")]
    pub machine_uuid: Option<String>,
    /// `repeated LogTag LogTags = 6`.
    #[prost(message, repeated, tag = "6")]
    pub log_tags: Vec<LogTag>,
}

/// Writes a V1 log group as an `sls_logs.LogGroup` straight from its borrowed texts, into a
/// buffer of exactly the right size: the same bytes as [`LogGroup`]'s derived encoding of the
/// same group, without first copying every key and value into the message structs (the
/// flusher's hot path; the tests check the two agree).
pub(super) fn write_log_group(group: &pipeplug::protocol::LogGroup) -> Vec<u8> {
    use prost::encoding::{encode_key, encode_varint, encoded_len_varint, WireType};

    // Every tag here is below 16: its key is one byte.
    fn text_len(s: &str) -> usize {
        1 + encoded_len_varint(s.len() as u64) + s.len()
    }
    fn pair_len(key: &str, value: &str) -> usize {
        text_len(key) + text_len(value)
    }
    fn nested_len(len: usize) -> usize {
        1 + encoded_len_varint(len as u64) + len
    }
    fn log_len(log: &pipeplug::protocol::Log) -> usize {
        let contents: usize = log
            .contents
            .iter()
            .map(|c| nested_len(pair_len(&c.key, &c.value)))
            .sum();
        1 + encoded_len_varint(u64::from(log.time))
            + contents
            + if log.time_ns.is_some() { 5 } else { 0 }
    }
    fn optional_len(s: &str) -> usize {
        if s.is_empty() {
            0
        } else {
            text_len(s)
        }
    }
    fn put_text(tag: u32, s: &str, buf: &mut Vec<u8>) {
        encode_key(tag, WireType::LengthDelimited, buf);
        encode_varint(s.len() as u64, buf);
        buf.extend_from_slice(s.as_bytes());
    }
    fn put_pair(tag: u32, key: &str, value: &str, buf: &mut Vec<u8>) {
        encode_key(tag, WireType::LengthDelimited, buf);
        encode_varint(pair_len(key, value) as u64, buf);
        put_text(1, key, buf);
        put_text(2, value, buf);
    }
    fn put_optional(tag: u32, s: &str, buf: &mut Vec<u8>) {
        if !s.is_empty() {
            put_text(tag, s, buf);
        }
    }

    let logs: usize = group.logs.iter().map(|l| nested_len(log_len(l))).sum();
    let tags: usize = group
        .log_tags
        .iter()
        .map(|t| nested_len(pair_len(&t.key, &t.value)))
        .sum();
    let total = logs
        + optional_len(&group.category)
        + optional_len(&group.topic)
        + optional_len(&group.source)
        + optional_len(&group.machine_uuid)
        + tags;
    let mut buf = Vec::with_capacity(total);
    for log in &group.logs {
        encode_key(1, WireType::LengthDelimited, &mut buf);
        encode_varint(log_len(log) as u64, &mut buf);
        encode_key(1, WireType::Varint, &mut buf);
        encode_varint(u64::from(log.time), &mut buf);
        for c in &log.contents {
            put_pair(2, &c.key, &c.value, &mut buf);
        }
        if let Some(ns) = log.time_ns {
            encode_key(4, WireType::ThirtyTwoBit, &mut buf);
            buf.extend_from_slice(&ns.to_le_bytes());
        }
    }
    put_optional(2, &group.category, &mut buf);
    put_optional(3, &group.topic, &mut buf);
    put_optional(4, &group.source, &mut buf);
    put_optional(5, &group.machine_uuid, &mut buf);
    for t in &group.log_tags {
        put_pair(6, &t.key, &t.value, &mut buf);
    }
    debug_assert_eq!(
        buf.len(),
        total,
        "the computed size of an sls_logs.LogGroup"
    );
    buf
}

/// The decoding side of [`LogGroup`] for the V2 model: the same fields, with every text a view
/// into one copy of the input (`bytes::Bytes`) rather than a `String` of its own, so that a
/// group from the core (v3.3.5's `ProcessLogGroup`) is read without an allocation per key and
/// value. A proto `string` and `bytes` field share a wire type, so the bytes are the same;
/// UTF-8 is checked where the texts are used.
pub(super) mod view {
    use prost::bytes::Bytes;

    /// `sls_logs.Log`, texts as views.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub struct Log {
        /// `required uint32 Time = 1`.
        #[prost(uint32, required, tag = "1")]
        pub time: u32,
        /// Field 2.
        #[prost(message, repeated, tag = "2")]
        pub contents: Vec<LogContent>,
        /// The column layout's values (field 3), refused.
        #[prost(bytes = "bytes", repeated, tag = "3")]
        pub values: Vec<Bytes>,
        /// `optional fixed32 Time_ns = 4`.
        #[prost(fixed32, optional, tag = "4")]
        pub time_ns: Option<u32>,
    }

    /// `sls_logs.Log.Content` (and `sls_logs.LogTag`: the same two fields), texts as views.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub struct Pair {
        /// `required string Key = 1`.
        #[prost(bytes = "bytes", required, tag = "1")]
        pub key: Bytes,
        /// `required string Value = 2`.
        #[prost(bytes = "bytes", required, tag = "2")]
        pub value: Bytes,
    }

    /// See [`Pair`].
    pub type LogContent = Pair;

    /// `sls_logs.LogGroup`, texts as views.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub struct LogGroup {
        /// `repeated Log Logs = 1`.
        #[prost(message, repeated, tag = "1")]
        pub logs: Vec<Log>,
        /// `optional string Category = 2`.
        #[prost(bytes = "bytes", optional, tag = "2")]
        pub category: Option<Bytes>,
        /// `optional string Topic = 3`.
        #[prost(bytes = "bytes", optional, tag = "3")]
        pub topic: Option<Bytes>,
        /// `optional string Source = 4`.
        #[prost(bytes = "bytes", optional, tag = "4")]
        pub source: Option<Bytes>,
        /// `optional string MachineUUID = 5`.
        #[prost(bytes = "bytes", optional, tag = "5")]
        pub machine_uuid: Option<Bytes>,
        /// `repeated LogTag LogTags = 6`.
        #[prost(message, repeated, tag = "6")]
        pub log_tags: Vec<Pair>,
    }
}
