//! Printable certificates: a badge on A4 or Letter paper, as PDF or PNG,
//! with a QR code that carries the whole signed badge.
//!
//! Paper outlives web sites. The QR code holds the badge itself in the
//! compact form of [`badgemesh_bake::compact`] (`BM1:` + Base45 + zlib), not
//! a URL, so a phone or a desk scanner verifies it with no network at all:
//! `badgemesh verify certificate.png` and the node's page read the code back.
//! The words on the page are for people; only the code is evidence.
//!
//! The page is one SVG document ([`svg`]), rendered to PNG by resvg and to
//! PDF by svg2pdf, with one embedded font (DejaVu Sans, see
//! `fonts/LICENSE-DejaVu`) so that the output is the same on every machine
//! and names in any Latin, Greek or Cyrillic script print. This crate does
//! no I/O and reads no clock.

mod layout;
mod qr;
mod render;

pub use layout::svg;
pub use render::{pdf, png};

/// What a certificate says. Every field is shown as given (escaped): the
/// caller decides what it may claim, for the issuer's name above all (say
/// only what the verdict's trust assessment allows).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Certificate {
    /// The badge's name.
    pub badge_name: String,
    /// Who awarded it, in the words the verifier's trust check allows.
    pub issuer: String,
    /// Whom it was awarded to, when known (a name the earner gives, or the
    /// recipient's identity when it is not hashed).
    pub recipient: Option<String>,
    /// When it was issued (as the verdict prints it).
    pub issued_on: Option<String>,
    /// When it expires, if it does.
    pub expires: Option<String>,
    /// What it stands for: the badge's description or criteria, shortened
    /// to what fits.
    pub description: Option<String>,
    /// The badge's identifier, printed small under the code.
    pub id: String,
    /// The badge bytes for the QR code: a native assertion, or the text of
    /// an OB 3.0 credential (JSON or VC-JWT).
    pub badge: Vec<u8>,
}

/// A paper size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Paper {
    /// ISO A4, 210 x 297 mm.
    #[default]
    A4,
    /// US Letter, 8.5 x 11 in.
    Letter,
}

impl Paper {
    /// Width and height in PostScript points (1/72 in), the unit of the
    /// SVG document and of the PDF page.
    pub fn points(self) -> (f32, f32) {
        match self {
            Paper::A4 => (595.28, 841.89),
            Paper::Letter => (612.0, 792.0),
        }
    }
}

/// Why no certificate could be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PaperError {
    /// The badge does not fit in the largest QR code.
    #[error(
        "the badge is too large for a QR code ({chars} characters in compact form; the largest code holds about 3,300 at the error correction a printed page needs)"
    )]
    TooLarge {
        /// Length of the compact text.
        chars: usize,
    },
    /// The page could not be rendered (a bug, not bad input).
    #[error("the certificate could not be rendered: {0}")]
    Render(String),
}
