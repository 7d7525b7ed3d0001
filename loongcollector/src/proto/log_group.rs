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
