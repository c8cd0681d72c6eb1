//! `relatedResource` digests (VC Data Model 2.0 §5.3): an issuer pins the
//! exact bytes of a document the credential relies on, and a verifier "MUST
//! produce an error" when the retrieved document does not match.
//!
//! This node never fetches while verifying, so it checks the documents it
//! holds byte for byte as their publisher serves them (see
//! `contexts/SOURCES.md`); a resource it does not hold is not checked. The
//! other pinned contexts are copies from npm packages whose bytes may differ
//! from the served file (white space, key order), so a digest over them
//! would reject credentials that are right.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::contexts::{CREDENTIALS_EXAMPLES_V2, CREDENTIALS_V2, ContextSet};

/// Documents held exactly as served: the W3C's own files, which its
/// specifications name by digest.
const SERVED_VERBATIM: [&str; 2] = [CREDENTIALS_V2, CREDENTIALS_EXAMPLES_V2];

/// The bytes of `url` if this node holds them exactly as served.
fn held_bytes(url: &str) -> Option<&'static str> {
    SERVED_VERBATIM
        .contains(&url)
        .then(|| ContextSet::pinned_text(url))
        .flatten()
}

/// Why the digests of the related resource `id` are wrong, if they are:
/// a digest that is malformed, or one that does not match the document this
/// node holds for `id`. `None` when they match or when the node does not
/// hold `id` (nothing to compare with offline).
pub fn digest_problem(id: &str, sri: Option<&str>, multibase: Option<&str>) -> Option<String> {
    let held = held_bytes(id)?.as_bytes();
    if let Some(sri) = sri
        && let Err(why) = check_sri(sri, held)
    {
        return Some(format!("relatedResource {id}: digestSRI {why}"));
    }
    if let Some(mb) = multibase
        && let Err(why) = check_multibase(mb, held)
    {
        return Some(format!("relatedResource {id}: digestMultibase {why}"));
    }
    None
}

/// The SHA-2 functions SRI names, strongest last.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Algorithm {
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    fn digest(self, bytes: &[u8]) -> Vec<u8> {
        match self {
            Algorithm::Sha256 => Sha256::digest(bytes).to_vec(),
            Algorithm::Sha384 => Sha384::digest(bytes).to_vec(),
            Algorithm::Sha512 => Sha512::digest(bytes).to_vec(),
        }
    }
}

/// Subresource Integrity: space-separated `alg-base64` expressions; the
/// strongest algorithm present decides, and any of its values may match
/// (SRI §3.3.5). Base64 with either alphabet, padding optional: issuers
/// write both.
fn check_sri(sri: &str, held: &[u8]) -> Result<(), String> {
    let mut expressions = Vec::new();
    for expression in sri.split_ascii_whitespace() {
        let (alg, value) = expression
            .split_once('-')
            .ok_or_else(|| format!("`{expression}` is not an `algorithm-digest` expression"))?;
        let alg = match alg {
            "sha256" => Algorithm::Sha256,
            "sha384" => Algorithm::Sha384,
            "sha512" => Algorithm::Sha512,
            other => return Err(format!("names `{other}`, not sha256, sha384 or sha512")),
        };
        // An SRI value may carry options after `?`; none changes the digest.
        let value = value.split('?').next().unwrap_or(value);
        let bytes = decode_base64(value).ok_or_else(|| format!("`{expression}` is not base64"))?;
        expressions.push((alg, bytes));
    }
    let strongest = expressions
        .iter()
        .map(|(alg, _)| *alg)
        .max()
        .ok_or("is empty")?;
    let computed = strongest.digest(held);
    if expressions
        .iter()
        .any(|(alg, bytes)| *alg == strongest && *bytes == computed)
    {
        Ok(())
    } else {
        Err("does not match the document".into())
    }
}

fn decode_base64(value: &str) -> Option<Vec<u8>> {
    let trimmed = value.trim_end_matches('=');
    STANDARD_NO_PAD
        .decode(trimmed)
        .or_else(|_| URL_SAFE_NO_PAD.decode(trimmed))
        .ok()
}

