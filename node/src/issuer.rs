//! The node's own issuer: its keys on disk, and the operations that sign.
//!
//! Every operation signs a record, then writes the issuer file (new counters
//! *and* the signed record) before it applies and publishes the record. If the
//! node crashes in between, the record is re-applied from the file at the next
//! start: a status index or sequence number is never reused, and no chained
//! record is lost.
//!
//! When the file was written but the store refused the record (a full disk),
//! the in-memory counters still follow the file, and the record is kept as
//! *unstored*: every later operation first stores it again and signs nothing
//! new until that works. So the issuer never signs two records for one
//! sequence number, never chains onto a record it lost, and the one record
//! in the file is applied at the next start, exactly as after a crash.

use std::path::PathBuf;

use badgemesh_protocol::envelope::RecordKind;
use badgemesh_protocol::id::RecordId;
use badgemesh_protocol::issuance::{IssueError, Issuer};
use badgemesh_protocol::keys::IssuerId;
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use badgemesh_protocol::record::{
    BadgeClass, EndorsementSubject, Evidence, IssuerProfile, ListingChange, Recipient, Record,
    RevocationReason, SignedRecord, Step,
};
use badgemesh_protocol::state::Outcome;
use badgemesh_protocol::time::Timestamp;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::core::{Core, now};
use crate::datadir::{self, FileError};
use crate::ledger::Ledger;
use crate::sealed::{SealInfo, Sealer};
use crate::store::StoreError;

/// How long a head or revocation update promises to hold: the next one is due
/// within this many seconds.
pub const NEXT_UPDATE_SECS: i64 = 3600;

/// Revocation updates between two checkpoints signed on their own. A
/// newcomer fetches the latest checkpoint and at most this many updates;
/// every node forgets the updates a checkpoint covers. Re-signing the whole
/// set costs up to 64 parts of 32 KiB, so not after every update.
pub const CHECKPOINT_EVERY: u64 = 1000;

/// What can go wrong in an issuer operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssuerOpError {
    /// A domain linkage credential could not be made.
    #[error("{0}")]
    Linkage(String),
    /// No issuer has been created on this node.
    #[error("this node has no issuer yet; run `badgemesh issuer init --name NAME` first")]
    NoIssuer,
    /// `init` on a node that already has one.
    #[error("this node already has an issuer: {0}")]
    AlreadyExists(IssuerId),
    /// The record could not be made.
    #[error(transparent)]
    Issue(#[from] IssueError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The record was signed and written to the issuer file, but the store
    /// refused it: it is not acknowledged, and it is stored at the next start
    /// (or by the next operation, which signs nothing new until it is).
    #[error(
        "record {id} is signed and kept in issuer.key but not stored: {source}; the next start stores it, and nothing new is signed until then"
    )]
    Unstored {
        /// The record's id.
        id: RecordId,
        /// Why the store refused it (boxed: this error is returned a lot
        /// and rarely this one).
        source: Box<StoreError>,
    },
    /// The issuer file could not be written or read.
    #[error(transparent)]
    File(#[from] FileError),
    /// The state machine did not accept the record.
    #[error("the record was not accepted: {0}")]
    NotAccepted(String),
    /// The issuer file is sealed and no passphrase was given.
    #[error(
        "the issuer key is encrypted: set BADGEMESH_PASSPHRASE or `passphrase_file` in config.toml"
    )]
    Locked,
    /// The Open Badges 3.0 export failed.
    #[error("cannot export as Open Badges 3.0: {0}")]
    Export(String),
    /// A referenced record does not exist here.
    #[error("unknown {what} {id}")]
    Unknown {
        /// What kind of thing.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// A pathway whose goal is another issuer's badge class.
    #[error("badge class {0} is another issuer's: only its issuer declares what leads to it")]
    NotOurBadge(RecordId),
    /// A pathway that would close a cycle with the pathways held here.
    #[error("this pathway would close a cycle: {}", cycle_text(.0))]
    Cycle(Vec<RecordId>),
}

fn cycle_text(cycle: &[RecordId]) -> String {
    cycle
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" requires ")
}

#[derive(Serialize, Deserialize)]
struct IssuerFile {
    issuer: String,
    /// The keys and counters, base64; encrypted when `sealed` is present.
    state: String,
    last_record: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed: Option<SealInfo>,
}

