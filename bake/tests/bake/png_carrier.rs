//! PNG baking and unbaking.

use std::io::{Cursor, Write as _};

use badgemesh_bake::{BakeError, Carrier, Found, Limits, UnbakeError, bake_png, unbake_png};
use img_parts::Bytes;
use img_parts::png::{Png, PngChunk};

use super::{JWS, OB2_JSON, OB3_JSON, tiny_png};

/// An iTXt chunk as the `png` crate reads it: keyword, compressed,
/// language tag, translated keyword, text.
type Itxt = (String, bool, String, String, String);

/// Decodes a PNG fully with the `png` crate (which checks every CRC):
/// pixels and the iTXt chunks.
fn decode(bytes: &[u8]) -> (Vec<u8>, Vec<Itxt>) {
    let decoder = png::Decoder::new(Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("decodes");
    let size = reader.output_buffer_size().expect("buffer size");
    let mut pixels = vec![0; size];
    let info = reader.next_frame(&mut pixels).expect("frame");
    pixels.truncate(info.buffer_size());
    reader.finish().expect("finishes");
    let itxt = reader
        .info()
        .utf8_text
        .iter()
        .map(|c| {
            (
                c.keyword.clone(),
                c.compressed,
                c.language_tag.clone(),
                c.translated_keyword.clone(),
                c.get_text().expect("text"),
            )
        })
        .collect();
    (pixels, itxt)
}

/// A PNG with `chunk` inserted at `index`.
fn with_chunk(index: usize, kind: [u8; 4], contents: Vec<u8>) -> Vec<u8> {
    let mut png = Png::from_bytes(Bytes::from(tiny_png())).expect("fixture parses");
    png.chunks_mut()
        .insert(index, PngChunk::new(kind, Bytes::from(contents)));
    png.encoder().bytes().to_vec()
}

fn itxt(keyword: &str, compressed: bool, text: &[u8]) -> Vec<u8> {
    let mut out = keyword.as_bytes().to_vec();
    out.extend_from_slice(&[0, u8::from(compressed), 0, 0, 0]);
    out.extend_from_slice(text);
    out
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).expect("compresses");
    enc.finish().expect("compresses")
}

#[test]
fn bake_then_unbake_round_trips_for_both_carriers_and_payload_forms() {
    for (kind, found) in [(Carrier::Ob3, Found::Ob3), (Carrier::Ob2, Found::Ob2)] {
        for payload in [OB3_JSON, OB2_JSON, JWS] {
            let baked = bake_png(&tiny_png(), payload, kind).expect("bakes");
            let got = unbake_png(&baked, &Limits::default()).expect("unbakes");
            assert_eq!(got.carrier, found);
            assert_eq!(got.text, payload);
            assert_eq!(got.verify, None);
        }
    }
}

#[test]
fn baked_png_decodes_and_keeps_every_original_byte() {
    let original = tiny_png();
    let baked = bake_png(&original, OB3_JSON, Carrier::Ob3).expect("bakes");

    // Original bytes up to IEND, then the new chunk, then IEND unchanged.
    let iend_at = original.len() - 12;
    assert_eq!(&baked[..iend_at], &original[..iend_at]);
    assert_eq!(&baked[baked.len() - 12..], &original[iend_at..]);

    // Every original chunk, CRC included, is byte-identical and in order.
    let before = Png::from_bytes(Bytes::from(original.clone())).expect("parses");
    let after = Png::from_bytes(Bytes::from(baked.clone())).expect("parses");
    let mut after_chunks: Vec<_> = after.chunks().clone();
    let added = after_chunks.remove(after_chunks.len() - 2);
    assert_eq!(&after_chunks, before.chunks());
    assert_eq!(added.kind(), *b"iTXt");

    // The image still decodes, to the same pixels, and the png crate reads
    // the chunk as an uncompressed iTXt with empty language and translation.
    let (pixels_before, _) = decode(&original);
    let (pixels_after, itxt) = decode(&baked);
    assert_eq!(pixels_before, pixels_after);
    assert_eq!(
        itxt,
        vec![(
            "openbadgecredential".to_owned(),
            false,
            String::new(),
            String::new(),
            OB3_JSON.to_owned()
        )]
    );
}

