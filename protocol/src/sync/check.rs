//! Checks that a sync response answers the request it was sent for.
//!
//! The other side of a sync round is untrusted like any carrier: a response
//! must be of the kind asked for, within the page sizes the protocol allows
//! ([`MAX_SUMMARIES`], [`MAX_IDS`], no more records than ids asked), in order
//! (summaries strictly after the issuer asked for, so paging always
//! advances), and may only carry records whose ids were asked for. A response
//! that fails is the responder's fault: no honest node sends one.

use std::collections::HashSet;

use super::{MAX_GET, MAX_IDS, MAX_SUMMARIES, SyncRequest, SyncResponse};
use crate::envelope::Envelope;
use crate::limits::MAX_ENVELOPE_BYTES;

/// How a sync response fails to answer its request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    /// A response of another kind than the request asks for.
    #[error("a {got} response to a {asked} request")]
    WrongKind {
        /// The request's kind.
        asked: &'static str,
        /// The response's kind.
        got: &'static str,
    },
    /// More summaries in one page than the protocol allows.
    #[error("{0} summaries in one page (at most {MAX_SUMMARIES})")]
    TooManySummaries(usize),
    /// Summaries not strictly after the issuer asked for, or not in order.
    #[error("summaries out of order or not after the issuer asked for")]
    SummariesOutOfOrder,
    /// More ids in one page than the protocol allows.
    #[error("{0} ids in one page (at most {MAX_IDS})")]
    TooManyIds(usize),
    /// One id listed twice in a page, or one record sent twice.
    #[error("the same id twice in one response")]
    Repeated,
    /// More records than ids asked for.
    #[error("{got} records for {asked} ids asked")]
    TooManyRecords {
        /// Ids asked for.
        asked: usize,
        /// Records received.
        got: usize,
    },
    /// More issuers said complete than were asked for.
    #[error("{complete} issuers complete of {asked} asked")]
    TooManyIssuers {
        /// Issuers asked for.
        asked: usize,
        /// Issuers said complete.
        complete: u32,
    },
    /// A record that is not an envelope.
    #[error("a record that is not an envelope")]
    NotAnEnvelope,
    /// A record whose id was not asked for.
    #[error("a record that was not asked for")]
    Unasked,
}

fn request_kind(r: &SyncRequest) -> &'static str {
    match r {
        SyncRequest::Summaries { .. } => "summaries",
        SyncRequest::Ids { .. } => "ids",
        SyncRequest::Get { .. } => "get",
        SyncRequest::Nudge => "nudge",
        SyncRequest::Issuers { .. } => "issuers",
    }
}

fn response_kind(r: &SyncResponse) -> &'static str {
    match r {
        SyncResponse::Summaries { .. } => "summaries",
        SyncResponse::Ids { .. } => "ids",
        SyncResponse::Records { .. } => "records",
        SyncResponse::IssuerRecords { .. } => "issuer records",
        SyncResponse::Error { .. } => "error",
    }
}