/// A multibase-encoded multihash (sha2-256, sha2-384 or sha2-512), or a bare
/// 32-byte SHA-256 digest, which the W3C test suites and some issuers write.
fn check_multibase(value: &str, held: &[u8]) -> Result<(), String> {
    let (_, bytes) = multibase::decode(value).map_err(|_| "is not multibase".to_string())?;
    let (alg, digest) = match bytes.as_slice() {
        [0x12, 32, rest @ ..] if rest.len() == 32 => (Algorithm::Sha256, rest),
        [0x20, 48, rest @ ..] if rest.len() == 48 => (Algorithm::Sha384, rest),
        [0x13, 64, rest @ ..] if rest.len() == 64 => (Algorithm::Sha512, rest),
        raw if raw.len() == 32 => (Algorithm::Sha256, raw),
        _ => return Err("is not a SHA-2 multihash".into()),
    };
    if alg.digest(held) == digest {
        Ok(())
    } else {
        Err("does not match the document".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The VC Data Model 2.0 §B.1 publishes this SHA-256 of the base context
    /// (`curl -s https://www.w3.org/ns/credentials/v2 | openssl dgst -sha256`);
    /// the held copy must be that file.
    const BASE_CONTEXT_SHA256: &str =
        "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734";

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn base_context() -> &'static [u8] {
        held_bytes(CREDENTIALS_V2).expect("held").as_bytes()
    }

    #[test]
    fn the_base_context_is_held_as_the_w3c_serves_it() {
        assert_eq!(hex(&Sha256::digest(base_context())), BASE_CONTEXT_SHA256);
    }

    #[test]
    fn matching_digests_in_every_form_pass() {
        let doc = base_context();
        let sri384 = format!("sha384-{}", STANDARD_NO_PAD.encode(Sha384::digest(doc)));
        let sri512_url = format!("sha512-{}", URL_SAFE_NO_PAD.encode(Sha512::digest(doc)));
        let mut mh = vec![0x12, 32];
        mh.extend(Sha256::digest(doc));
        let multihash = multibase::encode(multibase::Base::Base64Url, &mh);
        let raw = multibase::encode(multibase::Base::Base58Btc, Sha256::digest(doc));
        for (sri, mb) in [
            (Some(sri384.as_str()), None),
            (Some(sri512_url.as_str()), Some(multihash.as_str())),
            (None, Some(raw.as_str())),
            // A weaker wrong value beside a right strongest one is ignored.
            (Some(&*format!("sha256-AAAA {sri512_url}")), None),
        ] {
            assert_eq!(
                digest_problem(CREDENTIALS_V2, sri, mb),
                None,
                "{sri:?} {mb:?}"
            );
        }
    }

    #[test]
    fn a_digest_of_other_bytes_is_an_error() {
        // The W3C VC Data Model 2.0 test suite's values: the July 2024 draft
        // of the base context, which the Recommendation's file replaced.
        let draft_sri = "sha384-NSOcNpmdIVUxIJGvGUoe22FjTWrXiaXlsZ8q6912LdnR3KraQO2n75Ica4wK4Qeg";
        let draft_mb = "uJKGMkOmFbVJhEfKTduMC2XCyvRAYLjOVmZWwIH1wQ7k";
        let p = digest_problem(CREDENTIALS_V2, Some(draft_sri), None).unwrap_or_default();
        assert!(p.contains("digestSRI does not match"), "{p}");
        let p = digest_problem(CREDENTIALS_V2, None, Some(draft_mb)).unwrap_or_default();
        assert!(p.contains("digestMultibase does not match"), "{p}");
    }

    #[test]
    fn malformed_digests_are_errors() {
        for (sri, mb, why) in [
            (Some("md5-AAAA"), None, "names `md5`"),
            (Some("sha384"), None, "not an `algorithm-digest`"),
            (Some("sha384-!!!"), None, "not base64"),
            (Some("  "), None, "is empty"),
            (None, Some("not multibase"), "not multibase"),
            (None, Some("uAAAA"), "not a SHA-2 multihash"),
        ] {
            let p = digest_problem(CREDENTIALS_V2, sri, mb).unwrap_or_default();
            assert!(p.contains(why), "{sri:?} {mb:?}: {p}");
        }
    }

    #[test]
    fn resources_not_held_are_not_judged() {
        assert_eq!(
            digest_problem("https://example.org/r", Some("sha384-x"), None),
            None
        );
        // Held, but not as served (an npm copy): not judged either.
        assert_eq!(
            digest_problem(crate::contexts::CREDENTIALS_V1, Some("sha384-AAAA"), None),
            None
        );
    }
}
