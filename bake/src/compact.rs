//! The compact text form of a whole signed badge, for a QR code on paper.
//!
//! A printed certificate must verify with no network at all, so its QR code
//! carries the signed badge itself, not a URL: `BM1:` followed by the
//! Base45 text (RFC 9285) of the zlib-compressed badge bytes (a native
//! assertion's COSE_Sign1, or the text of an OB 3.0 credential: JSON or
//! VC-JWT). This is the layout of the EU Digital COVID Certificate
//! (`HC1:` + Base45 + zlib + COSE), chosen for the same reasons: Base45
//! uses only the QR alphanumeric alphabet, so the code holds about 1.4
//! times the bytes a Base64 text would, and phone scanners pass it on as
//! plain text without mangling binary.
//!
//! Reading is bounded: the text, the Base45 decoding and the inflated
//! bytes are all capped by [`Limits`], so a crafted code cannot make a
//! reader allocate more than the caps.

use std::io::Read as _;

use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;

use crate::Limits;

/// The prefix of the compact form (version 1).
pub const COMPACT_PREFIX: &str = "BM1:";

/// Why compact text could not be read back into a badge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompactError {
    /// The text does not start with [`COMPACT_PREFIX`].
    #[error("the QR code does not hold a badgemesh badge (no `BM1:` prefix)")]
    NotCompact,
    /// The text after the prefix is not Base45.
    #[error("the QR code's badge text is damaged (not Base45)")]
    NotBase45,
    /// The Base45 bytes are not zlib data.
    #[error("the QR code's badge is damaged (not zlib data)")]
    Corrupt,
    /// The text or what it inflates to is over the limit.
    #[error("the QR code's badge is larger than the limit of {max} bytes")]
    TooLarge {
        /// The limit.
        max: usize,
    },
}

/// Encodes a badge's bytes (a native assertion's COSE_Sign1, or an OB 3.0
/// credential's JSON or VC-JWT text) in the compact form.
pub fn to_compact(badge: &[u8]) -> String {
    let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
    // Writing into a Vec cannot fail.
    let _ = std::io::Write::write_all(&mut z, badge);
    let deflated = z.finish().unwrap_or_default();
    format!("{COMPACT_PREFIX}{}", base45::encode(&deflated))
}

/// True when `text` (surrounding whitespace aside) starts with the compact
/// form's prefix.
pub fn is_compact(text: &[u8]) -> bool {
    text.trim_ascii_start()
        .get(..COMPACT_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(COMPACT_PREFIX.as_bytes()))
}

/// Reads the badge bytes back from compact text.
///
/// # Errors
///
/// [`CompactError`]: no prefix, damaged Base45 or zlib, or over
/// `limits.max_text` (text or inflated bytes).
pub fn from_compact(text: &str, limits: &Limits) -> Result<Vec<u8>, CompactError> {
    let text = text.trim();
    if !is_compact(text.as_bytes()) {
        return Err(CompactError::NotCompact);
    }
    // Base45 grows the bytes by half, so text over twice the cap can only
    // inflate to more than it.
    if text.len() > limits.max_text.saturating_mul(2) {
        return Err(CompactError::TooLarge {
            max: limits.max_text,
        });
    }
    let body = text.get(COMPACT_PREFIX.len()..).unwrap_or_default();
    // Scanners may lowercase alphanumeric QR text; Base45 is upper case.
    let deflated =
        base45::decode(body.to_ascii_uppercase()).map_err(|_| CompactError::NotBase45)?;
    let cap = limits.max_text.min(limits.max_inflated);
    let mut out = Vec::new();
    ZlibDecoder::new(&deflated[..])
        .take(cap as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| CompactError::Corrupt)?;
    if out.len() > cap {
        return Err(CompactError::TooLarge { max: cap });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_badge_comes_back_byte_for_byte() {
        let badge =
            br#"{"type":["VerifiableCredential","OpenBadgeCredential"],"name":"Caf\u00e9"}"#;
        let text = to_compact(badge);
        assert!(text.starts_with("BM1:"));
        assert!(
            text.bytes()
                .all(|b| b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains(&b)),
            "only the QR alphanumeric alphabet: {text}"
        );
        assert_eq!(from_compact(&text, &Limits::DEFAULT).unwrap(), badge);
        let lower = format!("  {}\n", text.to_ascii_lowercase());
        assert_eq!(from_compact(&lower, &Limits::DEFAULT).unwrap(), badge);
    }

    #[test]
    fn damaged_text_gets_its_reason() {
        let text = to_compact(b"a badge");
        assert_eq!(
            from_compact("https://example.org", &Limits::DEFAULT),
            Err(CompactError::NotCompact)
        );
        assert_eq!(
            from_compact("BM1:!!!", &Limits::DEFAULT),
            Err(CompactError::NotBase45)
        );
        assert_eq!(
            from_compact(
                &format!("BM1:{}", base45::encode(b"not zlib")),
                &Limits::DEFAULT
            ),
            Err(CompactError::Corrupt)
        );
        let truncated = &text[..text.len() - 3];
        assert!(from_compact(truncated, &Limits::DEFAULT).is_err());
    }

    #[test]
    fn a_zlib_bomb_stops_at_the_cap() {
        let bomb = to_compact(&vec![b'{'; 8 << 20]);
        let limits = Limits::DEFAULT;
        assert!(bomb.len() < 40_000, "8 MiB of one byte compresses well");
        assert_eq!(
            from_compact(&bomb, &limits),
            Err(CompactError::TooLarge {
                max: limits.max_inflated
            })
        );
    }
}
