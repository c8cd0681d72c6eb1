//! The ledger: the issuer state machine in memory, backed by the store.
//!
//! Every record that enters the node (gossip, sync, bundle, the admin API)
//! goes through [`Ledger::ingest`]: the protocol's state machine decides, and
//! what it accepts (with any held records it released) is committed to the
//! store in one transaction before `ingest` returns. Writers are serialised so
//! that commits happen in the order the state machine accepted records.
//!
//! Readers (verification, the API, sync answers in the event loop) never wait
//! for a writer and never make one wait: the state is published as an
//! immutable snapshot (`Arc<Registry>`) after each commit, and a reader takes
//! the current one and works on it as long as it likes. A writer applies the
//! next records to a clone of the published state (cheap: the registry's
//! collections are persistent, so a commit copies only what it changes),
//! commits, then swaps the pointer. The lock around the pointer is held only
//! to clone or replace it. So a verification that takes seconds delays no
//! write, no other reader and not the event loop; it sees the state as of
//! when it started.
//!
//! A failed commit halts the ledger: redb refuses every later operation after
//! an I/O error. Nothing is acknowledged, the state that failed to commit is
//! never published (readers keep the last committed state), every later write
//! is refused with [`StoreError::Halted`] (the first failure's reason, so a
//! full disk stays "full"), and a restart rebuilds the state from what was
//! committed. Reads go on.

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use badgemesh_protocol::keys::IssuerId;
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use badgemesh_protocol::record::SignedRecord;
use badgemesh_protocol::state::{EquivocationProof, Outcome, Policy, Registry};
use badgemesh_protocol::time::Timestamp;

use crate::datadir::StorageProblem;
use crate::store::{Store, StoreError};

/// What ingesting one record did.
#[derive(Debug, Clone)]
pub struct Ingested {
    /// The record's own outcome.
    pub outcome: Outcome,
    /// Every record committed by this call: the record itself if stored, and
    /// held records it released.
    pub stored: Vec<Arc<SignedRecord>>,
}

impl Ingested {
    /// The one result of a batch of one record (a duplicate if, against
    /// expectation, there is none).
    pub fn only(mut all: Vec<Ingested>) -> Ingested {
        all.pop().unwrap_or(Ingested {
            outcome: Outcome::Duplicate,
            stored: vec![],
        })
    }
}

/// The state machine plus the store.
#[derive(Debug)]
pub struct Ledger {
    /// The last committed state. Locked only to clone or swap the `Arc`.
    published: RwLock<Arc<Registry>>,
    store: Store,
    /// Serialises writers: each applies to a clone of `published`.
    writer: Mutex<()>,
    /// The first failed commit, after which nothing more is written.
    halted: OnceLock<(StorageProblem, String)>,
}

impl Ledger {
    /// Sets the trust registries whose listings this node keeps (those it
    /// follows, and its own identity's). Listings refused before are fetched
    /// again by the next sync round.
    pub fn carry_registries(&self, registries: impl IntoIterator<Item = IssuerId>) {
        let wanted: std::collections::HashSet<IssuerId> = registries.into_iter().collect();
        // A writer like any other: apply to a clone of the latest state and
        // publish it.
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut reg = Registry::clone(&self.snapshot());
        let current: Vec<IssuerId> = reg.policy().registries.iter().copied().collect();
        for id in current.iter().filter(|id| !wanted.contains(id)) {
            reg.unfollow_registry(id);
        }
        for id in wanted {
            reg.follow_registry(id);
        }
        self.publish(reg);
    }

    /// Makes `reg` the state readers see. The version replaced is dropped
    /// after the lock is released (dropping a large one takes time).
    fn publish(&self, reg: Registry) {
        let replaced = std::mem::replace(
            &mut *self.published.write().unwrap_or_else(|e| e.into_inner()),
            Arc::new(reg),
        );
        drop(replaced);
    }

    /// Opens the store at `path` and rebuilds the state from it.
    pub fn open(path: &Path, now: Timestamp) -> Result<Ledger, StoreError> {
        Ledger::open_with(path, now, Policy::default())
    }

    /// A ledger whose store lives in memory only (simulations).
    pub fn in_memory(now: Timestamp, policy: Policy) -> Result<Ledger, StoreError> {
        Ledger::from_store(Store::in_memory()?, now, policy)
    }

    /// Opens the store with a storage policy for unfollowed issuers.
    pub fn open_with(path: &Path, now: Timestamp, policy: Policy) -> Result<Ledger, StoreError> {
        Ledger::from_store(Store::open(path)?, now, policy)
    }

    fn from_store(store: Store, now: Timestamp, policy: Policy) -> Result<Ledger, StoreError> {
        let mut records = decode_stored(&store.load_all()?)?;
        badgemesh_protocol::sync::sort_for_apply(&mut records);
        let mut registry = Registry::with_policy(policy);
        for rec in records {
            registry.apply(rec, now);
        }
        Ok(Ledger {
            published: RwLock::new(Arc::new(registry)),
            store,
            writer: Mutex::new(()),
            halted: OnceLock::new(),
        })
    }

