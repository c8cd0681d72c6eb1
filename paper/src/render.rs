//! The page rendered: PNG through resvg, PDF through svg2pdf.

use std::sync::Arc;

use resvg::tiny_skia::{Color, Pixmap, Transform};
use resvg::usvg::{self, fontdb};

use crate::layout::{FONT_FAMILY, svg};
use crate::{Certificate, Paper, PaperError};

/// The one font of the page (DejaVu Sans, see `fonts/LICENSE-DejaVu`).
static FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// Lowest and highest resolutions of a PNG: below 72 dpi the code's modules
/// blur together; above 600 dpi an A4 page is over 30 million pixels.
const DPI: std::ops::RangeInclusive<u32> = 72..=600;

/// The certificate as a PDF of one page of `paper`'s size, its text real
/// text (selectable, the font subset embedded) and the code vector shapes.
///
/// # Errors
///
/// [`PaperError::TooLarge`] when the badge does not fit in a QR code.
pub fn pdf(c: &Certificate, paper: Paper) -> Result<Vec<u8>, PaperError> {
    let tree = tree(&svg(c, paper)?)?;
    svg2pdf::to_pdf(
        &tree,
        svg2pdf::ConversionOptions::default(),
        svg2pdf::PageOptions::default(),
    )
    .map_err(|e| PaperError::Render(e.to_string()))
}

/// The certificate as a PNG of `paper`'s size at `dpi` (clamped to 72 to
/// 600; 150 is enough for a phone to read the code off a screen or print).
///
/// # Errors
///
/// [`PaperError::TooLarge`] when the badge does not fit in a QR code.
pub fn png(c: &Certificate, paper: Paper, dpi: u32) -> Result<Vec<u8>, PaperError> {
    let tree = tree(&svg(c, paper)?)?;
    let scale = dpi.clamp(*DPI.start(), *DPI.end()) as f32 / 72.0;
    let size = tree.size();
    let (w, h) = (
        (size.width() * scale).ceil() as u32,
        (size.height() * scale).ceil() as u32,
    );
    let mut pixmap =
        Pixmap::new(w, h).ok_or_else(|| PaperError::Render(format!("no {w}x{h} canvas")))?;
    pixmap.fill(Color::WHITE);
    resvg::render(
        &tree,
        Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| PaperError::Render(e.to_string()))
}

/// The SVG parsed with the embedded font as the only one: the page looks the
/// same whatever fonts the machine has.
fn tree(svg: &str) -> Result<usvg::Tree, PaperError> {
    let mut fonts = fontdb::Database::new();
    fonts.load_font_data(FONT.to_vec());
    let options = usvg::Options {
        font_family: FONT_FAMILY.to_owned(),
        fontdb: Arc::new(fonts),
        ..usvg::Options::default()
    };
    usvg::Tree::from_str(svg, &options).map_err(|e| PaperError::Render(e.to_string()))
}
