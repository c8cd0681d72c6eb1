//! Pathway records: shape rules, which declarations count, cycles (found
//! before signing, survived when they arrive anyway), the graph, progress
//! with all, some and none of the prerequisites, a revoked one and one of
//! another issuer, sync and order independence.

use badgemesh_protocol::envelope::RecordKind;
use badgemesh_protocol::id::RecordId;
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use badgemesh_protocol::pathway::graph::graph;
use badgemesh_protocol::pathway::progress::{Held, Standing, progress};
use badgemesh_protocol::pathway::{cycle_through, in_force};
use badgemesh_protocol::record::{Pathway, Record, SignedRecord, Step};
use badgemesh_protocol::state::{Outcome, Registry};
use badgemesh_protocol::sync::{SyncRequest, SyncResponse, respond};
use badgemesh_protocol::testkit::Issuer;
use badgemesh_protocol::time::Timestamp;

const T0: Timestamp = Timestamp(1_800_000_000);

/// A school with three courses and a capstone that needs courses A and B
/// and one of C or the partner's D; the partner is another issuer.
struct World {
    school: Issuer,
    partner: Issuer,
    a: RecordId,
    b: RecordId,
    c: RecordId,
    d: RecordId,
    capstone: RecordId,
    pathway: SignedRecord,
    records: Vec<SignedRecord>,
}

fn world() -> World {
    let mut school = Issuer::new(300, T0);
    let mut partner = Issuer::new(301, T0);
    let mut records = school.genesis();
    records.extend(partner.genesis());
    let class = |i: &mut Issuer, name: &str, records: &mut Vec<SignedRecord>| {
        let (r, id) = i.badge_class(name);
        records.push(r);
        id
    };
    let a = class(&mut school, "Course A", &mut records);
    let b = class(&mut school, "Course B", &mut records);
    let c = class(&mut school, "Course C", &mut records);
    let d = class(&mut partner, "Partner course D", &mut records);
    let capstone = class(&mut school, "Capstone", &mut records);
    let pathway = school.pathway(capstone, &[(2, &[a, b]), (1, &[c, d])]);
    records.push(pathway.clone());
    World {
        school,
        partner,
        a,
        b,
        c,
        d,
        capstone,
        pathway,
        records,
    }
}

fn registry(records: &[SignedRecord]) -> Registry {
    let mut r = Registry::new();
    for rec in records {
        let o = r.apply(rec.clone(), T0).outcome;
        assert!(o.is_stored(), "{} {o:?}", rec.kind().name());
    }
    r
}

fn held(class: RecordId, name: &str, standing: Standing) -> Held {
    Held {
        badge_class: class,
        credential: name.to_owned(),
        standing,
    }
}

fn pathway_of(rec: &SignedRecord) -> &Pathway {
    match rec.record() {
        Record::Pathway(p) => p,
        _ => panic!("not a pathway"),
    }
}

#[test]
fn a_pathway_round_trips_and_counts_for_its_own_issuers_goal() {
    let w = world();
    let back = SignedRecord::decode(w.pathway.bytes(), MAX_ENVELOPE_BYTES).expect("decodes");
    assert_eq!(back, w.pathway);
    assert_eq!(back.kind(), RecordKind::Pathway);
    let r = registry(&w.records);
    assert!(in_force(&r, pathway_of(&w.pathway)));
    assert_eq!(r.pathways_to(&w.capstone).count(), 1);
    assert_eq!(r.pathways_from(&w.d).count(), 1);
}

#[test]
fn only_the_goals_issuer_declares_what_leads_to_it() {
    let mut w = world();
    // The partner declares a pathway to the school's capstone: held (the
    // state keeps what arrives) but not in force.
    let foreign = w.partner.pathway(w.capstone, &[(1, &[w.d])]);
    w.records.push(foreign.clone());
    let r = registry(&w.records);
    assert!(r.pathway(&foreign.id()).is_some());
    assert!(!in_force(&r, pathway_of(&foreign)));
    let g = graph(&r, &w.capstone);
    assert_eq!(g.pathways.len(), 1, "{g:?}");
    assert_eq!(g.pathways[0].id, w.pathway.id());
}