    /// Applies one record and commits what was accepted. Blocking (it waits for
    /// the disk): call it from a blocking context.
    pub fn ingest(&self, record: SignedRecord, now: Timestamp) -> Result<Ingested, StoreError> {
        self.ingest_batch(vec![record], now).map(Ingested::only)
    }

    /// Applies records in order and commits everything accepted in one
    /// transaction (one disk sync for a whole sync page).
    pub fn ingest_batch(
        &self,
        records: Vec<SignedRecord>,
        now: Timestamp,
    ) -> Result<Vec<Ingested>, StoreError> {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((problem, reason)) = self.halted.get() {
            return Err(StoreError::Halted {
                problem: *problem,
                reason: reason.clone(),
            });
        }
        let mut results = Vec::with_capacity(records.len());
        let mut writes: Vec<(Arc<SignedRecord>, Option<EquivocationProof>)> = Vec::new();
        let mut forgotten: Vec<Arc<SignedRecord>> = Vec::new();
        // Writers are serialised, so this is the latest state; the clone
        // shares everything until `apply` writes to it.
        let mut reg = Registry::clone(&self.snapshot());
        for record in records {
            let record = Arc::new(record);
            let report = reg.apply((*record).clone(), now);
            forgotten.extend(report.forgotten);
            let mut stored = Vec::new();
            let own = std::iter::once((record, report.outcome.clone()));
            for (rec, outcome) in own.chain(report.released) {
                if outcome.is_stored() {
                    let proof = match outcome {
                        Outcome::Equivocation(p) => Some(p),
                        _ => None,
                    };
                    writes.push((rec.clone(), proof));
                    stored.push(rec);
                }
            }
            results.push(Ingested {
                outcome: report.outcome,
                stored,
            });
        }
        let refs: Vec<_> = writes
            .iter()
            .map(|(r, p)| (r.as_ref(), p.as_ref()))
            .collect();
        let forgotten: Vec<&SignedRecord> = forgotten.iter().map(Arc::as_ref).collect();
        if let Err(e) = self.store.commit(&refs, &forgotten) {
            let problem = e.storage_problem().unwrap_or(StorageProblem::Halted);
            let halted = StoreError::Halted {
                problem,
                reason: e.to_string(),
            };
            tracing::error!("{halted}");
            let _ = self.halted.set((problem, e.to_string()));
            return Err(halted);
        }
        // Also when nothing was stored: held records changed the pending pool.
        self.publish(reg);
        Ok(results)
    }

    /// Why writes are refused, once a commit has failed.
    pub fn halted(&self) -> Option<&str> {
        self.halted.get().map(|(_, reason)| reason.as_str())
    }

