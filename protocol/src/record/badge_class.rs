//! Badge classes (OB 3.0 "Achievement"): immutable, named by their content id.

use minicbor::{Decode, Encode};

use super::check::{list, long_text, opt_long_text, opt_short_text, opt_url, short_text};
use crate::id::RecordId;
use crate::keys::IssuerId;
use crate::time::Timestamp;

/// What an earner must do to get the badge. At least one of the two is present.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, serde::Serialize)]
#[cbor(map)]
pub struct Criteria {
    /// Human-readable criteria.
    #[n(0)]
    pub narrative: Option<String>,
    /// A page describing the criteria.
    #[n(1)]
    pub url: Option<String>,
}

/// A reference to the badge image: where it is and, optionally, its sha2-256.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, serde::Serialize)]
#[cbor(map)]
pub struct ImageRef {
    /// URI of the image (https:, data:, or a name inside a bundle).
    #[n(0)]
    pub uri: String,
    /// sha2-256 of the image bytes, so a copy from anywhere can be checked.
    #[cbor(n(1), with = "minicbor::bytes")]
    #[serde(serialize_with = "serialize_opt_hex")]
    pub digest: Option<[u8; 32]>,
}

/// An alignment to an external framework (schema.org AlignmentObject).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, serde::Serialize)]
#[cbor(map)]
pub struct Alignment {
    /// Name of the target.
    #[n(0)]
    pub target_name: String,
    /// URL of the target.
    #[n(1)]
    pub target_url: String,
    /// Description of the target.
    #[n(2)]
    pub target_description: Option<String>,
    /// Framework the target belongs to.
    #[n(3)]
    pub target_framework: Option<String>,
    /// Code of the target in its framework.
    #[n(4)]
    pub target_code: Option<String>,
}

/// A badge class.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, serde::Serialize)]
#[cbor(map)]
pub struct BadgeClass {
    /// The issuer that defines it.
    #[n(0)]
    pub issuer: IssuerId,
    /// Name.
    #[n(1)]
    pub name: String,
    /// Description.
    #[n(2)]
    pub description: String,
    /// Criteria.
    #[n(3)]
    pub criteria: Criteria,
    /// Image.
    #[n(4)]
    pub image: Option<ImageRef>,
    /// Alignments.
    #[n(5)]
    pub alignments: Vec<Alignment>,
    /// Tags.
    #[n(6)]
    pub tags: Vec<String>,
    /// Related badge classes.
    #[n(7)]
    pub related: Vec<RecordId>,
    /// When it was created; the signing key must be valid then.
    #[n(8)]
    pub at: Timestamp,
}

impl BadgeClass {
    pub(crate) fn check_shape(&self) -> Result<(), String> {
        short_text("name", &self.name)?;
        long_text("description", &self.description)?;
        if self.criteria.narrative.is_none() && self.criteria.url.is_none() {
            return Err("criteria need a narrative or a URL".into());
        }
        opt_long_text("criteria narrative", &self.criteria.narrative)?;
        opt_url("criteria url", &self.criteria.url)?;
        if let Some(image) = &self.image {
            opt_url("image", &Some(image.uri.clone()))?;
        }
        list("alignments", &self.alignments)?;
        for a in &self.alignments {
            short_text("alignment target name", &a.target_name)?;
            opt_url("alignment target url", &Some(a.target_url.clone()))?;
            opt_long_text("alignment description", &a.target_description)?;
            opt_short_text("alignment framework", &a.target_framework)?;
            opt_short_text("alignment code", &a.target_code)?;
        }
        list("tags", &self.tags)?;
        for t in &self.tags {
            short_text("tag", t)?;
        }
        list("related", &self.related)
    }
}

fn serialize_opt_hex<S: serde::Serializer>(d: &Option<[u8; 32]>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&hex::encode(d)),
        None => s.serialize_none(),
    }
}