#[test]
fn ob2_carrier_uses_the_openbadges_keyword() {
    let baked = bake_png(&tiny_png(), OB2_JSON, Carrier::Ob2).expect("bakes");
    let (_, itxt) = decode(&baked);
    assert_eq!(itxt.len(), 1);
    assert_eq!(itxt[0].0, "openbadges");
}

#[test]
fn refuses_a_second_carrier_of_either_kind_and_chunk_type() {
    let once = bake_png(&tiny_png(), OB3_JSON, Carrier::Ob3).expect("bakes");
    for kind in [Carrier::Ob3, Carrier::Ob2] {
        assert_eq!(bake_png(&once, JWS, kind), Err(BakeError::AlreadyBaked));
    }
    let legacy = with_chunk(1, *b"tEXt", b"openbadges\0https://example.org/a".to_vec());
    assert_eq!(
        bake_png(&legacy, JWS, Carrier::Ob3),
        Err(BakeError::AlreadyBaked)
    );
    let ob2 = with_chunk(1, *b"iTXt", itxt("openbadges", false, OB2_JSON.as_bytes()));
    assert_eq!(
        bake_png(&ob2, OB3_JSON, Carrier::Ob3),
        Err(BakeError::AlreadyBaked)
    );
}

#[test]
fn refuses_a_payload_that_is_not_a_badge() {
    assert_eq!(
        bake_png(&tiny_png(), "hello", Carrier::Ob3),
        Err(BakeError::InvalidPayload)
    );
}

#[test]
fn refuses_damaged_images_when_baking() {
    assert_eq!(
        bake_png(b"GIF89a", JWS, Carrier::Ob3),
        Err(BakeError::NotPng)
    );
    let png = tiny_png();
    assert!(matches!(
        bake_png(&png[..png.len() - 5], JWS, Carrier::Ob3),
        Err(BakeError::InvalidPng(_))
    ));
    let mut bad_crc = png.clone();
    let last = bad_crc.len() - 1;
    bad_crc[last] ^= 1;
    assert!(matches!(
        bake_png(&bad_crc, JWS, Carrier::Ob3),
        Err(BakeError::InvalidPng(_))
    ));
}

#[test]
fn keeps_bytes_after_iend() {
    let mut png = tiny_png();
    png.extend_from_slice(b"trailing junk");
    let baked = bake_png(&png, JWS, Carrier::Ob3).expect("bakes");
    assert!(baked.ends_with(b"IEND\xaeB`\x82trailing junk"));
    assert_eq!(
        unbake_png(&baked, &Limits::default())
            .expect("unbakes")
            .text,
        JWS
    );
}

#[test]
fn accepts_the_chunk_right_after_ihdr() {
    let png = with_chunk(
        1,
        *b"iTXt",
        itxt("openbadgecredential", false, OB3_JSON.as_bytes()),
    );
    let got = unbake_png(&png, &Limits::default()).expect("unbakes");
    assert_eq!((got.carrier, got.text.as_str()), (Found::Ob3, OB3_JSON));
}

#[test]
fn returns_the_first_carrier() {
    let png = with_chunk(1, *b"iTXt", itxt("openbadges", false, OB2_JSON.as_bytes()));
    let baked = bake_png(&tiny_png(), OB3_JSON, Carrier::Ob3).expect("bakes");
    let mut both = Png::from_bytes(Bytes::from(baked)).expect("parses");
    let first = Png::from_bytes(Bytes::from(png)).expect("parses").chunks()[1].clone();
    both.chunks_mut().insert(1, first);
    let got = unbake_png(&both.encoder().bytes(), &Limits::default()).expect("unbakes");
    assert_eq!(got.carrier, Found::Ob2);
}

#[test]
fn reads_legacy_text_url() {
    let png = with_chunk(
        1,
        *b"tEXt",
        b"openbadges\0https://example.org/assertion/\xe9".to_vec(),
    );
    let got = unbake_png(&png, &Limits::default()).expect("unbakes");
    assert_eq!(got.carrier, Found::LegacyUrl);
    assert_eq!(got.text, "https://example.org/assertion/é");
}

