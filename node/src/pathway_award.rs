//! Automatic awards of a pathway's goal (opt-in, per pathway).
//!
//! When an issuer declared a pathway with `auto_award`, its node awards the
//! goal on its own once it is shown verified prerequisites that complete the
//! pathway, all checked against one recipient (an email or DID the request
//! names; every credential was verified with that recipient, so none of
//! another earner counts). The award names what it rests on: one evidence
//! entry per credential (`urn:badgemesh:assertion:<id>` for a native one,
//! else the credential's id) and one for the award itself.
//!
//! One award per pathway and set of credentials: the key
//! `urn:badgemesh:pathway-award:<pathway>:<digest of the credentials>` is
//! kept in the store's credential status table (credential id -> status
//! index) before the answer, checked and written under one lock, so asking
//! again answers with the earlier award's key instead of a second award,
//! and the VC API's `/credentials/status` can revoke the award by that key.

use badgemesh_protocol::id::RecordId;
use badgemesh_protocol::limits::MAX_LIST;
use badgemesh_protocol::pathway::progress::Progress;
use badgemesh_protocol::record::{Evidence, Recipient, Record};
use sha2::{Digest, Sha256};

use crate::core::Core;
use crate::issuer::{IssuerOpError, LocalIssuer};

/// Held while an automatic award is checked for and made.
static AWARDING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What an automatic award came to.
#[derive(Debug, serde::Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum AwardOutcome {
    /// The goal was awarded now.
    Awarded {
        /// The pathway it follows.
        pathway: RecordId,
        /// The new assertion's id.
        id: RecordId,
        /// The assertion (envelope bytes, base64), for the earner.
        assertion: String,
        /// The credentials it rests on.
        rests_on: Vec<String>,
        /// The award's key (its credential id in the status table).
        key: String,
    },
    /// The same credentials were already turned into an award.
    AlreadyAwarded {
        /// The pathway.
        pathway: RecordId,
        /// The earlier award's key.
        key: String,
    },
}

/// The award key of `pathway` resting on `rests_on` (order does not
/// matter).
pub fn award_key(pathway: &RecordId, rests_on: &[String]) -> String {
    let mut sorted: Vec<&str> = rests_on.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    let mut h = Sha256::new();
    for c in sorted {
        h.update(c.as_bytes());
        h.update([0]);
    }
    format!(
        "urn:badgemesh:pathway-award:{pathway}:{}",
        hex::encode(h.finalize())
    )
}

/// The evidence entries naming what an award rests on.
pub fn evidence(pathway: &RecordId, rests_on: &[String], key: &str) -> Vec<Evidence> {
    let mut out: Vec<Evidence> = rests_on
        .iter()
        .take(MAX_LIST - 1)
        .map(|c| Evidence {
            url: Some(match c.parse::<RecordId>() {
                Ok(id) => format!("urn:badgemesh:assertion:{id}"),
                Err(_) => c.clone(),
            }),
            narrative: Some(format!("a prerequisite of pathway {pathway}")),
        })
        .collect();
    out.push(Evidence {
        url: Some(key.to_owned()),
        narrative: Some(format!(
            "awarded automatically on completing pathway {pathway}"
        )),
    });
    out
}

/// Awards the goal of the first complete pathway of `progress` that this
/// node's issuer declared with `auto_award`, to `recipient`, unless the
/// holder already shows a valid badge of the goal. `None` when nothing is
/// to be awarded.
pub async fn award_if_complete(
    core: &Core,
    issuer: &LocalIssuer,
    progress: &Progress,
    recipient: Recipient,
) -> Result<Option<AwardOutcome>, IssuerOpError> {
    if progress.goal_held.is_some() {
        return Ok(None);
    }
    let Some(me) = issuer.id().await else {
        return Ok(None);
    };
    let chosen = core.ledger.read(|r| {
        progress.pathways.iter().find(|p| {
            p.complete
                && r.pathway(&p.id)
                    .is_some_and(|(decl, _)| decl.auto_award && decl.issuer == me)
        })
    });
    let Some(p) = chosen else {
        return Ok(None);
    };
    let key = award_key(&p.id, &p.rests_on);
    // One check-and-award at a time, so two requests with the same
    // credentials cannot both find no award and both make one.
    let _one_at_a_time = AWARDING.lock().await;
    if !core.ledger.store().credential_status(&key)?.is_empty() {
        return Ok(Some(AwardOutcome::AlreadyAwarded { pathway: p.id, key }));
    }
    let narrative = Some(format!(
        "Awarded on completing pathway {}{}.",
        p.id,
        p.name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default()
    ));
    let rec = issuer
        .award(
            core,
            progress.goal,
            recipient,
            None,
            evidence(&p.id, &p.rests_on, &key),
            narrative,
        )
        .await?;
    if let Record::Assertion(a) = rec.record() {
        core.ledger
            .store()
            .put_credential_status(&key, a.status_index)?;
    }
    use base64::Engine;
    Ok(Some(AwardOutcome::Awarded {
        pathway: p.id,
        id: rec.id(),
        assertion: base64::engine::general_purpose::STANDARD.encode(rec.bytes()),
        rests_on: p.rests_on.clone(),
        key,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_award_key_ignores_order_and_evidence_names_every_credential() {
        let pathway = RecordId::of(b"pathway");
        let a = RecordId::of(b"a").to_string();
        let key = award_key(&pathway, &[a.clone(), "urn:uuid:b".into()]);
        assert_eq!(key, award_key(&pathway, &["urn:uuid:b".into(), a.clone()]));
        assert_ne!(key, award_key(&pathway, std::slice::from_ref(&a)));
        let ev = evidence(&pathway, &[a.clone(), "urn:uuid:b".into()], &key);
        assert_eq!(ev.len(), 3);
        assert_eq!(
            ev[0].url.as_deref(),
            Some(format!("urn:badgemesh:assertion:{a}").as_str())
        );
        assert_eq!(ev[1].url.as_deref(), Some("urn:uuid:b"));
        assert_eq!(ev[2].url.as_deref(), Some(key.as_str()));
    }
}