/// One reason for every revoked index (the API takes one reason per
/// request); public so that the `api_requests` fuzz target signs what the
/// node would.
pub fn reasons_for(indices: &[u32], reason: Option<String>) -> Vec<RevocationReason> {
    reason
        .map(|r| {
            indices
                .iter()
                .map(|&index| RevocationReason {
                    index,
                    reason: r.clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The local issuer, if any.
#[derive(Debug)]
pub struct LocalIssuer {
    path: PathBuf,
    state: Mutex<Option<Issuer>>,
    /// A record in the issuer file that the store refused; only touched
    /// while `state` is locked.
    unstored: std::sync::Mutex<Option<SignedRecord>>,
    /// Seals the file under the operator's passphrase, when one is set.
    sealer: Option<Sealer>,
    /// The last signed status list. Anyone may ask for it, so it is signed
    /// once per revocation state (and signing key, and base URL), not per
    /// request; this lock, not the issuer's, is held while signing, so
    /// concurrent askers wait for one signature and awards do not wait.
    status_list: Mutex<Option<SignedStatusList>>,
}

/// A signed status list and what it was signed for.
#[derive(Debug)]
struct SignedStatusList {
    issuer: IssuerId,
    key: [u8; 32],
    base_url: String,
    /// The digest of the set of revocation updates it lists.
    revocations: [u8; 32],
    signed_at: Timestamp,
    json: Vec<u8>,
}

impl SignedStatusList {
    /// Whether it answers for this state at `now`. It is re-signed halfway
    /// through its validity so that no one is served an expired list.
    fn answers(
        &self,
        issuer: IssuerId,
        key: &[u8; 32],
        base_url: &str,
        revocations: &[u8; 32],
        now: Timestamp,
    ) -> bool {
        self.issuer == issuer
            && self.key == *key
            && self.base_url == base_url
            && self.revocations == *revocations
            && now >= self.signed_at
            && now < self.signed_at.plus(NEXT_UPDATE_SECS / 2)
    }
}

fn corrupt(path: &std::path::Path, what: impl std::fmt::Display) -> FileError {
    FileError {
        path: path.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string()),
    }
}

/// The identity named in an issuer file, without opening its keys (sealed
/// or not): the node needs it before its ledger loads, to keep its own
/// registry listings.
pub fn stored_issuer_id(path: &std::path::Path) -> Option<IssuerId> {
    let bytes = datadir::read_secret(path).ok()??;
    let file: IssuerFile = serde_json::from_slice(&bytes).ok()?;
    file.issuer.parse().ok()
}

impl LocalIssuer {
    /// Loads the issuer file, re-applying the last record it signed in case
    /// the node stopped before committing it.
    pub fn load(
        path: PathBuf,
        ledger: &Ledger,
        passphrase: Option<&str>,
    ) -> Result<LocalIssuer, IssuerOpError> {
        let Some(bytes) = datadir::read_secret(&path)? else {
            let sealer = passphrase
                .map(Sealer::new)
                .transpose()
                .map_err(|e| corrupt(&path, e))?;
            return Ok(LocalIssuer {
                path,
                state: Mutex::new(None),
                unstored: std::sync::Mutex::new(None),
                sealer,
                status_list: Mutex::new(None),
            });
        };
        let file: IssuerFile = serde_json::from_slice(&bytes).map_err(|e| corrupt(&path, e))?;
        let id: IssuerId = file.issuer.parse().map_err(|e| corrupt(&path, e))?;
        let stored = B64.decode(&file.state).map_err(|e| corrupt(&path, e))?;
        let (state, sealer) = match (&file.sealed, passphrase) {
            (Some(info), Some(pass)) => {
                let sealer = Sealer::for_info(pass, info).map_err(|e| corrupt(&path, e))?;
                (
                    sealer.open(info, &stored).map_err(|e| corrupt(&path, e))?,
                    Some(sealer),
                )
            }
            (Some(_), None) => return Err(IssuerOpError::Locked),
            (None, pass) => (
                stored,
                pass.map(Sealer::new)
                    .transpose()
                    .map_err(|e| corrupt(&path, e))?,
            ),
        };
        let issuer = Issuer::from_bytes(id, &state)?;
        if let Some(last) = file.last_record {
            let bytes = B64.decode(last).map_err(|e| corrupt(&path, e))?;
            let rec =
                SignedRecord::decode(&bytes, MAX_ENVELOPE_BYTES).map_err(|e| corrupt(&path, e))?;
            ledger.ingest(rec, now())?;
        }
        let me = LocalIssuer {
            path,
            state: Mutex::new(Some(issuer.clone())),
            unstored: std::sync::Mutex::new(None),
            sealer,
            status_list: Mutex::new(None),
        };
        if me.sealer.is_some() && file.sealed.is_none() {
            // A passphrase was given for a plain file: seal it now.
            datadir::write_secret(&me.path, &me.file_bytes(&issuer, None))?;
        }
        Ok(me)
    }

    fn file_bytes(&self, issuer: &Issuer, last: Option<&SignedRecord>) -> Vec<u8> {
        let plain = issuer.to_bytes();
        let (state, sealed) = match &self.sealer {
            Some(s) => {
                let (info, ct) = s.seal(&plain);
                (B64.encode(ct), Some(info))
            }
            None => (B64.encode(plain), None),
        };
        let file = IssuerFile {
            issuer: issuer.id().to_did(),
            state,
            last_record: last.map(|r| B64.encode(r.bytes())),
            sealed,
        };
        serde_json::to_vec(&file).unwrap_or_default()
    }

    /// The issuer's id, if there is one.
    pub async fn id(&self) -> Option<IssuerId> {
        self.state.lock().await.as_ref().map(Issuer::id)
    }

    /// Persists the counters and the record, makes `guard` follow the file,
    /// then stores and publishes the record.
    async fn commit(
        &self,
        core: &Core,
        guard: &mut Option<Issuer>,
        issuer: Issuer,
        rec: SignedRecord,
    ) -> Result<RecordId, IssuerOpError> {
        self.persist(&issuer, Some(&rec)).await?;
        // The file holds the new counters: never sign with the old ones again.
        *guard = Some(issuer);
        self.store_own(core, rec).await
    }

    /// Stores a record already in the issuer file, and publishes it unless
    /// it is an assertion or an assertion's endorsement (who earned what is
    /// private); keeps it as unstored when the store refuses it.
    async fn store_own(&self, core: &Core, rec: SignedRecord) -> Result<RecordId, IssuerOpError> {
        let id = rec.id();
        let private = match rec.record() {
            Record::Assertion(_) => true,
            Record::Endorsement(e) => !e.subject.is_public(),
            _ => false,
        };
        let stored = if private {
            core.ingest(rec.clone()).await
        } else {
            core.submit(rec.clone()).await
        };
        match stored {
            Err(source) => {
                *self.unstored.lock().unwrap_or_else(|e| e.into_inner()) = Some(rec);
                Err(IssuerOpError::Unstored {
                    id,
                    source: Box::new(source),
                })
            }
            Ok(i) if i.outcome.is_stored() || i.outcome == Outcome::Duplicate => Ok(id),
            Ok(i) => Err(IssuerOpError::NotAccepted(format!("{:?}", i.outcome))),
        }
    }

    /// Stores the record the store refused earlier, if any; call with
    /// `state` locked, before signing anything new.
    async fn store_unstored(&self, core: &Core) -> Result<(), IssuerOpError> {
        let pending = self
            .unstored
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(rec) = pending {
            self.store_own(core, rec).await?;
        }
        Ok(())
    }

    /// Creates the issuer: keys (current and pre-rotated next), inception,
    /// first profile, and a first head.
    pub async fn init(
        &self,
        core: &Core,
        profile: IssuerProfile,
    ) -> Result<IssuerId, IssuerOpError> {
        let mut guard = self.state.lock().await;
        if let Some(existing) = guard.as_ref() {
            return Err(IssuerOpError::AlreadyExists(existing.id()));
        }
        let t = now();
        let (mut issuer, inception) = Issuer::incept(&datadir::random(), &datadir::random(), t)?;
        let id = issuer.id();
        self.commit(core, &mut guard, issuer.clone(), inception)
            .await?;
        let profile = issuer.profile(profile, t)?;
        self.commit(core, &mut guard, issuer.clone(), profile)
            .await?;
        let head = issuer.head(t, t.plus(NEXT_UPDATE_SECS))?;
        self.commit(core, &mut guard, issuer, head).await?;
        Ok(id)
    }

    async fn with_issuer<T>(
        &self,
        core: &Core,
        op: impl FnOnce(&mut Issuer, Timestamp) -> Result<(SignedRecord, T), IssuerOpError>,
    ) -> Result<(RecordId, T), IssuerOpError> {
        let mut guard = self.state.lock().await;
        let mut issuer = guard.clone().ok_or(IssuerOpError::NoIssuer)?;
        self.store_unstored(core).await?;
        let (rec, extra) = op(&mut issuer, now())?;
        let id = self.commit(core, &mut guard, issuer, rec).await?;
        Ok((id, extra))
    }

    /// Publishes a new profile version.
    pub async fn profile(
        &self,
        core: &Core,
        profile: IssuerProfile,
    ) -> Result<RecordId, IssuerOpError> {
        self.with_issuer(core, |i, t| Ok((i.profile(profile, t)?, ())))
            .await
            .map(|(id, _)| id)
    }

    /// Publishes a badge class.
    pub async fn badge(&self, core: &Core, badge: BadgeClass) -> Result<RecordId, IssuerOpError> {
        self.with_issuer(core, |i, t| Ok((i.badge_class(badge, t)?, ())))
            .await
            .map(|(id, _)| id)
    }

    /// Signs an award. The assertion is stored here (not gossiped: who earned
    /// what is private) and returned for the earner.
    pub async fn award(
        &self,
        core: &Core,
        badge: RecordId,
        recipient: Recipient,
        expires: Option<Timestamp>,
        evidence: Vec<Evidence>,
        narrative: Option<String>,
    ) -> Result<SignedRecord, IssuerOpError> {
        if core.ledger.read(|r| r.badge_class(&badge).is_none()) {
            return Err(IssuerOpError::Unknown {
                what: "badge class",
                id: badge.to_string(),
            });
        }
        let mut guard = self.state.lock().await;
        let mut issuer = guard.clone().ok_or(IssuerOpError::NoIssuer)?;
        self.store_unstored(core).await?;
        let rec = issuer.award(badge, recipient, now(), expires, evidence, narrative)?;
        self.persist(&issuer, Some(&rec)).await?;
        // The file holds the new status index: never hand it out again.
        *guard = Some(issuer);
        self.store_own(core, rec.clone()).await?;
        Ok(rec)
    }

    /// Signs an endorsement of `subject` with the next status index (which
    /// a revocation update sets to withdraw it). A public one is gossiped;
    /// an assertion's is only stored here and returned, to travel with the
    /// assertion. The subject must be known here (a typo would otherwise
    /// sign an endorsement of nothing), and an issuer does not endorse itself.
    pub async fn endorse(
        &self,
        core: &Core,
        subject: EndorsementSubject,
        comment: String,
        name: Option<String>,
        valid_until: Option<Timestamp>,
    ) -> Result<SignedRecord, IssuerOpError> {
        let known = match subject {
            EndorsementSubject::BadgeClass(id) => {
                core.ledger.read(|r| r.badge_class(&id).is_some())
            }
            EndorsementSubject::Issuer(id) => core.ledger.read(|r| r.issuer(&id).is_some()),
            EndorsementSubject::Assertion(id) => core
                .ledger
                .store()
                .get(&id)?
                .and_then(|b| SignedRecord::decode(&b, MAX_ENVELOPE_BYTES).ok())
                .is_some_and(|r| r.kind() == RecordKind::Assertion),
        };
        if !known {
            return Err(IssuerOpError::Unknown {
                what: match subject {
                    EndorsementSubject::BadgeClass(_) => "badge class",
                    EndorsementSubject::Issuer(_) => "issuer",
                    EndorsementSubject::Assertion(_) => "assertion",
                },
                id: subject.target(),
            });
        }
        let mut guard = self.state.lock().await;
        let mut issuer = guard.clone().ok_or(IssuerOpError::NoIssuer)?;
        self.store_unstored(core).await?;
        let rec = issuer.endorse(subject, comment, name, valid_until, now())?;
        self.persist(&issuer, Some(&rec)).await?;
        // The file holds the new status index: never hand it out again.
        *guard = Some(issuer);
        self.store_own(core, rec.clone()).await?;
        Ok(rec)
    }

    /// Declares a pathway to `goal`, one of this issuer's badge classes,
    /// through `steps`. Every badge class named must be held here (a typo
    /// would make a pathway nobody can finish), and the pathway must not
    /// close a cycle with the pathways held here. The check runs with the
    /// issuer locked, so two declarations cannot each pass it and together
    /// make a cycle on this node; remote nodes keep cycles that two issuers
    /// make between them and survive them ([`badgemesh_protocol::pathway`]).
    pub async fn declare_pathway(
        &self,
        core: &Core,
        goal: RecordId,
        steps: Vec<Step>,
        name: Option<String>,
        auto_award: bool,
    ) -> Result<SignedRecord, IssuerOpError> {
        let mut guard = self.state.lock().await;
        let mut issuer = guard.clone().ok_or(IssuerOpError::NoIssuer)?;
        self.store_unstored(core).await?;
        let me = issuer.id();
        core.ledger.read(|r| {
            match r.badge_class(&goal) {
                None => {
                    return Err(IssuerOpError::Unknown {
                        what: "badge class",
                        id: goal.to_string(),
                    });
                }
                Some((b, _)) if b.issuer != me => return Err(IssuerOpError::NotOurBadge(goal)),
                Some(_) => {}
            }
            if let Some(missing) = steps
                .iter()
                .flat_map(|s| s.of.iter())
                .find(|id| r.badge_class(id).is_none())
            {
                return Err(IssuerOpError::Unknown {
                    what: "badge class",
                    id: missing.to_string(),
                });
            }
            match badgemesh_protocol::pathway::cycle_through(r, &goal, &steps) {
                Some(cycle) => Err(IssuerOpError::Cycle(cycle)),
                None => Ok(()),
            }
        })?;
        let rec = issuer.declare_pathway(goal, steps, name, auto_award, now())?;
        self.persist(&issuer, Some(&rec)).await?;
        // The file holds the new status index: never hand it out again.
        *guard = Some(issuer);
        self.store_own(core, rec.clone()).await?;
        Ok(rec)
    }

    /// Signs a CLR 2.0 `ClrCredential` gathering `credentials` (verified by
    /// the caller) of one learner, with `associations` between their
    /// achievements, as this node's issuer. Nothing is stored: the record is
    /// the learner's, answered to the caller.
    pub async fn sign_clr(
        &self,
        core: &Core,
        credentials: &[serde_json::Map<String, serde_json::Value>],
        associations: &[badgemesh_openbadges::clr::Association],
        learner: serde_json::Map<String, serde_json::Value>,
        name: &str,
    ) -> Result<Vec<u8>, IssuerOpError> {
        use badgemesh_openbadges::clr::{CLR_URN, ClrRequest, export_clr};
        let guard = self.state.lock().await;
        let issuer = guard.as_ref().ok_or(IssuerOpError::NoIssuer)?;
        let me = issuer.id();
        let issuer_name = core
            .ledger
            .read(|r| {
                r.issuer(&me)
                    .and_then(|s| s.profile().map(|p| p.name.clone()))
            })
            .ok_or_else(|| IssuerOpError::Export("the issuer has no profile".into()))?;
        let issued = now();
        let ids: Vec<&str> = credentials
            .iter()
            .filter_map(|c| c.get("id").and_then(serde_json::Value::as_str))
            .collect();
        let id = RecordId::of(format!("{issued} {} {}", ids.join(" "), me.to_did()).as_bytes());
        let req = ClrRequest {
            id: format!("{CLR_URN}{id}"),
            name,
            learner,
            credentials,
            associations,
            issued,
        };
        let doc = export_clr(&req, &me, &issuer_name, issuer.current_key())
            .map_err(|e| IssuerOpError::Export(e.to_string()))?;
        let mut out =
            serde_json::to_vec_pretty(&serde_json::Value::Object(doc)).unwrap_or_default();
        out.push(b'\n');
        Ok(out)
    }

    /// Writes the issuer file (counters and the record just signed) and
    /// waits until it is on disk.
    async fn persist(
        &self,
        issuer: &Issuer,
        last: Option<&SignedRecord>,
    ) -> Result<(), IssuerOpError> {
        let bytes = self.file_bytes(issuer, last);
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || datadir::write_secret(&path, &bytes))
            .await
            .map_err(|e| corrupt(&self.path, e))??;
        Ok(())
    }

    /// Revokes status indices; returns the new revocation sequence number.
    pub async fn revoke(
        &self,
        core: &Core,
        indices: Vec<u32>,
        reason: Option<String>,
    ) -> Result<u64, IssuerOpError> {
        let reasons = reasons_for(&indices, reason);
        let seq = self
            .with_issuer(core, |i, t| {
                let rec = i.revoke(indices, reasons, t, t.plus(NEXT_UPDATE_SECS))?;
                Ok((rec, i.revocation_seq()))
            })
            .await
            .map(|(_, seq)| seq)?;
        if seq % CHECKPOINT_EVERY == 0 {
            // The update is durable; a checkpoint that fails now is signed
            // at the next multiple, and the chain serves until then.
            if let Err(e) = self.checkpoint(core).await {
                tracing::warn!("checkpoint after revocation update {seq}: {e}");
            }
        }
        Ok(seq)
    }

    /// Signs a checkpoint of the revoked set as of the latest update, and
    /// stores and gossips its parts. Returns the update it summarises and
    /// how many parts it has (none before the first revocation, or when the
    /// node's state of this issuer is not the issuer's own yet).
    pub async fn checkpoint(&self, core: &Core) -> Result<(u64, usize), IssuerOpError> {
        let guard = self.state.lock().await;
        let Some(issuer) = guard.as_ref() else {
            return Err(IssuerOpError::NoIssuer);
        };
        // The checkpoint names the latest update: store that first.
        self.store_unstored(core).await?;
        let (id, seq) = (issuer.id(), issuer.revocation_seq());
        let t = now();
        let parts = core.ledger.read(|r| {
            r.issuer(&id)
                .filter(|s| s.freshness().seq == seq)
                .map(|s| issuer.checkpoint(s.revoked_set(), t))
        });
        let Some(parts) = parts.transpose()? else {
            return Ok((seq, 0));
        };
        let count = parts.len();
        core.submit_batch(parts).await?;
        Ok((seq, count))
    }

    /// Rotates to the pre-rotated key and makes a new next key. When the
    /// next key was moved offline, `offline_next` gives it back.
    pub async fn rotate(
        &self,
        core: &Core,
        offline_next: Option<[u8; 32]>,
    ) -> Result<RecordId, IssuerOpError> {
        let next = datadir::random();
        self.with_issuer(core, |i, t| {
            Ok((i.rotate(offline_next.as_ref(), &next, t)?, ()))
        })
        .await
        .map(|(id, _)| id)
    }

    /// Removes the pre-rotated key from this node and returns its seed, for
    /// offline storage. The file no longer holds it once this returns.
    pub async fn export_next_key(&self, core: &Core) -> Result<[u8; 32], IssuerOpError> {
        let mut guard = self.state.lock().await;
        let mut issuer = guard.clone().ok_or(IssuerOpError::NoIssuer)?;
        // The file is rewritten without a record: the one it holds must be stored first.
        self.store_unstored(core).await?;
        let seed = issuer
            .export_next()
            .ok_or(IssuerOpError::Issue(IssueError::NextKeyOffline))?;
        self.persist(&issuer, None).await?;
        *guard = Some(issuer);
        Ok(seed)
    }

    /// Re-signs the head: "nothing changed since update N, as of now"; and,
    /// for an identity that publishes a registry list, the list head too.
    pub async fn heartbeat(&self, core: &Core) -> Result<(), IssuerOpError> {
        let guard = self.state.lock().await;
        let Some(issuer) = guard.as_ref() else {
            return Ok(());
        };
        // A head names the latest revocation update: store that first.
        self.store_unstored(core).await?;
        let t = now();
        let head = issuer.head(t, t.plus(NEXT_UPDATE_SECS))?;
        core.submit(head).await?;
        if issuer.listing_seq() > 0 {
            let head = issuer.listing_head(t, t.plus(NEXT_UPDATE_SECS))?;
            core.submit(head).await?;
        }
        Ok(())
    }

    /// A Domain Linkage Credential (JWT) saying this issuer's DID controls
    /// `origin`, valid for `valid_secs` from now (DIF Well-Known DID
    /// Configuration).
    pub async fn domain_linkage(
        &self,
        origin: &str,
        valid_secs: i64,
    ) -> Result<String, IssuerOpError> {
        let guard = self.state.lock().await;
        let issuer = guard.as_ref().ok_or(IssuerOpError::NoIssuer)?;
        crate::trust::linkage::sign_dlc(
            issuer.current_key(),
            &issuer.id(),
            origin,
            now(),
            valid_secs,
        )
        .map_err(|e| IssuerOpError::Linkage(e.to_string()))
    }

    /// As a trust registry: signs and publishes the next update of this
    /// identity's list (listings and de-listings), then a list head. Returns
    /// the list's new sequence number.
    pub async fn list(
        &self,
        core: &Core,
        changes: Vec<ListingChange>,
    ) -> Result<u64, IssuerOpError> {
        if let Some(id) = self.id().await {
            // A registry always keeps its own list.
            let mut carried: Vec<IssuerId> = core
                .ledger
                .read(|r| r.policy().registries.iter().copied().collect());
            carried.push(id);
            core.ledger.carry_registries(carried);
        }
        let (_, seq) = self
            .with_issuer(core, |i, t| {
                let rec = i.list(changes, t, t.plus(NEXT_UPDATE_SECS))?;
                Ok((rec, i.listing_seq()))
            })
            .await?;
        let guard = self.state.lock().await;
        if let Some(issuer) = guard.as_ref() {
            let t = now();
            core.submit(issuer.listing_head(t, t.plus(NEXT_UPDATE_SECS))?)
                .await?;
        }
        Ok(seq)
    }

    /// Exports a stored assertion of this issuer as a signed Open Badges 3.0
    /// credential: JSON with an `eddsa-rdfc-2022` proof, or with `jwt` a
    /// VC-JWT (EdDSA). It carries a `BitstringStatusListEntry` when the
    /// profile names a public base URL.
    pub async fn export_ob3(
        &self,
        core: &Core,
        assertion: RecordId,
        jwt: bool,
    ) -> Result<Vec<u8>, IssuerOpError> {
        use badgemesh_openbadges::export::{
            ExportInput, export_credential_json, export_credential_jwt,
        };
        let unknown = || IssuerOpError::Unknown {
            what: "assertion",
            id: assertion.to_string(),
        };
        let bytes = core.ledger.store().get(&assertion)?.ok_or_else(unknown)?;
        let rec = SignedRecord::decode(&bytes, MAX_ENVELOPE_BYTES)
            .map_err(|e| IssuerOpError::Export(e.to_string()))?;
        let Record::Assertion(a) = rec.record() else {
            return Err(unknown());
        };
        let guard = self.state.lock().await;
        let issuer = guard.as_ref().ok_or(IssuerOpError::NoIssuer)?;
        if a.issuer != issuer.id() {
            return Err(IssuerOpError::Export(
                "the assertion was issued by another issuer".into(),
            ));
        }
        let (badge, profile) = core.ledger.read(|r| {
            let badge = r.badge_class(&a.badge).map(|(b, _)| b.clone());
            let profile = r.issuer(&a.issuer).and_then(|s| s.profile().cloned());
            (badge, profile)
        });
        let badge = badge.ok_or(IssuerOpError::Unknown {
            what: "badge class",
            id: a.badge.to_string(),
        })?;
        let profile =
            profile.ok_or_else(|| IssuerOpError::Export("the issuer has no profile".into()))?;
        let input = ExportInput {
            assertion: a,
            assertion_id: rec.id(),
            badge: &badge,
            badge_id: a.badge,
            profile: &profile,
            status_base_url: profile.public_base_url.as_deref(),
        };
        if jwt {
            export_credential_jwt(&input, issuer.current_key()).map(String::into_bytes)
        } else {
            export_credential_json(&input, issuer.current_key())
        }
        .map_err(|e| IssuerOpError::Export(e.to_string()))
    }

    /// Exports an endorsement this node's issuer signed as a signed OB 3.0
    /// `EndorsementCredential` (JSON, `eddsa-rdfc-2022`), with the issuer's
    /// status list entry when its profile names a public base URL.
    pub async fn export_endorsement(
        &self,
        core: &Core,
        endorsement: RecordId,
    ) -> Result<Vec<u8>, IssuerOpError> {
        use badgemesh_openbadges::endorsement::export_endorsement;
        let found = core.ledger.read(|r| {
            r.endorsement(&endorsement).map(|(e, _)| {
                let profile = r.issuer(&e.issuer).and_then(|s| s.profile().cloned());
                (e.clone(), profile)
            })
        });
        let (e, profile) = found.ok_or_else(|| IssuerOpError::Unknown {
            what: "endorsement",
            id: endorsement.to_string(),
        })?;
        let guard = self.state.lock().await;
        let issuer = guard.as_ref().ok_or(IssuerOpError::NoIssuer)?;
        if e.issuer != issuer.id() {
            return Err(IssuerOpError::Export(
                "the endorsement was signed by another issuer".into(),
            ));
        }
        let profile =
            profile.ok_or_else(|| IssuerOpError::Export("the issuer has no profile".into()))?;
        let doc = export_endorsement(
            &e,
            endorsement,
            &profile,
            profile.public_base_url.as_deref(),
            issuer.current_key(),
        )
        .map_err(|e| IssuerOpError::Export(e.to_string()))?;
        let mut out =
            serde_json::to_vec_pretty(&serde_json::Value::Object(doc)).unwrap_or_default();
        out.push(b'\n');
        Ok(out)
    }

    /// Signs any Verifiable Credential (the VC API's issue call) with an
    /// `eddsa-rdfc-2022` proof by the issuer's inception key. The credential
    /// names this issuer (or no issuer, which is filled in); JSON-LD
    /// processing must accept it (pinned contexts, defined terms).
    ///
    /// With `status_list` (the URL of this issuer's revocation list), the
    /// credential gets a revocation `BitstringStatusListEntry` with the next
    /// status index, the counter the native awards use, so its revocation
    /// travels in the same signed updates (and every node answers for it
    /// offline). The index is written to the issuer file, and the credential
    /// id to the store, before the credential is returned; a credential
    /// without an id gets a `urn:uuid:` one, since the status call names
    /// credentials by id.
    pub async fn sign_credential(
        &self,
        core: &Core,
        mut doc: serde_json::Map<String, serde_json::Value>,
        created: &str,
        status_list: Option<&str>,
    ) -> Result<serde_json::Map<String, serde_json::Value>, IssuerOpError> {
        use badgemesh_openbadges::contexts::{
            BITSTRING_STATUS_V1, CREDENTIALS_V1, ContextSet, DATA_INTEGRITY_V2,
        };
        use badgemesh_openbadges::proof::{proof_options, sign};
        use serde_json::Value;
        let mut guard = self.state.lock().await;
        let issuer = guard.as_ref().ok_or(IssuerOpError::NoIssuer)?;
        let did = issuer.id().to_did();
        if IssuerId::from_key(issuer.current_key().public()) != issuer.id() {
            return Err(IssuerOpError::Export(
                "the issuer key has been rotated: credentials are signed under the did:key of the inception key only".into(),
            ));
        }
        let named = match doc.get("issuer") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            // An issuer object without a text id is not this issuer.
            Some(Value::Object(o)) => Some(
                o.get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            ),
            Some(_) => Some(String::new()),
        };
        match named {
            None => {
                doc.insert("issuer".into(), did.clone().into());
            }
            Some(n) if n == did => {}
            Some(n) => {
                return Err(IssuerOpError::Export(format!(
                    "the credential's issuer {n:?} is not this node's issuer {did}"
                )));
            }
        }
        doc.shift_remove("proof");
        if let Some(problem) = badgemesh_openbadges::credential::vc_shape_problem(&doc) {
            return Err(IssuerOpError::Export(format!(
                "not a Verifiable Credential: {problem}"
            )));
        }
        if let Some(problem) = badgemesh_openbadges::status_entry::malformed_entry(&doc) {
            return Err(IssuerOpError::Export(problem));
        }
        if status_list.is_some() && doc.contains_key("credentialStatus") {
            return Err(IssuerOpError::Export(
                "the credential already has a credentialStatus; ask for a status or bring one, not both".into(),
            ));
        }
        // A VC 1.1 credential's context does not define Data Integrity
        // proofs (nor Bitstring Status List entries); issuers add those
        // contexts, as the specifications say.
        if let Some(Value::Array(ctx)) = doc.get_mut("@context")
            && ctx.first().and_then(Value::as_str) == Some(CREDENTIALS_V1)
        {
            let mut add = vec![DATA_INTEGRITY_V2];
            if status_list.is_some() {
                add.push(BITSTRING_STATUS_V1);
            }
            for c in add {
                if !ctx.iter().any(|have| have.as_str() == Some(c)) {
                    ctx.push(c.into());
                }
            }
        }
        // Under the lock, the next index is the one reserved below: the
        // credential is signed first, so a refusal wastes no index.
        let index = issuer.next_status_index();
        if let Some(list) = status_list {
            if !doc.contains_key("id") {
                let bytes: [u8; 16] = datadir::random();
                let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
                doc.insert("id".into(), format!("urn:uuid:{id}").into());
            }
            doc.insert(
                "credentialStatus".into(),
                serde_json::json!({
                    "id": format!("{list}#{index}"),
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": "revocation",
                    "statusListIndex": index.to_string(),
                    "statusListCredential": list,
                }),
            );
        }
        let options = proof_options(&issuer.id().verification_method(), created);
        sign(
            &mut doc,
            options,
            issuer.current_key(),
            &ContextSet::pinned(),
        )
        .map_err(|e| IssuerOpError::Export(e.to_string()))?;
        if status_list.is_some() {
            let credential_id = doc
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let mut next = issuer.clone();
            self.store_unstored(core).await?;
            let reserved = next.reserve_status_index()?;
            debug_assert_eq!(reserved, index);
            // The file holds the new counter: the index is never handed out again.
            self.persist(&next, None).await?;
            *guard = Some(next);
            core.ledger
                .store()
                .put_credential_status(&credential_id, reserved)?;
        }
        Ok(doc)
    }

    /// Revokes every status index the VC API issued the credential `id`
    /// with; returns the new revocation sequence number.
    pub async fn revoke_credential(
        &self,
        core: &Core,
        id: &str,
        reason: Option<String>,
    ) -> Result<u64, IssuerOpError> {
        let indices = core.ledger.store().credential_status(id)?;
        if indices.is_empty() {
            return Err(IssuerOpError::Unknown {
                what: "credential with a status issued here",
                id: id.to_owned(),
            });
        }
        self.revoke(core, indices, reason).await
    }

    /// Forgets the signed status list, so the next request signs it anew
    /// (the VC API's publish call).
    pub async fn republish_status_list(&self) {
        *self.status_list.lock().await = None;
    }

    /// The issuer's signed `BitstringStatusListCredential` (JSON), listing
    /// every revoked status index, for online OB 3.0 verifiers.
    ///
    /// Signed once per revocation state (the digest of the set of updates),
    /// signing key and base URL, and served from memory until then or until
    /// half its validity has passed; the issuer's own lock is held only to
    /// copy its id and key.
    pub async fn status_list(&self, core: &Core, base_url: &str) -> Result<Vec<u8>, IssuerOpError> {
        use badgemesh_openbadges::export::status_list_url;
        use badgemesh_openbadges::status_list::{StatusListInput, build_status_list_credential};
        use badgemesh_protocol::envelope::RecordKind;
        let (id, key) = {
            let guard = self.state.lock().await;
            let issuer = guard.as_ref().ok_or(IssuerOpError::NoIssuer)?;
            (issuer.id(), issuer.current_key().clone())
        };
        let public = *key.public().as_bytes();
        let snapshot = core.ledger.snapshot();
        let state = snapshot.issuer(&id);
        let revocations = state
            .and_then(|s| {
                s.prepared()
                    .summary
                    .kind(RecordKind::RevocationUpdate)
                    .map(|k| k.digest)
            })
            .unwrap_or_default();
        let mut cached = self.status_list.lock().await;
        let t = now();
        if let Some(c) = cached.as_ref()
            && c.answers(id, &public, base_url, &revocations, t)
        {
            return Ok(c.json.clone());
        }
        let revoked: Vec<u32> = state
            .map(|s| s.revoked_indices().collect())
            .unwrap_or_default();
        let url = status_list_url(base_url, &id);
        let json = tokio::task::spawn_blocking(move || {
            let input = StatusListInput {
                url: &url,
                valid_from: t,
                valid_until: Some(t.plus(NEXT_UPDATE_SECS)),
            };
            let doc = build_status_list_credential(&input, revoked.iter().copied(), &key)
                .map_err(|e| IssuerOpError::Export(e.to_string()))?;
            serde_json::to_vec(&doc).map_err(|e| IssuerOpError::Export(e.to_string()))
        })
        .await
        .map_err(|e| IssuerOpError::Export(e.to_string()))??;
        *cached = Some(SignedStatusList {
            issuer: id,
            key: public,
            base_url: base_url.to_owned(),
            revocations,
            signed_at: t,
            json: json.clone(),
        });
        Ok(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use badgemesh_protocol::testkit::seed;

    fn plain_file(dir: &std::path::Path) -> (PathBuf, Issuer) {
        let (issuer, _) =
            Issuer::incept(&seed("c", 1), &seed("n", 1), Timestamp(1_800_000_000)).expect("incept");
        let path = dir.join("issuer.key");
        let me = LocalIssuer {
            path: path.clone(),
            state: Mutex::new(None),
            unstored: std::sync::Mutex::new(None),
            sealer: None,
            status_list: Mutex::new(None),
        };
        datadir::write_secret(&path, &me.file_bytes(&issuer, None)).expect("write");
        (path, issuer)
    }

    #[test]
    fn a_passphrase_seals_the_file_and_is_then_required() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ledger = Ledger::in_memory(Timestamp(0), Default::default()).expect("ledger");
        let (path, issuer) = plain_file(dir.path());
        // Starting with a passphrase seals the plain file.
        let loaded = LocalIssuer::load(path.clone(), &ledger, Some("s3cret")).expect("loads");
        assert!(loaded.sealer.is_some());
        let text = std::fs::read_to_string(&path).expect("file");
        assert!(text.contains("argon2id"), "{text}");
        let seed_b64 = B64.encode(issuer.to_bytes());
        assert!(!text.contains(&seed_b64), "secrets stored in the clear");
        // Then it opens with the passphrase only.
        assert!(matches!(
            LocalIssuer::load(path.clone(), &ledger, None),
            Err(IssuerOpError::Locked)
        ));
        assert!(LocalIssuer::load(path.clone(), &ledger, Some("wrong")).is_err());
        let again = LocalIssuer::load(path, &ledger, Some("s3cret")).expect("opens");
        let id = again
            .state
            .try_lock()
            .expect("unlocked")
            .as_ref()
            .map(Issuer::id);
        assert_eq!(id, Some(issuer.id()));
    }
}