#[test]
fn ignores_other_text_chunks() {
    // The fixture has a tEXt `Comment`; an iTXt with another keyword too.
    let png = with_chunk(1, *b"iTXt", itxt("Description", false, b"not a badge"));
    assert_eq!(
        unbake_png(&png, &Limits::default()),
        Err(UnbakeError::NotBaked)
    );
}

#[test]
fn reads_a_small_compressed_itxt() {
    let png = with_chunk(
        1,
        *b"iTXt",
        itxt("openbadgecredential", true, &zlib(OB3_JSON.as_bytes())),
    );
    let got = unbake_png(&png, &Limits::default()).expect("unbakes");
    assert_eq!(got.text, OB3_JSON);
}

#[test]
fn refuses_a_compressed_itxt_bomb() {
    // 64 MiB of spaces compress to about 64 KiB.
    let bomb = zlib(&vec![b' '; 64 * 1024 * 1024]);
    assert!(bomb.len() < 100 * 1024);
    let png = with_chunk(1, *b"iTXt", itxt("openbadgecredential", true, &bomb));
    let err = unbake_png(&png, &Limits::default()).expect_err("refused");
    assert_eq!(err, UnbakeError::InflateLimit { max: 1024 * 1024 });
    assert!(err.to_string().contains("zlib bomb"), "{err}");
}

#[test]
fn refuses_corrupt_compression_and_bad_methods() {
    let png = with_chunk(1, *b"iTXt", itxt("openbadges", true, b"not zlib at all"));
    assert_eq!(
        unbake_png(&png, &Limits::default()),
        Err(UnbakeError::CorruptCompression)
    );
    let mut contents = itxt("openbadges", true, &zlib(b"{}"));
    contents[12] = 7; // compression method (after "openbadges", NUL and the flag)
    let png = with_chunk(1, *b"iTXt", contents);
    assert_eq!(
        unbake_png(&png, &Limits::default()),
        Err(UnbakeError::UnsupportedCompression(7))
    );
}

#[test]
fn refuses_malformed_badge_chunks() {
    for contents in [
        b"openbadges\0".to_vec(),
        b"openbadges\0\0\0no terminators".to_vec(),
        b"openbadges\0\0\0\0no second terminator".to_vec(),
        b"openbadges\0\x05\0\0\0{}".to_vec(),
    ] {
        let png = with_chunk(1, *b"iTXt", contents);
        assert!(
            matches!(
                unbake_png(&png, &Limits::default()),
                Err(UnbakeError::MalformedChunk(_))
            ),
            "malformed chunk accepted"
        );
    }
    let png = with_chunk(1, *b"iTXt", itxt("openbadges", false, b"\xff\xfe"));
    assert_eq!(
        unbake_png(&png, &Limits::default()),
        Err(UnbakeError::NotUtf8)
    );
}

#[test]
fn applies_limits() {
    let baked = bake_png(&tiny_png(), OB3_JSON, Carrier::Ob3).expect("bakes");
    let mut limits = Limits::default();
    limits.max_input = 100;
    assert!(matches!(
        unbake_png(&baked, &limits),
        Err(UnbakeError::TooLarge { .. })
    ));
    let mut limits = Limits::default();
    limits.max_text = 10;
    assert!(matches!(
        unbake_png(&baked, &limits),
        Err(UnbakeError::TextTooLarge { .. })
    ));
    let mut limits = Limits::default();
    limits.max_chunks = 3;
    assert_eq!(
        unbake_png(&baked, &limits),
        Err(UnbakeError::TooManyChunks { max: 3 })
    );
}

#[test]
fn truncated_images_are_errors() {
    let baked = bake_png(&tiny_png(), OB3_JSON, Carrier::Ob3).expect("bakes");
    for len in 0..baked.len() {
        assert!(
            unbake_png(&baked[..len], &Limits::default()).is_err(),
            "prefix {len}"
        );
    }
}
