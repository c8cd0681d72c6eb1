//! The W3C vc-di-ecdsa test vectors (`tests/vectors/w3c-ecdsa/`, see its
//! README): `ecdsa-rdfc-2019` and `ecdsa-jcs-2019` with P-256 and P-384,
//! reproduced from their canonical forms to their signatures, verified
//! through the proof checker, and refused once altered.

use badgemesh_openbadges::jcs::{ECDSA_JCS_2019, canonical_forms};
use badgemesh_openbadges::keys::{KeyType, VerificationKey};
use badgemesh_openbadges::proof::{
    ECDSA_RDFC_2019, ProofOutcome, canonical_forms_sha384, check_proofs, hash_data,
};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha384};

use crate::fixtures::read;
use crate::golden::{doc, w3c_contexts};

/// One vector directory: `dir` under `w3c-ecdsa/`, file names ending in `tag`.
struct Vector {
    dir: &'static str,
    tag: &'static str,
    curve: KeyType,
    suite: &'static str,
}

impl Vector {
    fn hash(&self, text: &str) -> Vec<u8> {
        match self.curve {
            KeyType::P384 => Sha384::digest(text.as_bytes()).to_vec(),
            _ => Sha256::digest(text.as_bytes()).to_vec(),
        }
    }

    fn public_key(&self) -> VerificationKey {
        let pair = match self.curve {
            KeyType::P384 => "w3c-ecdsa/p384KeyPair.json",
            _ => "w3c-ecdsa/p256KeyPair.json",
        };
        let pair: Value = serde_json::from_str(&read(pair)).expect("json");
        let key = VerificationKey::from_multikey(pair["publicKeyMultibase"].as_str().expect("pk"))
            .expect("multikey");
        assert_eq!(key.key_type(), self.curve);
        key
    }
}

const VECTORS: [Vector; 6] = [
    Vector {
        dir: "ecdsa-rdfc-2019-p256",
        tag: "ECDSAP256",
        curve: KeyType::P256,
        suite: ECDSA_RDFC_2019,
    },
    Vector {
        dir: "ecdsa-rdfc-2019-p256/employ",
        tag: "ECDSAP256",
        curve: KeyType::P256,
        suite: ECDSA_RDFC_2019,
    },
    Vector {
        dir: "ecdsa-rdfc-2019-p384",
        tag: "ECDSAP384",
        curve: KeyType::P384,
        suite: ECDSA_RDFC_2019,
    },
    Vector {
        dir: "ecdsa-rdfc-2019-p384/employ",
        tag: "ECDSAP384",
        curve: KeyType::P384,
        suite: ECDSA_RDFC_2019,
    },
    Vector {
        dir: "ecdsa-jcs-2019-p256",
        tag: "JCSECDSAP256",
        curve: KeyType::P256,
        suite: ECDSA_JCS_2019,
    },
    Vector {
        dir: "ecdsa-jcs-2019-p384",
        tag: "JCSECDSAP384",
        curve: KeyType::P384,
        suite: ECDSA_JCS_2019,
    },
];

fn file_name(v: &Vector, stem: &str) -> String {
    // The signed document is `signed<tag>.json`, the rest `<stem><tag>.txt`.
    let ext = if stem == "signed" { "json" } else { "txt" };
    read(&format!("w3c-ecdsa/{}/{stem}{}.{ext}", v.dir, v.tag))
        .trim_end()
        .to_owned()
}

