//! The six plugin kinds, one attribute each, and what differs between them.

/// A plugin kind, as chosen by the attribute (`#[service_input]` → `ServiceInput`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    MetricInput,
    ServiceInput,
    Processor,
    Aggregator,
    Flusher,
    Extension,
}

/// The V1/V2 traits of a kind and the names the runtime's glue gives them.
pub(crate) struct Interfaces {
    /// `ServiceInputV1`.
    pub(crate) v1: &'static str,
    /// `ServiceInputV2`.
    pub(crate) v2: &'static str,
    /// `SERVICE_V1`: the probe constant answering "implements V1?".
    pub(crate) probe_v1: &'static str,
    /// `SERVICE_V2`.
    pub(crate) probe_v2: &'static str,
    /// `service_v1`: the glue's V1 factory.
    pub(crate) factory_v1: &'static str,
    /// `service_v2`.
    pub(crate) factory_v2: &'static str,
}

impl Kind {
    /// The attribute's name (`service_input`).
    pub(crate) fn attr(self) -> &'static str {
        match self {
            Self::MetricInput => "metric_input",
            Self::ServiceInput => "service_input",
            Self::Processor => "processor",
            Self::Aggregator => "aggregator",
            Self::Flusher => "flusher",
            Self::Extension => "extension",
        }
    }

    /// The prefix every name of the kind has (`service_`).
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Self::MetricInput => "metric_",
            Self::ServiceInput => "service_",
            Self::Processor => "processor_",
            Self::Aggregator => "aggregator_",
            Self::Flusher => "flusher_",
            Self::Extension => "ext_",
        }
    }

    /// The kind in prose (`service input`).
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::MetricInput => "metric input",
            Self::ServiceInput => "service input",
            Self::Processor => "processor",
            Self::Aggregator => "aggregator",
            Self::Flusher => "flusher",
            Self::Extension => "extension",
        }
    }

    /// The kind with its article (`a service input`, `an aggregator`).
    pub(crate) fn with_article(self) -> String {
        let label = self.label();
        let article = if label.starts_with(['a', 'e']) {
            "an"
        } else {
            "a"
        };
        format!("{article} {label}")
    }

    /// The variant of the runtime's `PluginKind` and `Factories` (`ServiceInput`).
    pub(crate) fn variant(self) -> &'static str {
        match self {
            Self::MetricInput => "MetricInput",
            Self::ServiceInput => "ServiceInput",
            Self::Processor => "Processor",
            Self::Aggregator => "Aggregator",
            Self::Flusher => "Flusher",
            Self::Extension => "Extension",
        }
    }

    /// The V1/V2 traits, `None` for extensions (one trait, `Extension`).
    pub(crate) fn interfaces(self) -> Option<Interfaces> {
        let (v1, v2, probe_v1, probe_v2, factory_v1, factory_v2) = match self {
            Self::MetricInput => (
                "MetricInputV1",
                "MetricInputV2",
                "METRIC_V1",
                "METRIC_V2",
                "metric_v1",
                "metric_v2",
            ),
            Self::ServiceInput => (
                "ServiceInputV1",
                "ServiceInputV2",
                "SERVICE_V1",
                "SERVICE_V2",
                "service_v1",
                "service_v2",
            ),
            Self::Processor => (
                "ProcessorV1",
                "ProcessorV2",
                "PROCESSOR_V1",
                "PROCESSOR_V2",
                "processor_v1",
                "processor_v2",
            ),
            Self::Aggregator => (
                "AggregatorV1",
                "AggregatorV2",
                "AGGREGATOR_V1",
                "AGGREGATOR_V2",
                "aggregator_v1",
                "aggregator_v2",
            ),
            Self::Flusher => (
                "FlusherV1",
                "FlusherV2",
                "FLUSHER_V1",
                "FLUSHER_V2",
                "flusher_v1",
                "flusher_v2",
            ),
            Self::Extension => return None,
        };
        Some(Interfaces {
            v1,
            v2,
            probe_v1,
            probe_v2,
            factory_v1,
            factory_v2,
        })
    }
}
