//! Reading a badge from the QR code of a printed certificate (a PNG: a
//! scan, a photo saved as PNG, or the certificate image itself).
//!
//! The cost is bounded before any pixel work: the image's declared size is
//! checked against [`Limits::max_pixels`] before it is decoded, the decoder
//! gets a byte budget, and the QR reader (quircs, a port of quirc) stops at
//! 32 finder patterns and 8 codes, so no image, however crafted, makes the
//! search grow faster than its pixel count.

use std::io::Cursor;

use crate::compact::{CompactError, from_compact, is_compact};
use crate::{Limits, UnbakeError};

/// The badge bytes held by the first QR code in `png` that carries the
/// compact form (see [`crate::compact`]).
///
/// # Errors
///
/// [`UnbakeError::NotBaked`] when the image has no QR code at all;
/// [`UnbakeError::ForeignQr`] when its codes hold something else (a URL,
/// say); [`UnbakeError::Compact`] when our code is damaged;
/// [`UnbakeError::TooManyPixels`] and [`UnbakeError::UndecodableImage`] for an
/// image too large or unreadable.
pub fn read_qr_png(png: &[u8], limits: &Limits) -> Result<Vec<u8>, UnbakeError> {
    let (width, height, grey) = greyscale(png, limits)?;
    let mut reader = quircs::Quirc::default();
    let mut found_other = false;
    let mut damaged = None;
    for code in reader.identify(width, height, &grey) {
        let Ok(code) = code else { continue };
        let Ok(data) = code.decode() else {
            found_other = true;
            continue;
        };
        if !is_compact(&data.payload) {
            found_other = true;
            continue;
        }
        let text = String::from_utf8_lossy(&data.payload);
        match from_compact(&text, limits) {
            Ok(badge) => return Ok(badge),
            Err(e) => damaged = Some(e),
        }
    }
    match damaged {
        Some(e) => Err(UnbakeError::Compact(e)),
        None if found_other => Err(UnbakeError::ForeignQr),
        None => Err(UnbakeError::NotBaked),
    }
}

/// The image as 8-bit luminance, transparent pixels over white (a QR code
/// on a transparent background is dark on light once printed).
fn greyscale(png: &[u8], limits: &Limits) -> Result<(usize, usize, Vec<u8>), UnbakeError> {
    let mut decoder = png::Decoder::new(Cursor::new(png));
    // The decoder's own budget, beside the pixel check below: 4 bytes per
    // pixel of the largest image accepted, plus room for its metadata.
    decoder.set_limits(png::Limits {
        bytes: limits.max_pixels.saturating_mul(4).saturating_add(1 << 20),
    });
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let damaged = |e: png::DecodingError| UnbakeError::UndecodableImage(e.to_string());
    let mut reader = decoder.read_info().map_err(damaged)?;
    let (width, height) = {
        let info = reader.info();
        (info.width as usize, info.height as usize)
    };
    let pixels = width.saturating_mul(height);
    if pixels > limits.max_pixels {
        return Err(UnbakeError::TooManyPixels {
            pixels,
            max: limits.max_pixels,
        });
    }
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| UnbakeError::UndecodableImage("image too large to decode".into()))?;
    let mut buf = vec![0; size];
    let frame = reader.next_frame(&mut buf).map_err(damaged)?;
    let channels = frame.color_type.samples();
    let line = frame.line_size;
    let mut grey = Vec::with_capacity(pixels);
    for y in 0..height {
        let row = buf
            .get(y * line..y * line + width * channels)
            .ok_or_else(|| UnbakeError::UndecodableImage("short image data".into()))?;
        grey.extend(row.chunks_exact(channels).map(luma));
    }
    Ok((width, height, grey))
}

/// One pixel's luminance (ITU-R BT.601 weights), alpha composited on white.
fn luma(px: &[u8]) -> u8 {
    let (l, a) = match *px {
        [g] => (u32::from(g), 255),
        [g, a] => (u32::from(g), u32::from(a)),
        [r, g, b] => (
            (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000,
            255,
        ),
        [r, g, b, a] => (
            (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000,
            u32::from(a),
        ),
        _ => (255, 255),
    };
    ((l * a + 255 * (255 - a)) / 255) as u8
}

impl From<CompactError> for UnbakeError {
    fn from(e: CompactError) -> Self {
        UnbakeError::Compact(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG of `w` x `h` grey pixels from `f`.
    fn png_of(w: u32, h: u32, f: impl Fn(u32, u32) -> u8) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Grayscale);
        let mut writer = enc.write_header().unwrap();
        let data: Vec<u8> = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .map(|(x, y)| f(x, y))
            .collect();
        writer.write_image_data(&data).unwrap();
        writer.finish().unwrap();
        out
    }

    #[test]
    fn an_image_without_a_code_carries_no_badge() {
        let blank = png_of(64, 64, |_, _| 255);
        assert_eq!(
            read_qr_png(&blank, &Limits::DEFAULT),
            Err(UnbakeError::NotBaked)
        );
    }

    #[test]
    fn a_huge_declared_size_is_refused_before_decoding() {
        let small = png_of(64, 64, |_, _| 255);
        let limits = Limits {
            max_pixels: 1000,
            ..Limits::DEFAULT
        };
        assert_eq!(
            read_qr_png(&small, &limits),
            Err(UnbakeError::TooManyPixels {
                pixels: 4096,
                max: 1000
            })
        );
    }

    #[test]
    fn a_field_of_finder_patterns_costs_no_more_than_its_pixels() {
        // Every 9 px a 7x7 finder pattern: hundreds of candidate corners, the
        // input that makes a naive grouping quadratic. It must simply find
        // nothing (a timing assertion would be flaky; the bound is quircs'
        // cap of 32 finder patterns, and this test documents the input).
        let img = png_of(600, 600, |x, y| {
            let (dx, dy) = ((x % 9) as i32 - 3, (y % 9) as i32 - 3);
            let d = dx.abs().max(dy.abs());
            if d <= 3 && d != 2 { 0 } else { 255 }
        });
        assert!(read_qr_png(&img, &Limits::DEFAULT).is_err());
    }

    #[test]
    fn luminance_composites_transparency_on_white() {
        assert_eq!(luma(&[0, 0]), 255);
        assert_eq!(luma(&[0, 255]), 0);
        assert_eq!(luma(&[255, 255, 255]), 255);
        assert_eq!(luma(&[0, 0, 0, 255]), 0);
    }
}