/// The canonical forms, both hashes, the combined hash and the signature of
/// every vector are reproduced, and the public key verifies that signature.
#[test]
fn w3c_ecdsa_vectors_reproduced() {
    let contexts = w3c_contexts();
    for v in &VECTORS {
        let f = |stem: &str| file_name(v, stem);
        let signed = doc(&f("signed"));
        let proof = signed["proof"].as_object().expect("proof").clone();
        assert_eq!(proof["cryptosuite"], Value::from(v.suite), "{}", v.dir);
        let (canonical_proof, canonical_document) = if v.suite == ECDSA_JCS_2019 {
            canonical_forms(&signed, &proof).expect("jcs")
        } else if v.curve == KeyType::P384 {
            canonical_forms_sha384(&signed, &proof, &contexts).expect("rdfc")
        } else {
            let hd = hash_data(&signed, &proof, &contexts).expect("rdfc");
            (hd.canonical_proof, hd.canonical_document)
        };
        assert_eq!(canonical_document.trim_end(), f("canonDoc"), "{}", v.dir);
        assert_eq!(canonical_proof.trim_end(), f("proofCanon"), "{}", v.dir);
        assert_eq!(
            hex::encode(v.hash(&canonical_document)),
            f("docHash"),
            "{}",
            v.dir
        );
        assert_eq!(
            hex::encode(v.hash(&canonical_proof)),
            f("proofHash"),
            "{}",
            v.dir
        );
        let mut combined = v.hash(&canonical_proof);
        combined.extend_from_slice(&v.hash(&canonical_document));
        assert_eq!(hex::encode(&combined), f("combinedHash"), "{}", v.dir);
        let sig = hex::decode(f("sigHex")).expect("hex");
        let (_, from_proof_value) =
            multibase::decode(proof["proofValue"].as_str().expect("proofValue"))
                .expect("multibase");
        assert_eq!(from_proof_value, sig, "{}", v.dir);
        assert_eq!(proof["proofValue"], Value::from(f("sigBTC58")), "{}", v.dir);
        let key = v.public_key();
        assert!(key.verify(&combined, &sig), "{}", v.dir);
        combined[0] ^= 1;
        assert!(!key.verify(&combined, &sig), "{}", v.dir);
    }
}

/// Through the proof checker: every vector verifies for its did:key
/// controller, and fails once its content, proof options or signature is
/// altered, or when the key is named for the wrong curve's suite.
#[test]
fn w3c_ecdsa_vectors_verify_and_tampered_ones_fail() {
    let contexts = w3c_contexts();
    for v in &VECTORS {
        let signed = doc(&file_name(v, "signed"));
        let vm = signed["proof"]["verificationMethod"].as_str().expect("vm");
        let controller = vm.split('#').next().expect("did").to_owned();
        match check_proofs(&signed, &controller, &contexts, None).expect("checked") {
            ProofOutcome::Verified { cryptosuite, .. } => assert_eq!(cryptosuite, v.suite),
            other => panic!("{}: expected verified, got {other:?}", v.dir),
        }
        let invalid = |d: &Map<String, Value>, what: &str| {
            let got = check_proofs(d, &controller, &contexts, None).expect("checked");
            assert!(
                matches!(got, ProofOutcome::Invalid(_)),
                "{} {what}: {got:?}",
                v.dir
            );
        };
        let mut altered = signed.clone();
        altered["description"] = Value::from("Altered.");
        invalid(&altered, "description");
        let mut altered = signed.clone();
        altered["proof"]["created"] = Value::from("2023-02-24T23:36:39Z");
        invalid(&altered, "created");
        let mut altered = signed.clone();
        let pv = signed["proof"]["proofValue"].as_str().expect("pv");
        let (_, mut sig) = multibase::decode(pv).expect("multibase");
        sig[10] ^= 0x40;
        altered["proof"]["proofValue"] =
            Value::from(multibase::encode(multibase::Base::Base58Btc, &sig));
        invalid(&altered, "signature");
        let mut altered = signed.clone();
        altered["proof"]["cryptosuite"] = Value::from("eddsa-rdfc-2022");
        invalid(&altered, "eddsa suite with an ECDSA key");
        // Someone else's issuer: the key's controller is not them.
        assert!(matches!(
            check_proofs(&signed, "did:web:other.example", &contexts, None).expect("checked"),
            ProofOutcome::Invalid(why) if why.contains("controller")
        ));
    }
}

