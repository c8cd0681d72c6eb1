//! Collections: named, ordered sets of held badges ("Teaching", "For the
//! job at X"), so an earner can show or export several badges at once.
//!
//! A collection is private unless the earner publishes it: the flag is
//! shown on the node's public page (`/p/{collection}`), which is why a
//! name must fit in a URL path segment as it is.

use std::fmt;

use badgemesh_protocol::time::Timestamp;
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};

use super::badges::{BadgeId, held_in};
use super::{BackpackError, MAX_COLLECTIONS, MAX_NAME, db};
use crate::store::Store;

/// name -> [`Settings`] as JSON.
const COLLECTIONS: TableDefinition<&str, &str> = TableDefinition::new("backpack_collections");
/// (name, badge id) -> the badge's place in the collection (one more than
/// the last place taken when it was put in), which orders the collection.
const MEMBERS: TableDefinition<(&str, &[u8]), u64> = TableDefinition::new("backpack_members");

/// A collection's name: 1 to [`MAX_NAME`] ASCII letters, digits, `-` or
/// `_`, starting with a letter or digit, so it is a URL path segment as it
/// is and a file name on every system.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CollectionName(String);

impl CollectionName {
    /// Checks `text` as a collection name.
    pub fn new(text: &str) -> Result<CollectionName, BackpackError> {
        let ok = !text.is_empty()
            && text.len() <= MAX_NAME
            && text.as_bytes()[0].is_ascii_alphanumeric()
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(CollectionName(text.to_owned()))
        } else {
            Err(BackpackError::BadName(text.chars().take(80).collect()))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CollectionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a collection is besides its badges.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Settings {
    /// When it was created.
    pub created_at: Timestamp,
    /// Whether the earner chose to show it publicly (default: no).
    pub public: bool,
}

/// A collection and its badges, in the order they were put in.
#[derive(Clone, Debug, Serialize)]
pub struct Collection {
    /// Its name.
    pub name: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// Whether it is shown publicly.
    pub public: bool,
    /// Its badges.
    pub badges: Vec<BadgeId>,
}

/// Creates an empty, private collection.
pub fn create(store: &Store, name: &CollectionName, now: Timestamp) -> Result<(), BackpackError> {
    let txn = store.database().begin_write().map_err(db)?;
    {
        let mut table = txn.open_table(COLLECTIONS).map_err(db)?;
        if table.get(name.as_str()).map_err(db)?.is_some() {
            return Err(BackpackError::CollectionExists(name.to_string()));
        }
        let count = usize::try_from(table.len().map_err(db)?).unwrap_or(usize::MAX);
        if count >= MAX_COLLECTIONS {
            return Err(BackpackError::Full(format!(
                "it has {count} collections, the most it may"
            )));
        }
        let settings = Settings {
            created_at: now,
            public: false,
        };
        let json =
            serde_json::to_string(&settings).map_err(|e| BackpackError::Corrupt(e.to_string()))?;
        table.insert(name.as_str(), json.as_str()).map_err(db)?;
    }
    txn.commit().map_err(db)?;
    Ok(())
}

/// Deletes a collection (its badges stay in the backpack).
pub fn delete(store: &Store, name: &CollectionName) -> Result<(), BackpackError> {
    let txn = store.database().begin_write().map_err(db)?;
    {
        let mut table = txn.open_table(COLLECTIONS).map_err(db)?;
        if table.remove(name.as_str()).map_err(db)?.is_none() {
            return Err(BackpackError::NoCollection(name.to_string()));
        }
        let mut members = txn.open_table(MEMBERS).map_err(db)?;
        let ids: Vec<Vec<u8>> = member_keys(&members, name)?;
        for id in ids {
            members.remove((name.as_str(), id.as_slice())).map_err(db)?;
        }
    }
    txn.commit().map_err(db)?;
    Ok(())
}

/// Puts held badge `id` into a collection (at its end; a badge already in
/// it keeps its place). `false` when it was there already.
pub fn add(store: &Store, name: &CollectionName, id: &BadgeId) -> Result<bool, BackpackError> {
    let txn = store.database().begin_write().map_err(db)?;
    let added = {
        settings_in(&txn, name)?;
        if !held_in(&txn, id)? {
            return Err(BackpackError::NoBadge(id.to_string()));
        }
        let mut members = txn.open_table(MEMBERS).map_err(db)?;
        let key = (name.as_str(), id.key());
        if members.get(key).map_err(db)?.is_some() {
            false
        } else {
            let mut last = None;
            for m in members.range((name.as_str(), &[][..])..).map_err(db)? {
                let (k, place) = m.map_err(db)?;
                if k.value().0 != name.as_str() {
                    break;
                }
                last = last.max(Some(place.value()));
            }
            let place = last.map_or(0, |l: u64| l.saturating_add(1));
            members.insert(key, place).map_err(db)?;
            true
        }
    };
    txn.commit().map_err(db)?;
    Ok(added)
}

/// Takes badge `id` out of a collection (it stays in the backpack).
/// `false` when it was not in it.
pub fn remove(store: &Store, name: &CollectionName, id: &BadgeId) -> Result<bool, BackpackError> {
    let txn = store.database().begin_write().map_err(db)?;
    let removed = {
        settings_in(&txn, name)?;
        let mut members = txn.open_table(MEMBERS).map_err(db)?;
        members
            .remove((name.as_str(), id.key()))
            .map_err(db)?
            .is_some()
    };
    txn.commit().map_err(db)?;
    Ok(removed)
}

/// Shows a collection publicly, or stops showing it.
pub fn set_public(store: &Store, name: &CollectionName, public: bool) -> Result<(), BackpackError> {
    let txn = store.database().begin_write().map_err(db)?;
    {
        let mut settings = settings_in(&txn, name)?;
        settings.public = public;
        let json =
            serde_json::to_string(&settings).map_err(|e| BackpackError::Corrupt(e.to_string()))?;
        txn.open_table(COLLECTIONS)
            .map_err(db)?
            .insert(name.as_str(), json.as_str())
            .map_err(db)?;
    }
    txn.commit().map_err(db)?;
    Ok(())
}

/// Every collection with its badges, by name.
pub fn list(store: &Store) -> Result<Vec<Collection>, BackpackError> {
    let txn = store.database().begin_read().map_err(db)?;
    let table = match txn.open_table(COLLECTIONS) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
        Err(e) => return Err(db(e)),
    };
    let members = match txn.open_table(MEMBERS) {
        Ok(t) => Some(t),
        Err(redb::TableError::TableDoesNotExist(_)) => None,
        Err(e) => return Err(db(e)),
    };
    let mut out = Vec::new();
    for entry in table.iter().map_err(db)?.take(MAX_COLLECTIONS) {
        let (k, v) = entry.map_err(db)?;
        let name = CollectionName::new(k.value())
            .map_err(|_| BackpackError::Corrupt(k.value().to_owned()))?;
        let settings = decode(&name, v.value())?;
        let mut badges: Vec<(u64, BadgeId)> = Vec::new();
        if let Some(members) = &members {
            for m in members
                .range((name.as_str(), &[][..])..)
                .map_err(db)?
                .take(super::MAX_BADGES)
            {
                let (key, at) = m.map_err(db)?;
                let (n, id) = key.value();
                if n != name.as_str() {
                    break;
                }
                let id = BadgeId::from_key(id)
                    .ok_or_else(|| BackpackError::Corrupt(name.to_string()))?;
                badges.push((at.value(), id));
            }
        }
        badges.sort();
        out.push(Collection {
            name: name.to_string(),
            created_at: settings.created_at,
            public: settings.public,
            badges: badges.into_iter().map(|(_, id)| id).collect(),
        });
    }
    Ok(out)
}

/// One collection with its badges.
pub fn get(store: &Store, name: &CollectionName) -> Result<Collection, BackpackError> {
    list(store)?
        .into_iter()
        .find(|c| c.name == name.as_str())
        .ok_or_else(|| BackpackError::NoCollection(name.to_string()))
}

/// Takes badge `id` out of every collection, within the transaction that
/// stops holding it.
pub(super) fn forget(txn: &redb::WriteTransaction, id: &BadgeId) -> Result<(), BackpackError> {
    let mut members = txn.open_table(MEMBERS).map_err(db)?;
    let mut gone: Vec<String> = Vec::new();
    for m in members.iter().map_err(db)? {
        let (key, _) = m.map_err(db)?;
        let (name, member) = key.value();
        if member == id.key() {
            gone.push(name.to_owned());
        }
    }
    for name in gone {
        members.remove((name.as_str(), id.key())).map_err(db)?;
    }
    Ok(())
}

fn settings_in(
    txn: &redb::WriteTransaction,
    name: &CollectionName,
) -> Result<Settings, BackpackError> {
    let table = txn.open_table(COLLECTIONS).map_err(db)?;
    let found = table.get(name.as_str()).map_err(db)?;
    match found {
        Some(v) => decode(name, v.value()),
        None => Err(BackpackError::NoCollection(name.to_string())),
    }
}

fn member_keys(
    members: &redb::Table<(&str, &[u8]), u64>,
    name: &CollectionName,
) -> Result<Vec<Vec<u8>>, BackpackError> {
    let mut out = Vec::new();
    for m in members.range((name.as_str(), &[][..])..).map_err(db)? {
        let (key, _) = m.map_err(db)?;
        let (n, id) = key.value();
        if n != name.as_str() {
            break;
        }
        out.push(id.to_vec());
    }
    Ok(out)
}

fn decode(name: &CollectionName, json: &str) -> Result<Settings, BackpackError> {
    serde_json::from_str(json).map_err(|e| BackpackError::Corrupt(format!("{name}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::super::badges::{self, BadgeInfo};
    use super::*;

    fn hold(store: &Store, bytes: &[u8]) -> BadgeId {
        let info = BadgeInfo {
            seq: 0,
            added_at: Timestamp(1),
            file_name: None,
            format: "ob3".into(),
            carrier: None,
            ext: "json".into(),
            name: None,
            issuer: None,
            added_as: "valid".into(),
            size: bytes.len() as u64,
        };
        badges::put(store, bytes, info).expect("put").0
    }

    fn name(text: &str) -> CollectionName {
        CollectionName::new(text).expect("name")
    }

    #[test]
    fn names_fit_a_url_path_segment() {
        for good in ["teaching", "Job-2026", "a", "x_y", &"a".repeat(MAX_NAME)] {
            assert!(CollectionName::new(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "-lead",
            "has space",
            "../up",
            "a/b",
            "é",
            "%2e",
            &"a".repeat(MAX_NAME + 1),
        ] {
            assert!(CollectionName::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn collections_keep_their_badges_in_order_and_lose_removed_ones() {
        let store = Store::in_memory().expect("store");
        let (x, y) = (hold(&store, b"a"), hold(&store, b"b"));
        // Put in against the order of their ids: the collection keeps the
        // order they were put in.
        let (b, a) = if x < y { (y, x) } else { (x, y) };
        let (job, teach) = (name("job"), name("teaching"));
        create(&store, &job, Timestamp(5)).expect("create");
        assert!(matches!(
            create(&store, &job, Timestamp(6)),
            Err(BackpackError::CollectionExists(_))
        ));
        create(&store, &teach, Timestamp(6)).expect("create");
        assert!(add(&store, &job, &b).expect("add"));
        assert!(add(&store, &job, &a).expect("add"));
        assert!(!add(&store, &job, &b).expect("again"));
        assert!(add(&store, &teach, &a).expect("add"));
        let unknown = BadgeId::of(b"not held");
        assert!(matches!(
            add(&store, &job, &unknown),
            Err(BackpackError::NoBadge(_))
        ));
        assert!(matches!(
            add(&store, &name("nope"), &a),
            Err(BackpackError::NoCollection(_))
        ));
        let got = get(&store, &job).expect("get");
        assert_eq!((got.badges, got.public), (vec![b, a], false));

        set_public(&store, &job, true).expect("publish");
        assert!(get(&store, &job).expect("get").public);

        // A badge no longer held leaves every collection.
        assert!(badges::remove(&store, &a).expect("remove"));
        let all = list(&store).expect("list");
        let names: Vec<(&str, usize)> = all
            .iter()
            .map(|c| (c.name.as_str(), c.badges.len()))
            .collect();
        assert_eq!(names, vec![("job", 1), ("teaching", 0)]);

        assert!(remove(&store, &job, &b).expect("remove"));
        assert!(!remove(&store, &job, &b).expect("remove again"));
        delete(&store, &job).expect("delete");
        assert!(matches!(
            get(&store, &job),
            Err(BackpackError::NoCollection(_))
        ));
        assert!(
            badges::get(&store, &b).expect("get").is_some(),
            "still held"
        );
    }
}
