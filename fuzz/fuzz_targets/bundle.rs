//! Bundle files: reading arbitrary bytes never panics, and what a reader
//! returns re-bundles to something that reads back the same.
#![no_main]
use badgemesh_protocol::bundle;
use badgemesh_protocol::time::Timestamp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(contents) = bundle::read(data) {
        let again = bundle::write(&contents.records, Timestamp(0));
        let reread = bundle::read(&again).expect("a written bundle reads");
        assert_eq!(reread.records, contents.records);
        assert!(reread.error.is_none());
    }
});
