//! Verification keys beyond Ed25519: what issuers outside badgemesh sign
//! with.
//!
//! Data Integrity proofs come with Ed25519 (`eddsa-*`) or NIST P-256 and
//! P-384 (`ecdsa-*`) keys, written as Multikeys (`z6Mk...`, `zDn...`,
//! `z82...`) or JWKs; VC-JWTs add RSA (RS256, the algorithm OB 3.0 requires
//! every verifier to support). A [`VerificationKey`] is checked when it is
//! made (on the curve, of a size the algorithms accept), so holding one
//! means it can be used. Ed25519 stays the protocol's own
//! [`PublicKey`], whose `verify_strict` path the eddsa suites keep calling
//! directly. ECDSA comes from RustCrypto's `p256`/`p384`, RSA from `ring`
//! (not the `rsa` crate: RUSTSEC-2023-0071); nothing here is hand-written
//! cryptography.

use badgemesh_protocol::keys::{PublicKey, parse_multikey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Verifier as _;
use serde_json::{Map, Value};

/// Multicodec prefix of a P-256 public key (0x1200, varint).
const P256_MULTICODEC: [u8; 2] = [0x80, 0x24];
/// Multicodec prefix of a P-384 public key (0x1201, varint).
const P384_MULTICODEC: [u8; 2] = [0x81, 0x24];
/// Multicodec prefix of an Ed25519 public key (0xed, varint).
const ED25519_MULTICODEC: [u8; 2] = [0xed, 0x01];
/// Longest multikey text accepted (a P-384 key is 69 characters).
const MAX_MULTIKEY_CHARS: usize = 128;
/// Smallest RSA modulus accepted, in bytes (2048 bits, as `ring` requires).
const MIN_RSA_BYTES: usize = 256;
/// Largest RSA modulus accepted, in bytes (8192 bits).
const MAX_RSA_BYTES: usize = 1024;
/// Longest base64url text of one JWK member read.
const MAX_JWK_MEMBER_CHARS: usize = 2 * MAX_RSA_BYTES;

/// Why text is not a usable key.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// Not base58btc multibase (`z...`) of a reasonable length.
    #[error("not a base58btc multikey")]
    Multibase,
    /// The multicodec names a key type this crate does not verify with
    /// (secp256k1, BLS, X25519...).
    #[error("multikey of an unsupported key type")]
    UnsupportedMultikey,
    /// The JWK's `kty`/`crv` is one this crate does not verify with.
    #[error("unsupported JWK key type {0}")]
    UnsupportedJwk(String),
    /// A JWK member is missing, not base64url, or of the wrong length.
    #[error("JWK member {0} is missing or malformed")]
    JwkMember(&'static str),
    /// The bytes are not a valid key of their type (not on the curve, a
    /// weak Ed25519 key, an RSA modulus outside 2048 to 8192 bits...).
    #[error("not a valid {0} public key")]
    Invalid(KeyType),
}

/// The key types verification accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// Ed25519 (EdDSA).
    Ed25519,
    /// NIST P-256 (ECDSA with SHA-256).
    P256,
    /// NIST P-384 (ECDSA with SHA-384).
    P384,
    /// RSA (PKCS#1 v1.5 with SHA-256), for JWTs only.
    Rsa,
}

impl std::fmt::Display for KeyType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyType::Ed25519 => "Ed25519",
            KeyType::P256 => "P-256",
            KeyType::P384 => "P-384",
            KeyType::Rsa => "RSA",
        })
    }
}

/// An RSA public key, checked for size only: `ring` checks the rest when it
/// verifies, and refuses moduli outside 2048 to 8192 bits.
#[derive(Clone, PartialEq, Eq)]
pub struct RsaKey {
    n: Vec<u8>,
    e: Vec<u8>,
}

impl std::fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RsaKey({} bits)", self.n.len() * 8)
    }
}

impl RsaKey {
    /// A key from its big-endian modulus and exponent.
    pub fn from_components(n: &[u8], e: &[u8]) -> Result<RsaKey, KeyError> {
        let strip = |b: &[u8]| -> Vec<u8> {
            let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
            b[start..].to_vec()
        };
        let (n, e) = (strip(n), strip(e));
        if !(MIN_RSA_BYTES..=MAX_RSA_BYTES).contains(&n.len())
            || e.is_empty()
            || e.len() > 4
            || e.last().is_some_and(|b| b & 1 == 0)
        {
            return Err(KeyError::Invalid(KeyType::Rsa));
        }
        Ok(RsaKey { n, e })
    }
}

