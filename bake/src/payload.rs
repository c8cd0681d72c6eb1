//! What a badge payload may be: a JSON object or a compact JWS. Used to
//! refuse baking arbitrary text and to choose the SVG form.

use crate::BakeError;

/// The two forms of a badge payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PayloadForm {
    /// A JSON object (OB 3.0 credential with embedded proof, or OB 2.0
    /// assertion).
    Json,
    /// A compact JWS (OB 3.0 VC-JWT, or OB 2.0 signed assertion).
    Jws,
}

/// Classifies `payload`, refusing anything else.
pub(crate) fn classify(payload: &str, max: usize) -> Result<PayloadForm, BakeError> {
    if payload.len() > max {
        return Err(BakeError::PayloadTooLarge {
            len: payload.len(),
            max,
        });
    }
    if is_compact_jws(payload) {
        return Ok(PayloadForm::Jws);
    }
    match serde_json::from_str::<serde_json::Value>(payload) {
        Ok(serde_json::Value::Object(_)) => Ok(PayloadForm::Json),
        _ => Err(BakeError::InvalidPayload),
    }
}

/// True for three non-empty dot-separated base64url parts (padding
/// tolerated) whose first part decodes to JSON-looking bytes (`{`).
pub(crate) fn is_compact_jws(text: &str) -> bool {
    let mut parts = text.split('.');
    let (Some(header), Some(body), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let b64url = |s: &str| {
        !s.is_empty()
            && s.trim_end_matches('=')
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    // `eyJ` is base64url of `{"`: every JOSE header starts with it.
    header.starts_with("eyJ") && b64url(header) && b64url(body) && b64url(sig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies() {
        assert_eq!(classify("{}", 10), Ok(PayloadForm::Json));
        assert_eq!(
            classify("eyJhbGciOiJSUzI1NiJ9.e30.c2ln", 100),
            Ok(PayloadForm::Jws)
        );
        assert_eq!(classify("[1]", 10), Err(BakeError::InvalidPayload));
        assert_eq!(classify("hello", 10), Err(BakeError::InvalidPayload));
        assert_eq!(classify("a.b.c", 10), Err(BakeError::InvalidPayload));
        assert!(matches!(
            classify("{}   ", 2),
            Err(BakeError::PayloadTooLarge { .. })
        ));
    }
}
