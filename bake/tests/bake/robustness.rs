//! Arbitrary input never panics; sniff and unbake agree.

use badgemesh_bake::{Extracted, Format, Limits, ob2, sniff, unbake, unbake_png, unbake_svg};
use proptest::prelude::*;

use super::{JWS, OB3_JSON, badge_svg, tiny_png};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let limits = Limits::default();
        let _ = sniff(&bytes);
        if let Ok(found) = unbake(&bytes, &limits) {
            let _ = found.kind();
        }
        let _ = unbake_png(&bytes, &limits);
        let _ = unbake_svg(&bytes, &limits);
        let text = String::from_utf8_lossy(&bytes);
        let _ = badgemesh_bake::badge_kind(&text, None);
        let _ = badgemesh_bake::badge_kind(&format!("eyJ{text}.{text}.x"), Some(badgemesh_bake::Found::Ob2));
        let _ = ob2::parse(&text);
        let _ = ob2::verify(&text, &ob2::Ob2Options::default());
    }

    #[test]
    fn mutated_png_never_panics(index in 0usize..4096, byte in any::<u8>()) {
        let mut png = badgemesh_bake::bake_png(&tiny_png(), OB3_JSON, badgemesh_bake::Carrier::Ob3)
            .expect("bakes");
        let len = png.len();
        png[index % len] = byte;
        let _ = unbake_png(&png, &Limits::default());
    }

    #[test]
    fn a_mutated_certificate_code_never_panics(index in 0usize..4096, byte in any::<u8>()) {
        let mut png = include_bytes!("../fixtures/qr/segno-1edtech-ob3.png").to_vec();
        let len = png.len();
        png[index % len] = byte;
        let _ = badgemesh_bake::read_qr_png(&png, &Limits::default());
        let _ = unbake(&png, &Limits::default());
    }

    #[test]
    fn any_compact_text_never_panics(body in "[0-9A-Z $%*+./:-]{0,600}", raw in any::<String>()) {
        let limits = Limits::default();
        let _ = unbake(format!("BM1:{body}").as_bytes(), &limits);
        let _ = badgemesh_bake::from_compact(&format!("BM1:{raw}"), &limits);
    }

    #[test]
    fn mutated_svg_never_panics(index in 0usize..4096, byte in any::<u8>()) {
        let svg = badgemesh_bake::bake_svg(badge_svg(), OB3_JSON, badgemesh_bake::Carrier::Ob3)
            .expect("bakes");
        let mut bytes = svg.into_bytes();
        let len = bytes.len();
        bytes[index % len] = byte;
        let _ = unbake_svg(&bytes, &Limits::default());
    }

    #[test]
    fn any_json_string_round_trips(name in any::<String>(), kind_ob3 in any::<bool>()) {
        let payload = serde_json::json!({ "id": "urn:x", "name": name }).to_string();
        let kind = if kind_ob3 { badgemesh_bake::Carrier::Ob3 } else { badgemesh_bake::Carrier::Ob2 };
        let png = badgemesh_bake::bake_png(&tiny_png(), &payload, kind).expect("bakes");
        prop_assert_eq!(unbake_png(&png, &Limits::default()).expect("unbakes").text, payload.clone());
        let svg = badgemesh_bake::bake_svg(badge_svg(), &payload, kind).expect("bakes");
        prop_assert_eq!(unbake_svg(svg.as_bytes(), &Limits::default()).expect("unbakes").text, payload);
    }
}

#[test]
fn unbake_dispatches_on_the_format() {
    let limits = Limits::default();
    let png =
        badgemesh_bake::bake_png(&tiny_png(), JWS, badgemesh_bake::Carrier::Ob3).expect("bakes");
    assert_eq!(sniff(&png), Format::Png);
    assert!(matches!(
        unbake(&png, &limits),
        Ok(Extracted::Baked {
            image: Format::Png,
            ..
        })
    ));
    let svg =
        badgemesh_bake::bake_svg(badge_svg(), JWS, badgemesh_bake::Carrier::Ob3).expect("bakes");
    assert_eq!(sniff(svg.as_bytes()), Format::Svg);
    assert!(matches!(
        unbake(svg.as_bytes(), &limits),
        Ok(Extracted::Baked {
            image: Format::Svg,
            ..
        })
    ));
    assert_eq!(
        unbake(format!(" {OB3_JSON}\n").as_bytes(), &limits),
        Ok(Extracted::Json(OB3_JSON.into()))
    );
    assert_eq!(
        unbake(format!("{JWS}\n").as_bytes(), &limits),
        Ok(Extracted::Jws(JWS.into()))
    );
    assert_eq!(unbake(&[0xd2, 0x84, 0x40], &limits), Ok(Extracted::Native));
    assert_eq!(
        unbake(b"GIF89a", &limits),
        Err(badgemesh_bake::UnbakeError::UnknownFormat)
    );
    assert_eq!(
        unbake(&tiny_png(), &limits),
        Err(badgemesh_bake::UnbakeError::NotBaked)
    );
}
