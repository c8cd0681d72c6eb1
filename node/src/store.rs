//! The durable store: one redb file under the data directory.
//!
//! Only records that the issuer state machine accepted are written. Each write
//! is one ACID transaction holding the record and its indexes (by issuer, by
//! kind, the current head per issuer, equivocation proofs), committed with
//! `Durability::Immediate` before the caller acknowledges it: after an
//! acknowledged write, a crash loses nothing. (sled was the first sketch's
//! choice; its last stable release is from 2021 and calls itself beta, so we use
//! redb: same embedded model, stable file format, crash-safe commits.)

use std::collections::BTreeMap;
use std::path::Path;

use crate::datadir::StorageProblem;
use badgemesh_protocol::envelope::RecordKind;
use badgemesh_protocol::id::RecordId;
use badgemesh_protocol::record::SignedRecord;
use badgemesh_protocol::state::EquivocationProof;
use badgemesh_protocol::sync::KindCode;
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

/// The schema this code reads and writes. An unknown version is refused.
pub const SCHEMA_VERSION: u64 = 1;

const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const RECORDS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("records");
const BY_ISSUER: TableDefinition<(&[u8], u8, &[u8]), ()> = TableDefinition::new("by_issuer");
const BY_KIND: TableDefinition<(u8, &[u8]), ()> = TableDefinition::new("by_kind");
const HEADS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("heads");
/// Revocation updates a checkpoint covers: kept for lookups by id, never
/// replayed at start-up (the state no longer holds them).
const ARCHIVE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("archive");
/// (first id, second id) -> (issuer, kind, seq).
type ProofRow<'a> = (&'a [u8], u8, u64);
const EQUIVOCATIONS: TableDefinition<(&[u8], &[u8]), ProofRow> =
    TableDefinition::new("equivocations");
/// (credential id, status index) of credentials the VC API issued with a
/// status entry: the status update call names a credential by its id.
const CREDENTIAL_STATUS: TableDefinition<(&str, u32), ()> =
    TableDefinition::new("credential_status");

/// Most status indices one credential id is kept with (one per issue call
/// that reused the id).
pub const MAX_INDICES_PER_CREDENTIAL: usize = 64;

/// What can go wrong with the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database file could not be opened.
    #[error("{}: {source}{}", path.display(), db_hint(source))]
    Open {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: redb::Error,
    },
    /// The database file could not be read or written.
    #[error("database: {0}{hint}", hint = db_hint(.0))]
    Db(#[from] redb::Error),
    /// A commit failed; the ledger takes no more writes until the node
    /// restarts (see [`crate::ledger::Ledger`]).
    #[error(
        "the store could not commit and takes no more writes until the node restarts: {reason}"
    )]
    Halted {
        /// What the first failure was.
        problem: StorageProblem,
        /// The first failure.
        reason: String,
    },
    /// The file was written by another schema version.
    #[error(
        "store schema version {found} is not supported (this build reads version {SCHEMA_VERSION}); use a matching badgemesh version"
    )]
    UnknownSchema {
        /// The version in the file.
        found: u64,
    },
    /// A stored record does not decode: the file is corrupt.
    #[error("stored record {0} is corrupt")]
    Corrupt(String),
}

fn dberr<E: Into<redb::Error>>(e: E) -> StoreError {
    StoreError::Db(e.into())
}

fn db_problem(e: &redb::Error) -> Option<StorageProblem> {
    match e {
        redb::Error::Io(io) => StorageProblem::of(io),
        redb::Error::PreviousIo => Some(StorageProblem::Halted),
        _ => None,
    }
}

fn db_hint(e: &redb::Error) -> String {
    db_problem(e)
        .map(|p| format!(" ({})", p.advice()))
        .unwrap_or_default()
}

