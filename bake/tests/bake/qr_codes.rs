//! QR codes made by other implementations (see `fixtures/qr/SOURCE.md`):
//! segno's code of a 1EdTech-signed credential, compressed and Base45-encoded
//! by Python's own libraries, reads back byte for byte; a code holding a
//! link is told apart from an image with no code.

use badgemesh_bake::{Extracted, Format, Limits, UnbakeError, unbake};

const SEGNO_OB3: &[u8] = include_bytes!("../fixtures/qr/segno-1edtech-ob3.png");
const SEGNO_URL: &[u8] = include_bytes!("../fixtures/qr/segno-url.png");
const SIGNED: &[u8] = include_bytes!("../../../openbadges/tests/vectors/1edtech-ob3/signed.json");
const TINY: &[u8] = include_bytes!("../fixtures/tiny.png");

#[test]
fn another_encoders_code_gives_the_signed_credential_byte_for_byte() {
    match unbake(SEGNO_OB3, &Limits::default()).unwrap() {
        Extracted::Printed { from, badge } => {
            assert_eq!(from, Format::Png);
            assert_eq!(badge, SIGNED);
        }
        other => panic!("not read as a printed badge: {other:?}"),
    }
}

#[test]
fn a_code_that_holds_a_link_is_not_a_badge_and_says_so() {
    let e = unbake(SEGNO_URL, &Limits::default()).unwrap_err();
    assert_eq!(e, UnbakeError::ForeignQr);
    assert!(e.to_string().contains("does not hold a badge"), "{e}");
    assert_eq!(unbake(TINY, &Limits::default()), Err(UnbakeError::NotBaked));
}

#[test]
fn scanned_text_reads_like_the_image() {
    let text = badgemesh_bake::to_compact(SIGNED);
    match unbake(text.as_bytes(), &Limits::default()).unwrap() {
        Extracted::Printed { from, badge } => {
            assert_eq!(from, Format::Compact);
            assert_eq!(badge, SIGNED);
        }
        other => panic!("not read as compact text: {other:?}"),
    }
    // A code may not hold an image or another code: one input, one reader.
    let nested = badgemesh_bake::to_compact(text.as_bytes());
    assert_eq!(
        unbake(nested.as_bytes(), &Limits::default()),
        Err(UnbakeError::NestedCarrier)
    );
    let image = badgemesh_bake::to_compact(TINY);
    assert_eq!(
        unbake(image.as_bytes(), &Limits::default()),
        Err(UnbakeError::NestedCarrier)
    );
}