    /// The last committed state. Holding it blocks nobody; it does not
    /// change (later commits publish new snapshots).
    pub fn snapshot(&self) -> Arc<Registry> {
        Arc::clone(&self.published.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Runs `f` on the last committed state, holding no lock while it runs
    /// (see [`Ledger::snapshot`]).
    pub fn read<R>(&self, f: impl FnOnce(&Registry) -> R) -> R {
        f(&self.snapshot())
    }

    /// The store, for counts and lookups of records the state does not keep.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// Decodes (and checks the signature of) every stored envelope, on every
/// core and with batched signature checks: start-up time is this. A record
/// that no longer decodes or verifies means the store was damaged, and the
/// node refuses to start on it rather than serve a state it cannot vouch
/// for.
fn decode_stored(all: &[Vec<u8>]) -> Result<Vec<SignedRecord>, StoreError> {
    use badgemesh_protocol::record::DECODE_BATCH;
    let refs: Vec<&[u8]> = all.iter().map(Vec::as_slice).collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = refs.len().div_ceil(threads).max(DECODE_BATCH);
    let parts: Vec<Vec<Result<SignedRecord, _>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = refs
            .chunks(per)
            .map(|part| scope.spawn(move || SignedRecord::decode_many(part, MAX_ENVELOPE_BYTES)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| StoreError::Corrupt("a decoding thread panicked".into()))
            })
            .collect::<Result<_, _>>()
    })?;
    parts
        .into_iter()
        .flatten()
        .map(|r| r.map_err(|e| StoreError::Corrupt(e.to_string())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use badgemesh_protocol::testkit::Issuer;

    #[test]
    fn restart_restores_exactly_the_state() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("store.redb");
        let now = Timestamp(1_800_000_000);
        let mut issuer = Issuer::new(1, now);
        let mut fork = issuer.clone();
        let fingerprint = {
            let ledger = Ledger::open(&path, now).expect("open");
            for r in issuer.genesis() {
                assert!(ledger.ingest(r, now).expect("ingest").outcome.is_stored());
            }
            // Out of order: update 2 waits for 1, then both are stored.
            let r1 = issuer.revoke(&[1]);
            let r2 = issuer.revoke(&[2]);
            assert!(matches!(
                ledger.ingest(r2, now).expect("ingest").outcome,
                Outcome::Pending(_)
            ));
            let done = ledger.ingest(r1, now).expect("ingest");
            assert_eq!(done.stored.len(), 2);
            // An equivocation is stored with its proof.
            let _ = fork.genesis();
            let conflicting = fork.revoke(&[9]);
            assert!(matches!(
                ledger.ingest(conflicting, now).expect("ingest").outcome,
                Outcome::Equivocation(_)
            ));
            assert_eq!(ledger.store().equivocation_count().expect("count"), 1);
            ledger.read(|r| r.fingerprint())
        };
        let reopened = Ledger::open(&path, now).expect("reopen");
        assert_eq!(reopened.read(|r| r.fingerprint()), fingerprint);
    }

    /// A checkpoint moves the updates it covers out of what start-up
    /// replays, in the same commit; the restart restores the same state
    /// from the checkpoint and the tail, and the old updates can still be
    /// looked up by id.
    #[test]
    fn a_checkpoint_archives_what_it_covers_and_restart_starts_from_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("store.redb");
        let now = Timestamp(1_800_000_000);
        let mut issuer = Issuer::new(3, now);
        let revoked: Vec<u32> = (0..300).map(|i| i * 55_001).collect();
        let (fingerprint, first) = {
            let ledger = Ledger::open(&path, now).expect("open");
            let mut records = issuer.genesis();
            records.extend(revoked[..250].iter().map(|&i| issuer.revoke(&[i])));
            let first = records[3].id();
            ledger.ingest_batch(records, now).expect("ingest");
            let parts = issuer.checkpoint(&revoked[..250]);
            assert!(parts.len() > 1);
            // The parts and the tail in one batch: the updates stored and
            // forgotten by one call are all committed as they should be.
            let mut batch = parts;
            batch.extend(revoked[250..].iter().map(|&i| issuer.revoke(&[i])));
            ledger.ingest_batch(batch, now).expect("ingest");
            assert_eq!(ledger.store().archived().expect("archived"), 250);
            (ledger.read(|r| r.fingerprint()), first)
        };
        let reopened = Ledger::open(&path, now).expect("reopen");
        assert_eq!(reopened.read(|r| r.fingerprint()), fingerprint);
        let held = reopened.store().load_all().expect("load").len();
        let parts = fingerprint
            .values()
            .map(|f| f.checkpoints.len())
            .sum::<usize>();
        assert_eq!(held, 3 + parts + 50, "genesis, the parts and the tail");
        assert!(reopened.store().get(&first).expect("get").is_some());
        let id = issuer.inner().id();
        let count = reopened.read(|r| r.issuer(&id).map(|s| s.revoked_count()));
        assert_eq!(count, Some(300));
    }

    /// Hundreds of records (several decoding threads and batches) restore
    /// the same state, and one damaged signature among them stops the start
    /// with the store named corrupt, instead of a state nobody can vouch for.
    #[test]
    fn a_damaged_record_stops_the_start() {
        use redb::{ReadableDatabase, ReadableTable, TableDefinition};
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("store.redb");
        let now = Timestamp(1_800_000_000);
        let mut issuer = Issuer::new(2, now);
        let fingerprint = {
            let ledger = Ledger::open(&path, now).expect("open");
            let mut records = issuer.genesis();
            records.extend((0..400).map(|i| issuer.revoke(&[i])));
            ledger.ingest_batch(records, now).expect("ingest");
            ledger.read(|r| r.fingerprint())
        };
        let reopened = Ledger::open(&path, now).expect("reopen");
        assert_eq!(reopened.read(|r| r.fingerprint()), fingerprint);
        drop(reopened);
        {
            // The store's own table, damaged behind its back: the last byte
            // of one record's signature.
            const RECORDS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("records");
            let db = redb::Database::create(&path).expect("raw open");
            let (key, mut value) = {
                let txn = db.begin_read().expect("read");
                let table = txn.open_table(RECORDS).expect("table");
                let (k, v) = table
                    .iter()
                    .expect("iter")
                    .nth(200)
                    .expect("a record")
                    .expect("entry");
                (k.value().to_vec(), v.value().to_vec())
            };
            let last = value.len() - 1;
            value[last] ^= 1;
            let txn = db.begin_write().expect("write");
            txn.open_table(RECORDS)
                .expect("table")
                .insert(key.as_slice(), value.as_slice())
                .expect("insert");
            txn.commit().expect("commit");
        }
        assert!(matches!(
            Ledger::open(&path, now),
            Err(StoreError::Corrupt(_))
        ));
    }
}