/// A checked public key of one of the [`KeyType`]s.
#[derive(Clone, PartialEq, Eq)]
pub enum VerificationKey {
    /// Ed25519, the protocol's own checked key.
    Ed25519(PublicKey),
    /// NIST P-256.
    P256(p256::ecdsa::VerifyingKey),
    /// NIST P-384.
    P384(p384::ecdsa::VerifyingKey),
    /// RSA.
    Rsa(RsaKey),
}

impl std::fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VerificationKey::Rsa(k) => k.fmt(f),
            _ => write!(
                f,
                "{}({})",
                self.key_type(),
                self.to_multikey().unwrap_or_default()
            ),
        }
    }
}

impl From<PublicKey> for VerificationKey {
    fn from(key: PublicKey) -> Self {
        VerificationKey::Ed25519(key)
    }
}

impl VerificationKey {
    /// Reads a Multikey (`publicKeyMultibase`, the part of a did:key after
    /// `did:key:`): Ed25519 (`z6Mk...`), or compressed P-256 (`zDn...`) or
    /// P-384 (`z82...`). Uncompressed points are accepted too, as the
    /// Multikey spec allows readers to.
    pub fn from_multikey(text: &str) -> Result<VerificationKey, KeyError> {
        if !text.starts_with('z') || text.len() > MAX_MULTIKEY_CHARS {
            return Err(KeyError::Multibase);
        }
        if text.starts_with("z6Mk") {
            return parse_multikey(text)
                .map(VerificationKey::Ed25519)
                .map_err(|_| KeyError::Invalid(KeyType::Ed25519));
        }
        let (_, bytes) = multibase::decode(text).map_err(|_| KeyError::Multibase)?;
        if let Some(point) = bytes.strip_prefix(&P256_MULTICODEC) {
            return p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map(VerificationKey::P256)
                .map_err(|_| KeyError::Invalid(KeyType::P256));
        }
        if let Some(point) = bytes.strip_prefix(&P384_MULTICODEC) {
            return p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map(VerificationKey::P384)
                .map_err(|_| KeyError::Invalid(KeyType::P384));
        }
        if bytes.starts_with(&ED25519_MULTICODEC) {
            return parse_multikey(text)
                .map(VerificationKey::Ed25519)
                .map_err(|_| KeyError::Invalid(KeyType::Ed25519));
        }
        Err(KeyError::UnsupportedMultikey)
    }

