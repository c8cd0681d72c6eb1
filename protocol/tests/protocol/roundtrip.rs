//! Encode/decode round trips for every record type, and bounded decoding of
//! arbitrary bytes.

use badgemesh_protocol::envelope::RecordKind;
use badgemesh_protocol::id::RecordId;
use badgemesh_protocol::keys::{IssuerId, SecretKey};
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use badgemesh_protocol::record::*;
use badgemesh_protocol::time::Timestamp;
use proptest::prelude::*;

fn key() -> SecretKey {
    SecretKey::from_seed(&[3u8; 32]).expect("strong")
}

fn issuer() -> IssuerId {
    IssuerId::from_key(key().public())
}

fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[a-zA-Z0-9é☃][a-zA-Z0-9 éü☃]{{0,{max}}}"))
        .expect("regex")
}

fn opt_text(max: usize) -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text(max))
}

fn id() -> impl Strategy<Value = RecordId> {
    any::<[u8; 32]>().prop_map(RecordId::from_digest)
}

fn time() -> impl Strategy<Value = Timestamp> {
    (0i64..4_000_000_000).prop_map(Timestamp)
}

fn profile() -> impl Strategy<Value = Record> {
    (
        1u64..1000,
        text(40),
        opt_text(60),
        opt_text(40),
        opt_text(200),
        opt_text(60),
        time(),
        opt_text(60),
    )
        .prop_map(|(seq, name, url, email, description, image, at, base)| {
            Record::IssuerProfile(IssuerProfile {
                issuer: issuer(),
                seq,
                name,
                url,
                email,
                description,
                image,
                at,
                public_base_url: base,
            })
        })
}

fn badge_class() -> impl Strategy<Value = Record> {
    let alignment = (text(20), text(40), opt_text(40), opt_text(20), opt_text(10)).prop_map(
        |(target_name, target_url, target_description, target_framework, target_code)| Alignment {
            target_name,
            target_url,
            target_description,
            target_framework,
            target_code,
        },
    );
    (
        text(40),
        text(300),
        text(200),
        opt_text(60),
        proptest::option::of((text(60), proptest::option::of(any::<[u8; 32]>()))),
        proptest::collection::vec(alignment, 0..4),
        proptest::collection::vec(text(16), 0..6),
        proptest::collection::vec(id(), 0..4),
        time(),
    )
        .prop_map(
            |(name, description, narrative, url, image, alignments, tags, related, at)| {
                Record::BadgeClass(BadgeClass {
                    issuer: issuer(),
                    name,
                    description,
                    criteria: Criteria {
                        narrative: Some(narrative),
                        url,
                    },
                    image: image.map(|(uri, digest)| ImageRef { uri, digest }),
                    alignments,
                    tags,
                    related,
                    at,
                })
            },
        )
}

fn assertion() -> impl Strategy<Value = Record> {
    let recipient = prop_oneof![
        (text(30), text(10)).prop_map(|(email, salt)| Recipient::Hashed(IdentityHash::new(
            EMAIL_IDENTITY_TYPE,
            &email,
            &salt
        ))),
        text(30).prop_map(|s| Recipient::Did(format!("did:example:{}", s.replace(' ', "")))),
    ];
    let evidence =
        (opt_text(40), opt_text(100)).prop_map(|(url, narrative)| Evidence { url, narrative });
    (
        id(),
        recipient,
        time(),
        proptest::option::of(1i64..1_000_000),
        proptest::collection::vec(evidence, 0..3),
        opt_text(100),
        0u32..1_000_000,
    )
        .prop_map(
            |(badge, recipient, issued_on, exp, evidence, narrative, status_index)| {
                Record::Assertion(Assertion {
                    issuer: issuer(),
                    badge,
                    recipient,
                    issued_on,
                    expires: exp.map(|d| issued_on.plus(d)),
                    evidence,
                    narrative,
                    status_index,
                })
            },
        )
}

fn revocation() -> impl Strategy<Value = Record> {
    (
        1u64..100,
        id(),
        time(),
        proptest::collection::btree_set(0u32..200_000, 1..50),
        opt_text(30),
    )
        .prop_map(|(seq, prev, at, set, reason)| {
            let revoked: Vec<u32> = set.into_iter().collect();
            let reasons = reason
                .map(|r| {
                    vec![RevocationReason {
                        index: revoked[0],
                        reason: r,
                    }]
                })
                .unwrap_or_default();
            Record::RevocationUpdate(RevocationUpdate {
                issuer: issuer(),
                seq,
                prev: (seq > 1).then_some(prev),
                at,
                next_update: at.plus(3600),
                revoked,
                reasons,
            })
        })
}

fn head() -> impl Strategy<Value = Record> {
    (0u64..100, id(), time()).prop_map(|(seq, latest, at)| {
        Record::Head(Head {
            issuer: issuer(),
            seq,
            latest: (seq > 0).then_some(latest),
            at,
            next_update: at.plus(60),
        })
    })
}

fn key_event() -> impl Strategy<Value = Record> {
    (any::<[u8; 32]>(), time()).prop_map(|(next, at)| {
        Record::KeyEvent(Box::new(KeyEvent {
            issuer: issuer(),
            seq: 0,
            prev: None,
            key: *key().public(),
            next_key_digest: next,
            at,
        }))
    })
}

