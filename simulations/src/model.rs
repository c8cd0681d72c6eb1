//! A discrete-event model of gossip past what one machine can run.
//!
//! Each node joins the mesh with `degree / 2` random links on average (so about
//! `degree` per node; the real gossipsub mesh degree, measured on a real run,
//! may be fractional); a message reaches a node at the earliest time over any path, where
//! each hop costs one link latency (drawn per link) plus the per-hop processing
//! measured on real nodes. Gossipsub forwards to mesh peers as soon as a
//! message is validated, so first arrival is a shortest path; lazy gossip only
//! repairs losses, which the model leaves out (loss-free links).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::Rng;
use rand::rngs::StdRng;

/// Model parameters.
#[derive(Clone, Copy, Debug)]
pub struct ModelParams {
    /// Nodes.
    pub nodes: usize,
    /// Mean mesh degree.
    pub degree: f64,
    /// Mean link latency, ms.
    pub link_ms: f64,
    /// Link latency spread (uniform ± this), ms.
    pub jitter_ms: f64,
    /// Processing per hop (decode, verify, store, forward), ms.
    pub hop_ms: f64,
}

/// Arrival times (ms) at every node, from node 0, and mean hop count.
pub fn run(p: ModelParams, rng: &mut StdRng) -> (Vec<f64>, f64) {
    let n = p.nodes.max(2);
    let mut adj: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
    // Links each node adds: one to a random earlier node, then `extra` more on
    // average (the fractional part by a coin toss).
    let extra = (p.degree / 2.0 - 1.0).max(0.0);
    for i in 1..n {
        // A random earlier node keeps the graph connected; the rest are random.
        let mut link = |a: usize, b: usize, rng: &mut StdRng| {
            let lat = p.link_ms + rng.random_range(-p.jitter_ms..=p.jitter_ms);
            let w = lat.max(0.0) as f32;
            adj[a].push((b as u32, w));
            adj[b].push((a as u32, w));
        };
        let first = rng.random_range(0..i);
        link(i, first, rng);
        let mut more = extra.floor() as usize;
        if rng.random_bool(extra.fract()) {
            more += 1;
        }
        for _ in 0..more {
            let j = rng.random_range(0..n);
            if j != i {
                link(i, j, rng);
            }
        }
    }
    let mut arrival = vec![f64::INFINITY; n];
    let mut hops = vec![u32::MAX; n];
    arrival[0] = 0.0;
    hops[0] = 0;
    let mut heap = BinaryHeap::new();
    heap.push(Reverse((0u64, 0u32)));
    while let Some(Reverse((t_us, u))) = heap.pop() {
        let u = u as usize;
        let t = t_us as f64 / 1000.0;
        if t > arrival[u] {
            continue;
        }
        for &(v, w) in &adj[u] {
            let v = v as usize;
            let tv = t + f64::from(w) + p.hop_ms;
            if tv < arrival[v] {
                arrival[v] = tv;
                hops[v] = hops[u] + 1;
                heap.push(Reverse(((tv * 1000.0) as u64, v as u32)));
            }
        }
    }
    let mean_hops = hops
        .iter()
        .filter(|h| **h != u32::MAX)
        .map(|h| f64::from(*h))
        .sum::<f64>()
        / n as f64;
    (arrival, mean_hops)
}

/// The time (ms) by which `fraction` of the nodes were reached.
pub fn time_to_reach(arrival: &[f64], fraction: f64) -> f64 {
    let mut v: Vec<f64> = arrival.to_vec();
    v.sort_by(f64::total_cmp);
    let k = ((v.len() as f64 * fraction).ceil() as usize).clamp(1, v.len());
    v[k - 1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_line_of_hops_adds_up() {
        let p = ModelParams {
            nodes: 2,
            degree: 2.0,
            link_ms: 10.0,
            jitter_ms: 0.0,
            hop_ms: 1.0,
        };
        let (arrival, hops) = run(p, &mut StdRng::seed_from_u64(1));
        assert_eq!(arrival, vec![0.0, 11.0]);
        assert!((hops - 0.5).abs() < 1e-9);
    }

    #[test]
    fn a_fractional_degree_gives_that_mean_degree() {
        let mut rng = StdRng::seed_from_u64(3);
        let p = ModelParams {
            nodes: 20_000,
            degree: 3.0,
            link_ms: 1.0,
            jitter_ms: 0.0,
            hop_ms: 0.0,
        };
        let (_, hops3) = run(p, &mut rng);
        let (_, hops6) = run(ModelParams { degree: 6.0, ..p }, &mut rng);
        assert!(
            hops3 > hops6,
            "a sparser mesh needs more hops: {hops3} vs {hops6}"
        );
    }

    #[test]
    fn everyone_is_reached_and_more_nodes_take_longer() {
        let mut rng = StdRng::seed_from_u64(7);
        let p = ModelParams {
            nodes: 1000,
            degree: 6.0,
            link_ms: 50.0,
            jitter_ms: 10.0,
            hop_ms: 0.5,
        };
        let (small, _) = run(p, &mut rng);
        assert!(small.iter().all(|t| t.is_finite()));
        let (big, _) = run(ModelParams { nodes: 20_000, ..p }, &mut rng);
        assert!(time_to_reach(&big, 0.99) > time_to_reach(&small, 0.99));
    }
}