/// The W3C `ecdsa-sd-2023` derived (disclosed) credentials: the proof value
/// parses to the vectors' components, the relabelled canonical N-Quads,
/// the proof and mandatory hashes and the non-mandatory statements are
/// reproduced, the proof verifies for its key's controller, and it fails
/// once a disclosed value, a statement, the proof options or a signature
/// changes.
#[test]
fn w3c_ecdsa_sd_2023_derived_vectors_verify() {
    use badgemesh_openbadges::sd::{create_verify_data, parse_derived_proof_value};
    let contexts = w3c_contexts();
    for dir in ["employ", "prc"] {
        let f = |name: &str| read(&format!("w3c-ecdsa/ecdsa-sd-2023/{dir}/{name}.json"));
        let json = |name: &str| -> Value { serde_json::from_str(&f(name)).expect("json") };
        let signed = doc(&f("derivedRevealDocument"));
        let proof = signed["proof"].as_object().expect("proof").clone();
        let expected = json("verifyDerivedProofValue");
        let parsed =
            parse_derived_proof_value(proof["proofValue"].as_str().expect("pv")).expect("parses");
        assert_eq!(
            hex::encode(&parsed.base_signature),
            expected["baseSignature"],
            "{dir}"
        );
        assert_eq!(
            multibase::encode(multibase::Base::Base58Btc, &parsed.public_key),
            expected["publicKey"].as_str().expect("pk"),
            "{dir}"
        );
        let sigs: Vec<String> = parsed.signatures.iter().map(hex::encode).collect();
        assert_eq!(
            serde_json::to_value(&sigs).expect("json"),
            expected["signatures"]
        );
        for pair in expected["labelMap"].as_array().expect("label map") {
            let (k, v) = (pair[0].as_str().expect("k"), pair[1].as_str().expect("v"));
            assert_eq!(
                parsed.label_map.get(k).map(String::as_str),
                Some(v),
                "{dir} {k}"
            );
        }
        assert_eq!(
            parsed.label_map.len(),
            expected["labelMap"].as_array().map_or(0, Vec::len)
        );
        let indexes: Vec<u64> = parsed.mandatory_indexes.iter().copied().collect();
        assert_eq!(
            serde_json::to_value(&indexes).expect("json"),
            expected["mandatoryIndexes"]
        );

        let canonical_proof = hash_data(&signed, &proof, &contexts)
            .expect("rdfc")
            .canonical_proof;
        let data = create_verify_data(&signed, &proof, &canonical_proof, &contexts)
            .expect("processed")
            .expect("well-formed");
        assert_eq!(
            serde_json::to_value(&data.nquads).expect("json"),
            json("verifyNQuads"),
            "{dir}"
        );
        let vd = json("verifyCreateVerifyData");
        assert_eq!(hex::encode(data.proof_hash), vd["proofHash"], "{dir}");
        assert_eq!(
            hex::encode(data.mandatory_hash),
            vd["mandatoryHash"],
            "{dir}"
        );
        assert_eq!(
            serde_json::to_value(&data.non_mandatory).expect("json"),
            vd["nonMandatory"]
        );

        let vm = proof["verificationMethod"].as_str().expect("vm");
        let controller = vm.split('#').next().expect("did").to_owned();
        match check_proofs(&signed, &controller, &contexts, None).expect("checked") {
            ProofOutcome::Verified { cryptosuite, .. } => assert_eq!(cryptosuite, "ecdsa-sd-2023"),
            other => panic!("{dir}: expected verified, got {other:?}"),
        }
        let invalid = |d: &Map<String, Value>, what: &str| {
            let got = check_proofs(d, &controller, &contexts, None).expect("checked");
            assert!(
                matches!(got, ProofOutcome::Invalid(_)),
                "{dir} {what}: {got:?}"
            );
        };
        let mut altered = signed.clone();
        altered["credentialSubject"]["birthCountry"] = Value::from("Elsewhere");
        invalid(&altered, "a disclosed value");
        let mut altered = signed.clone();
        altered["validFrom"] = Value::from("2000-01-01T00:00:00Z");
        invalid(&altered, "validFrom");
        let mut altered = signed.clone();
        altered["credentialSubject"]
            .as_object_mut()
            .expect("subject")
            .shift_remove("birthCountry");
        invalid(&altered, "a statement left out");
        let mut altered = signed.clone();
        altered["proof"]["created"] = Value::from("2023-08-15T23:36:39Z");
        invalid(&altered, "created");
        let mut altered = signed.clone();
        let pv = proof["proofValue"].as_str().expect("pv");
        let (_, mut bytes) = multibase::decode(pv).expect("multibase");
        bytes[10] ^= 1; // inside the base signature
        altered["proof"]["proofValue"] =
            Value::from(multibase::encode(multibase::Base::Base64Url, &bytes));
        invalid(&altered, "the base signature");
        let mut altered = signed.clone();
        let last = bytes.len() - 40;
        bytes[10] ^= 1;
        bytes[last] ^= 1; // inside a label or signature near the end
        altered["proof"]["proofValue"] =
            Value::from(multibase::encode(multibase::Base::Base64Url, &bytes));
        invalid(&altered, "the tail of the proof value");
        // Another issuer key controls nothing here.
        assert!(matches!(
            check_proofs(&signed, "did:web:other.example", &contexts, None).expect("checked"),
            ProofOutcome::Invalid(why) if why.contains("controller")
        ));
    }
}
