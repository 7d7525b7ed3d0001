//! Numbers as text, the way iLogtail's Go code writes them (`strconv.FormatFloat(v, 'g', -1,
//! 64)`), so that a V1 log made by pipeplug reads the same as one made by iLogtail.

use std::fmt::Write as _;

/// The bit pattern Prometheus and iLogtail use for a stale sample (`helper.StaleNaN`).
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;
/// How iLogtail writes a stale sample (`helper.StaleNan`).
pub const STALE_NAN_TEXT: &str = "__STALE_NAN__";

/// `v` as Go's `strconv.FormatFloat(v, 'g', -1, 64)` writes it: the fewest digits that read
/// back to the same number, in exponent form when the exponent is below -4 or at least 6
/// (`1e+06`, `1.5e-05`), plain otherwise (`100000`, `0.0001`); `NaN`, `+Inf`, `-Inf`, and
/// iLogtail's `__STALE_NAN__` for the stale-sample NaN.
#[must_use]
pub fn format_go(v: f64) -> String {
    if v.to_bits() == STALE_NAN_BITS {
        return STALE_NAN_TEXT.to_owned();
    }
    if v.is_nan() {
        return "NaN".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest round-tripping digits, as Go's shortest mode does;
    // only the layout differs.
    let sci = format!("{:e}", v.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::with_capacity(digits.len() + 8);
    if v < 0.0 {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let sign = if exp < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{:02}", exp.unsigned_abs());
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        // 0 <= exp < 6: the point goes after `exp + 1` digits.
        let point = usize::try_from(exp).unwrap_or(0) + 1;
        if digits.len() <= point {
            out.push_str(&digits);
            for _ in digits.len()..point {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..point]);
            out.push('.');
            out.push_str(&digits[point..]);
        }
    }
    out
}

/// Reads a number written by [`format_go`] (or by Go, Prometheus, or Rust): also `NaN`,
/// `+Inf`/`Inf`/`-Inf` and iLogtail's stale marker `__STALE_NAN__`.
#[must_use]
pub fn parse_go(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        STALE_NAN_TEXT => Some(f64::from_bits(STALE_NAN_BITS)),
        _ => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_go_writes() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1"),
            (-1.0, "-1"),
            (0.0, "0"),
            (-0.0, "-0"),
            (1.5, "1.5"),
            (100_000.0, "100000"),
            (1_000_000.0, "1e+06"),
            (1_234_567.0, "1.234567e+06"),
            (123_456.7, "123456.7"),
            (0.0001, "0.0001"),
            (0.000_012_5, "1.25e-05"),
            (1e21, "1e+21"),
            (1e-300, "1e-300"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
        ];
        for (v, text) in cases {
            assert_eq!(format_go(*v), *text, "{v:?}");
        }
    }

    #[test]
    fn reads_back_every_form() {
        for v in [
            1.0,
            -2.5e-7,
            1e21,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            -0.0,
        ] {
            assert_eq!(parse_go(&format_go(v)).map(f64::to_bits), Some(v.to_bits()));
        }
        assert!(parse_go("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_go("Inf"), Some(f64::INFINITY));
        let stale = f64::from_bits(STALE_NAN_BITS);
        assert_eq!(format_go(stale), STALE_NAN_TEXT);
        assert_eq!(
            parse_go(STALE_NAN_TEXT).map(f64::to_bits),
            Some(STALE_NAN_BITS)
        );
        assert_eq!(parse_go("twelve"), None);
        assert_eq!(parse_go(""), None);
    }
}
