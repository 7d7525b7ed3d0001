//! A compile-time parser for `#[config(default = "5s")]` on duration fields, so that a bad
//! default is a compile error and the generated code is a plain `Duration::new(secs, nanos)`.
//!
//! It accepts what the runtime's parser (humantime 2) accepts for config values: one or more
//! `<number><unit>` pairs, optionally separated by spaces, the number with an optional
//! fraction (`1.5s`), and humantime's units (`ns`, `us`, `ms`, `s`, `m`, `h`, `d`, `w`, `M`,
//! `y`, with their long forms such as `min` or `hours`). A unit test checks it against
//! humantime on a table of inputs.

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// One unit: its length in nanoseconds, and whether humantime computes its fractions in
/// whole seconds (hours and longer) rather than nanoseconds.
struct Unit {
    nanos: u128,
    fraction_in_secs: bool,
}

fn unit(name: &str) -> Option<Unit> {
    let (secs_or_nanos, in_secs): (u128, bool) = match name {
        "nanos" | "nsec" | "ns" => (1, false),
        "usec" | "us" | "µs" => (1_000, false),
        "millis" | "msec" | "ms" => (1_000_000, false),
        "seconds" | "second" | "secs" | "sec" | "s" => (NANOS_PER_SEC, false),
        "minutes" | "minute" | "min" | "mins" | "m" => (60 * NANOS_PER_SEC, false),
        "hours" | "hour" | "hr" | "hrs" | "h" => (3_600, true),
        "days" | "day" | "d" => (86_400, true),
        "weeks" | "week" | "wk" | "wks" | "w" => (604_800, true),
        "months" | "month" | "M" => (2_630_016, true),
        "years" | "year" | "yr" | "yrs" | "y" => (31_557_600, true),
        _ => return None,
    };
    Some(if in_secs {
        Unit {
            nanos: secs_or_nanos * NANOS_PER_SEC,
            fraction_in_secs: true,
        }
    } else {
        Unit {
            nanos: secs_or_nanos,
            fraction_in_secs: false,
        }
    })
}

const TOO_LARGE: &str = "the number is too large or too precise (below 1ns) for a duration";

/// `s` as `(seconds, nanoseconds)`, or why it is not a duration.
pub(crate) fn parse(s: &str) -> Result<(u64, u32), String> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut i = 0;
    let skip_spaces = |i: &mut usize| {
        while *i < chars.len() && chars[*i].1.is_whitespace() {
            *i += 1;
        }
    };
    let mut total: u128 = 0;
    skip_spaces(&mut i);
    if i == chars.len() {
        return Err("the value is empty".to_owned());
    }
    while i < chars.len() {
        let offset = chars[i].0;
        let digits = |i: &mut usize| {
            let start = *i;
            while *i < chars.len() && chars[*i].1.is_ascii_digit() {
                *i += 1;
            }
            chars[start..*i].iter().map(|(_, c)| *c).collect::<String>()
        };
        let whole = digits(&mut i);
        if whole.is_empty() {
            return Err(format!("expected a number at {offset}"));
        }
        let whole: u128 = whole.parse().map_err(|_| TOO_LARGE.to_owned())?;
        let mut fraction = None;
        if i < chars.len() && chars[i].1 == '.' {
            i += 1;
            let digits = digits(&mut i);
            if digits.is_empty() {
                return Err(format!("expected digits after `.` at {offset}"));
            }
            let numerator: u128 = digits.parse().map_err(|_| TOO_LARGE.to_owned())?;
            let exponent = u32::try_from(digits.len()).map_err(|_| TOO_LARGE.to_owned())?;
            let denominator = 10u128.checked_pow(exponent).ok_or(TOO_LARGE)?;
            fraction = Some((numerator, denominator));
        }
        skip_spaces(&mut i);
        let start = i;
        while i < chars.len() && (chars[i].1.is_ascii_alphabetic() || chars[i].1 == 'µ') {
            i += 1;
        }
        let name: String = chars[start..i].iter().map(|(_, c)| *c).collect();
        if name.is_empty() {
            return Err(match chars.get(i) {
                None => format!("a time unit is needed, as in `{whole}s` or `{whole}ms`"),
                Some((at, c)) => format!("unexpected `{c}` at {at}"),
            });
        }
        let unit = unit(&name).ok_or_else(|| {
            format!(
                "unknown time unit `{name}`; accepted units: ns, us, ms, s, m, h, d, w, M, y \
                 (and long forms such as `sec`, `min`, `hours`)"
            )
        })?;
        total = whole
            .checked_mul(unit.nanos)
            .and_then(|n| total.checked_add(n))
            .ok_or(TOO_LARGE)?;
        if let Some((numerator, denominator)) = fraction {
            // humantime keeps fractions exact: a fraction of a nanosecond (or, for hours
            // and longer, of a second) is an error, not a rounding.
            let step = if unit.fraction_in_secs {
                NANOS_PER_SEC
            } else {
                1
            };
            let scaled = numerator.checked_mul(unit.nanos / step).ok_or(TOO_LARGE)?;
            if unit.nanos == 1 || scaled % denominator != 0 {
                return Err(TOO_LARGE.to_owned());
            }
            total = total
                .checked_add(scaled / denominator * step)
                .ok_or(TOO_LARGE)?;
        }
        skip_spaces(&mut i);
    }
    let secs = u64::try_from(total / NANOS_PER_SEC).map_err(|_| TOO_LARGE.to_owned())?;
    let nanos = u32::try_from(total % NANOS_PER_SEC).map_err(|_| TOO_LARGE.to_owned())?;
    Ok((secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::parse;

    /// The compile-time parser agrees with the runtime's (humantime) on what it accepts and
    /// on the value.
    #[test]
    fn agrees_with_humantime() {
        let inputs = [
            "5s",
            "1m 30s",
            "1m30s",
            "10 s",
            "1.5s",
            "250ms",
            "2h",
            "1h 30m",
            "3d",
            "1w",
            "1M",
            "1y",
            "100ns",
            "7us",
            "7µs",
            "1.5h",
            "0.5m",
            "1.25ms",
            "2 hours",
            "5 mins",
            "1sec",
            "0s",
            " 5s ",
            "",
            "5",
            "5 parsecs",
            "5S",
            "-1s",
            "1.s",
            "s",
            "1.5ns",
            "0.0001h",
            "1.000000001s",
            "99999999999999999999999s",
            "1m,30s",
        ];
        for s in inputs {
            let ours = parse(s).ok();
            let theirs = humantime::parse_duration(s)
                .ok()
                .map(|d| (d.as_secs(), d.subsec_nanos()));
            assert_eq!(ours, theirs, "{s:?}");
        }
    }

    #[test]
    fn reasons() {
        assert_eq!(
            parse("5").unwrap_err(),
            "a time unit is needed, as in `5s` or `5ms`"
        );
        assert!(parse("5 parsecs")
            .unwrap_err()
            .starts_with("unknown time unit `parsecs`"));
        assert_eq!(parse("").unwrap_err(), "the value is empty");
        assert_eq!(parse("x").unwrap_err(), "expected a number at 0");
    }
}