/// Checks `response` against `request`. An [`SyncResponse::Error`] answers
/// any request (a busy or rate-limiting peer sends one); the caller ends its
/// round on it without blaming the peer.
pub fn check_response(request: &SyncRequest, response: &SyncResponse) -> Result<(), Violation> {
    let wrong = || Violation::WrongKind {
        asked: request_kind(request),
        got: response_kind(response),
    };
    match (request, response) {
        (_, SyncResponse::Error { .. }) => Ok(()),
        (SyncRequest::Summaries { after }, SyncResponse::Summaries { summaries, .. }) => {
            if summaries.len() > MAX_SUMMARIES {
                return Err(Violation::TooManySummaries(summaries.len()));
            }
            let mut last = *after;
            for s in summaries {
                if last.is_some_and(|l| s.issuer <= l) {
                    return Err(Violation::SummariesOutOfOrder);
                }
                last = Some(s.issuer);
            }
            Ok(())
        }
        (SyncRequest::Ids { .. }, SyncResponse::Ids { ids, .. }) => {
            if ids.len() > MAX_IDS {
                return Err(Violation::TooManyIds(ids.len()));
            }
            let mut seen = HashSet::with_capacity(ids.len());
            if ids.iter().all(|id| seen.insert(*id)) {
                Ok(())
            } else {
                Err(Violation::Repeated)
            }
        }
        (SyncRequest::Get { ids, .. }, SyncResponse::Records { records }) => {
            let asked = ids.len().min(MAX_GET);
            if records.len() > asked {
                return Err(Violation::TooManyRecords {
                    asked,
                    got: records.len(),
                });
            }
            let mut wanted: HashSet<_> = ids.iter().copied().collect();
            for bytes in records {
                let id = Envelope::decode(bytes, MAX_ENVELOPE_BYTES)
                    .map_err(|_| Violation::NotAnEnvelope)?
                    .id();
                if !wanted.remove(&id) {
                    return Err(if ids.contains(&id) {
                        Violation::Repeated
                    } else {
                        Violation::Unasked
                    });
                }
            }
            Ok(())
        }
        (SyncRequest::Issuers { issuers }, SyncResponse::IssuerRecords { records, complete }) => {
            if usize::try_from(*complete).map_or(true, |c| c > issuers.len()) {
                return Err(Violation::TooManyIssuers {
                    asked: issuers.len(),
                    complete: *complete,
                });
            }
            // Which issuer each record belongs to is checked once it is
            // decoded (its signature checked with the others, in a batch).
            let mut seen = HashSet::with_capacity(records.len());
            for bytes in records {
                let id = Envelope::decode(bytes, MAX_ENVELOPE_BYTES)
                    .map_err(|_| Violation::NotAnEnvelope)?
                    .id();
                if !seen.insert(id) {
                    return Err(Violation::Repeated);
                }
            }
            Ok(())
        }
        (SyncRequest::Nudge, SyncResponse::Ids { ids, .. }) if ids.is_empty() => Ok(()),
        _ => Err(wrong()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Registry;
    use crate::sync::{KindCode, respond};
    use crate::testkit::Issuer;
    use crate::time::Timestamp;

    const T0: Timestamp = Timestamp(1_800_000_000);

    fn registry(issuers: u64) -> (Registry, Vec<Issuer>) {
        let mut reg = Registry::new();
        let mut all = Vec::new();
        for n in 0..issuers {
            let mut i = Issuer::new(100 + n, T0);
            for r in i.genesis() {
                reg.apply(r, T0);
            }
            for k in 0..3 {
                reg.apply(i.revoke(&[k]), T0);
            }
            all.push(i);
        }
        (reg, all)
    }

    #[test]
    fn honest_answers_pass() {
        let (reg, mut issuers) = registry(3);
        let issuer = issuers[0].inner().id();
        let kind = KindCode::of(crate::envelope::RecordKind::RevocationUpdate);
        let ids_req = SyncRequest::Ids {
            issuer,
            kind,
            from_seq: 0,
            offset: 0,
        };
        let SyncResponse::Ids { ids, .. } = respond(&reg, &ids_req) else {
            panic!("ids")
        };
        let requests = [
            SyncRequest::Summaries { after: None },
            ids_req,
            SyncRequest::Get { issuer, kind, ids },
            SyncRequest::Nudge,
        ];
        for req in requests {
            let resp = respond(&reg, &req);
            assert_eq!(check_response(&req, &resp), Ok(()), "{req:?}");
        }
    }

    #[test]
    fn lies_are_caught() {
        let (reg, mut issuers) = registry(2);
        let (a, b) = (issuers[0].inner().id(), issuers[1].inner().id());
        let kind = KindCode::of(crate::envelope::RecordKind::RevocationUpdate);
        let ids_of = |issuer| {
            let SyncResponse::Ids { ids, .. } = respond(
                &reg,
                &SyncRequest::Ids {
                    issuer,
                    kind,
                    from_seq: 0,
                    offset: 0,
                },
            ) else {
                panic!("ids")
            };
            ids
        };
        let (ids_a, ids_b) = (ids_of(a), ids_of(b));
        let get_a = SyncRequest::Get {
            issuer: a,
            kind,
            ids: ids_a[..1].to_vec(),
        };
        // Records of another issuer than asked for.
        let unasked = respond(
            &reg,
            &SyncRequest::Get {
                issuer: b,
                kind,
                ids: ids_b[..1].to_vec(),
            },
        );
        assert_eq!(check_response(&get_a, &unasked), Err(Violation::Unasked));
        // More records than asked, and garbage in place of a record.
        let all_a = respond(
            &reg,
            &SyncRequest::Get {
                issuer: a,
                kind,
                ids: ids_a.clone(),
            },
        );
        assert!(matches!(
            check_response(&get_a, &all_a),
            Err(Violation::TooManyRecords { .. })
        ));
        let garbage = SyncResponse::Records {
            records: vec![b"not an envelope".to_vec()],
        };
        assert_eq!(
            check_response(&get_a, &garbage),
            Err(Violation::NotAnEnvelope)
        );
        // Pages over the limits, repeated ids, summaries that do not advance.
        let ids_req = SyncRequest::Ids {
            issuer: a,
            kind,
            from_seq: 0,
            offset: 0,
        };
        let many = SyncResponse::Ids {
            ids: (0..=MAX_IDS as u32)
                .map(|n| crate::id::RecordId::of(&n.to_le_bytes()))
                .collect(),
            more: true,
        };
        assert_eq!(
            check_response(&ids_req, &many),
            Err(Violation::TooManyIds(MAX_IDS + 1))
        );
        let twice = SyncResponse::Ids {
            ids: vec![ids_a[0], ids_a[0]],
            more: false,
        };
        assert_eq!(check_response(&ids_req, &twice), Err(Violation::Repeated));
        let SyncResponse::Summaries { summaries, .. } =
            respond(&reg, &SyncRequest::Summaries { after: None })
        else {
            panic!("summaries")
        };
        let after_last = SyncRequest::Summaries {
            after: summaries.last().map(|s| s.issuer),
        };
        let replay = SyncResponse::Summaries {
            summaries,
            more: true,
        };
        assert_eq!(
            check_response(&after_last, &replay),
            Err(Violation::SummariesOutOfOrder)
        );
        assert!(matches!(
            check_response(&ids_req, &replay),
            Err(Violation::WrongKind { .. })
        ));
        // A refusal is not a lie.
        let busy = SyncResponse::Error {
            message: "rate limited".into(),
        };
        assert_eq!(check_response(&get_a, &busy), Ok(()));
    }
}
