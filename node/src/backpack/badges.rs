//! The held badges: the exact bytes the earner added, and what was noted
//! about them then, in two redb tables of the node's store file.
//!
//! A badge is named by the SHA-256 of its bytes ([`BadgeId`]), so adding
//! the same file twice holds it once, and the id says which bytes an export
//! gives back. The notes ([`BadgeInfo`]) are for listing and file names
//! only; every view verifies the bytes again (see [`super::views`]).

use std::fmt;

use badgemesh_protocol::time::Timestamp;
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{BackpackError, MAX_BADGES, MAX_BYTES, db};
use crate::store::Store;

/// id -> the badge file's bytes, as added.
pub(super) const BADGES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("backpack_badges");
/// id -> [`BadgeInfo`] as JSON.
pub(super) const INFO: TableDefinition<&[u8], &str> = TableDefinition::new("backpack_info");
/// Running totals: `bytes` held (so a limit is checked without reading
/// every badge) and the `next` place in the order of adding.
const TOTALS: TableDefinition<&str, u64> = TableDefinition::new("backpack_totals");

/// Shortest id prefix a command may name a badge by.
pub const MIN_PREFIX: usize = 6;

/// A held badge's id: the SHA-256 of its bytes, printed in hexadecimal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BadgeId([u8; 32]);

impl BadgeId {
    /// The id of a badge file's bytes.
    pub fn of(bytes: &[u8]) -> BadgeId {
        let mut id = [0; 32];
        id.copy_from_slice(&Sha256::digest(bytes));
        BadgeId(id)
    }

    /// The first 12 hexadecimal digits: what lists print and commands take.
    pub fn short(&self) -> String {
        hex::encode(&self.0[..6])
    }

    pub(super) fn from_key(key: &[u8]) -> Option<BadgeId> {
        <[u8; 32]>::try_from(key).ok().map(BadgeId)
    }