impl StoreError {
    /// Whether this is a full disk, a read-only data directory or a store
    /// halted by an earlier failure (each has its own API status and exit code).
    pub fn storage_problem(&self) -> Option<StorageProblem> {
        match self {
            StoreError::Db(e) | StoreError::Open { source: e, .. } => db_problem(e),
            StoreError::Halted { problem, .. } => Some(*problem),
            _ => None,
        }
    }
}

/// The durable store.
#[derive(Debug)]
pub struct Store {
    db: Database,
    /// The file, for backups (`None` in memory).
    path: Option<std::path::PathBuf>,
}

/// redb's page cache. Its default, 1 GiB, fills as pages are read (sync
/// answers, bundles, lookups in the archive), which a small machine running
/// a node for years cannot spare; the operating system's page cache still
/// keeps the file's hot pages.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

impl Store {
    /// Opens (or creates) the store at `path` and checks its schema version.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open = |e: redb::Error| StoreError::Open {
            path: path.to_owned(),
            source: e,
        };
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(|e| open(e.into()))?;
        let mut store = Store::init(db).map_err(|e| match e {
            StoreError::Db(source) => open(source),
            other => other,
        })?;
        store.path = Some(path.to_owned());
        Ok(store)
    }

    /// The store's file, `None` for a store in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// A store in memory only: for simulations, never for a real node.
    pub fn in_memory() -> Result<Store, StoreError> {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(dberr)?;
        Store::init(db)
    }

    fn init(db: Database) -> Result<Store, StoreError> {
        let txn = db.begin_write().map_err(dberr)?;
        let found = {
            let mut meta = txn.open_table(META).map_err(dberr)?;
            let found = meta
                .get("schema_version")
                .map_err(dberr)?
                .map(|v| v.value());
            if found.is_none() {
                meta.insert("schema_version", SCHEMA_VERSION)
                    .map_err(dberr)?;
            }
            found
        };
        if let Some(found) = found
            && found != SCHEMA_VERSION
        {
            return Err(StoreError::UnknownSchema { found });
        }
        for table in [RECORDS, HEADS, ARCHIVE] {
            txn.open_table(table).map_err(dberr)?;
        }
        txn.open_table(BY_ISSUER).map_err(dberr)?;
        txn.open_table(BY_KIND).map_err(dberr)?;
        txn.open_table(EQUIVOCATIONS).map_err(dberr)?;
        txn.open_table(CREDENTIAL_STATUS).map_err(dberr)?;
        txn.commit().map_err(dberr)?;
        Ok(Store { db, path: None })
    }

    /// Writes records (and the equivocation proofs they complete) in one
    /// transaction; returns once it is durable.
    pub fn put(
        &self,
        records: &[(&SignedRecord, Option<&EquivocationProof>)],
    ) -> Result<(), StoreError> {
        self.commit(records, &[])
    }

    /// Writes records as [`Store::put`] does and, in the same transaction,
    /// takes `forgotten` (records the state dropped because a checkpoint
    /// covers them) out of what start-up replays: revocation updates move
    /// to the archive, checkpoint parts are deleted (a newer one holds
    /// everything they said).
    pub fn commit(
        &self,
        records: &[(&SignedRecord, Option<&EquivocationProof>)],
        forgotten: &[&SignedRecord],
    ) -> Result<(), StoreError> {
        if records.is_empty() && forgotten.is_empty() {
            return Ok(());
        }
        let txn = self.db.begin_write().map_err(dberr)?;
        {
            let mut recs = txn.open_table(RECORDS).map_err(dberr)?;
            let mut by_issuer = txn.open_table(BY_ISSUER).map_err(dberr)?;
            let mut by_kind = txn.open_table(BY_KIND).map_err(dberr)?;
            let mut heads = txn.open_table(HEADS).map_err(dberr)?;
            let mut eqs = txn.open_table(EQUIVOCATIONS).map_err(dberr)?;
            for (rec, proof) in records {
                let id = rec.id();
                let issuer = rec.record().issuer();
                let kind = KindCode::of(rec.kind()).0;
                if matches!(rec.kind(), RecordKind::Head | RecordKind::ListingHead) {
                    // Only the current head is kept: heads are re-signed often.
                    // A registry's list head is keyed apart from its
                    // revocation head.
                    let mut key = issuer.as_bytes().to_vec();
                    if rec.kind() == RecordKind::ListingHead {
                        key.push(kind);
                    }
                    let old = heads
                        .insert(key.as_slice(), id.digest().as_slice())
                        .map_err(dberr)?;
                    if let Some(old) = old.map(|o| o.value().to_vec()) {
                        recs.remove(old.as_slice()).map_err(dberr)?;
                        by_issuer
                            .remove((issuer.as_bytes().as_slice(), kind, old.as_slice()))
                            .map_err(dberr)?;
                        by_kind.remove((kind, old.as_slice())).map_err(dberr)?;
                    }
                }
                recs.insert(id.digest().as_slice(), rec.bytes())
                    .map_err(dberr)?;
                by_issuer
                    .insert(
                        (issuer.as_bytes().as_slice(), kind, id.digest().as_slice()),
                        (),
                    )
                    .map_err(dberr)?;
                by_kind
                    .insert((kind, id.digest().as_slice()), ())
                    .map_err(dberr)?;
                if let Some(p) = proof {
                    let (a, b) = p.ids();
                    eqs.insert(
                        (a.digest().as_slice(), b.digest().as_slice()),
                        (
                            p.issuer.as_bytes().as_slice(),
                            KindCode::of(p.kind).0,
                            p.seq,
                        ),
                    )
                    .map_err(dberr)?;
                }
            }
            // After the writes: one call may store an update and forget it.
            let mut archive = txn.open_table(ARCHIVE).map_err(dberr)?;
            for rec in forgotten {
                let id = rec.id();
                let issuer = rec.record().issuer();
                let kind = KindCode::of(rec.kind()).0;
                recs.remove(id.digest().as_slice()).map_err(dberr)?;
                by_issuer
                    .remove((issuer.as_bytes().as_slice(), kind, id.digest().as_slice()))
                    .map_err(dberr)?;
                by_kind
                    .remove((kind, id.digest().as_slice()))
                    .map_err(dberr)?;
                if rec.kind() == RecordKind::RevocationUpdate {
                    archive
                        .insert(id.digest().as_slice(), rec.bytes())
                        .map_err(dberr)?;
                }
            }
        }
        txn.commit().map_err(dberr)?;
        Ok(())
    }

    /// Every stored envelope.
    pub fn load_all(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(dberr)?;
        let recs = txn.open_table(RECORDS).map_err(dberr)?;
        let mut out = Vec::with_capacity(usize::try_from(recs.len().map_err(dberr)?).unwrap_or(0));
        for entry in recs.iter().map_err(dberr)? {
            let (_, v) = entry.map_err(dberr)?;
            out.push(v.value().to_vec());
        }
        Ok(out)
    }

    /// One envelope by id, archived ones included.
    pub fn get(&self, id: &RecordId) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(dberr)?;
        for table in [RECORDS, ARCHIVE] {
            let found = txn
                .open_table(table)
                .map_err(dberr)?
                .get(id.digest().as_slice())
                .map_err(dberr)?
                .map(|v| v.value().to_vec());
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    /// How many revocation updates are archived (covered by a checkpoint).
    pub fn archived(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().map_err(dberr)?;
        txn.open_table(ARCHIVE).map_err(dberr)?.len().map_err(dberr)
    }

    /// How many records of each kind are stored.
    pub fn counts(&self) -> Result<BTreeMap<RecordKind, u64>, StoreError> {
        let txn = self.db.begin_read().map_err(dberr)?;
        let by_kind = txn.open_table(BY_KIND).map_err(dberr)?;
        let mut out = BTreeMap::new();
        for entry in by_kind.iter().map_err(dberr)? {
            let (k, _) = entry.map_err(dberr)?;
            if let Some(kind) = KindCode(k.value().0).kind() {
                *out.entry(kind).or_default() += 1;
            }
        }
        Ok(out)
    }

    /// Remembers that the credential `id` was issued with status `index`;
    /// returns once it is durable, before the credential is handed out.
    pub fn put_credential_status(&self, id: &str, index: u32) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(dberr)?;
        txn.open_table(CREDENTIAL_STATUS)
            .map_err(dberr)?
            .insert((id, index), ())
            .map_err(dberr)?;
        txn.commit().map_err(dberr)?;
        Ok(())
    }

    /// The status indices the credential `id` was issued with (at most
    /// [`MAX_INDICES_PER_CREDENTIAL`]).
    pub fn credential_status(&self, id: &str) -> Result<Vec<u32>, StoreError> {
        let txn = self.db.begin_read().map_err(dberr)?;
        let table = txn.open_table(CREDENTIAL_STATUS).map_err(dberr)?;
        let mut out = Vec::new();
        for entry in table
            .range((id, 0)..=(id, u32::MAX))
            .map_err(dberr)?
            .take(MAX_INDICES_PER_CREDENTIAL)
        {
            out.push(entry.map_err(dberr)?.0.value().1);
        }
        Ok(out)
    }

    /// The database file itself, for the tables that live beside the
    /// records in the same file (the earner's backpack, see
    /// [`crate::backpack`]): redb locks the file, so everything the node
    /// keeps in it goes through this one handle.
    pub(crate) fn database(&self) -> &Database {
        &self.db
    }

    /// How many equivocation proofs are stored.
    pub fn equivocation_count(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().map_err(dberr)?;
        txn.open_table(EQUIVOCATIONS)
            .map_err(dberr)?
            .len()
            .map_err(dberr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use badgemesh_protocol::testkit::Issuer;
    use badgemesh_protocol::time::Timestamp;

    #[test]
    fn records_survive_reopen_and_old_heads_are_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("store.redb");
        let mut issuer = Issuer::new(1, Timestamp(1_800_000_000));
        let genesis = issuer.genesis();
        {
            let store = Store::open(&path).expect("open");
            let refs: Vec<_> = genesis.iter().map(|r| (r, None)).collect();
            store.put(&refs).expect("put");
            issuer.now = issuer.now.plus(60);
            let head2 = issuer.head();
            store.put(&[(&head2, None)]).expect("put head");
        }
        let store = Store::open(&path).expect("reopen");
        let all = store.load_all().expect("load");
        assert_eq!(all.len(), 3, "inception, profile and only the newest head");
        assert!(
            store.get(&genesis[2].id()).expect("get").is_none(),
            "old head removed"
        );
        assert_eq!(
            store.counts().expect("counts").get(&RecordKind::Head),
            Some(&1)
        );
    }

    #[test]
    fn credential_statuses_survive_reopen_and_stay_apart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("store.redb");
        {
            let store = Store::open(&path).expect("open");
            store.put_credential_status("urn:a", 7).expect("put");
            store.put_credential_status("urn:a", 9).expect("put");
            store.put_credential_status("urn:ab", 8).expect("put");
        }
        let store = Store::open(&path).expect("reopen");
        assert_eq!(store.credential_status("urn:a").expect("get"), vec![7, 9]);
        assert_eq!(store.credential_status("urn:ab").expect("get"), vec![8]);
        assert!(store.credential_status("urn:").expect("get").is_empty());
    }

    #[test]
    fn unknown_schema_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("store.redb");
        drop(Store::open(&path).expect("create"));
        {
            let db = Database::create(&path).expect("open raw");
            let txn = db.begin_write().expect("txn");
            txn.open_table(META)
                .expect("meta")
                .insert("schema_version", 99)
                .expect("insert");
            txn.commit().expect("commit");
        }
        assert!(matches!(
            Store::open(&path),
            Err(StoreError::UnknownSchema { found: 99 })
        ));
    }
}
