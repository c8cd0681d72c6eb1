//! LinkedIn's "Add to profile" link for a held badge: a plain URL that
//! opens LinkedIn's form for a new entry under *Licenses & certifications*,
//! filled in from the badge. Nothing is sent to LinkedIn by the node: the
//! earner follows the link, checks the form and saves it there.
//!
//! The parameters are those of LinkedIn's Add to Profile for
//! certifications (`https://www.linkedin.com/profile/add`):
//! `startTask=CERTIFICATION_NAME`, `name`, `organizationName` (or
//! `organizationId`, a LinkedIn company id, which a badge does not carry),
//! `issueYear`, `issueMonth`, `expirationYear`, `expirationMonth`,
//! `certUrl` and `certId`. Months are 1 to 12. Every value is
//! percent-encoded as UTF-8 (RFC 3986 unreserved characters kept), so an
//! `&`, a space or a non-ASCII letter in a name cannot break the query.
//!
//! What is filled in follows the verdict of now, as everything in the
//! backpack does: a link is offered only for a badge that is valid (or
//! expired, which LinkedIn shows with its expiry), never for a revoked,
//! forged or undecided one, and never when the issuer looks like an
//! impersonation of a listed organisation. The organisation is the name a
//! followed registry lists the issuer under, or else the name the issuer
//! gives itself (the earner sees it in LinkedIn's form and can change it;
//! it is the earner's statement on their own profile, not the node's).

use serde_json::Value;

/// Where LinkedIn's Add to Profile form is.
pub const ADD_TO_PROFILE: &str = "https://www.linkedin.com/profile/add";

/// What LinkedIn's form is filled in with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Certification<'a> {
    /// The certification's name (the badge's).
    pub name: &'a str,
    /// Who issued it.
    pub organization: Option<&'a str>,
    /// Year and month (1 to 12) it was issued.
    pub issued: Option<(u32, u32)>,
    /// Year and month it expires.
    pub expires: Option<(u32, u32)>,
    /// Where the credential can be seen (an `http(s)` URL).
    pub cert_url: Option<&'a str>,
    /// The credential's id.
    pub cert_id: Option<&'a str>,
}

/// `text` percent-encoded for a query value: RFC 3986 unreserved
/// characters as they are, every other byte of its UTF-8 as `%XX`.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The Add to Profile URL for `c`.
pub fn add_to_profile_url(c: &Certification<'_>) -> String {
    let mut url = format!(
        "{ADD_TO_PROFILE}?startTask=CERTIFICATION_NAME&name={}",
        encode(c.name)
    );
    if let Some(o) = c.organization {
        url.push_str(&format!("&organizationName={}", encode(o)));
    }
    if let Some((y, m)) = c.issued {
        url.push_str(&format!("&issueYear={y}&issueMonth={m}"));
    }
    if let Some((y, m)) = c.expires {
        url.push_str(&format!("&expirationYear={y}&expirationMonth={m}"));
    }
    if let Some(u) = c.cert_url {
        url.push_str(&format!("&certUrl={}", encode(u)));
    }
    if let Some(id) = c.cert_id {
        url.push_str(&format!("&certId={}", encode(id)));
    }
    url
}

/// Year and month of an RFC 3339 date-time (`2026-03-01T...`).
fn year_month(text: &str) -> Option<(u32, u32)> {
    let year: u32 = text.get(0..4)?.parse().ok()?;
    if text.get(4..5)? != "-" {
        return None;
    }
    let month: u32 = text.get(5..7)?.parse().ok()?;
    (1..=12).contains(&month).then_some((year, month))
}