#[test]
fn shapes_that_cannot_be_met_are_refused_before_signing() {
    let mut w = world();
    let bad: [&[(u16, &[RecordId])]; 4] = [
        &[],
        &[(0, &[w.a])],
        &[(2, &[w.a])],
        &[(1, &[w.a]), (1, &[w.a, w.b])],
    ];
    for steps in bad {
        let steps: Vec<Step> = steps
            .iter()
            .map(|(need, of)| Step {
                need: *need,
                of: of.to_vec(),
            })
            .collect();
        let r = w
            .school
            .inner()
            .declare_pathway(w.capstone, steps.clone(), None, false, T0);
        assert!(r.is_err(), "{steps:?} was signed");
    }
    let own_goal = Step {
        need: 1,
        of: vec![w.capstone],
    };
    assert!(
        w.school
            .inner()
            .declare_pathway(w.capstone, vec![own_goal], None, false, T0)
            .is_err()
    );
}

#[test]
fn progress_with_all_some_and_none_of_the_prerequisites() {
    let w = world();
    let r = registry(&w.records);
    // None.
    let none = progress(&r, &w.capstone, &[]);
    assert!(!none.complete);
    assert_eq!(none.pathways.len(), 1);
    let steps = &none.pathways[0].steps;
    assert_eq!((steps[0].done, steps[1].done), (0, 0));
    assert!(
        steps
            .iter()
            .flat_map(|s| &s.items)
            .all(|i| i.state == "missing")
    );
    assert_eq!(none.name.as_deref(), Some("Capstone"));
    // Some: A and C, B missing.
    let some = progress(
        &r,
        &w.capstone,
        &[
            held(w.a, "award-a", Standing::Valid),
            held(w.c, "award-c", Standing::Valid),
        ],
    );
    assert!(!some.complete);
    let steps = &some.pathways[0].steps;
    assert_eq!((steps[0].done, steps[0].complete), (1, false));
    assert_eq!((steps[1].done, steps[1].complete), (1, true));
    assert_eq!(steps[0].items[1].state, "missing");
    assert!(some.pathways[0].rests_on.is_empty());
    // All: A, B and the partner's D (a prerequisite of another issuer).
    let all = progress(
        &r,
        &w.capstone,
        &[
            held(w.a, "award-a", Standing::Valid),
            held(w.b, "award-b", Standing::Valid),
            held(w.d, "award-d", Standing::Valid),
        ],
    );
    assert!(all.complete);
    assert_eq!(all.pathways[0].steps[1].items[1].state, "done");
    assert_eq!(
        all.pathways[0].rests_on,
        vec!["award-a", "award-b", "award-d"]
    );
}

#[test]
fn a_revoked_or_expired_prerequisite_does_not_count() {
    let w = world();
    let r = registry(&w.records);
    let p = progress(
        &r,
        &w.capstone,
        &[
            held(w.a, "award-a", Standing::Revoked),
            held(w.b, "award-b", Standing::Valid),
            held(w.c, "award-c", Standing::Expired),
        ],
    );
    assert!(!p.complete);
    let steps = &p.pathways[0].steps;
    assert_eq!(steps[0].items[0].state, "revoked");
    assert_eq!(steps[0].done, 1);
    assert_eq!(steps[1].items[0].state, "expired");
    assert!(!steps[1].complete);
    // A valid copy of the same class beside the revoked one counts.
    let p = progress(
        &r,
        &w.capstone,
        &[
            held(w.a, "award-a", Standing::Revoked),
            held(w.a, "award-a2", Standing::Valid),
            held(w.b, "award-b", Standing::Valid),
            held(w.c, "award-c", Standing::Valid),
        ],
    );
    assert!(p.complete);
    assert_eq!(
        p.pathways[0].steps[0].items[0].credential.as_deref(),
        Some("award-a2")
    );
}

