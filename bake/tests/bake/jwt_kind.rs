//! OB 3.0 VC-JWTs in images: found in either generation's carrier and told
//! apart from OB 2.0 signed assertions by their content, so they are never
//! verified as OB 2.0.

use badgemesh_bake::{BadgeKind, Carrier, Extracted, Found, Limits, bake_png, bake_svg, unbake};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{OB2_JSON, OB3_JSON, badge_svg, tiny_png};

/// A compact JWS over `payload` (the signature is not checked here).
fn jws(header: &str, payload: &str) -> String {
    format!(
        "{}.{}.c2lnbmF0dXJl",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    )
}

/// VC 1.1 form: the credential in `vc`.
fn vc_claim_jwt() -> String {
    jws(
        r#"{"alg":"RS256","typ":"JWT"}"#,
        &format!(r#"{{"iss":"https://example.org/issuer","nbf":1767225600,"vc":{OB3_JSON}}}"#),
    )
}

/// VC-JOSE form: the payload is the credential.
fn vc_jose_jwt() -> String {
    jws(r#"{"alg":"ES256","typ":"vc+jwt"}"#, OB3_JSON)
}

/// An OB 2.0 signed assertion.
fn ob2_jws() -> String {
    jws(r#"{"alg":"RS256"}"#, OB2_JSON)
}

fn kind_in_png(carrier: Carrier, text: &str) -> (Found, BadgeKind) {
    let png = bake_png(&tiny_png(), text, carrier).expect("bakes");
    match unbake(&png, &Limits::default()).expect("unbakes") {
        Extracted::Baked { baked, .. } => (baked.carrier, baked.kind()),
        other => panic!("not baked: {other:?}"),
    }
}

#[test]
fn a_vc_jwt_in_a_png_is_ob3_in_either_carrier() {
    for token in [vc_claim_jwt(), vc_jose_jwt()] {
        // The OB 2.0 `openbadges` chunk, as older bakers wrote OB 3.0 JWTs.
        assert_eq!(
            kind_in_png(Carrier::Ob2, &token),
            (Found::Ob2, BadgeKind::Ob3Jwt)
        );
        // The OB 3.0 `openbadgecredential` chunk.
        assert_eq!(
            kind_in_png(Carrier::Ob3, &token),
            (Found::Ob3, BadgeKind::Ob3Jwt)
        );
    }
    // An OB 2.0 signed assertion stays OB 2.0, and JSON is told apart too.
    assert_eq!(
        kind_in_png(Carrier::Ob2, &ob2_jws()),
        (Found::Ob2, BadgeKind::Ob2Jws)
    );
    assert_eq!(
        kind_in_png(Carrier::Ob2, OB2_JSON),
        (Found::Ob2, BadgeKind::Ob2Json)
    );
    assert_eq!(
        kind_in_png(Carrier::Ob3, OB3_JSON),
        (Found::Ob3, BadgeKind::Ob3Json)
    );
}

#[test]
fn a_vc_jwt_in_an_svg_credential_element_is_ob3() {
    let kind = |svg: &str| match unbake(svg.as_bytes(), &Limits::default()).expect("unbakes") {
        Extracted::Baked { baked, .. } => baked.kind(),
        other => panic!("not baked: {other:?}"),
    };
    // As the OB 3.0 baking section says: the `verify` attribute.
    let baked = bake_svg(badge_svg(), &vc_claim_jwt(), Carrier::Ob3).expect("bakes");
    assert_eq!(kind(&baked), BadgeKind::Ob3Jwt);
    // As text content of <openbadges:credential>.
    let text = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential>{}</openbadges:credential></svg>"#,
        vc_jose_jwt()
    );
    assert_eq!(kind(&text), BadgeKind::Ob3Jwt);
    // In the OB 2.0 element, still OB 3.0 by its content.
    let baked = bake_svg(badge_svg(), &vc_jose_jwt(), Carrier::Ob2).expect("bakes");
    assert_eq!(kind(&baked), BadgeKind::Ob3Jwt);
    let baked = bake_svg(badge_svg(), &ob2_jws(), Carrier::Ob2).expect("bakes");
    assert_eq!(kind(&baked), BadgeKind::Ob2Jws);
}

#[test]
fn a_bare_vc_jwt_is_ob3() {
    let token = vc_claim_jwt();
    let found = unbake(format!("\n{token}\n").as_bytes(), &Limits::default()).expect("reads");
    assert_eq!(found, Extracted::Jws(token));
    assert_eq!(found.kind(), BadgeKind::Ob3Jwt);
    let found = unbake(ob2_jws().as_bytes(), &Limits::default()).expect("reads");
    assert_eq!(found.kind(), BadgeKind::Ob2Jws);
    let found = unbake(OB3_JSON.as_bytes(), &Limits::default()).expect("reads");
    assert_eq!(found.kind(), BadgeKind::Ob3Json);
}
