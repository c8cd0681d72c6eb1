//! What the API, the issuer, sync and gossip share: the ledger, the network
//! client and the metrics. Submitting a record means: apply it, commit what
//! was accepted, then publish it.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use badgemesh_protocol::record::SignedRecord;
use badgemesh_protocol::time::Timestamp;

use crate::ledger::{Ingested, Ledger};
use crate::metrics::Metrics;
use crate::network::Client;
use crate::store::StoreError;

/// The node's clock. The protocol never reads one; the node does, here only.
pub fn now() -> Timestamp {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Timestamp(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// Shared handles.
#[derive(Clone, Debug)]
pub struct Core {
    /// State and store.
    pub ledger: Arc<Ledger>,
    /// The network.
    pub client: Client,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// The id of every record committed, as it is committed (for simulations,
    /// tests and anything else that wants to watch the node).
    pub stored: tokio::sync::broadcast::Sender<badgemesh_protocol::id::RecordId>,
}

impl Core {
    /// Applies and commits `record` off the async threads (the commit waits
    /// for the disk).
    pub async fn ingest(&self, record: SignedRecord) -> Result<Ingested, StoreError> {
        self.ingest_batch(vec![record]).await.map(Ingested::only)
    }

    /// Applies and commits a batch in one transaction.
    pub async fn ingest_batch(
        &self,
        records: Vec<SignedRecord>,
    ) -> Result<Vec<Ingested>, StoreError> {
        let ledger = self.ledger.clone();
        let results = tokio::task::spawn_blocking(move || ledger.ingest_batch(records, now()))
            .await
            .unwrap_or_else(|e| Err(StoreError::Corrupt(format!("ingest task failed: {e}"))))?;
        for r in results.iter().flat_map(|i| &i.stored) {
            // Nobody listening is fine.
            let _ = self.stored.send(r.id());
        }
        Ok(results)
    }

    /// Ingests a record made here and, once it is durable, gossips it.
    pub async fn submit(&self, record: SignedRecord) -> Result<Ingested, StoreError> {
        self.submit_batch(vec![record]).await.map(Ingested::only)
    }

    /// Ingests records made here in one commit and, once they are durable,
    /// gossips those stored.
    pub async fn submit_batch(
        &self,
        records: Vec<SignedRecord>,
    ) -> Result<Vec<Ingested>, StoreError> {
        let bytes: Vec<Vec<u8>> = records.iter().map(|r| r.bytes().to_vec()).collect();
        let results = self.ingest_batch(records).await?;
        for (bytes, ingested) in bytes.into_iter().zip(&results) {
            if ingested.outcome.is_stored()
                && let Err(e) = self.client.publish(bytes).await
            {
                tracing::warn!("publish failed, sync will carry the record: {e}");
            }
        }
        Ok(results)
    }
}
