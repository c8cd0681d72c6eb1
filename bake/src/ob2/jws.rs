//! Compact JWS (RFC 7515) as used by OB 2.0 signed badges: decoding with
//! bounds, and RS256 verification against an issuer's RSA public key.

use base64::Engine as _;
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use spki::ObjectIdentifier;
use spki::der::Decode as _;

use super::Ob2Error;
use crate::Limits;

/// base64url, padding optional (some OB 2.0 issuers pad).
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Largest accepted encoded JOSE header.
const MAX_HEADER: usize = 8 * 1024;
/// Largest accepted encoded signature (an 8,192-bit RSA signature is 1,366).
const MAX_SIGNATURE: usize = 2 * 1024;
/// rsaEncryption (PKCS #1).
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// A decoded compact JWS. The signature has not been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jws {
    /// The JOSE header.
    pub header: serde_json::Map<String, serde_json::Value>,
    /// The header's `alg`.
    pub alg: String,
    /// The payload, as UTF-8 text (the assertion JSON).
    pub payload: String,
    signing_input: String,
    signature: Vec<u8>,
}

/// Decodes a compact JWS: header (a JSON object with a string `alg`),
/// payload (UTF-8) and signature, each bounded.
///
/// # Errors
///
/// [`Ob2Error::Jws`] for a malformed token, [`Ob2Error::TooLarge`] over the
/// text limit.
pub fn decode_jws(compact: &str) -> Result<Jws, Ob2Error> {
    let compact = compact.trim();
    let max = Limits::DEFAULT.max_text;
    if compact.len() > max {
        return Err(Ob2Error::TooLarge {
            len: compact.len(),
            max,
        });
    }
    let mut parts = compact.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Ob2Error::Jws("not three dot-separated parts"));
    };
    if header_b64.len() > MAX_HEADER {
        return Err(Ob2Error::Jws("header is too large"));
    }
    if signature_b64.len() > MAX_SIGNATURE {
        return Err(Ob2Error::Jws("signature is too large"));
    }
    let header = B64URL
        .decode(header_b64)
        .map_err(|_| Ob2Error::Jws("header is not base64url"))?;
    let header: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&header)
        .map_err(|_| Ob2Error::Jws("header is not a JSON object"))?;
    let alg = header
        .get("alg")
        .and_then(serde_json::Value::as_str)
        .ok_or(Ob2Error::Jws("header has no string `alg`"))?
        .to_owned();
    let payload = B64URL
        .decode(payload_b64)
        .map_err(|_| Ob2Error::Jws("payload is not base64url"))?;
    let payload = String::from_utf8(payload).map_err(|_| Ob2Error::Jws("payload is not UTF-8"))?;
    let signature = B64URL
        .decode(signature_b64)
        .map_err(|_| Ob2Error::Jws("signature is not base64url"))?;
    let signing_input = compact
        .get(..header_b64.len() + 1 + payload_b64.len())
        .ok_or(Ob2Error::Jws("signing input out of range"))?
        .to_owned();
    Ok(Jws {
        header,
        alg,
        payload,
        signing_input,
        signature,
    })
}

impl Jws {
    /// Whether the signature is a valid RS256 (RSASSA-PKCS1-v1_5 with
    /// SHA-256) signature of the exact signing input by `key`. Only checks
    /// the signature: the caller checks `alg`.
    pub fn verify_rs256(&self, key: &RsaPublicKey) -> bool {
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            &key.pkcs1,
        )
        .verify(self.signing_input.as_bytes(), &self.signature)
        .is_ok()
    }
}

/// Why an RSA public key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not a PEM document.
    #[error("not PEM: {0}")]
    Pem(String),
    /// A PEM label other than `PUBLIC KEY` or `RSA PUBLIC KEY`.
    #[error("unexpected PEM label `{0}`")]
    Label(String),
    /// The SubjectPublicKeyInfo is malformed.
    #[error("malformed SubjectPublicKeyInfo: {0}")]
    Spki(String),
    /// The key is not an RSA key.
    #[error("not an RSA public key")]
    NotRsa,
}

/// An RSA public key (PKCS #1 `RSAPublicKey` DER), as read from PEM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    pkcs1: Vec<u8>,
}

impl RsaPublicKey {
    /// Reads a key from PEM: `-----BEGIN PUBLIC KEY-----` (SubjectPublicKeyInfo,
    /// as in OB 2.0 `publicKeyPem`) or `-----BEGIN RSA PUBLIC KEY-----` (PKCS #1).
    ///
    /// # Errors
    ///
    /// A [`KeyError`] for anything else.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let (label, der) = pem_rfc7468::decode_vec(pem.trim().as_bytes())
            .map_err(|e| KeyError::Pem(e.to_string()))?;
        match label {
            "PUBLIC KEY" => {
                let spki = spki::SubjectPublicKeyInfoRef::from_der(&der)
                    .map_err(|e| KeyError::Spki(e.to_string()))?;
                if spki.algorithm.oid != RSA_ENCRYPTION {
                    return Err(KeyError::NotRsa);
                }
                let pkcs1 = spki
                    .subject_public_key
                    .as_bytes()
                    .ok_or(KeyError::Spki("key bit string has unused bits".into()))?;
                Ok(Self {
                    pkcs1: pkcs1.to_vec(),
                })
            }
            "RSA PUBLIC KEY" => Ok(Self { pkcs1: der }),
            other => Err(KeyError::Label(other.chars().take(64).collect())),
        }
    }
}