fn endorsement() -> impl Strategy<Value = Record> {
    let subject = prop_oneof![
        id().prop_map(EndorsementSubject::BadgeClass),
        any::<[u8; 32]>().prop_map(|b| {
            let k = SecretKey::from_seed(&b).unwrap_or_else(|_| key());
            EndorsementSubject::Issuer(IssuerId::from_key(k.public()))
        }),
        id().prop_map(EndorsementSubject::Assertion),
    ];
    (
        subject,
        text(300),
        opt_text(40),
        time(),
        proptest::option::of(1i64..100_000_000),
        0u32..(1 << 24),
    )
        .prop_filter("not an endorsement of itself", |(s, ..)| {
            *s != EndorsementSubject::Issuer(issuer())
        })
        .prop_map(|(subject, comment, name, at, until, status_index)| {
            Record::Endorsement(Endorsement {
                issuer: issuer(),
                subject,
                comment,
                at,
                valid_until: until.map(|d| at.plus(d)),
                status_index,
                name,
            })
        })
}

fn any_record() -> impl Strategy<Value = Record> {
    prop_oneof![
        endorsement(),
        profile(),
        badge_class(),
        assertion(),
        revocation(),
        head(),
        key_event()
    ]
}

proptest! {
    #[test]
    fn payload_round_trip(record in any_record()) {
        let payload = record.to_payload();
        prop_assert_eq!(Record::from_payload(record.kind(), &payload).expect("decodes"), record.clone());
        // Deterministic: encoding twice gives the same bytes.
        prop_assert_eq!(record.to_payload(), payload);
    }

    #[test]
    fn signed_round_trip(record in any_record()) {
        let signed = SignedRecord::sign(record.clone(), &key()).expect("well-formed");
        let decoded = SignedRecord::decode(signed.bytes(), MAX_ENVELOPE_BYTES).expect("verifies");
        prop_assert_eq!(decoded.record(), &record);
        prop_assert_eq!(decoded.id(), signed.id());
    }

    #[test]
    fn any_single_bit_flip_of_a_signed_record_fails(record in any_record(), bit in any::<usize>()) {
        let signed = SignedRecord::sign(record, &key()).expect("well-formed");
        let mut bytes = signed.bytes().to_vec();
        let bit = bit % (bytes.len() * 8);
        bytes[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(SignedRecord::decode(&bytes, MAX_ENVELOPE_BYTES).is_err());
    }

    /// Decoding many at once (batched signatures) gives exactly what
    /// decoding one by one gives, whichever records are damaged.
    #[test]
    fn decoding_many_agrees_with_decoding_each(
        records in proptest::collection::vec(any_record(), 1..100),
        flips in proptest::collection::vec(any::<usize>(), 0..4),
    ) {
        let mut all: Vec<Vec<u8>> = records
            .into_iter()
            .map(|r| SignedRecord::sign(r, &key()).expect("well-formed").bytes().to_vec())
            .collect();
        let n = all.len();
        for f in flips {
            let bytes = &mut all[f % n];
            let bit = (f / n) % (bytes.len() * 8);
            bytes[bit / 8] ^= 1 << (bit % 8);
        }
        all.push(b"not an envelope".to_vec());
        let refs: Vec<&[u8]> = all.iter().map(Vec::as_slice).collect();
        let many = SignedRecord::decode_many(&refs, MAX_ENVELOPE_BYTES);
        prop_assert_eq!(many.len(), refs.len());
        for (m, bytes) in many.iter().zip(&refs) {
            let one = SignedRecord::decode(bytes, MAX_ENVELOPE_BYTES);
            match (m, one) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a.id(), b.id()),
                (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
                (a, b) => prop_assert!(false, "many {:?} but one {:?}", a.is_ok(), b.is_ok()),
            }
        }
    }

    #[test]
    fn decoding_arbitrary_payloads_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600), k in 0usize..RecordKind::ALL.len()) {
        let _ = Record::from_payload(RecordKind::ALL[k], &bytes);
    }

    #[test]
    fn decoding_arbitrary_envelopes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = SignedRecord::decode(&bytes, MAX_ENVELOPE_BYTES);
    }
}

#[test]
fn oversized_input_is_refused_before_decoding() {
    let big = vec![0u8; MAX_ENVELOPE_BYTES + 1];
    assert!(matches!(
        SignedRecord::decode(&big, usize::MAX),
        Err(RecordError::Envelope(
            badgemesh_protocol::envelope::EnvelopeError::TooLarge { .. }
        ))
    ));
}

#[test]
fn shape_rules_are_enforced_on_decode() {
    let bad = RevocationUpdate {
        issuer: issuer(),
        seq: 2,
        prev: None,
        at: Timestamp(0),
        next_update: Timestamp(0),
        revoked: vec![3, 1],
        reasons: vec![],
    };
    assert!(matches!(
        SignedRecord::sign(Record::RevocationUpdate(bad), &key()),
        Err(RecordError::Shape { .. })
    ));
}

#[test]
fn endorsement_shape_rules() {
    let base = Endorsement {
        issuer: issuer(),
        subject: EndorsementSubject::BadgeClass(RecordId::from_digest([1; 32])),
        comment: "Meets our hiring bar".into(),
        at: Timestamp(1_800_000_000),
        valid_until: None,
        status_index: 0,
        name: None,
    };
    assert!(SignedRecord::sign(Record::Endorsement(base.clone()), &key()).is_ok());
    let cases = [
        Endorsement {
            subject: EndorsementSubject::Issuer(issuer()),
            ..base.clone()
        },
        Endorsement {
            valid_until: Some(base.at),
            ..base.clone()
        },
        Endorsement {
            comment: "x".repeat(9 * 1024),
            ..base.clone()
        },
        Endorsement {
            status_index: 1 << 24,
            ..base.clone()
        },
        Endorsement {
            name: Some(" ".into()),
            ..base.clone()
        },
    ];
    for bad in cases {
        assert!(
            matches!(
                SignedRecord::sign(Record::Endorsement(bad.clone()), &key()),
                Err(RecordError::Shape { .. })
            ),
            "{bad:?}"
        );
    }
}
