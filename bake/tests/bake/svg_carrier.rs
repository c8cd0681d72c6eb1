//! SVG baking and unbaking.

use badgemesh_bake::{BakeError, Carrier, Found, Limits, UnbakeError, bake_svg, unbake_svg};

use super::{JWS, OB2_JSON, OB3_JSON, badge_svg};

fn unbake(svg: &str) -> Result<badgemesh_bake::Baked, UnbakeError> {
    unbake_svg(svg.as_bytes(), &Limits::default())
}

#[test]
fn bake_then_unbake_round_trips_for_both_carriers_and_payload_forms() {
    for (kind, found) in [(Carrier::Ob3, Found::Ob3), (Carrier::Ob2, Found::Ob2)] {
        for payload in [OB3_JSON, OB2_JSON, JWS] {
            let baked = bake_svg(badge_svg(), payload, kind).expect("bakes");
            let got = unbake(&baked).expect("unbakes");
            assert_eq!(got.carrier, found);
            assert_eq!(got.text, payload);
        }
    }
}

#[test]
fn ob3_json_is_cdata_directly_after_the_root_tag() {
    let baked = bake_svg(badge_svg(), OB3_JSON, Carrier::Ob3).expect("bakes");
    let expected_root = r#"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential><![CDATA["#;
    assert!(baked.contains(expected_root), "{baked}");
    // Everything else is untouched.
    let (head, _) = badge_svg().split_once("<svg").expect("root");
    assert!(baked.starts_with(head));
    let (_, tail) = badge_svg().split_once("0 0 64 64\">").expect("root end");
    assert!(baked.ends_with(tail));
}

