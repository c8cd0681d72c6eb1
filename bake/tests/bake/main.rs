//! Integration tests of `badgemesh-bake`: one binary, one module per area.

mod jwt_kind;
mod ob2_assertions;
mod ob2_hosted;
mod png_carrier;
mod robustness;
mod svg_carrier;

/// A small OB 3.0 credential (shape only; proofs are not checked here).
pub const OB3_JSON: &str = r#"{"@context":["https://www.w3.org/ns/credentials/v2","https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],"id":"urn:uuid:8f8b0a6e-5b8e-4a36-9d2e-4f3c0e4d6a10","type":["VerifiableCredential","OpenBadgeCredential"],"issuer":{"id":"https://example.org/issuer","type":["Profile"],"name":"Example <&> \"Issuer\""},"validFrom":"2026-01-01T00:00:00Z","credentialSubject":{"type":["AchievementSubject"],"achievement":{"id":"https://example.org/a/1","type":["Achievement"],"name":"Tëst ✓","description":"d","criteria":{"narrative":"n"}}}}"#;

/// A small OB 2.0 hosted assertion.
pub const OB2_JSON: &str = r#"{"@context":"https://w3id.org/openbadges/v2","type":"Assertion","id":"https://example.org/assertions/1?a=1&b=2","recipient":{"type":"email","hashed":true,"salt":"deadsea","identity":"sha256$c934fdacc6242be0277a284970416aa9bfa583241fb85094bc96c504ee0abd4e"},"badge":"https://example.org/badges/5","verification":{"type":"hosted"},"issuedOn":"2016-12-31T23:59:59+00:00"}"#;

/// A syntactically compact JWS (the signature is not checked here).
pub const JWS: &str = "eyJhbGciOiJSUzI1NiJ9.eyJpZCI6InVybjp1dWlkOjEifQ.c2lnbmF0dXJl";

/// The fixture PNG (4×4 RGBA with a `tEXt` comment).
pub fn tiny_png() -> Vec<u8> {
    include_bytes!("../fixtures/tiny.png").to_vec()
}

/// The fixture SVG.
pub fn badge_svg() -> &'static str {
    include_str!("../fixtures/badge.svg")
}
mod qr_codes;
