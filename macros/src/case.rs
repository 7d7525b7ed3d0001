//! `rename_all`: field names (`snake_case`) to config keys.

/// A `rename_all` rule.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum RenameRule {
    /// `ignore_if_exist` → `IgnoreIfExist` (iLogtail's Go field names).
    Pascal,
    /// `ignore_if_exist` → `ignoreIfExist`.
    Camel,
    /// Unchanged.
    Snake,
}

impl RenameRule {
    pub(crate) fn from_str(s: &str) -> Option<Self> {
        match s {
            "PascalCase" => Some(Self::Pascal),
            "camelCase" => Some(Self::Camel),
            "snake_case" => Some(Self::Snake),
            _ => None,
        }
    }

    /// The config key of the field `field` (already without `r#`).
    pub(crate) fn apply(self, field: &str) -> String {
        match self {
            Self::Snake => field.to_owned(),
            Self::Pascal | Self::Camel => {
                let mut out = String::with_capacity(field.len());
                for (i, word) in field.split('_').filter(|w| !w.is_empty()).enumerate() {
                    let mut chars = word.chars();
                    if let Some(first) = chars.next() {
                        if i == 0 && self == Self::Camel {
                            out.push(first);
                        } else {
                            out.extend(first.to_uppercase());
                        }
                        out.push_str(chars.as_str());
                    }
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RenameRule;

    #[test]
    fn rules() {
        assert_eq!(RenameRule::Pascal.apply("ignore_if_exist"), "IgnoreIfExist");
        assert_eq!(RenameRule::Camel.apply("ignore_if_exist"), "ignoreIfExist");
        assert_eq!(
            RenameRule::Snake.apply("ignore_if_exist"),
            "ignore_if_exist"
        );
        assert_eq!(RenameRule::Pascal.apply("interval_ms"), "IntervalMs");
        assert_eq!(RenameRule::Pascal.apply("x"), "X");
    }
}
