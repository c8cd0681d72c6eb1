//! PNG carriers: one `iTXt` chunk before `IEND`.
//!
//! Chunk-level access is `img-parts`: it reads the chunk list (checking every
//! CRC), keeps every chunk's bytes and CRC as read, and computes the CRC of
//! the chunk we add. The image data is never decoded or re-encoded, so the
//! baked file is the original with one chunk inserted before `IEND` (bytes
//! after `IEND`, if any, are kept as they were).
//!
//! Reading accepts the carrier anywhere in the chunk list: `iTXt` with the
//! keyword `openbadgecredential` (OB 3.0) or `openbadges` (OB 2.0), and the
//! legacy `tEXt` `openbadges` holding a hosted URL. A compressed `iTXt` is
//! inflated through a bounded reader, so a zlib bomb stops at
//! [`Limits::max_inflated`].

use std::io::Read as _;

use img_parts::Bytes;
use img_parts::png::{Png, PngChunk};

use crate::carrier::{PNG_KEYWORD_OB2, PNG_KEYWORD_OB3};
use crate::sniff::PNG_SIGNATURE;
use crate::{BakeError, Baked, Carrier, Found, Limits, UnbakeError, payload};

const IHDR: [u8; 4] = *b"IHDR";
const IEND: [u8; 4] = *b"IEND";
const ITXT: [u8; 4] = *b"iTXt";
const TEXT: [u8; 4] = *b"tEXt";
const ZTXT: [u8; 4] = *b"zTXt";

/// Longest PNG keyword (PNG spec: 1 to 79 bytes).
const MAX_KEYWORD: usize = 79;

/// Bakes `payload` (a JSON object or a compact JWS) into a PNG as one
/// uncompressed `iTXt` chunk (compression flag 0, method 0, empty language
/// tag and translated keyword), keyword `openbadgecredential` for
/// [`Carrier::Ob3`] or `openbadges` for [`Carrier::Ob2`], placed just before
/// `IEND`. All other bytes are kept as they are. [`Limits::DEFAULT`] applies.
///
/// # Errors
///
/// [`BakeError::AlreadyBaked`] if the image has a badge chunk of either
/// keyword (`iTXt`, `tEXt` or `zTXt`); [`BakeError::InvalidPayload`] for a
/// payload that is neither JSON nor a compact JWS; [`BakeError::NotPng`] and
/// [`BakeError::InvalidPng`] for a damaged image; size errors over the
/// default limits.
pub fn bake_png(image: &[u8], payload: &str, kind: Carrier) -> Result<Vec<u8>, BakeError> {
    let limits = Limits::DEFAULT;
    if image.len() > limits.max_input {
        return Err(BakeError::ImageTooLarge {
            len: image.len(),
            max: limits.max_input,
        });
    }
    payload::classify(payload, limits.max_text)?;
    if !image.starts_with(&PNG_SIGNATURE) {
        return Err(BakeError::NotPng);
    }
    let mut png = Png::from_bytes(Bytes::copy_from_slice(image)).map_err(|e| match e {
        img_parts::Error::WrongSignature => BakeError::NotPng,
        other => BakeError::InvalidPng(describe(&other)),
    })?;
    check_structure(&png, &limits).map_err(BakeError::InvalidPng)?;
    if png.chunks().iter().any(is_badge_chunk) {
        return Err(BakeError::AlreadyBaked);
    }
    // img-parts stops at IEND and keeps each chunk's bytes, so `len` is the
    // length of the prefix it parsed; anything after it is kept verbatim.
    let parsed_len = png.len();
    let trailer = image.get(parsed_len..).unwrap_or_default();
    let iend = png
        .chunks()
        .iter()
        .position(|c| c.kind() == IEND)
        .ok_or(BakeError::InvalidPng("no IEND chunk"))?;
    let chunk = PngChunk::new(
        ITXT,
        Bytes::from(itxt_contents(kind.png_keyword(), payload)),
    );
    png.chunks_mut().insert(iend, chunk);
    let mut out = png.encoder().bytes().to_vec();
    out.extend_from_slice(trailer);
    Ok(out)
}

/// Reads the first badge carrier from a PNG: `iTXt` `openbadgecredential`
/// ([`Found::Ob3`]) or `openbadges` ([`Found::Ob2`]), or legacy `tEXt`
/// `openbadges` ([`Found::LegacyUrl`]), wherever it is in the chunk list.
///
/// # Errors
///
/// [`UnbakeError::NotBaked`] if there is none; [`UnbakeError::NotPng`],
/// [`UnbakeError::InvalidPng`] and [`UnbakeError::TooManyChunks`] for a
/// damaged or hostile file; [`UnbakeError::MalformedChunk`],
/// [`UnbakeError::InflateLimit`], [`UnbakeError::CorruptCompression`],
/// [`UnbakeError::UnsupportedCompression`], [`UnbakeError::NotUtf8`] and the
/// size errors for a bad badge chunk.
pub fn unbake_png(bytes: &[u8], limits: &Limits) -> Result<Baked, UnbakeError> {
    if bytes.len() > limits.max_input {
        return Err(UnbakeError::TooLarge {
            len: bytes.len(),
            max: limits.max_input,
        });
    }
    if !bytes.starts_with(&PNG_SIGNATURE) {
        return Err(UnbakeError::NotPng);
    }
    let png = Png::from_bytes(Bytes::copy_from_slice(bytes)).map_err(|e| match e {
        img_parts::Error::WrongSignature => UnbakeError::NotPng,
        other => UnbakeError::InvalidPng(describe(&other)),
    })?;
    if png.chunks().len() > limits.max_chunks {
        return Err(UnbakeError::TooManyChunks {
            max: limits.max_chunks,
        });
    }
    check_structure(&png, limits).map_err(UnbakeError::InvalidPng)?;
    for chunk in png.chunks() {
        let found = match chunk.kind() {
            ITXT => read_itxt(chunk.contents(), limits)?,
            TEXT => read_legacy_text(chunk.contents(), limits)?,
            _ => None,
        };
        if let Some(baked) = found {
            return Ok(baked);
        }
    }
    Err(UnbakeError::NotBaked)
}