#[test]
fn jws_goes_in_the_verify_attribute_of_a_self_closing_element() {
    let baked = bake_svg(badge_svg(), JWS, Carrier::Ob3).expect("bakes");
    assert!(baked.contains(&format!(r#"<openbadges:credential verify="{JWS}"/>"#)));
    let got = unbake(&baked).expect("unbakes");
    assert_eq!(got.verify.as_deref(), Some(JWS));
    let baked = bake_svg(badge_svg(), JWS, Carrier::Ob2).expect("bakes");
    assert!(baked.contains(r#"xmlns:openbadges="http://openbadges.org""#));
    assert!(baked.contains(&format!(r#"<openbadges:assertion verify="{JWS}"/>"#)));
}

#[test]
fn ob2_json_has_its_id_in_verify_and_json_in_cdata() {
    let baked = bake_svg(badge_svg(), OB2_JSON, Carrier::Ob2).expect("bakes");
    assert!(baked.contains(
        r#"<openbadges:assertion verify="https://example.org/assertions/1?a=1&amp;b=2"><![CDATA["#
    ));
    let got = unbake(&baked).expect("unbakes");
    assert_eq!(got.carrier, Found::Ob2);
    assert_eq!(got.text, OB2_JSON);
    assert_eq!(
        got.verify.as_deref(),
        Some("https://example.org/assertions/1?a=1&b=2")
    );
    assert_eq!(
        bake_svg(badge_svg(), r#"{"type":"Assertion"}"#, Carrier::Ob2),
        Err(BakeError::MissingAssertionId)
    );
}

#[test]
fn cdata_terminator_in_the_payload_is_split_and_reads_back() {
    let payload = r#"{"name":"a]]>b]]]]>c"}"#;
    let baked = bake_svg(badge_svg(), payload, Carrier::Ob3).expect("bakes");
    assert_eq!(unbake(&baked).expect("unbakes").text, payload);
}

#[test]
fn refuses_a_second_carrier() {
    let once = bake_svg(badge_svg(), OB3_JSON, Carrier::Ob3).expect("bakes");
    assert_eq!(
        bake_svg(&once, JWS, Carrier::Ob3),
        Err(BakeError::AlreadyBaked)
    );
    assert_eq!(
        bake_svg(&once, OB2_JSON, Carrier::Ob2),
        Err(BakeError::AlreadyBaked)
    );
}

#[test]
fn self_closing_root_is_opened() {
    let baked = bake_svg(
        r#"<svg xmlns="http://www.w3.org/2000/svg"/>"#,
        JWS,
        Carrier::Ob3,
    )
    .expect("bakes");
    assert_eq!(
        baked,
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential verify="{JWS}"/></svg>"#
        )
    );
    assert_eq!(unbake(&baked).expect("unbakes").text, JWS);
}

#[test]
fn existing_binding_is_reused_and_a_conflicting_one_refused() {
    let bound = r#"<svg xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"></svg>"#;
    let baked = bake_svg(bound, JWS, Carrier::Ob3).expect("bakes");
    assert_eq!(baked.matches("xmlns:openbadges").count(), 1);
    assert_eq!(
        bake_svg(bound, JWS, Carrier::Ob2),
        Err(BakeError::PrefixTaken)
    );
}

#[test]
fn refuses_documents_that_are_not_svg() {
    assert!(matches!(
        bake_svg("<html></html>", JWS, Carrier::Ob3),
        Err(BakeError::InvalidSvg(_))
    ));
    assert!(matches!(
        bake_svg("<svg><g></svg>", JWS, Carrier::Ob3),
        Err(BakeError::InvalidSvg(_))
    ));
    assert!(matches!(
        bake_svg("", JWS, Carrier::Ob3),
        Err(BakeError::InvalidSvg(_))
    ));
}

#[test]
fn namespace_declared_on_the_element_with_any_prefix() {
    let svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg"><ob:credential xmlns:ob="https://purl.imsglobal.org/ob/v3p0"><![CDATA[{OB3_JSON}]]></ob:credential></svg>"#
    );
    let got = unbake(&svg).expect("unbakes");
    assert_eq!((got.carrier, got.text.as_str()), (Found::Ob3, OB3_JSON));
}

#[test]
fn default_namespace_binding_is_recognised() {
    let svg = format!(r#"<svg><assertion xmlns="http://openbadges.org" verify="{JWS}"/></svg>"#);
    let got = unbake(&svg).expect("unbakes");
    assert_eq!((got.carrier, got.text.as_str()), (Found::Ob2, JWS));
}

#[test]
fn escaped_text_instead_of_cdata() {
    let escaped = OB3_JSON
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('✓', "&#x2713;");
    let svg = format!(
        "<svg xmlns:openbadges=\"https://purl.imsglobal.org/ob/v3p0\">\n  <openbadges:credential>\n    {escaped}\n  </openbadges:credential>\n</svg>"
    );
    assert_eq!(unbake(&svg).expect("unbakes").text, OB3_JSON);
}

#[test]
fn the_wrong_namespace_or_name_is_not_a_carrier() {
    let svg = r#"<svg xmlns:openbadges="https://example.org/other"><openbadges:credential verify="x"/><credential verify="y"/></svg>"#;
    assert_eq!(unbake(svg), Err(UnbakeError::NotBaked));
    let svg = r#"<svg xmlns:ob="http://openbadges.org"><ob:other verify="x"/></svg>"#;
    assert_eq!(unbake(svg), Err(UnbakeError::NotBaked));
}

#[test]
fn entities_are_never_expanded() {
    let svg = r#"<?xml version="1.0"?>
<!DOCTYPE svg [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> <!ENTITY lol "lol"> ]>
<svg xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential>&xxe;</openbadges:credential></svg>"#;
    assert_eq!(unbake(svg), Err(UnbakeError::UnknownEntity("xxe".into())));
}

#[test]
fn malformed_carriers_are_errors() {
    let empty = r#"<svg xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential/></svg>"#;
    assert!(matches!(
        unbake(empty),
        Err(UnbakeError::MalformedCarrier(_))
    ));
    let nested = r#"<svg xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential><g/></openbadges:credential></svg>"#;
    assert!(matches!(
        unbake(nested),
        Err(UnbakeError::MalformedCarrier(_))
    ));
    let unclosed =
        r#"<svg xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential>{}"#;
    assert!(matches!(
        unbake(unclosed),
        Err(UnbakeError::InvalidSvg { .. })
    ));
}

#[test]
fn depth_and_size_are_bounded() {
    let deep = format!("<svg>{}", "<g>".repeat(1000));
    assert_eq!(unbake(&deep), Err(UnbakeError::TooDeep { max: 256 }));
    let baked = bake_svg(badge_svg(), OB3_JSON, Carrier::Ob3).expect("bakes");
    let mut limits = Limits::default();
    limits.max_text = 10;
    assert!(matches!(
        unbake_svg(baked.as_bytes(), &limits),
        Err(UnbakeError::TextTooLarge { .. })
    ));
    limits.max_input = 10;
    assert!(matches!(
        unbake_svg(baked.as_bytes(), &limits),
        Err(UnbakeError::TooLarge { .. })
    ));
}

#[test]
fn truncated_documents_are_errors() {
    let baked = bake_svg(badge_svg(), OB3_JSON, Carrier::Ob3).expect("bakes");
    let cut = baked.find("]]>").expect("cdata end");
    for len in 0..cut {
        if baked.is_char_boundary(len) {
            assert!(unbake(&baked[..len]).is_err(), "prefix {len}");
        }
    }
}

#[test]
fn byte_order_mark_and_gt_in_attribute_values() {
    // Found by fuzzing: positions were off by the BOM's length, which put the
    // carrier inside an attribute value containing `>`.
    let svg = "\u{feff}<svg xmlns=\"http://www.w3.org/2000/svg\" data-x=\"a>b\"><g/></svg>";
    for kind in [Carrier::Ob3, Carrier::Ob2] {
        let baked = bake_svg(svg, OB2_JSON, kind).expect("bakes");
        assert!(baked.starts_with(
            "\u{feff}<svg xmlns=\"http://www.w3.org/2000/svg\" data-x=\"a>b\" xmlns:openbadges="
        ));
        assert!(baked.ends_with("<g/></svg>"));
        assert_eq!(unbake(&baked).expect("unbakes").text, OB2_JSON);
    }
}
