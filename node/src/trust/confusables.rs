//! Names that look alike: the impersonation check.
//!
//! Anyone can sign a profile that calls itself "MIT", "ΜΙΤ" (Greek) or
//! "rnit". Two names are taken as confusable when their Unicode TR39
//! skeletons agree once case and whitespace are set aside: `unicode-security`
//! gives the skeleton (confusables.txt prototypes, default-ignorable code
//! points removed), and since a skeleton keeps case, each name is compared
//! under its skeleton, its lower-cased form's skeleton and its upper-cased
//! form's skeleton, all lower-cased afterwards. The keys are a comparison
//! index only: never displayed, never stored in a record.

use std::collections::BTreeSet;

use unicode_security::skeleton;

/// The Unicode version of the confusables data, reported with verdicts: a
/// data update can change which names collide.
pub const UNICODE_VERSION: (u64, u64, u64) = unicode_security::UNICODE_VERSION;

/// The comparison keys of a name (empty for a name with no letters).
pub fn keys(name: &str) -> BTreeSet<String> {
    let collapsed: String = name
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    [
        collapsed.clone(),
        collapsed.to_lowercase(),
        collapsed.to_uppercase(),
    ]
    .iter()
    .map(|s| skeleton(s).collect::<String>().to_lowercase())
    .filter(|k| k.chars().any(char::is_alphanumeric))
    .collect()
}

/// Whether two names would be taken for one another.
pub fn confusable(a: &str, b: &str) -> bool {
    let b = keys(b);
    keys(a).iter().any(|k| b.contains(k))
}

/// The host of a URL or a bare domain, lower-cased, without a port or a
/// leading `www.`, for comparing a claimed home page with listed domains.
pub fn host_of(url_or_domain: &str) -> Option<String> {
    let rest = url_or_domain
        .split_once("://")
        .map_or(url_or_domain, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    let host = host.trim_end_matches('.').to_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_owned();
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alikes_are_confusable() {
        for (a, b) in [
            ("MIT", "ΜΙΤ"),                           // Greek capitals
            ("paypal", "раypal"),                     // Cyrillic р and а
            ("Harvard", "harvard"),                   // case
            ("Open Badges", "Open\u{200B} Badges"),   // a zero-width space
            ("Example Academy", "Example  Academy "), // whitespace
            ("mit.edu", "rnit.edu"),                  // rn for m
            ("MIT", "mit"),
        ] {
            assert!(confusable(a, b), "{a:?} and {b:?} should collide");
        }
    }

    #[test]
    fn different_names_are_not() {
        for (a, b) in [
            ("MIT", "MTI"),
            ("Example Academy", "Example College"),
            ("Harvard", "Stanford"),
        ] {
            assert!(!confusable(a, b), "{a:?} and {b:?} should not collide");
        }
    }

    #[test]
    fn hosts_compare_without_scheme_port_or_www() {
        assert_eq!(
            host_of("https://www.Academy.example:8443/x?y").as_deref(),
            Some("academy.example")
        );
        assert_eq!(
            host_of("academy.example").as_deref(),
            Some("academy.example")
        );
        assert_eq!(host_of("https://").as_deref(), None);
    }
}