#[test]
fn a_withdrawn_pathway_no_longer_counts() {
    let mut w = world();
    let index = Issuer::status_index_of(&w.pathway);
    w.records.push(w.school.revoke(&[index]));
    let r = registry(&w.records);
    assert!(!in_force(&r, pathway_of(&w.pathway)));
    let p = progress(&r, &w.capstone, &[held(w.a, "x", Standing::Valid)]);
    assert!(p.pathways.is_empty());
    assert!(graph(&r, &w.capstone).pathways.is_empty());
}

#[test]
fn a_cycle_is_found_before_it_is_declared() {
    let w = world();
    let r = registry(&w.records);
    // Course A requiring the capstone would close capstone -> A -> capstone.
    let steps = vec![Step {
        need: 1,
        of: vec![w.capstone],
    }];
    let cycle = cycle_through(&r, &w.a, &steps).expect("a cycle");
    assert_eq!(cycle, vec![w.a, w.capstone, w.a]);
    // Through a second level: a master badge after the capstone; the
    // capstone's prerequisite C requiring the master closes a longer one.
    let mut school = w.school;
    let (master, master_id) = school.badge_class("Master");
    let to_master = school.pathway(master_id, &[(1, &[w.capstone])]);
    let mut records = w.records.clone();
    records.extend([master, to_master]);
    let r = registry(&records);
    let steps = vec![Step {
        need: 1,
        of: vec![master_id],
    }];
    let cycle = cycle_through(&r, &w.c, &steps).expect("a longer cycle");
    assert_eq!(cycle, vec![w.c, master_id, w.capstone, w.c]);
    // Not a cycle: the master requiring course A as well.
    let steps = vec![Step {
        need: 1,
        of: vec![w.a],
    }];
    assert_eq!(cycle_through(&r, &master_id, &steps), None);
}

#[test]
fn a_cycle_that_arrives_anyway_is_reported_and_never_looped() {
    // Two issuers each declare half of a cycle without seeing the other
    // half: the school's capstone needs the partner's D, the partner's D
    // needs the capstone. Both records are kept; the graph names the cycle
    // and progress stays one level deep.
    let mut w = world();
    let back = w.partner.pathway(w.d, &[(1, &[w.capstone])]);
    w.records.push(back.clone());
    let r = registry(&w.records);
    assert!(in_force(&r, pathway_of(&back)));
    let g = graph(&r, &w.capstone);
    assert_eq!(g.cycles, vec![vec![w.capstone, w.d, w.capstone]], "{g:?}");
    assert!(g.leads_to.contains(&w.d));
    let p = progress(&r, &w.capstone, &[held(w.d, "award-d", Standing::Valid)]);
    assert!(!p.complete);
}

#[test]
fn the_graph_names_badges_steps_and_what_the_goal_leads_to() {
    let mut w = world();
    let (master, master_id) = w.school.badge_class("Master");
    let to_master = w.school.pathway(master_id, &[(1, &[w.capstone])]);
    w.records.extend([master, to_master.clone()]);
    let r = registry(&w.records);
    let g = graph(&r, &w.capstone);
    assert_eq!(g.badges[0].id, w.capstone);
    assert_eq!(g.badges.len(), 6, "{g:?}");
    let d = g.badges.iter().find(|b| b.id == w.d).expect("D");
    assert_eq!(d.issuer, Some(w.partner.inner().id()));
    assert_eq!(d.depth, 1);
    assert_eq!(g.leads_to, vec![master_id]);
    assert_eq!(g.pathways.len(), 2);
    assert!(g.cycles.is_empty() && !g.truncated);
    // From the master, two levels down.
    let g = graph(&r, &master_id);
    assert_eq!(g.badges.len(), 6);
    assert!(g.badges.iter().any(|b| b.id == w.a && b.depth == 2));
}

