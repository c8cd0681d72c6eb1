//! Golden vectors, byte for byte: the 1EdTech OB 3.0 linked-data proof
//! vector and the W3C vc-di-eddsa eddsa-rdfc-2022 vectors.

use badgemesh_openbadges::contexts::ContextSet;
use badgemesh_openbadges::credential::{
    CheckName, CheckStatus, Outcome, VerifyOptions, verify_credential,
};
use badgemesh_openbadges::json::prepass;
use badgemesh_openbadges::proof::{hash_data, sign, verify_with_key};
use badgemesh_protocol::keys::{PublicKey, SecretKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::fixtures::{T0, read};

pub fn doc(text: &str) -> Map<String, Value> {
    let mut v: Value = serde_json::from_str(text).expect("json");
    prepass(&mut v).expect("prepass");
    match v {
        Value::Object(m) => m,
        _ => panic!("not an object"),
    }
}

fn hex32(text: &str) -> [u8; 32] {
    hex::decode(text.trim())
        .expect("hex")
        .try_into()
        .expect("32 bytes")
}

#[test]
fn one_edtech_ob3_vector_reproduced_byte_for_byte() {
    let v: Value = serde_json::from_str(&read("1edtech-ob3/vector.json")).expect("json");
    let s = |k: &str| v[k].as_str().expect(k).to_owned();
    let signed = doc(&read("1edtech-ob3/signed.json"));
    let proof = signed["proof"].as_object().expect("proof").clone();
    let contexts = ContextSet::pinned();

    let hd = hash_data(&signed, &proof, &contexts).expect("hash data");
    assert_eq!(hd.canonical_document, read("1edtech-ob3/document-canon.nq"));
    assert_eq!(hd.canonical_proof, read("1edtech-ob3/proof-canon.nq"));
    assert_eq!(
        hex::encode(Sha256::digest(&hd.canonical_document)),
        s("documentHashHex")
    );
    assert_eq!(
        hex::encode(Sha256::digest(&hd.canonical_proof)),
        s("proofHashHex")
    );
    assert_eq!(&hd.message[..32], &hex32(&s("proofHashHex")));
    assert_eq!(&hd.message[32..], &hex32(&s("documentHashHex")));

    // Signing reproduces the signature and the proofValue.
    let key = SecretKey::from_seed(&hex32(&s("secretSeedHex"))).expect("key");
    assert_eq!(key.public().as_bytes(), &hex32(&s("publicKeyHex")));
    assert_eq!(hex::encode(key.sign(&hd.message)), s("signatureHex"));
    let mut unsigned = signed.clone();
    let mut options = proof.clone();
    options.shift_remove("proofValue");
    sign(&mut unsigned, options, &key, &contexts).expect("sign");
    assert_eq!(
        unsigned["proof"]["proofValue"],
        Value::from(s("proofValue"))
    );
    assert_eq!(unsigned, signed);

    let public = PublicKey::from_bytes(&hex32(&s("publicKeyHex"))).expect("key");
    assert!(verify_with_key(&signed, &proof, &public, &contexts).expect("verify"));

    // Through the OB verifier: its key is the multikey in the fragment of the
    // issuer's URL, so the signature verifies offline (who controls that URL
    // is the trust question, answered apart).
    let verdict = verify_credential(
        read("1edtech-ob3/signed.json").as_bytes(),
        T0,
        &VerifyOptions::default(),
    )
    .expect("verify");
    assert_eq!(
        verdict.check(CheckName::Structure).map(|c| c.status),
        Some(CheckStatus::Pass)
    );
    assert_eq!(
        verdict.check(CheckName::Proof).map(|c| c.status),
        Some(CheckStatus::Pass),
        "{verdict:?}"
    );
    assert_eq!(verdict.outcome, Outcome::Valid);
}

/// The 1EdTech credential with its verification method, issuer or name
/// changed: what must come out invalid, not undecided.
#[test]
fn one_edtech_vector_altered_is_invalid() {
    let signed = doc(&read("1edtech-ob3/signed.json"));
    let key = signed["proof"]["verificationMethod"]
        .as_str()
        .expect("vm")
        .to_owned();
    let fragment = key.split_once('#').expect("fragment").1.to_owned();
    let with = |f: &dyn Fn(&mut Map<String, Value>)| {
        let mut d = signed.clone();
        f(&mut d);
        let bytes = serde_json::to_vec(&Value::Object(d)).expect("json");
        verify_credential(&bytes, T0, &VerifyOptions::default()).expect("verify")
    };
    let set_vm = |vm: String| {
        move |d: &mut Map<String, Value>| {
            d["proof"]["verificationMethod"] = Value::from(vm.clone());
        }
    };
    for vm in [
        fragment.clone(),
        "xxx:".to_owned(),
        format!("did:example:123#{fragment}"),
        format!("https://other.example/issuers/1#{fragment}"),
    ] {
        let v = with(&set_vm(vm.clone()));
        assert_eq!(v.outcome, Outcome::Invalid, "{vm}: {v:?}");
        assert_eq!(
            v.check(CheckName::Proof).map(|c| c.status),
            Some(CheckStatus::Fail),
            "{vm}"
        );
    }
    let renamed = with(&|d| {
        d["name"] = Value::from("Altered");
    });
    assert_eq!(renamed.outcome, Outcome::Invalid);
}

pub fn w3c_contexts() -> ContextSet {
    ContextSet::pinned()
        .with_extra(
            "https://www.w3.org/ns/credentials/examples/v2",
            &read("w3c-eddsa-rdfc-2022/contexts/credentials-examples-v2.jsonld"),
        )
        .with_extra(
            "https://w3id.org/citizenship/v4rc1",
            &read("w3c-eddsa-rdfc-2022/contexts/citizenship-v4rc1.jsonld"),
        )
}

fn w3c_key() -> SecretKey {
    let kp: Value = serde_json::from_str(&read("w3c-eddsa-rdfc-2022/keyPair.json")).expect("json");
    let sk = kp["privateKeyMultibase"].as_str().expect("sk");
    let (_, bytes) = multibase::decode(sk).expect("multibase");
    assert_eq!(&bytes[..2], &[0x80, 0x26], "ed25519-priv multicodec");
    let seed: [u8; 32] = bytes[2..].try_into().expect("32 bytes");
    let key = SecretKey::from_seed(&seed).expect("key");
    assert_eq!(
        key.public().to_multibase(),
        kp["publicKeyMultibase"].as_str().expect("pk")
    );
    key
}

/// Checks one vc-di-eddsa vector directory; `tag` is the suffix of its
/// file names (`DataInt` for eddsa-rdfc-2022, `EdSig` for Ed25519Signature2020).
fn check_w3c(dir: &str, tag: &str) {
    let contexts = w3c_contexts();
    let f = |name: &str| read(&format!("{dir}/{}", name.replace("DataInt", tag)));
    let signed = doc(&f("signedDataInt.json"));
    let proof = signed["proof"].as_object().expect("proof").clone();
    let hd = hash_data(&signed, &proof, &contexts).expect("hash data");
    assert_eq!(
        hd.canonical_document.trim_end(),
        f("canonDocDataInt.txt").trim_end()
    );
    assert_eq!(
        hd.canonical_proof.trim_end(),
        f("proofCanonDataInt.txt").trim_end()
    );
    assert_eq!(
        hex::encode(Sha256::digest(&hd.canonical_document)),
        f("docHashDataInt.txt").trim()
    );
    assert_eq!(
        hex::encode(Sha256::digest(&hd.canonical_proof)),
        f("proofHashDataInt.txt").trim()
    );
    assert_eq!(hex::encode(hd.message), f("combinedHashDataInt.txt").trim());
    let key = w3c_key();
    assert_eq!(
        hex::encode(key.sign(&hd.message)),
        f("sigHexDataInt.txt").trim()
    );
    let mut unsigned = signed.clone();
    let mut options = proof.clone();
    options.shift_remove("proofValue");
    sign(&mut unsigned, options, &key, &contexts).expect("sign");
    assert_eq!(
        unsigned["proof"]["proofValue"],
        Value::from(f("sigBTC58DataInt.txt").trim())
    );
    assert!(verify_with_key(&signed, &proof, key.public(), &contexts).expect("verify"));
}

#[test]
fn w3c_ed25519_signature_2020_vector_reproduced() {
    check_w3c("w3c-eddsa-rdfc-2022/Ed25519Signature2020", "EdSig");
}

#[test]
fn w3c_eddsa_rdfc_2022_alumni_vector_reproduced() {
    check_w3c("w3c-eddsa-rdfc-2022/eddsa-rdfc-2022", "DataInt");
}

/// A node with two types that each bring a scoped context (`Person`,
/// `EmployablePerson`): needs the vendored oxjsonld fix (vendor/oxjsonld).
#[test]
fn w3c_eddsa_rdfc_2022_employment_vector_reproduced() {
    check_w3c("w3c-eddsa-rdfc-2022/eddsa-rdfc-2022/employ", "DataInt");
}

/// The W3C vc-di-eddsa `eddsa-jcs-2022` vector: the same canonical forms,
/// hash and signature, byte for byte; through `check_proofs` it verifies
/// for its key's controller; altered, or with a proof context the document
/// does not start with, it does not.
#[test]
fn w3c_eddsa_jcs_2022_vector_reproduced() {
    use badgemesh_openbadges::jcs::{EDDSA_JCS_2022, hash_data as jcs_hash_data};
    use badgemesh_openbadges::proof::{ProofOutcome, check_proofs, decode_proof_value};
    let dir = "w3c-eddsa-rdfc-2022/eddsa-jcs-2022";
    let file = |f: &str| read(&format!("{dir}/{f}")).trim_end().to_owned();
    let signed = doc(&read(&format!("{dir}/signedJCS.json")));
    let proof = signed["proof"].as_object().expect("proof").clone();
    let hd = jcs_hash_data(&signed, &proof).expect("hash data");
    assert_eq!(hd.canonical_document, file("canonDocJCS.txt"));
    assert_eq!(hd.canonical_proof, file("proofCanonJCS.txt"));
    assert_eq!(hex::encode(hd.message), file("combinedHashJCS.txt"));
    let sig = decode_proof_value(proof["proofValue"].as_str().expect("proofValue")).expect("sig");
    assert_eq!(hex::encode(sig), file("sigHexJCS.txt"));
    let key_pair: Value =
        serde_json::from_str(&read("w3c-eddsa-rdfc-2022/keyPair.json")).expect("json");
    let public = badgemesh_protocol::keys::parse_multikey(
        key_pair["publicKeyMultibase"].as_str().expect("key"),
    )
    .expect("multikey");
    assert!(public.verify(&hd.message, &sig));

    let controller = badgemesh_protocol::keys::IssuerId::from_key(&public).to_did();
    let contexts = w3c_contexts();
    match check_proofs(&signed, &controller, &contexts, None).expect("checked") {
        ProofOutcome::Verified { cryptosuite, .. } => assert_eq!(cryptosuite, EDDSA_JCS_2022),
        other => panic!("expected verified, got {other:?}"),
    }
    let mut altered = signed.clone();
    altered["name"] = Value::from("Altered Credential");
    assert!(matches!(
        check_proofs(&altered, &controller, &contexts, None).expect("checked"),
        ProofOutcome::Invalid(_)
    ));
    let mut other_context = signed.clone();
    other_context["proof"]["@context"] = serde_json::json!([
        "https://www.w3.org/ns/credentials/v2",
        "https://example.org/other"
    ]);
    assert!(matches!(
        check_proofs(&other_context, &controller, &contexts, None).expect("checked"),
        ProofOutcome::Invalid(why) if why.contains("@context")
    ));
}
