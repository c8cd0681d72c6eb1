//! What a client sends to the HTTP API besides badges to verify: the admin
//! JSON bodies (issuer and profile, badge classes, awards, revocations,
//! rotation, OB 3.0 export, endorsements), the query strings of verify and export, and
//! record ids and DIDs in paths. The first byte picks the route; the rest goes
//! through the node's own decoding functions (`api::bodies`, which the routes
//! call). Checks: nothing panics; every refusal is a 4xx, never a 500; what
//! decodes and the issuer signs is a record that decodes again within the
//! envelope limit (so the node never stores or hands out a record other nodes
//! refuse); a parsed id prints and parses back to itself.
#![no_main]
use axum::extract::Query;
use axum::http::Uri;
use badgemesh_node::api::ApiError;
use badgemesh_node::api::bodies::{
    self, AwardBody, BadgeBody, EndorseBody, ExportBody, ExportQuery, ProfileBody, RevokeBody,
    VerifyQuery,
};
use badgemesh_node::issuer::reasons_for;
use badgemesh_protocol::issuance::{IssueError, Issuer};
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use badgemesh_protocol::record::SignedRecord;
use badgemesh_protocol::time::Timestamp;
use libfuzzer_sys::fuzz_target;

/// A refusal must be the client's fault.
fn ok<T>(r: Result<T, ApiError>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            assert!(
                e.status.is_client_error(),
                "{} {}: {}",
                e.status,
                e.code,
                e.message
            );
            None
        }
    }
}

/// What the issuer signs decodes again (a shape error is a 400, also fine).
fn signed(rec: Result<SignedRecord, IssueError>) {
    if let Ok(rec) = rec {
        let again = SignedRecord::decode(rec.bytes(), MAX_ENVELOPE_BYTES)
            .unwrap_or_else(|e| panic!("the node signed a record that does not decode: {e}"));
        assert_eq!(again.id(), rec.id());
    }
}

fn query<T: serde::de::DeserializeOwned>(path: &str, text: &str) -> Option<T> {
    let uri: Uri = format!("{path}?{text}").parse().ok()?;
    ok(Query::<T>::try_from_uri(&uri).map_err(ApiError::from)).map(|Query(q)| q)
}

fuzz_target!(|data: &[u8]| {
    let Some((&route, body)) = data.split_first() else {
        return;
    };
    let now = Timestamp(1_800_000_000);
    let text = std::str::from_utf8(body).ok();
    match route % 10 {
        0 => {
            if let Some(b) = ok(bodies::json::<ProfileBody>(body)) {
                let (mut issuer, _) = Issuer::incept(&[1; 32], &[2; 32], now).expect("incept");
                signed(issuer.profile(b.into_profile(), now));
            }
        }
        1 => {
            if let Some(badge) =
                ok(bodies::json::<BadgeBody>(body)).and_then(|b| ok(b.into_badge()))
            {
                let (issuer, _) = Issuer::incept(&[1; 32], &[2; 32], now).expect("incept");
                signed(issuer.badge_class(badge, now));
            }
        }
        2 => {
            if let Some(a) = ok(bodies::json::<AwardBody>(body)).and_then(|b| ok(b.into_request()))
            {
                let (mut issuer, _) = Issuer::incept(&[1; 32], &[2; 32], now).expect("incept");
                signed(issuer.award(
                    a.badge,
                    a.recipient,
                    now,
                    a.expires,
                    a.evidence,
                    a.narrative,
                ));
            }
        }
        3 => {
            if let Some(r) = ok(bodies::json::<RevokeBody>(body)).and_then(|b| ok(b.into_request()))
            {
                let (mut issuer, _) = Issuer::incept(&[1; 32], &[2; 32], now).expect("incept");
                let reasons = reasons_for(&r.indices, r.reason);
                signed(issuer.revoke(r.indices, reasons, now, now.plus(3600)));
            }
        }
        4 => {
            let _ = ok(bodies::rotate(body));
        }
        5 => {
            if let Some(b) = ok(bodies::json::<ExportBody>(body)) {
                let _ = ok(b.assertion());
            }
        }
        6 => {
            if let Some(q) = text.and_then(|t| query::<VerifyQuery>("/v1/verify", t)) {
                let _ = ok(q.at());
            }
        }
        7 => {
            if let Some(q) = text.and_then(|t| query::<ExportQuery>("/v1/export", t)) {
                let _ = ok(q.issuers());
                let _ = ok(q.after());
                let _ = q.limit();
            }
        }
        8 => {
            if let Some(e) =
                ok(bodies::json::<EndorseBody>(body)).and_then(|b| ok(b.into_request()))
            {
                let (mut issuer, _) = Issuer::incept(&[1; 32], &[2; 32], now).expect("incept");
                signed(issuer.endorse(e.subject, e.comment, e.name, e.valid_until, now));
            }
        }
        _ => {
            let Some(t) = text else { return };
            if let Some(id) = ok(bodies::parse_id("assertion", t)) {
                assert_eq!(ok(bodies::parse_id("assertion", &id.to_string())), Some(id));
            }
            if let Some(did) = ok(bodies::parse_did(t)) {
                assert_eq!(ok(bodies::parse_did(&did.to_string())), Some(did));
            }
        }
    }
});