    pub(super) fn key(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for BadgeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl std::str::FromStr for BadgeId {
    type Err = BackpackError;

    /// A whole id (64 hexadecimal digits); see [`resolve`] for prefixes.
    fn from_str(text: &str) -> Result<BadgeId, BackpackError> {
        let mut id = [0; 32];
        hex::decode_to_slice(text, &mut id).map_err(|_| BackpackError::BadId(text.to_owned()))?;
        Ok(BadgeId(id))
    }
}

impl Serialize for BadgeId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What was noted about a badge when it was added: enough to list it and
/// to name its file on export. Its verdict is never taken from here.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct BadgeInfo {
    /// Its place in the order badges were added (set when it is held).
    #[serde(default)]
    pub seq: u64,
    /// When it was added.
    pub added_at: Timestamp,
    /// The name of the file it was added from (a label, never a path).
    pub file_name: Option<String>,
    /// `native`, `ob3` or `ob2` (the verdict's `format`).
    pub format: String,
    /// `png` or `svg` when the badge is baked into an image.
    pub carrier: Option<String>,
    /// The extension its bytes are exported with (`badge`, `json`, `jwt`,
    /// `jws`, `png`, `svg`).
    pub ext: String,
    /// The badge's name, as the verdict gave it when added.
    pub name: Option<String>,
    /// The issuer's id, as the verdict gave it when added.
    pub issuer: Option<String>,
    /// The outcome when added (`valid`, `indeterminate`, `expired`...).
    pub added_as: String,
    /// The file's size in bytes.
    pub size: u64,
}

/// A held badge and its notes.
#[derive(Clone, Debug)]
pub struct HeldBadge {
    /// Its id.
    pub id: BadgeId,
    /// What was noted when it was added.
    pub info: BadgeInfo,
}

/// What [`put`] did.
#[derive(Debug)]
pub enum Put {
    /// The badge is held now, with these notes.
    Added(BadgeInfo),
    /// The same bytes were held already (since the time in these notes).
    Already(BadgeInfo),
}

/// Holds `bytes` under their id with `info` (placed after every badge held),
/// unless they are held already. Refused when the backpack would exceed
/// [`MAX_BADGES`] or [`MAX_BYTES`]. Returns once the write is durable.
pub fn put(
    store: &Store,
    bytes: &[u8],
    mut info: BadgeInfo,
) -> Result<(BadgeId, Put), BackpackError> {
    let id = BadgeId::of(bytes);
    let txn = store.database().begin_write().map_err(db)?;
    let outcome = {
        let mut infos = txn.open_table(INFO).map_err(db)?;
        if let Some(old) = infos.get(id.key()).map_err(db)? {
            let old = decode_info(&id, old.value())?;
            return Ok((id, Put::Already(old)));
        }
        let count = usize::try_from(infos.len().map_err(db)?).unwrap_or(usize::MAX);
        if count >= MAX_BADGES {
            return Err(BackpackError::Full(format!(
                "it holds {count} badges, the most it may (remove one first)"
            )));
        }
        let mut totals = txn.open_table(TOTALS).map_err(db)?;
        let used = totals.get("bytes").map_err(db)?.map_or(0, |v| v.value());
        let size = bytes.len() as u64;
        if used.saturating_add(size) > MAX_BYTES {
            return Err(BackpackError::Full(format!(
                "its badges take {used} bytes and this one {size}; the most is {MAX_BYTES}"
            )));
        }
        totals
            .insert("bytes", used.saturating_add(size))
            .map_err(db)?;
        info.seq = totals.get("next").map_err(db)?.map_or(0, |v| v.value());
        totals
            .insert("next", info.seq.saturating_add(1))
            .map_err(db)?;
        let json =
            serde_json::to_string(&info).map_err(|e| BackpackError::Corrupt(e.to_string()))?;
        infos.insert(id.key(), json.as_str()).map_err(db)?;
        txn.open_table(BADGES)
            .map_err(db)?
            .insert(id.key(), bytes)
            .map_err(db)?;
        Put::Added(info)
    };
    txn.commit().map_err(db)?;
    Ok((id, outcome))
}

/// Every held badge with its notes, in the order they were added.
pub fn list(store: &Store) -> Result<Vec<HeldBadge>, BackpackError> {
    let txn = store.database().begin_read().map_err(db)?;
    let infos = match txn.open_table(INFO) {
        Ok(t) => t,
        // A store no backpack was ever written to.
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
        Err(e) => return Err(db(e)),
    };
    let mut out = Vec::new();
    for entry in infos.iter().map_err(db)?.take(MAX_BADGES) {
        let (k, v) = entry.map_err(db)?;
        let id = BadgeId::from_key(k.value())
            .ok_or_else(|| BackpackError::Corrupt(hex::encode(k.value())))?;
        let info = decode_info(&id, v.value())?;
        out.push(HeldBadge { id, info });
    }
    out.sort_by_key(|h| (h.info.seq, h.id));
    Ok(out)
}

/// The notes on badge `id` and its bytes, if it is held.
pub fn get(store: &Store, id: &BadgeId) -> Result<Option<(BadgeInfo, Vec<u8>)>, BackpackError> {
    let txn = store.database().begin_read().map_err(db)?;
    let (infos, badges) = match (txn.open_table(INFO), txn.open_table(BADGES)) {
        (Ok(i), Ok(b)) => (i, b),
        (Err(redb::TableError::TableDoesNotExist(_)), _)
        | (_, Err(redb::TableError::TableDoesNotExist(_))) => return Ok(None),
        (Err(e), _) | (_, Err(e)) => return Err(db(e)),
    };
    let Some(info) = infos.get(id.key()).map_err(db)? else {
        return Ok(None);
    };
    let info = decode_info(id, info.value())?;
    let bytes = badges
        .get(id.key())
        .map_err(db)?
        .map(|b| b.value().to_vec())
        .ok_or_else(|| BackpackError::Corrupt(id.to_string()))?;
    Ok(Some((info, bytes)))
}

/// The held badge that `text` names: its whole id, or the start of exactly
/// one held badge's id (at least [`MIN_PREFIX`] hexadecimal digits).
pub fn resolve(store: &Store, text: &str) -> Result<BadgeId, BackpackError> {
    let wanted = text.trim().to_ascii_lowercase();
    if wanted.len() < MIN_PREFIX
        || wanted.len() > 64
        || !wanted.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(BackpackError::BadId(text.to_owned()));
    }
    let mut found = None;
    for held in list(store)? {
        if held.id.to_string().starts_with(&wanted) {
            if found.is_some() {
                return Err(BackpackError::Ambiguous(text.to_owned()));
            }
            found = Some(held.id);
        }
    }
    found.ok_or_else(|| BackpackError::NoBadge(text.to_owned()))
}

