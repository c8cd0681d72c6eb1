//! Documents an operator adds for other issuers (DID documents, OB 2.0
//! CryptographicKeys, OB 3.0 status list credentials, OB 2.0 and 1EdTech
//! revocation lists), and a status list and a credential
//! verified against a DID document from the same input (split at the first
//! 0xff byte). Never panics, whatever the bytes.
#![no_main]
use badgemesh_node::trust::ob2_keys::Ob2Keys;
use badgemesh_node::trust::revocation_lists::AnyRevocationList;
use badgemesh_openbadges::credential::{VerifyOptions, verify_credential};
use badgemesh_openbadges::did::DidDocument;
use badgemesh_openbadges::status_list::{
    parse_status_list_credential, parse_status_list_credential_with,
};
use badgemesh_protocol::time::Timestamp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = DidDocument::parse(data);
    let _ = Ob2Keys::parse(data);
    let _ = parse_status_list_credential(data);
    let _ = AnyRevocationList::parse(data);
    if let Some(cut) = data.iter().position(|&b| b == 0xff) {
        if let Ok(doc) = DidDocument::parse(&data[..cut]) {
            let lookup = |_: &str| Some(doc.clone());
            let _ = parse_status_list_credential_with(&data[cut + 1..], Some(&lookup));
            let options = VerifyOptions { recipient: None, dids: Some(&lookup), cancel: None, profile: Default::default() };
            let _ = verify_credential(&data[cut + 1..], Timestamp(1_800_000_000), &options);
        }
    }
});
