//! The issuer's public profile: versioned, the highest valid sequence wins.

use minicbor::{Decode, Encode};

use super::check::{long_text, opt_short_text, opt_url, short_text};
use crate::keys::IssuerId;
use crate::time::Timestamp;

/// An issuer's profile (OB "Profile").
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, serde::Serialize)]
#[cbor(map)]
pub struct IssuerProfile {
    /// The issuer.
    #[n(0)]
    pub issuer: IssuerId,
    /// Version: 1, 2, 3, ...; a higher one replaces a lower one.
    #[n(1)]
    pub seq: u64,
    /// Display name.
    #[n(2)]
    pub name: String,
    /// Home page.
    #[n(3)]
    pub url: Option<String>,
    /// Contact email.
    #[n(4)]
    pub email: Option<String>,
    /// Free text.
    #[n(5)]
    pub description: Option<String>,
    /// Image URI.
    #[n(6)]
    pub image: Option<String>,
    /// When this version was signed.
    #[n(7)]
    pub at: Timestamp,
    /// Public base URL under which the issuer's node serves status lists, if any.
    #[n(8)]
    pub public_base_url: Option<String>,
}

impl IssuerProfile {
    pub(crate) fn check_shape(&self) -> Result<(), String> {
        if self.seq == 0 {
            return Err("profile sequence starts at 1".into());
        }
        short_text("name", &self.name)?;
        opt_url("url", &self.url)?;
        opt_short_text("email", &self.email)?;
        if let Some(d) = &self.description {
            long_text("description", d)?;
        }
        opt_url("image", &self.image)?;
        opt_url("public_base_url", &self.public_base_url)
    }
}