#[test]
fn pathways_sync_with_their_issuer_in_any_order() {
    let w = world();
    let forward = registry(&w.records);
    let mut reversed = w.records.clone();
    reversed.reverse();
    let mut r = Registry::new();
    // Out of order: everything lands once its issuer and keys are known.
    for rec in &reversed {
        r.apply(rec.clone(), T0);
    }
    assert!(r.pathway(&w.pathway.id()).is_some());
    assert_eq!(
        graph(&r, &w.capstone),
        graph(&forward, &w.capstone),
        "order changed the graph"
    );
    // A whole-issuer sync answer carries the pathway.
    let mut school = w.school;
    let answer = respond(
        &forward,
        &SyncRequest::Issuers {
            issuers: vec![school.inner().id()],
        },
    );
    let SyncResponse::IssuerRecords { records: recs, .. } = answer else {
        panic!("unexpected answer");
    };
    assert!(recs.iter().any(|b| b.as_slice() == w.pathway.bytes()));
    assert!(matches!(
        forward.clone().apply(w.pathway.clone(), T0).outcome,
        Outcome::Duplicate
    ));
}

#[test]
fn from_a_prerequisite_the_graph_shows_its_fellow_steps_towards_the_goal() {
    let w = world();
    let r = registry(&w.records);
    let g = graph(&r, &w.d);
    assert_eq!(g.leads_to, vec![w.capstone]);
    let depth = |id: &RecordId| g.badges.iter().find(|b| b.id == *id).map(|b| b.depth);
    assert_eq!(depth(&w.d), Some(0));
    assert_eq!(depth(&w.capstone), Some(-1));
    for fellow in [&w.a, &w.b, &w.c] {
        assert_eq!(depth(fellow), Some(0), "{g:?}");
    }
}

#[test]
fn the_edges_among_held_classes_are_those_of_pathways_in_force() {
    use badgemesh_protocol::pathway::edges_among;
    use std::collections::BTreeSet;
    let w = world();
    let r = registry(&w.records);
    let held: BTreeSet<RecordId> = [w.a, w.d, w.capstone].into_iter().collect();
    assert_eq!(edges_among(&r, &held), {
        let mut e = vec![(w.a, w.capstone), (w.d, w.capstone)];
        e.sort();
        e
    });
    let without_goal: BTreeSet<RecordId> = [w.a, w.b].into_iter().collect();
    assert!(edges_among(&r, &without_goal).is_empty());
}

#[test]
fn progress_looks_into_a_missing_prerequisites_own_pathway_and_never_round_a_cycle() {
    let mut w = world();
    let (master, master_id) = w.school.badge_class("Master");
    let to_master = w.school.pathway(master_id, &[(1, &[w.capstone])]);
    w.records.extend([master, to_master]);
    let r = registry(&w.records);
    let p = progress(
        &r,
        &master_id,
        &[
            held(w.a, "award-a", Standing::Valid),
            held(w.b, "award-b", Standing::Valid),
        ],
    );
    assert!(!p.complete);
    let item = &p.pathways[0].steps[0].items[0];
    assert_eq!((item.badge, item.state), (w.capstone, "missing"));
    let towards = item.towards.as_ref().expect("the capstone's own progress");
    assert_eq!(towards.goal, w.capstone);
    let steps = &towards.pathways[0].steps;
    assert!(steps[0].complete && !steps[1].complete);
    // A done prerequisite is not looked into.
    let p = progress(&r, &master_id, &[held(w.capstone, "cap", Standing::Valid)]);
    assert!(p.pathways[0].steps[0].items[0].towards.is_none());

    // With a cycle (the partner's D needs the capstone), the walk stops.
    let back = w.partner.pathway(w.d, &[(1, &[w.capstone])]);
    w.records.push(back);
    let r = registry(&w.records);
    let p = progress(&r, &w.capstone, &[]);
    let d = p.pathways[0].steps[1]
        .items
        .iter()
        .find(|i| i.badge == w.d)
        .expect("D");
    let towards_d = d.towards.as_ref().expect("D's own pathway");
    let capstone_again = &towards_d.pathways[0].steps[0].items[0];
    assert_eq!(capstone_again.badge, w.capstone);
    assert!(capstone_again.towards.is_none(), "never round the cycle");
}
