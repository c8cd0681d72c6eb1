//! Recognising a badge file by its first bytes, without parsing it.

use crate::payload::is_compact_jws;

/// The PNG file signature.
pub(crate) const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

/// How far into an XML document [`sniff`] looks for `<svg`.
const SVG_WINDOW: usize = 64 * 1024;

/// The format of a badge file, as told by [`sniff`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// A PNG image (starts with the PNG signature).
    Png,
    /// An SVG image (XML with an `<svg` element near the start).
    Svg,
    /// A JSON object.
    Json,
    /// A compact JWS: three base64url parts separated by dots.
    Jws,
    /// A native badgemesh record: COSE_Sign1, CBOR tag 18 (first byte 0xd2).
    Native,
    /// The compact text of a printed badge's QR code (`BM1:...`), as a
    /// phone scanner passes it on.
    Compact,
    /// None of the above.
    Unknown,
}

/// Tells the format of `bytes` from its start. Never fails and never panics;
/// it does not prove that the file is well-formed.
pub fn sniff(bytes: &[u8]) -> Format {
    if bytes.starts_with(&PNG_SIGNATURE) {
        return Format::Png;
    }
    if bytes.first() == Some(&0xd2) {
        return Format::Native;
    }
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let text = text.get(start..).unwrap_or_default();
    match text.first() {
        Some(b'<') => {
            let window = text.get(..SVG_WINDOW.min(text.len())).unwrap_or_default();
            if window.windows(4).any(|w| w == b"<svg") {
                Format::Svg
            } else {
                Format::Unknown
            }
        }
        Some(b'{') => Format::Json,
        Some(_) if crate::compact::is_compact(text) => Format::Compact,
        Some(_) => match std::str::from_utf8(text) {
            Ok(s) if is_compact_jws(s.trim_end()) => Format::Jws,
            _ => Format::Unknown,
        },
        None => Format::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs() {
        assert_eq!(sniff(&PNG_SIGNATURE), Format::Png);
        assert_eq!(sniff(b"\xd2\x84"), Format::Native);
        assert_eq!(
            sniff(b"\xef\xbb\xbf  <?xml version=\"1.0\"?>\n<svg/>"),
            Format::Svg
        );
        assert_eq!(sniff(b"<html></html>"), Format::Unknown);
        assert_eq!(sniff(b"\n{\"a\":1}"), Format::Json);
        assert_eq!(sniff(b"eyJhbGciOiJSUzI1NiJ9.e30.c2ln\n"), Format::Jws);
        assert_eq!(sniff(b"hello"), Format::Unknown);
        assert_eq!(sniff(b""), Format::Unknown);
        assert_eq!(sniff(b"   "), Format::Unknown);
    }
}
