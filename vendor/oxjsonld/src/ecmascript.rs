//! Numbers as an ECMAScript JSON-LD processor (jsonld.js) turns them into
//! RDF literals. Added by the badgemesh patch (see `PATCHED.md`).
//!
//! In JavaScript every JSON number is an IEEE 754 double, so the JSON text is
//! gone before JSON-LD sees it: `9007199254740993` is `9007199254740992`,
//! `1e-7` has no fractional part in its `String()` form. jsonld.js writes a
//! number as an `xsd:double` when its `String()` contains a `.`, when its
//! magnitude is at least 10^21, or when the datatype is `xsd:double`, and then
//! as `x.toExponential(15)` with the trailing zeros of the mantissa cut
//! (`1.234567890123457E19`, `5.0E0`, `Infinity`); otherwise as
//! `x.toFixed(0)` (`18446744073709551616`, `-0` for `-1e-7`). A string typed
//! `xsd:double` goes through `parseFloat` first.
//!
//! Tested through badgemesh-openbadges (its JSON-LD case files and their
//! jsonld.js output), since this crate is outside the workspace.

/// The lexical form and whether it is a double (else an integer), for the
/// JSON number `text`; `force_double` when the datatype is `xsd:double`.
pub(crate) fn number_literal(text: &str, force_double: bool) -> (String, bool) {
    // JSON number syntax is a subset of Rust's float syntax; out of range
    // values become infinities, as in JavaScript.
    let x = text.parse::<f64>().unwrap_or(f64::NAN);
    if force_double || is_double(x) {
        (to_exponential_15(x), true)
    } else {
        (to_fixed_0(x), false)
    }
}

/// The lexical form jsonld.js gives a string typed `xsd:double`.
pub(crate) fn string_double_literal(text: &str) -> String {
    to_exponential_15(parse_float(text))
}

/// jsonld.js `types.isDouble`: `String(x)` has a `.`, or `|x| >= 1e21`.
fn is_double(x: f64) -> bool {
    if !x.is_finite() || x.abs() >= 1e21 {
        return true;
    }
    ryu_js::Buffer::new().format(x).contains('.')
}

/// `x.toExponential(15).replace(/(\d)0*e\+?/, '$1E')`.
fn to_exponential_15(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if x == 0.0 {
        return "0.0E0".into();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let a = x.abs();
    // Rust rounds exactly, to even on a tie; ECMAScript picks the larger
    // of two equally near results, so only ties need more.
    let (mut digits, mut exp) = match tie_at_16_digits(a) {
        Some((n, exp)) => (n + 1, exp),
        None => {
            let text = format!("{a:.15e}");
            let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
            let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
            (digits.parse().unwrap_or(0), exp.parse().unwrap_or(0))
        }
    };
    if digits >= 10_000_000_000_000_000 {
        digits /= 10;
        exp += 1;
    }
    let digits = digits.to_string();
    let (first, rest) = digits.split_at(1);
    let rest = match rest.trim_end_matches('0') {
        "" => "0",
        r => r,
    };
    format!("{sign}{first}.{rest}E{exp}")
}

/// When `a` (positive, finite) lies exactly halfway between two 16-digit
/// decimals, the lower one's digits and the decimal exponent. Then
/// `a = D x 10^-k` with `D` a 17-digit integer ending in 5; since
/// `a = m x 2^q` (`m` odd), that needs `k = -q` and `D = m x 5^k`, which
/// is a few multiplications to check (`k <= 24`, as `5^k <= D < 10^17`).
fn tie_at_16_digits(a: f64) -> Option<(u64, i32)> {
    let bits = a.to_bits();
    let biased = i32::try_from((bits >> 52) & 0x7ff).ok()?;
    let fraction = bits & ((1 << 52) - 1);
    let (mut m, mut q) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), biased - 1075)
    };
    if m == 0 {
        return None;
    }
    let zeros = m.trailing_zeros();
    m >>= zeros;
    q += i32::try_from(zeros).ok()?;
    if q >= 0 || q < -24 {
        return None;
    }
    let k = q.unsigned_abs();
    let d = u128::from(m).checked_mul(5u128.checked_pow(k)?)?;
    if !(10_000_000_000_000_000..100_000_000_000_000_000).contains(&d) || d % 10 != 5 {
        return None;
    }
    let n = u64::try_from(d / 10).ok()?;
    Some((n, 16 - i32::try_from(k).ok()?))
}

/// `x.toFixed(0)` for a double that is not written as one: an integer below
/// 10^21, or a tiny number whose `String()` is `de-N`.
fn to_fixed_0(x: f64) -> String {
    let sign = if x < 0.0 { "-" } else { "" };
    let a = x.abs();
    let n = if a.fract() == 0.0 {
        format!("{a:.0}")
    } else {
        // Round half up, as ECMAScript does.
        let floor = a.floor();
        let n = if a - floor >= 0.5 { floor + 1.0 } else { floor };
        format!("{n:.0}")
    };
    format!("{sign}{n}")
}

/// ECMAScript `parseFloat`: leading white space, then the longest prefix
/// that is a decimal literal or `Infinity`; `NaN` when there is none.
fn parse_float(text: &str) -> f64 {
    let s = text.trim_start_matches(is_js_space);
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    if s[i..].starts_with("Infinity") {
        return if b.first() == Some(&b'-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    let digits = |mut j: usize| {
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        j
    };
    let int_end = digits(i);
    let mut end = int_end;
    let mut any = int_end > i;
    if b.get(end) == Some(&b'.') {
        let frac_end = digits(end + 1);
        if frac_end > end + 1 || any {
            any |= frac_end > end + 1;
            end = frac_end;
        }
    }
    if !any {
        return f64::NAN;
    }
    if matches!(b.get(end), Some(b'e' | b'E')) {
        let mut j = end + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_end = digits(j);
        if exp_end > j {
            end = exp_end;
        }
    }
    s[..end].parse::<f64>().unwrap_or(f64::NAN)
}

/// ECMAScript `StrWhiteSpaceChar`: Unicode white space (the `Zs`
/// characters and line terminators) except U+0085, plus U+FEFF.
fn is_js_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}