fn describe(error: &img_parts::Error) -> &'static str {
    match error {
        img_parts::Error::WrongSignature => "bad signature",
        img_parts::Error::BadCRC => "a chunk has a bad CRC",
        img_parts::Error::Truncated => "truncated chunk",
    }
}

/// IHDR first, IEND last, and not too many chunks.
fn check_structure(png: &Png, limits: &Limits) -> Result<(), &'static str> {
    let chunks = png.chunks();
    if chunks.len() > limits.max_chunks {
        return Err("too many chunks");
    }
    if chunks.first().map(PngChunk::kind) != Some(IHDR) {
        return Err("first chunk is not IHDR");
    }
    if chunks.last().map(PngChunk::kind) != Some(IEND) {
        return Err("no IEND chunk (truncated file?)");
    }
    Ok(())
}

/// The keyword of a text chunk (`tEXt`, `zTXt`, `iTXt`): the bytes before
/// the first NUL, if it comes within the keyword length, and the rest.
fn split_keyword(contents: &[u8]) -> Option<(&[u8], &[u8])> {
    let nul = contents
        .iter()
        .take(MAX_KEYWORD + 1)
        .position(|&b| b == 0)?;
    Some((contents.get(..nul)?, contents.get(nul + 1..)?))
}

fn is_badge_chunk(chunk: &PngChunk) -> bool {
    matches!(chunk.kind(), ITXT | TEXT | ZTXT)
        && split_keyword(chunk.contents()).is_some_and(|(k, _)| {
            k == PNG_KEYWORD_OB3.as_bytes() || k == PNG_KEYWORD_OB2.as_bytes()
        })
}

/// The data of an uncompressed `iTXt` chunk with empty language tag and
/// translated keyword.
fn itxt_contents(keyword: &str, text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(keyword.len() + 5 + text.len());
    out.extend_from_slice(keyword.as_bytes());
    out.push(0); // keyword terminator
    out.push(0); // compression flag: uncompressed
    out.push(0); // compression method
    out.push(0); // empty language tag
    out.push(0); // empty translated keyword
    out.extend_from_slice(text.as_bytes());
    out
}

fn read_itxt(contents: &[u8], limits: &Limits) -> Result<Option<Baked>, UnbakeError> {
    let Some((keyword, rest)) = split_keyword(contents) else {
        return Ok(None);
    };
    let carrier = if keyword == PNG_KEYWORD_OB3.as_bytes() {
        Found::Ob3
    } else if keyword == PNG_KEYWORD_OB2.as_bytes() {
        Found::Ob2
    } else {
        return Ok(None);
    };
    let [flag, method, rest @ ..] = rest else {
        return Err(UnbakeError::MalformedChunk("iTXt header is truncated"));
    };
    let (_language, rest) = split_at_nul(rest).ok_or(UnbakeError::MalformedChunk(
        "iTXt language tag is not terminated",
    ))?;
    let (_translated, text) = split_at_nul(rest).ok_or(UnbakeError::MalformedChunk(
        "iTXt translated keyword is not terminated",
    ))?;
    let text = match (flag, method) {
        (0, _) => {
            check_text_len(text.len(), limits)?;
            text.to_vec()
        }
        (1, 0) => inflate(text, limits)?,
        (1, other) => return Err(UnbakeError::UnsupportedCompression(*other)),
        _ => {
            return Err(UnbakeError::MalformedChunk(
                "iTXt compression flag is not 0 or 1",
            ));
        }
    };
    let text = String::from_utf8(text).map_err(|_| UnbakeError::NotUtf8)?;
    Ok(Some(Baked {
        carrier,
        text,
        verify: None,
    }))
}

fn read_legacy_text(contents: &[u8], limits: &Limits) -> Result<Option<Baked>, UnbakeError> {
    match split_keyword(contents) {
        Some((keyword, text)) if keyword == PNG_KEYWORD_OB2.as_bytes() => {
            check_text_len(text.len(), limits)?;
            // tEXt is Latin-1: every byte is the code point of the same value.
            let text = text.iter().map(|&b| char::from(b)).collect();
            Ok(Some(Baked {
                carrier: Found::LegacyUrl,
                text,
                verify: None,
            }))
        }
        _ => Ok(None),
    }
}

fn split_at_nul(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let nul = bytes.iter().position(|&b| b == 0)?;
    Some((bytes.get(..nul)?, bytes.get(nul + 1..)?))
}

fn check_text_len(len: usize, limits: &Limits) -> Result<(), UnbakeError> {
    if len > limits.max_text {
        return Err(UnbakeError::TextTooLarge {
            len,
            max: limits.max_text,
        });
    }
    Ok(())
}

/// Inflates zlib data, reading at most one byte past the cap so that a bomb
/// costs no more than the cap.
fn inflate(data: &[u8], limits: &Limits) -> Result<Vec<u8>, UnbakeError> {
    let cap = limits.max_inflated.min(limits.max_text);
    let mut out = Vec::new();
    let take = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
    flate2::read::ZlibDecoder::new(data)
        .take(take)
        .read_to_end(&mut out)
        .map_err(|_| UnbakeError::CorruptCompression)?;
    if out.len() > cap {
        return Err(UnbakeError::InflateLimit { max: cap });
    }
    Ok(out)
}