    /// Reads a public JWK (RFC 7517): `OKP`/`Ed25519`, `EC` with `P-256` or
    /// `P-384`, or `RSA`. Private members (`d`...) are ignored, as are
    /// `use`, `key_ops` and `alg` (the caller matches `alg` itself).
    pub fn from_jwk(jwk: &Map<String, Value>) -> Result<VerificationKey, KeyError> {
        let text = |k: &'static str| {
            jwk.get(k)
                .and_then(Value::as_str)
                .ok_or(KeyError::JwkMember(k))
        };
        let bytes = |k: &'static str| -> Result<Vec<u8>, KeyError> {
            let t = text(k)?;
            if t.len() > MAX_JWK_MEMBER_CHARS {
                return Err(KeyError::JwkMember(k));
            }
            URL_SAFE_NO_PAD
                .decode(t)
                .map_err(|_| KeyError::JwkMember(k))
        };
        let kty = text("kty")?;
        match (kty, jwk.get("crv").and_then(Value::as_str)) {
            ("OKP", Some("Ed25519")) => {
                let x: [u8; 32] = bytes("x")?
                    .try_into()
                    .map_err(|_| KeyError::JwkMember("x"))?;
                PublicKey::from_bytes(&x)
                    .map(VerificationKey::Ed25519)
                    .map_err(|_| KeyError::Invalid(KeyType::Ed25519))
            }
            ("EC", Some("P-256")) => {
                let point = uncompressed_point(&bytes("x")?, &bytes("y")?, 32)?;
                p256::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                    .map(VerificationKey::P256)
                    .map_err(|_| KeyError::Invalid(KeyType::P256))
            }
            ("EC", Some("P-384")) => {
                let point = uncompressed_point(&bytes("x")?, &bytes("y")?, 48)?;
                p384::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                    .map(VerificationKey::P384)
                    .map_err(|_| KeyError::Invalid(KeyType::P384))
            }
            ("RSA", _) => {
                RsaKey::from_components(&bytes("n")?, &bytes("e")?).map(VerificationKey::Rsa)
            }
            (kty, crv) => Err(KeyError::UnsupportedJwk(match crv {
                Some(crv) => format!("{kty}/{crv}"),
                None => kty.to_owned(),
            })),
        }
    }

    /// Reads a verification method object of a DID document or controller
    /// document: `publicKeyMultibase`, else `publicKeyJwk`.
    pub fn from_method(method: &Map<String, Value>) -> Result<VerificationKey, KeyError> {
        if let Some(mb) = method.get("publicKeyMultibase").and_then(Value::as_str) {
            return VerificationKey::from_multikey(mb);
        }
        match method.get("publicKeyJwk") {
            Some(Value::Object(jwk)) => VerificationKey::from_jwk(jwk),
            _ => Err(KeyError::JwkMember("publicKeyJwk")),
        }
    }

    /// The key's type.
    pub fn key_type(&self) -> KeyType {
        match self {
            VerificationKey::Ed25519(_) => KeyType::Ed25519,
            VerificationKey::P256(_) => KeyType::P256,
            VerificationKey::P384(_) => KeyType::P384,
            VerificationKey::Rsa(_) => KeyType::Rsa,
        }
    }

    /// The Multikey text of the key (compressed for the curves); `None` for
    /// RSA, which has no Multikey form in use.
    pub fn to_multikey(&self) -> Option<String> {
        let mut bytes = Vec::new();
        match self {
            VerificationKey::Ed25519(k) => return Some(k.to_multibase()),
            VerificationKey::P256(k) => {
                bytes.extend_from_slice(&P256_MULTICODEC);
                bytes.extend_from_slice(k.to_sec1_point(true).as_bytes());
            }
            VerificationKey::P384(k) => {
                bytes.extend_from_slice(&P384_MULTICODEC);
                bytes.extend_from_slice(k.to_sec1_point(true).as_bytes());
            }
            VerificationKey::Rsa(_) => return None,
        }
        Some(multibase::encode(multibase::Base::Base58Btc, bytes))
    }

    /// Checks `signature` over `message` with the one algorithm each key
    /// type is used with: Ed25519 (strict), ECDSA P-256 with SHA-256 or
    /// P-384 with SHA-384 over IEEE P1363 `r || s` (high `s` accepted, as
    /// WebCrypto does), RSASSA-PKCS1-v1_5 with SHA-256. A signature of the
    /// wrong length is simply false.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            VerificationKey::Ed25519(k) => {
                <&[u8; 64]>::try_from(signature).is_ok_and(|sig| k.verify(message, sig))
            }
            VerificationKey::P256(k) => p256::ecdsa::Signature::from_slice(signature)
                .is_ok_and(|sig| k.verify(message, &sig).is_ok()),
            VerificationKey::P384(k) => p384::ecdsa::Signature::from_slice(signature)
                .is_ok_and(|sig| k.verify(message, &sig).is_ok()),
            VerificationKey::Rsa(k) => ring::signature::RsaPublicKeyComponents { n: &k.n, e: &k.e }
                .verify(
                    &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                    message,
                    signature,
                )
                .is_ok(),
        }
    }
}

/// `0x04 || x || y`, with both coordinates `len` bytes long.
fn uncompressed_point(x: &[u8], y: &[u8], len: usize) -> Result<Vec<u8>, KeyError> {
    if x.len() != len {
        return Err(KeyError::JwkMember("x"));
    }
    if y.len() != len {
        return Err(KeyError::JwkMember("y"));
    }
    let mut point = Vec::with_capacity(1 + 2 * len);
    point.push(0x04);
    point.extend_from_slice(x);
    point.extend_from_slice(y);
    Ok(point)
}

#[cfg(test)]
mod tests {
    use super::*;
    use badgemesh_protocol::keys::SecretKey;
    use p256::ecdsa::signature::Signer as _;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn multikeys_of_every_curve_round_trip() {
        let ed = *SecretKey::from_seed(&[3; 32]).expect("key").public();
        let p256 = *p256::ecdsa::SigningKey::from_slice(&[5; 32])
            .expect("key")
            .verifying_key();
        let p384 = *p384::ecdsa::SigningKey::from_slice(&[5; 48])
            .expect("key")
            .verifying_key();
        for (key, prefix) in [
            (VerificationKey::Ed25519(ed), "z6Mk"),
            (VerificationKey::P256(p256), "zDn"),
            (VerificationKey::P384(p384), "z82"),
        ] {
            let mk = key.to_multikey().expect("multikey");
            assert!(mk.starts_with(prefix), "{mk}");
            assert_eq!(VerificationKey::from_multikey(&mk), Ok(key));
        }
    }

