//! Plugin type strings as iLogtail's configs write them: `name`, `name/id`,
//! `name/id#priority`.

use crate::error::TypeStringError;

/// A parsed plugin type string: `name`, `name/id`, `name/id#priority`, as iLogtail's
/// configs write them.
///
/// `name/id/seq` is accepted too: iLogtail's C++ core appends a sequence number to a type
/// the user already gave an ID (`ext_basicauth/user1` becomes `ext_basicauth/user1/3`).
/// The ID is then the middle part, the one other plugins refer to (`ext_basicauth/user1`);
/// the sequence number is not kept. Unlike Go's `GetPluginPriority`, which reads a bad
/// priority as 0, a priority that is not an `i32` is an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginType {
    /// The registered name.
    pub name: String,
    /// The ID, if given.
    pub id: Option<String>,
    /// The priority after `#`, if given.
    pub priority: Option<i32>,
}

impl PluginType {
    /// Parses a type string.
    ///
    /// ```
    /// use pipeplug::registry::PluginType;
    /// let t = PluginType::parse("processor_rename/2#10").unwrap();
    /// assert_eq!((t.name.as_str(), t.id.as_deref(), t.priority), ("processor_rename", Some("2"), Some(10)));
    /// assert!(PluginType::parse("a//b").is_err());
    /// ```
    ///
    /// # Errors
    /// [`TypeStringError`] for `""`, `/x`, `a//b`, `a#b#c`, a non-integer priority, ...
    pub fn parse(s: &str) -> Result<Self, TypeStringError> {
        if s.is_empty() {
            return Err(TypeStringError::Empty);
        }
        // Names and IDs end up in logs, metric labels and thread names: no control
        // characters (a NUL cannot even name a thread).
        if let Some(c) = s.chars().find(|c| c.is_control()) {
            return Err(TypeStringError::BadCharacter(s.to_owned(), c));
        }
        let (path, priority) = match s.split_once('#') {
            None => (s, None),
            Some((_, rest)) if rest.contains('#') => {
                return Err(TypeStringError::TooManyHashes(s.to_owned()))
            }
            Some((path, p)) => {
                let p = p
                    .trim()
                    .parse::<i32>()
                    .map_err(|_| TypeStringError::BadPriority(s.to_owned(), p.to_owned()))?;
                (path, Some(p))
            }
        };
        let parts: Vec<&str> = path.split('/').collect();
        if parts[0].is_empty() {
            return Err(TypeStringError::EmptyName(s.to_owned()));
        }
        if parts.len() > 3 {
            return Err(TypeStringError::TooManyParts(s.to_owned()));
        }
        if parts[1..].iter().any(|p| p.is_empty()) {
            return Err(TypeStringError::EmptyId(s.to_owned()));
        }
        Ok(Self {
            name: parts[0].to_owned(),
            id: parts.get(1).map(|p| (*p).to_owned()),
            priority,
        })
    }
}
