//! Issuer secrets at rest, sealed under a passphrase.
//!
//! The key is derived with Argon2id (memory-hard: a stolen file resists
//! guessing) and the secrets are encrypted with XChaCha20-Poly1305 (an AEAD:
//! a changed file is refused, not misread), with a fresh random nonce on every
//! write. Both come from maintained RustCrypto crates.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};

use crate::datadir;

/// Argon2id memory cost, KiB (the OWASP baseline).
const M_KIB: u32 = 19 * 1024;
/// Argon2id passes.
const T: u32 = 2;
/// Argon2id lanes.
const P: u32 = 1;

/// Why sealed secrets could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The passphrase is wrong, or the file was changed.
    #[error("wrong passphrase, or the sealed file was altered")]
    Open,
    /// The stored parameters are unusable.
    #[error("unusable sealing parameters: {0}")]
    Params(String),
}

/// How a sealed secret was sealed (stored beside the ciphertext).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SealInfo {
    /// Always `argon2id+xchacha20poly1305`.
    pub scheme: String,
    /// Argon2 memory cost, KiB.
    pub m_kib: u32,
    /// Argon2 passes.
    pub t: u32,
    /// Argon2 lanes.
    pub p: u32,
    /// Argon2 salt, base64.
    pub salt: String,
    /// AEAD nonce, base64.
    pub nonce: String,
}

const SCHEME: &str = "argon2id+xchacha20poly1305";

/// A key derived from a passphrase, ready to seal and open.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
    salt: [u8; 16],
    m_kib: u32,
    t: u32,
    p: u32,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

fn derive(
    passphrase: &str,
    salt: &[u8],
    m_kib: u32,
    t: u32,
    p: u32,
) -> Result<XChaCha20Poly1305, SealError> {
    let params =
        Params::new(m_kib, t, p, Some(32)).map_err(|e| SealError::Params(e.to_string()))?;
    let mut key = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, &mut key)
        .map_err(|e| SealError::Params(e.to_string()))?;
    Ok(XChaCha20Poly1305::new(&key.into()))
}

impl Sealer {
    /// A new sealer with a fresh salt.
    pub fn new(passphrase: &str) -> Result<Sealer, SealError> {
        let salt = datadir::random::<16>();
        Ok(Sealer {
            cipher: derive(passphrase, &salt, M_KIB, T, P)?,
            salt,
            m_kib: M_KIB,
            t: T,
            p: P,
        })
    }

    /// The sealer that opens what was sealed with `info`.
    pub fn for_info(passphrase: &str, info: &SealInfo) -> Result<Sealer, SealError> {
        if info.scheme != SCHEME || info.m_kib > 4 * 1024 * 1024 || info.t > 64 || info.p > 64 {
            return Err(SealError::Params(format!(
                "{} m={} t={} p={}",
                info.scheme, info.m_kib, info.t, info.p
            )));
        }
        let salt: [u8; 16] = B64
            .decode(&info.salt)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| SealError::Params("salt".into()))?;
        Ok(Sealer {
            cipher: derive(passphrase, &salt, info.m_kib, info.t, info.p)?,
            salt,
            m_kib: info.m_kib,
            t: info.t,
            p: info.p,
        })
    }

    /// Encrypts `plaintext` with a fresh nonce.
    pub fn seal(&self, plaintext: &[u8]) -> (SealInfo, Vec<u8>) {
        let nonce = datadir::random::<24>();
        // Encrypting into a Vec cannot fail for inputs this small.
        let ciphertext = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plaintext)
            .unwrap_or_default();
        let info = SealInfo {
            scheme: SCHEME.into(),
            m_kib: self.m_kib,
            t: self.t,
            p: self.p,
            salt: B64.encode(self.salt),
            nonce: B64.encode(nonce),
        };
        (info, ciphertext)
    }

    /// Decrypts what [`Sealer::seal`] produced.
    pub fn open(&self, info: &SealInfo, ciphertext: &[u8]) -> Result<Vec<u8>, SealError> {
        let nonce: [u8; 24] = B64
            .decode(&info.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or(SealError::Open)?;
        self.cipher
            .decrypt(XNonce::from_slice(&nonce), ciphertext)
            .map_err(|_| SealError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_refuse_wrong_passphrase_or_tampering() {
        let s = Sealer::new("correct horse battery staple").expect("derive");
        let (info, ct) = s.seal(b"issuer seeds");
        assert!(!ct.windows(6).any(|w| w == b"issuer"), "plaintext visible");
        let again = Sealer::for_info("correct horse battery staple", &info).expect("derive");
        assert_eq!(again.open(&info, &ct).expect("opens"), b"issuer seeds");
        let wrong = Sealer::for_info("wrong", &info).expect("derive");
        assert!(matches!(wrong.open(&info, &ct), Err(SealError::Open)));
        let mut bad = ct.clone();
        bad[0] ^= 1;
        assert!(matches!(again.open(&info, &bad), Err(SealError::Open)));
    }
}