    #[test]
    fn the_w3c_multikeys_parse_as_their_curves() {
        // From w3c/vc-di-ecdsa TestVectors/p256KeyPair.json and p384KeyPair.json.
        let p256 = "zDnaepBuvsQ8cpsWrVKw8fbpGpvPeNSjVPTWoq6cRqaYzBKVP";
        let p384 = "z82LkuBieyGShVBhvtE2zoiD6Kma4tJGFtkAhxR5pfkp5QPw4LutoYWhvQCnGjdVn14kujQ";
        let k = VerificationKey::from_multikey(p256).expect("p256");
        assert_eq!(k.key_type(), KeyType::P256);
        assert_eq!(k.to_multikey().as_deref(), Some(p256));
        let k = VerificationKey::from_multikey(p384).expect("p384");
        assert_eq!(k.key_type(), KeyType::P384);
        assert_eq!(k.to_multikey().as_deref(), Some(p384));
    }

    #[test]
    fn bad_multikeys_are_refused() {
        assert_eq!(
            VerificationKey::from_multikey("6Mk"),
            Err(KeyError::Multibase)
        );
        assert_eq!(
            VerificationKey::from_multikey(&"z".repeat(200)),
            Err(KeyError::Multibase)
        );
        // secp256k1 (0xe7): a real key type, not one verified here.
        let k1 = multibase::encode(multibase::Base::Base58Btc, [0xe7, 0x01, 2, 1, 2, 3]);
        assert_eq!(
            VerificationKey::from_multikey(&k1),
            Err(KeyError::UnsupportedMultikey)
        );
        // A P-256 prefix with a point off the curve.
        let mut bad = vec![0x80, 0x24, 0x02];
        bad.extend_from_slice(&[0xff; 32]);
        let bad = multibase::encode(multibase::Base::Base58Btc, bad);
        assert_eq!(
            VerificationKey::from_multikey(&bad),
            Err(KeyError::Invalid(KeyType::P256))
        );
    }

    #[test]
    fn jwks_of_every_type_parse_and_verify() {
        let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        let sk = p256::ecdsa::SigningKey::from_slice(&[9; 32]).expect("key");
        let point = sk.verifying_key().to_sec1_point(false);
        let bytes = point.as_bytes();
        let jwk = obj(
            json!({"kty": "EC", "crv": "P-256", "x": b64(&bytes[1..33]), "y": b64(&bytes[33..])}),
        );
        let key = VerificationKey::from_jwk(&jwk).expect("jwk");
        let sig: p256::ecdsa::Signature = sk.sign(b"hello");
        assert!(key.verify(b"hello", &sig.to_bytes()));
        assert!(!key.verify(b"hellO", &sig.to_bytes()));
        assert!(!key.verify(b"hello", &sig.to_bytes()[..63]));

        let ed = SecretKey::from_seed(&[4; 32]).expect("key");
        let jwk = obj(json!({"kty": "OKP", "crv": "Ed25519", "x": b64(ed.public().as_bytes())}));
        let key = VerificationKey::from_jwk(&jwk).expect("jwk");
        assert!(key.verify(b"m", &ed.sign(b"m")));

        let jwk = obj(
            json!({"kty": "EC", "crv": "P-256", "x": b64(&bytes[1..33]), "y": b64(&bytes[1..33])}),
        );
        assert_eq!(
            VerificationKey::from_jwk(&jwk),
            Err(KeyError::Invalid(KeyType::P256))
        );
        let jwk = obj(json!({"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA"}));
        assert_eq!(
            VerificationKey::from_jwk(&jwk),
            Err(KeyError::UnsupportedJwk("EC/secp256k1".into()))
        );
        let jwk = obj(json!({"kty": "RSA", "n": b64(&[0xc5; 128]), "e": "AQAB"}));
        assert_eq!(
            VerificationKey::from_jwk(&jwk),
            Err(KeyError::Invalid(KeyType::Rsa)),
            "1024-bit RSA is refused"
        );
        let jwk = obj(json!({"kty": "RSA", "n": b64(&[0xc5; 256]), "e": "AQAB"}));
        assert_eq!(
            VerificationKey::from_jwk(&jwk).map(|k| k.key_type()),
            Ok(KeyType::Rsa)
        );
        let jwk = obj(json!({"kty": "RSA", "n": "!!", "e": "AQAB"}));
        assert_eq!(
            VerificationKey::from_jwk(&jwk),
            Err(KeyError::JwkMember("n"))
        );
    }
}