/// Stops holding badge `id` and takes it out of every collection, in one
/// transaction. `false` when it was not held.
pub fn remove(store: &Store, id: &BadgeId) -> Result<bool, BackpackError> {
    let txn = store.database().begin_write().map_err(db)?;
    let removed = {
        let mut badges = txn.open_table(BADGES).map_err(db)?;
        let removed = badges
            .remove(id.key())
            .map_err(db)?
            .map(|b| b.value().len() as u64);
        txn.open_table(INFO)
            .map_err(db)?
            .remove(id.key())
            .map_err(db)?;
        if let Some(size) = removed {
            let mut totals = txn.open_table(TOTALS).map_err(db)?;
            let used = totals.get("bytes").map_err(db)?.map_or(0, |v| v.value());
            totals
                .insert("bytes", used.saturating_sub(size))
                .map_err(db)?;
        }
        super::collections::forget(&txn, id)?;
        removed.is_some()
    };
    txn.commit().map_err(db)?;
    Ok(removed)
}

/// Whether badge `id` is held, within a write transaction.
pub(super) fn held_in(txn: &redb::WriteTransaction, id: &BadgeId) -> Result<bool, BackpackError> {
    Ok(txn
        .open_table(INFO)
        .map_err(db)?
        .get(id.key())
        .map_err(db)?
        .is_some())
}

fn decode_info(id: &BadgeId, json: &str) -> Result<BadgeInfo, BackpackError> {
    serde_json::from_str(json).map_err(|e| BackpackError::Corrupt(format!("{id}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(at: i64) -> BadgeInfo {
        BadgeInfo {
            seq: 0,
            added_at: Timestamp(at),
            file_name: Some("ada.badge".into()),
            format: "native".into(),
            carrier: None,
            ext: "badge".into(),
            name: Some("Teamwork".into()),
            issuer: None,
            added_as: "valid".into(),
            size: 3,
        }
    }

    #[test]
    fn badges_are_held_once_by_their_bytes_and_survive_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("store.redb");
        let (a, b) = {
            let store = Store::open(&path).expect("open");
            assert!(list(&store).expect("empty").is_empty());
            let (a, put_a) = put(&store, b"abc", info(2)).expect("put");
            assert!(matches!(put_a, Put::Added(i) if i.seq == 0));
            let (again, put_again) = put(&store, b"abc", info(9)).expect("put again");
            assert_eq!(again, a);
            assert!(matches!(put_again, Put::Already(i) if i.added_at == Timestamp(2)));
            let (b, _) = put(&store, b"xyz", info(2)).expect("put");
            (a, b)
        };
        let store = Store::open(&path).expect("reopen");
        let ids: Vec<BadgeId> = list(&store).expect("list").iter().map(|h| h.id).collect();
        assert_eq!(ids, vec![a, b], "in the order added");
        let (i, bytes) = get(&store, &a).expect("get").expect("held");
        assert_eq!((i, bytes), (info(2), b"abc".to_vec()));
        assert_eq!(get(&store, &b).expect("get").expect("held").0.seq, 1);
        assert_eq!(resolve(&store, &a.short()).expect("prefix"), a);
        assert_eq!(
            resolve(&store, &a.to_string().to_uppercase()).expect("whole"),
            a
        );
        assert!(matches!(
            resolve(&store, "abc"),
            Err(BackpackError::BadId(_))
        ));
        assert!(matches!(
            resolve(&store, "zzzzzzzz"),
            Err(BackpackError::BadId(_))
        ));
        assert!(matches!(
            resolve(&store, "000000000000"),
            Err(BackpackError::NoBadge(_))
        ));
        assert!(remove(&store, &a).expect("remove"));
        assert!(!remove(&store, &a).expect("remove again"));
        assert!(get(&store, &a).expect("get").is_none());
    }

    #[test]
    fn the_count_limit_counts_what_is_held_now() {
        let store = Store::in_memory().expect("store");
        let mut first = None;
        for n in 0..MAX_BADGES {
            let (id, _) = put(&store, &n.to_be_bytes(), info(1)).expect("room");
            first.get_or_insert(id);
        }
        let one_more = (MAX_BADGES + 1).to_be_bytes();
        assert!(matches!(
            put(&store, &one_more, info(2)),
            Err(BackpackError::Full(_))
        ));
        assert!(remove(&store, &first.expect("one")).expect("remove"));
        put(&store, &one_more, info(2)).expect("room again");
    }
}
