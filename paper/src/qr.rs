//! The QR code of a certificate, drawn as one SVG path.

use qrcode::{Color, EcLevel, QrCode};

use crate::PaperError;

/// Modules of white around the code (the QR standard's quiet zone).
pub(crate) const QUIET: usize = 4;

/// A QR code of `text` as an SVG path in module units (the quiet zone
/// included, so the code is `width()` + 2 x [`QUIET`] modules wide).
pub(crate) struct Drawn {
    /// The path's `d` attribute: one unit square per dark module.
    pub path: String,
    /// Modules per side, quiet zone included.
    pub modules: usize,
}

/// Encodes `text` at error correction M (15 % of the code may be smudged or
/// torn and it still reads), or L (7 %) when M cannot hold it.
pub(crate) fn draw(text: &str) -> Result<Drawn, PaperError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .or_else(|_| QrCode::with_error_correction_level(text.as_bytes(), EcLevel::L))
        .map_err(|_| PaperError::TooLarge { chars: text.len() })?;
    let width = code.width();
    let mut path = String::new();
    for (i, c) in code.to_colors().iter().enumerate() {
        if *c == Color::Dark {
            let (x, y) = (i % width + QUIET, i / width + QUIET);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    Ok(Drawn {
        path,
        modules: width + 2 * QUIET,
    })
}
