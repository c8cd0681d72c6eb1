//! UPnP port mapping (libp2p's `libp2p-upnp`), off unless configured: what
//! the node learnt from the LAN's router, for `/v1/node` and the log.
//!
//! When on, the behaviour searches the LAN for an Internet Gateway Device
//! at start, asks it to forward each listen port, and reports the mapped
//! address as confirmed (a router that forwards the port makes it
//! reachable, so AutoNAT need not confirm it). Without a gateway, as on a
//! cloud VM or in a test namespace, it gives up once and says so.

use libp2p::{Multiaddr, upnp};
use tracing::{info, warn};

/// Where UPnP stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Status {
    /// Not configured.
    #[default]
    Off,
    /// Looking for a gateway.
    Searching,
    /// No gateway answered: nothing is mapped.
    NoGateway,
    /// A gateway answered, but its own external address is private (a
    /// second NAT beyond it): a mapping would not make the node reachable.
    NotRoutable,
    /// At least one port is mapped.
    Mapped,
}

impl Status {
    /// What `/v1/node` and `node info` print.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Status::Off => "off",
            Status::Searching => "searching for a gateway",
            Status::NoGateway => "no gateway found",
            Status::NotRoutable => "gateway found, but it is behind another NAT",
            Status::Mapped => "mapped",
        }
    }
}

/// What the node knows of its UPnP mappings.
#[derive(Debug, Default)]
pub(crate) struct Mappings {
    pub(crate) status: Status,
    /// The router's external addresses that forward to this node.
    pub(crate) mapped: Vec<Multiaddr>,
}

impl Mappings {
    /// The state at start: searching when configured, off otherwise.
    pub(crate) fn new(enabled: bool) -> Self {
        Mappings {
            status: if enabled {
                Status::Searching
            } else {
                Status::Off
            },
            mapped: Vec::new(),
        }
    }

    /// Takes in one event of the behaviour.
    pub(crate) fn on_event(&mut self, event: upnp::Event) {
        match event {
            upnp::Event::NewExternalAddr {
                local_addr,
                external_addr,
            } => {
                info!(%local_addr, %external_addr, "upnp: the router forwards this address");
                if !self.mapped.contains(&external_addr) {
                    self.mapped.push(external_addr);
                }
                self.status = Status::Mapped;
            }
            upnp::Event::ExpiredExternalAddr { external_addr, .. } => {
                warn!(%external_addr, "upnp: the router stopped forwarding this address");
                self.mapped.retain(|a| *a != external_addr);
            }
            upnp::Event::GatewayNotFound => {
                info!("upnp: no gateway found on the LAN; no port is mapped");
                self.status = Status::NoGateway;
            }
            upnp::Event::NonRoutableGateway => {
                info!(
                    "upnp: the gateway's external address is not public (another NAT beyond it); no port is mapped"
                );
                self.status = Status::NotRoutable;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_move_the_status_and_the_mapped_addresses() {
        let mut m = Mappings::new(true);
        assert_eq!(m.status.describe(), "searching for a gateway");
        let local: Multiaddr = "/ip4/192.168.1.5/tcp/4747".parse().expect("addr");
        let external: Multiaddr = "/ip4/203.0.113.7/tcp/4747".parse().expect("addr");
        m.on_event(upnp::Event::NewExternalAddr {
            local_addr: local.clone(),
            external_addr: external.clone(),
        });
        assert_eq!(
            (m.status, m.mapped.clone()),
            (Status::Mapped, vec![external.clone()])
        );
        m.on_event(upnp::Event::ExpiredExternalAddr {
            local_addr: local,
            external_addr: external,
        });
        assert!(m.mapped.is_empty());
        let mut m = Mappings::new(true);
        m.on_event(upnp::Event::GatewayNotFound);
        assert_eq!(m.status.describe(), "no gateway found");
        assert_eq!(Mappings::new(false).status.describe(), "off");
    }
}
