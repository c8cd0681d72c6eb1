//! Baked Open Badges: getting a badge into and out of an image, offline.
//!
//! An Open Badge travels inside the image that shows it. OB 3.0 puts the
//! credential (JSON with an embedded proof, or a compact JWS) in a PNG `iTXt`
//! chunk with the keyword `openbadgecredential` or in an SVG
//! `<openbadges:credential>` element; OB 2.0 does the same with the keyword
//! `openbadges` and `<openbadges:assertion>`. This crate writes and reads
//! those carriers and nothing else: it does no I/O and reads no clock.
//!
//! The principal pieces:
//!
//! - [`bake_png`] and [`bake_svg`] add one carrier of a [`Carrier`] kind to an
//!   image and refuse an image that already has one.
//! - [`unbake_png`] and [`unbake_svg`] return the first carrier as a
//!   [`Baked`]; [`unbake`] first [`sniff`]s the bytes and also passes bare
//!   JSON, compact JWS and native badgemesh records through as an
//!   [`Extracted`].
//! - [`badge_kind`] (and [`Extracted::kind`], [`Baked::kind`]) tells what
//!   the badge text is from its content: OB 3.0 JSON or VC-JWT, OB 2.0 JSON
//!   or signed JWS. Route on it, not on the carrier: an OB 3.0 VC-JWT baked
//!   in an OB 2.0 `openbadges` chunk is [`BadgeKind::Ob3Jwt`].
//! - [`ob2`] reads an OB 2.0 assertion (JSON or RS256 JWS) and gives an
//!   [`ob2::Ob2Verdict`]: `Valid`, `Invalid` or `Indeterminate` with reasons.
//!
//! - [`to_compact`] and [`from_compact`] write and read the compact text
//!   form of a whole signed badge (`BM1:` + Base45 + zlib) that a printed
//!   certificate's QR code carries; [`unbake`] reads it from a PNG's QR code
//!   (when the PNG has no baked carrier) or from bare text, as
//!   [`Extracted::Printed`].
//!
//! Every reader takes [`Limits`]: input size, text size, inflated size,
//! PNG chunk count and SVG depth are all bounded, and no input makes any
//! function here panic.
//!
//! ```
//! use badgemesh_bake::{bake_svg, unbake, Carrier, Extracted, Limits};
//!
//! let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>"#;
//! let payload = r#"{"type":["VerifiableCredential","OpenBadgeCredential"]}"#;
//! let baked = bake_svg(svg, payload, Carrier::Ob3)?;
//! let Extracted::Baked { baked: found, .. } = unbake(baked.as_bytes(), &Limits::default())? else {
//!     unreachable!("an SVG with a carrier")
//! };
//! assert_eq!(found.text, payload);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod carrier;
pub mod compact;
mod error;
mod kind;
pub mod ob2;
mod payload;
mod png;
mod qr;
mod sniff;
mod svg;

pub use carrier::{Baked, Carrier, Found, Limits};
pub use compact::{CompactError, from_compact, to_compact};
pub use error::{BakeError, UnbakeError};
pub use kind::{BadgeKind, badge_kind};
pub use png::{bake_png, unbake_png};
pub use qr::read_qr_png;
pub use sniff::{Format, sniff};
pub use svg::{bake_svg, unbake_svg};

/// What [`unbake`] found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Extracted {
    /// A PNG or SVG image that carries a badge.
    Baked {
        /// The image format the badge was baked into.
        image: Format,
        /// The carrier and its text.
        baked: Baked,
    },
    /// A bare JSON document (an OB 2.0 assertion or an OB 3.0 credential).
    Json(String),
    /// A bare compact JWS (an OB 2.0 signed assertion or an OB 3.0 VC-JWT).
    Jws(String),
    /// A native badgemesh record (COSE_Sign1, CBOR tag 18): pass the same
    /// bytes to the protocol verifier.
    Native,
    /// A printed badge: the QR code of a PNG without a baked carrier, or
    /// compact text (`BM1:...`). `badge` holds the signed badge's own bytes
    /// (a native record, or the text of a credential), never another image.
    Printed {
        /// Where it was read from: [`Format::Png`] or [`Format::Compact`].
        from: Format,
        /// The badge's bytes.
        badge: Vec<u8>,
    },
}

impl Extracted {
    /// What the badge is (see [`badge_kind`]), so that it goes to the right
    /// verifier: an OB 3.0 VC-JWT, baked or bare, is [`BadgeKind::Ob3Jwt`]
    /// whatever its carrier.
    pub fn kind(&self) -> BadgeKind {
        match self {
            Extracted::Baked { baked, .. } => baked.kind(),
            Extracted::Json(t) | Extracted::Jws(t) => badge_kind(t, None),
            Extracted::Native => BadgeKind::Native,
            Extracted::Printed { badge, .. } => match sniff(badge) {
                Format::Native => BadgeKind::Native,
                _ => badge_kind(&String::from_utf8_lossy(badge), None),
            },
        }
    }
}

/// Finds the badge in `bytes`, whatever form the file has.
///
/// PNG and SVG images are unbaked (a PNG without a baked carrier is searched
/// for a certificate's QR code); bare JSON and compact JWS are returned as
/// text (surrounding whitespace and a UTF-8 byte order mark are removed);
/// native records are only recognised; compact text is decoded.
///
/// # Errors
///
/// [`UnbakeError::UnknownFormat`] for anything [`sniff`] does not recognise,
/// [`UnbakeError::TooLarge`] over `limits.max_input`, and every error of
/// [`unbake_png`] and [`unbake_svg`].
pub fn unbake(bytes: &[u8], limits: &Limits) -> Result<Extracted, UnbakeError> {
    if bytes.len() > limits.max_input {
        return Err(UnbakeError::TooLarge {
            len: bytes.len(),
            max: limits.max_input,
        });
    }
    match sniff(bytes) {
        image @ Format::Png => match unbake_png(bytes, limits) {
            Ok(baked) => Ok(Extracted::Baked { image, baked }),
            Err(UnbakeError::NotBaked) => printed(image, read_qr_png(bytes, limits)?),
            Err(e) => Err(e),
        },
        image @ Format::Svg => Ok(Extracted::Baked {
            image,
            baked: unbake_svg(bytes, limits)?,
        }),
        Format::Json => bare_text(bytes, limits).map(Extracted::Json),
        Format::Jws => bare_text(bytes, limits).map(Extracted::Jws),
        Format::Native => Ok(Extracted::Native),
        from @ Format::Compact => {
            let text = std::str::from_utf8(bytes).map_err(|_| UnbakeError::NotUtf8)?;
            printed(from, from_compact(text, limits)?)
        }
        Format::Unknown => Err(UnbakeError::UnknownFormat),
    }
}

/// A printed badge, once its bytes are known to be a badge's own: a code
/// that holds an image or another code would let one input nest readers.
fn printed(from: Format, badge: Vec<u8>) -> Result<Extracted, UnbakeError> {
    match sniff(&badge) {
        Format::Native | Format::Json | Format::Jws => Ok(Extracted::Printed { from, badge }),
        _ => Err(UnbakeError::NestedCarrier),
    }
}

/// A bare text badge: UTF-8, trimmed, within the text limit.
fn bare_text(bytes: &[u8], limits: &Limits) -> Result<String, UnbakeError> {
    let text = std::str::from_utf8(bytes).map_err(|_| UnbakeError::NotUtf8)?;
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.len() > limits.max_text {
        return Err(UnbakeError::TextTooLarge {
            len: text.len(),
            max: limits.max_text,
        });
    }
    Ok(text.to_owned())
}