/// The link for a held badge's verdict (see the module documentation for
/// when there is none). `cert_url` is where the earner shows the badge, if
/// they have such a page; anything but an `http(s)` URL is left out.
pub fn for_verdict(v: &Value, cert_url: Option<&str>) -> Option<String> {
    if !matches!(v["outcome"].as_str(), Some("valid" | "expired")) {
        return None;
    }
    let trust = &v["trust"];
    if !trust["impersonation"].is_null() {
        return None;
    }
    let name = v["badge"]["name"]
        .as_str()
        .filter(|n| !n.trim().is_empty())?;
    let organization = match trust["state"].as_str() {
        Some("listed") => trust["name"].as_str(),
        _ => v["issuer_name"].as_str(),
    };
    let cert_url = cert_url.filter(|u| {
        let lower = u.to_ascii_lowercase();
        (lower.starts_with("https://") || lower.starts_with("http://"))
            && !u.chars().any(|c| c.is_whitespace() || c.is_control())
    });
    let c = Certification {
        name,
        organization: organization.filter(|o| !o.trim().is_empty()),
        issued: v["issued_on"].as_str().and_then(year_month),
        expires: v["expires"].as_str().and_then(year_month),
        cert_url,
        cert_id: v["assertion"].as_str(),
    };
    Some(add_to_profile_url(&c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_with_ampersands_spaces_and_accents_stay_one_value() {
        assert_eq!(encode("R&D Lab"), "R%26D%20Lab");
        assert_eq!(encode("Zürich 東京"), "Z%C3%BCrich%20%E6%9D%B1%E4%BA%AC");
        assert_eq!(encode("a=b+c?d#e/f"), "a%3Db%2Bc%3Fd%23e%2Ff");
        assert_eq!(encode("safe-._~AZ09"), "safe-._~AZ09");
        let url = add_to_profile_url(&Certification {
            name: "Teamwork & Leadership",
            organization: Some("École Polytechnique Fédérale"),
            issued: Some((2026, 3)),
            expires: Some((2029, 12)),
            cert_url: Some("https://ada.example/badges/#3f2a9c"),
            cert_id: Some("urn:badgemesh:assertion:bciq x"),
        });
        assert_eq!(
            url,
            "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME\
             &name=Teamwork%20%26%20Leadership\
             &organizationName=%C3%89cole%20Polytechnique%20F%C3%A9d%C3%A9rale\
             &issueYear=2026&issueMonth=3&expirationYear=2029&expirationMonth=12\
             &certUrl=https%3A%2F%2Fada.example%2Fbadges%2F%233f2a9c\
             &certId=urn%3Abadgemesh%3Aassertion%3Abciq%20x"
        );
        // Every parameter is one key=value pair: nothing leaked into the query.
        let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
        let keys: Vec<&str> = query
            .split('&')
            .map(|kv| kv.split_once('=').map(|(k, _)| k).unwrap_or(kv))
            .collect();
        assert_eq!(
            keys,
            [
                "startTask",
                "name",
                "organizationName",
                "issueYear",
                "issueMonth",
                "expirationYear",
                "expirationMonth",
                "certUrl",
                "certId"
            ]
        );
    }

    #[test]
    fn a_link_follows_the_verdict_of_now() {
        let v = json!({
            "outcome": "valid",
            "badge": { "name": "Teamwork" },
            "issuer_name": "Example Academy",
            "issued_on": "2026-11-30T09:00:00Z",
            "expires": null,
            "assertion": "bciqabc",
            "trust": { "state": "unlisted", "impersonation": null },
        });
        let url = for_verdict(&v, None).expect("a link");
        assert!(url.contains("&name=Teamwork&organizationName=Example%20Academy&issueYear=2026&issueMonth=11&certId=bciqabc"), "{url}");
        assert!(
            !url.contains("expiration") && !url.contains("certUrl"),
            "{url}"
        );
        // A listed issuer goes by its listed name.
        let mut listed = v.clone();
        listed["trust"] =
            json!({ "state": "listed", "name": "Example Academy Ltd", "impersonation": null });
        assert!(
            for_verdict(&listed, None)
                .expect("link")
                .contains("organizationName=Example%20Academy%20Ltd")
        );
        // A page of the earner's, http(s) only.
        assert!(
            for_verdict(&v, Some("https://ada.example/b"))
                .expect("link")
                .contains("&certUrl=https%3A%2F%2Fada.example%2Fb&")
        );
        assert!(
            !for_verdict(&v, Some("javascript:alert(1)"))
                .expect("link")
                .contains("certUrl")
        );
        // Expired: offered, with its expiry.
        let mut expired = v.clone();
        expired["outcome"] = "expired".into();
        expired["expires"] = "2027-01-31T00:00:00Z".into();
        assert!(
            for_verdict(&expired, None)
                .expect("link")
                .contains("&expirationYear=2027&expirationMonth=1")
        );
        // Revoked, invalid, undecided, an impersonator, no name: none.
        for outcome in ["revoked", "invalid", "indeterminate", "suspended"] {
            let mut o = v.clone();
            o["outcome"] = outcome.into();
            assert_eq!(for_verdict(&o, None), None, "{outcome}");
        }
        let mut fake = v.clone();
        fake["trust"]["impersonation"] = json!({ "listed_name": "Example Academy" });
        assert_eq!(for_verdict(&fake, None), None);
        let mut unnamed = v;
        unnamed["badge"]["name"] = Value::Null;
        assert_eq!(for_verdict(&unnamed, None), None);
        assert_eq!(year_month("2026-13-01T00:00:00Z"), None);
        assert_eq!(year_month("26-1"), None);
    }
}
