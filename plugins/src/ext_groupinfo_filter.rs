//! `ext_groupinfo_filter`: keeps only the groups whose tags and metadata match (iLogtail's
//! `ext_groupinfo_filter`).

use pipeplug::models::{KeyValues, Str};
use pipeplug::prelude::*;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A condition on one key: its value (empty when the group lacks the key) must match
/// `Pattern`, or, with `Reverse`, must not.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Condition {
    /// A regular expression (RE2 syntax, as Go's; unanchored: `^…$` for a whole value).
    pub pattern: String,
    /// Keep the groups that do *not* match.
    #[serde(default)]
    pub reverse: bool,
}

/// Filters groups before a flush for the flushers that name it: provides the capability
/// [`FlushInterceptor`].
///
/// A group is kept when every condition of `Metas` holds on its metadata and every one of
/// `Tags` on its tags; otherwise the interceptor drops it. No conditions keep every group.
/// A pattern that does not compile fails `init`, naming the key.
#[extension(
    name = "ext_groupinfo_filter",
    rename_all = "PascalCase",
    example = "Tags: {env: {Pattern: '^prod$'}}\nMetas: {source: {Pattern: 'debug', Reverse: true}}"
)]
#[derive(Debug, Clone)]
pub struct ExtGroupInfoFilter {
    /// Conditions on group tags: key → `{Pattern, Reverse}`.
    tags: KeyValues<Condition>,
    /// Conditions on group metadata: key → `{Pattern, Reverse}`.
    metas: KeyValues<Condition>,
    /// `Tags`, compiled by `init`.
    #[state]
    tag_rules: Vec<(Str, Regex, bool)>,
    /// `Metas`, compiled by `init`.
    #[state]
    meta_rules: Vec<(Str, Regex, bool)>,
}

fn compile(
    section: &str,
    conds: &KeyValues<Condition>,
) -> Result<Vec<(Str, Regex, bool)>, BoxError> {
    conds
        .iter()
        .map(|(k, c)| {
            Regex::new(&c.pattern)
                .map(|r| (Str::from(k), r, c.reverse))
                .map_err(|e| {
                    format!("ext_groupinfo_filter: key `{section}.{k}.Pattern`: {e}").into()
                })
        })
        .collect()
}

impl Extension for ExtGroupInfoFilter {
    fn init(&mut self, _ctx: &Context) -> Result<(), BoxError> {
        self.tag_rules = compile("Tags", &self.tags)?;
        self.meta_rules = compile("Metas", &self.metas)?;
        Ok(())
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new().with::<dyn FlushInterceptor>(Arc::new(self.clone()))
    }
}

fn holds(rules: &[(Str, Regex, bool)], values: &KeyValues<Str>) -> bool {
    rules.iter().all(|(k, re, reverse)| {
        let v = values.get(k).map_or("", |v| v.as_str());
        re.is_match(v) != *reverse
    })
}

impl FlushInterceptor for ExtGroupInfoFilter {
    fn intercept(&self, group: PipelineGroupEvents) -> Option<PipelineGroupEvents> {
        (holds(&self.meta_rules, &group.group.metadata)
            && holds(&self.tag_rules, &group.group.tags))
        .then_some(group)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipeplug::models::{GroupInfo, Metadata, Tags};
    use pipeplug::testing::ExtensionHarness;

    fn group(tags: &[(&str, &str)], meta: &[(&str, &str)]) -> PipelineGroupEvents {
        let mut m = Metadata::new();
        for (k, v) in meta {
            m.add(*k, *v);
        }
        PipelineGroupEvents::new(
            GroupInfo::new(m, Tags::from_iter(tags.iter().copied())),
            vec![],
        )
    }

    fn filter(yaml: &str) -> Arc<dyn FlushInterceptor> {
        let mut h = ExtensionHarness::<ExtGroupInfoFilter>::from_yaml(yaml).unwrap();
        h.capability::<dyn FlushInterceptor>().unwrap()
    }

    #[test]
    fn keeps_groups_whose_tags_and_metadata_match_and_drops_the_others() {
        let f = filter(
            "Tags: {env: {Pattern: '^prod$'}}\nMetas: {source: {Pattern: debug, Reverse: true}}",
        );
        assert!(f
            .intercept(group(&[("env", "prod")], &[("source", "app")]))
            .is_some());
        assert!(f.intercept(group(&[("env", "production")], &[])).is_none());
        assert!(f
            .intercept(group(&[("env", "prod")], &[("source", "debug-1")]))
            .is_none());
        // A missing key is an empty value.
        assert!(f.intercept(group(&[], &[])).is_none());
    }

    #[test]
    fn no_conditions_keep_every_group() {
        let f = filter("");
        let g = group(&[("a", "b")], &[]);
        assert_eq!(f.intercept(g.clone()), Some(g));
    }

    #[test]
    fn a_bad_pattern_fails_init_naming_the_key() {
        let mut h =
            ExtensionHarness::<ExtGroupInfoFilter>::from_yaml("Tags: {env: {Pattern: '('}}")
                .unwrap();
        let err = h.init().unwrap_err().to_string();
        assert!(
            err.contains("ext_groupinfo_filter: key `Tags.env.Pattern`: "),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_condition_key_is_a_config_error() {
        let err = ExtensionHarness::<ExtGroupInfoFilter>::from_yaml("Tags: {env: {Patern: x}}")
            .unwrap_err()
            .to_string();
        assert!(err.contains("Patern"), "{err}");
    }
}
