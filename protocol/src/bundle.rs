//! Bundles: records carried between offline nodes in a file.
//!
//! A bundle is a CBOR sequence (RFC 8742): a header, one byte string per
//! record envelope, and a trailer with the record count and the sha2-256 of
//! every record's bytes in order. Every record verifies on its own, so the
//! transport is never trusted; the trailer tells a truncated or spliced file
//! from a whole one, and the reader says at which record it failed.

use minicbor::{Decode, Decoder, Encode};
use sha2::{Digest, Sha256};

use crate::limits::MAX_ENVELOPE_BYTES;
use crate::time::Timestamp;

/// Names the format in the header.
pub const BUNDLE_FORMAT: &str = "badgemesh-bundle";
/// The version this code writes and reads.
pub const BUNDLE_VERSION: u32 = 1;

#[derive(Encode, Decode)]
#[cbor(map)]
struct Header {
    #[n(0)]
    format: String,
    #[n(1)]
    version: u32,
    #[n(2)]
    created_at: Timestamp,
}

#[derive(Encode, Decode)]
#[cbor(map)]
struct Trailer {
    #[n(0)]
    count: u64,
    #[cbor(n(1), with = "minicbor::bytes")]
    digest: [u8; 32],
}

/// Why a bundle could not be read (completely).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleError {
    /// Not a badgemesh bundle, or another version.
    #[error("not a badgemesh bundle (version {BUNDLE_VERSION}): {0}")]
    Header(String),
    /// The input ends or breaks at record `index` (0-based), byte `offset`.
    #[error("bundle is corrupt or truncated at record {index} (byte {offset}): {message}")]
    Broken {
        /// Records read before the failure.
        index: usize,
        /// Byte offset of the failure.
        offset: usize,
        /// What was wrong.
        message: String,
    },
    /// The trailer does not match the records read.
    #[error("bundle trailer does not match its {count} records: the file was altered")]
    Mismatch {
        /// Records read.
        count: usize,
    },
}

/// Writes a bundle of envelopes.
pub fn write(records: &[&[u8]], created_at: Timestamp) -> Vec<u8> {
    let mut out = Vec::with_capacity(records.iter().map(|r| r.len() + 4).sum::<usize>() + 96);
    let mut writer = BundleWriter::new(created_at, &mut out);
    for r in records {
        writer.record(r, &mut out);
    }
    writer.finish(&mut out);
    out
}

/// Writes a bundle piece by piece, so that a node can stream one without
/// holding every record in memory: the header when made, each record when
/// given, the trailer (count and digest, kept running) at the end. The bytes
/// are those of [`write()`] for the same records.
#[derive(Debug)]
pub struct BundleWriter {
    count: u64,
    digest: Sha256,
}

impl BundleWriter {
    /// Starts a bundle: appends the header to `out`.
    pub fn new(created_at: Timestamp, out: &mut Vec<u8>) -> Self {
        let header = Header {
            format: BUNDLE_FORMAT.into(),
            version: BUNDLE_VERSION,
            created_at,
        };
        let _ = minicbor::encode(&header, &mut *out);
        BundleWriter {
            count: 0,
            digest: Sha256::new(),
        }
    }

    /// Appends one envelope to `out`.
    pub fn record(&mut self, envelope: &[u8], out: &mut Vec<u8>) {
        self.digest.update(envelope);
        self.count += 1;
        let _ = minicbor::Encoder::new(&mut *out).bytes(envelope);
    }

    /// Ends the bundle: appends the trailer to `out`.
    pub fn finish(self, out: &mut Vec<u8>) {
        let trailer = Trailer {
            count: self.count,
            digest: self.digest.finalize().into(),
        };
        let _ = minicbor::encode(&trailer, &mut *out);
    }
}

/// What a bundle held: its records, and whether (and where) it broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents<'a> {
    /// When it was made.
    pub created_at: Timestamp,
    /// The envelopes read before any failure, in order.
    pub records: Vec<&'a [u8]>,
    /// Why reading stopped early or the trailer did not match, if it did.
    pub error: Option<BundleError>,
}

/// Reads a bundle. A bad header is an error; a break later returns what was
/// read before it, with the error, so that a caller can apply the records
/// that are whole (each verifies on its own) and report where the file broke.
pub fn read(bytes: &[u8]) -> Result<Contents<'_>, BundleError> {
    let mut d = Decoder::new(bytes);
    let header: Header = d.decode().map_err(|e| BundleError::Header(e.to_string()))?;
    if header.format != BUNDLE_FORMAT || header.version != BUNDLE_VERSION {
        return Err(BundleError::Header(format!(
            "format {} version {}",
            header.format, header.version
        )));
    }
    let mut records = Vec::new();
    let mut digest = Sha256::new();
    let broken = |records: &Vec<&[u8]>, d: &Decoder<'_>, message: String| BundleError::Broken {
        index: records.len(),
        offset: d.position(),
        message,
    };
    // Read records until the trailer, the end, or a break; `error` says which.
    let error = loop {
        if d.position() >= bytes.len() {
            break Some(broken(&records, &d, "missing trailer".into()));
        }
        match d.datatype() {
            Ok(minicbor::data::Type::Bytes) => match d.bytes() {
                Ok(b) if b.len() <= MAX_ENVELOPE_BYTES => {
                    digest.update(b);
                    records.push(b);
                }
                Ok(b) => {
                    break Some(broken(
                        &records,
                        &d,
                        format!("record of {} bytes exceeds the limit", b.len()),
                    ));
                }
                Err(e) => break Some(broken(&records, &d, e.to_string())),
            },
            Ok(minicbor::data::Type::Map) => {
                let expected: [u8; 32] = digest.clone().finalize().into();
                break match d.decode::<Trailer>() {
                    Ok(t) if t.count == records.len() as u64 && t.digest == expected => {
                        (d.position() != bytes.len())
                            .then(|| broken(&records, &d, "bytes after the trailer".into()))
                    }
                    Ok(_) => Some(BundleError::Mismatch {
                        count: records.len(),
                    }),
                    Err(e) => Some(broken(&records, &d, e.to_string())),
                };
            }
            Ok(other) => break Some(broken(&records, &d, format!("unexpected {other}"))),
            Err(e) => break Some(broken(&records, &d, e.to_string())),
        }
    };
    Ok(Contents {
        created_at: header.created_at,
        records,
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trip_and_truncation_is_located() {
        let recs: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 100]).collect();
        let refs: Vec<&[u8]> = recs.iter().map(Vec::as_slice).collect();
        let bytes = write(&refs, Timestamp(7));
        let whole = read(&bytes).expect("reads");
        assert_eq!(whole.records, refs);
        assert_eq!(whole.error, None);
        // Cut in the middle of the fourth record.
        let cut = &bytes[..bytes.len() - 40 - 100 - 60];
        let part = read(cut).expect("header fine");
        assert_eq!(part.records.len(), 3);
        assert!(
            matches!(part.error, Some(BundleError::Broken { index: 3, .. })),
            "{:?}",
            part.error
        );
        // Altered record: the trailer no longer matches.
        let mut altered = bytes.clone();
        altered[30] ^= 1;
        assert!(read(&altered).expect("reads").error.is_some());
        assert!(matches!(read(b"garbage"), Err(BundleError::Header(_))));
    }

    proptest! {
        #[test]
        fn reading_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = read(&bytes);
        }
    }
}
