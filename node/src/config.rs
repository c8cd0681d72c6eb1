//! Node configuration: defaults that work out of the box, overridden by a TOML
//! file, then `BADGEMESH_*` environment variables, then command-line flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use badgemesh_protocol::state::Policy;
use libp2p::Multiaddr;
use serde::{Deserialize, Serialize};

/// The default TCP and UDP port for peers.
pub const DEFAULT_P2P_PORT: u16 = 4747;
/// The default API port (loopback).
pub const DEFAULT_API_PORT: u16 = 4748;

/// Everything a node needs to start.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the store, keys, token and `node.json` live.
    pub data_dir: PathBuf,
    /// libp2p listen addresses.
    pub listen: Vec<String>,
    /// HTTP API address; loopback by default.
    pub api: SocketAddr,
    /// Other names the API answers to (`host` or `host:port`), besides its
    /// own address (and `localhost` on loopback): a reverse proxy's name,
    /// say. Requests for any other `Host` are refused (DNS rebinding).
    pub api_hosts: Vec<String>,
    /// Verifications that run at once. The default, one less than the cores
    /// (at least one), leaves a core to gossip, sync and the rest of the API
    /// however hard clients push `/v1/verify` (the attacks scenario: within
    /// 2x of its baseline with it, up to 2.2x without).
    pub verify_workers: usize,
    /// Verifications that may wait for a worker; more get 503 `verify_busy`.
    pub verify_queue: usize,
    /// Fetch what a verification needs from issuers' sites (hosted OB 2.0
    /// badges, their BadgeClasses and Profiles) for every caller, and keep
    /// it. Off by default: verification is offline, and the admin token's
    /// holder can still ask for one online verification (`verify --online`).
    pub fetch: bool,
    /// The deadline of one fetch, seconds.
    pub fetch_timeout_secs: u64,
    /// Peers to dial at start and redial when disconnected (with or without `/p2p/`).
    pub bootstrap: Vec<String>,
    /// LAN discovery by mDNS.
    pub mdns: bool,
    /// Relay for peers behind NAT (circuit relay v2, with conservative
    /// limits: 64 reservations, 16 circuits of at most 2 minutes and 1 MiB).
    pub relay_server: bool,
    /// Relays to be reachable through when this node cannot be dialled
    /// directly (behind NAT): each a relay's full address with `/p2p/`.
    pub relays: Vec<String>,
    /// Addresses at which this node is known to be reachable (a public IP
    /// and port, a DNS name): announced to peers at once instead of waiting
    /// for AutoNAT to confirm one. A relay advertises itself only once it
    /// has such an address.
    pub announce: Vec<String>,
    /// Ask the LAN's router to forward the listen ports (UPnP IGD) and
    /// announce the mapped address. Off by default: it searches the LAN by
    /// multicast, and opens a port on a router the operator may not have
    /// meant to change.
    pub upnp: bool,
    /// Dial peers found by Kademlia and mDNS, up to `target_peers`.
    pub discovery: bool,
    /// How many connections discovery aims for.
    pub target_peers: usize,
    /// Gossipsub heartbeat, milliseconds.
    pub heartbeat_ms: u64,
    /// Seconds between sync rounds with each connected peer.
    pub sync_interval_secs: u64,
    /// Seconds between re-signed heads of the local issuer.
    pub head_interval_secs: u64,
    /// Largest HTTP request body, bytes.
    pub max_body_bytes: usize,
    /// Issuers (DIDs) this node follows: no storage quota applies to them.
    pub follow: Vec<String>,
    /// Trust registries this node believes, most authoritative first
    /// (`[[registries]]` with `did` and `name`); `badgemesh trust follow`
    /// adds to `trust.json` in the data directory instead.
    pub registries: Vec<crate::trust::registries::FollowedRegistry>,
    /// Records stored per issuer that is not followed (default 10,000).
    pub max_records_per_issuer: usize,
    /// Envelope bytes stored per issuer that is not followed (default 4 MiB):
    /// what one free key can cost this node.
    pub max_bytes_per_issuer: u64,
    /// Envelope bytes stored for all issuers that are not followed together
    /// (default 256 MiB, about twice that in memory with the indexes).
    pub max_bytes_unfollowed: u64,
    /// Issuers stored at most, besides followed ones (default 10,000).
    pub max_issuers: usize,
    /// Keep records in memory only (simulations): nothing survives a restart.
    pub in_memory_store: bool,
    /// A file holding the passphrase that seals the issuer key
    /// (`BADGEMESH_PASSPHRASE` takes precedence). Without either, the key is
    /// stored unencrypted (mode 0600).
    pub passphrase_file: Option<PathBuf>,
}

/// Where the data directory is when nothing says otherwise.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("badgemesh")
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: default_data_dir(),
            listen: vec![
                format!("/ip4/0.0.0.0/tcp/{DEFAULT_P2P_PORT}"),
                format!("/ip4/0.0.0.0/udp/{DEFAULT_P2P_PORT}/quic-v1"),
            ],
            api: SocketAddr::from(([127, 0, 0, 1], DEFAULT_API_PORT)),
            api_hosts: vec![],
            verify_workers: std::thread::available_parallelism()
                .map_or(1, |n| n.get().saturating_sub(1).max(1)),
            verify_queue: 16,
            fetch: false,
            fetch_timeout_secs: 10,
            bootstrap: vec![],
            relay_server: true,
            relays: vec![],
            announce: vec![],
            upnp: false,
            mdns: true,
            discovery: true,
            target_peers: 8,
            heartbeat_ms: 1000,
            sync_interval_secs: 30,
            head_interval_secs: 600,
            max_body_bytes: 8 * 1024 * 1024,
            follow: vec![],
            registries: vec![],
            max_records_per_issuer: Policy::DEFAULT_MAX_RECORDS_PER_ISSUER,
            max_bytes_per_issuer: Policy::DEFAULT_MAX_BYTES_PER_ISSUER,
            max_bytes_unfollowed: Policy::DEFAULT_MAX_BYTES_UNFOLLOWED,
            max_issuers: Policy::DEFAULT_MAX_ISSUERS,
            in_memory_store: false,
            passphrase_file: None,
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The TOML file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML file is invalid.
    #[error("invalid config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A value is invalid.
    #[error("invalid {what} {value:?}: {message}")]
    Value {
        /// Which setting.
        what: &'static str,
        /// The value given.
        value: String,
        /// What is wrong.
        message: String,
    },
}

fn bad(what: &'static str, value: &str, message: impl ToString) -> ConfigError {
    ConfigError::Value {
        what,
        value: value.to_owned(),
        message: message.to_string(),
    }
}

fn parse_bool(what: &'static str, v: &str) -> Result<bool, ConfigError> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(bad(what, v, "expected true or false")),
    }
}

fn list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

impl Config {
    /// Reads `path` if it exists (a missing default file is fine), over defaults.
    pub fn from_file(path: &Path, required: bool) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| ConfigError::Parse {
                path: path.to_owned(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                Ok(Config::default())
            }
            Err(source) => Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Applies `BADGEMESH_*` variables read through `var`.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = var("BADGEMESH_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = var("BADGEMESH_LISTEN") {
            self.listen = list(&v);
        }
        if let Some(v) = var("BADGEMESH_API") {
            self.api = v.parse().map_err(|e| bad("BADGEMESH_API", &v, e))?;
        }
        if let Some(v) = var("BADGEMESH_BOOTSTRAP") {
            self.bootstrap = list(&v);
        }
        if let Some(v) = var("BADGEMESH_MDNS") {
            self.mdns = parse_bool("BADGEMESH_MDNS", &v)?;
        }
        if let Some(v) = var("BADGEMESH_API_HOSTS") {
            self.api_hosts = list(&v);
        }
        if let Some(v) = var("BADGEMESH_FOLLOW") {
            self.follow = list(&v);
        }
        if let Some(v) = var("BADGEMESH_DISCOVERY") {
            self.discovery = parse_bool("BADGEMESH_DISCOVERY", &v)?;
        }
        if let Some(v) = var("BADGEMESH_RELAY_SERVER") {
            self.relay_server = parse_bool("BADGEMESH_RELAY_SERVER", &v)?;
        }
        if let Some(v) = var("BADGEMESH_RELAYS") {
            self.relays = list(&v);
        }
        if let Some(v) = var("BADGEMESH_ANNOUNCE") {
            self.announce = list(&v);
        }
        if let Some(v) = var("BADGEMESH_UPNP") {
            self.upnp = parse_bool("BADGEMESH_UPNP", &v)?;
        }
        Ok(())
    }

    /// The listen addresses, parsed.
    pub fn listen_addrs(&self) -> Result<Vec<Multiaddr>, ConfigError> {
        self.listen
            .iter()
            .map(|a| a.parse().map_err(|e| bad("listen address", a, e)))
            .collect()
    }

    /// The bootstrap addresses, parsed.
    pub fn bootstrap_addrs(&self) -> Result<Vec<Multiaddr>, ConfigError> {
        self.bootstrap
            .iter()
            .map(|a| a.parse().map_err(|e| bad("bootstrap address", a, e)))
            .collect()
    }

    /// The relays' addresses, parsed; each must name its peer (`/p2p/`),
    /// since a reservation is made with a known relay.
    pub fn relay_addrs(&self) -> Result<Vec<Multiaddr>, ConfigError> {
        self.relays
            .iter()
            .map(|a| {
                let addr: Multiaddr = a.parse().map_err(|e| bad("relay address", a, e))?;
                if !addr
                    .iter()
                    .any(|p| matches!(p, libp2p::multiaddr::Protocol::P2p(_)))
                {
                    return Err(bad("relay address", a, "it must end in /p2p/PEER_ID"));
                }
                Ok(addr)
            })
            .collect()
    }

    /// The announced addresses, parsed.
    pub fn announce_addrs(&self) -> Result<Vec<Multiaddr>, ConfigError> {
        self.announce
            .iter()
            .map(|a| a.parse().map_err(|e| bad("announced address", a, e)))
            .collect()
    }

    /// The storage policy for issuers this node does not follow.
    pub fn policy(&self) -> Result<Policy, ConfigError> {
        let follow = self
            .follow
            .iter()
            .map(|d| d.parse().map_err(|e| bad("followed issuer", d, e)))
            .collect::<Result<_, _>>()?;
        Ok(Policy {
            follow,
            max_records_per_issuer: self.max_records_per_issuer,
            max_bytes_per_issuer: self.max_bytes_per_issuer,
            max_bytes_unfollowed: self.max_bytes_unfollowed,
            max_issuers: self.max_issuers,
            registries: self
                .registries
                .iter()
                .map(|r| {
                    r.did
                        .parse()
                        .map_err(|e| bad("followed registry", &r.did, e))
                })
                .collect::<Result<_, _>>()?,
        })
    }

    /// The passphrase sealing the issuer key, from `BADGEMESH_PASSPHRASE` or
    /// `passphrase_file`.
    pub fn passphrase(&self) -> Result<Option<String>, ConfigError> {
        if let Ok(p) = std::env::var("BADGEMESH_PASSPHRASE")
            && !p.is_empty()
        {
            return Ok(Some(p));
        }
        match &self.passphrase_file {
            None => Ok(None),
            Some(path) => std::fs::read_to_string(path)
                .map(|s| Some(s.trim_end_matches(['\n', '\r']).to_owned()))
                .map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                }),
        }
    }

    /// The gossipsub heartbeat.
    pub fn heartbeat(&self) -> Duration {
        Duration::from_millis(self.heartbeat_ms.max(50))
    }

    /// A configuration for tests and demos: loopback only, ephemeral ports, no
    /// mDNS, fast heartbeat.
    pub fn loopback(data_dir: PathBuf) -> Config {
        Config {
            data_dir,
            listen: vec!["/ip4/127.0.0.1/tcp/0".into()],
            api: SocketAddr::from(([127, 0, 0, 1], 0)),
            mdns: false,
            discovery: false,
            heartbeat_ms: 200,
            sync_interval_secs: 5,
            ..Config::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment_override_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "mdns = false\ntarget_peers = 3\n").expect("write");
        let mut c = Config::from_file(&path, true).expect("parses");
        assert!(!c.mdns);
        assert_eq!(c.target_peers, 3);
        assert_eq!(c.api, Config::default().api);
        c.apply_env(|k| match k {
            "BADGEMESH_API" => Some("127.0.0.1:9999".into()),
            "BADGEMESH_BOOTSTRAP" => Some("/ip4/127.0.0.1/tcp/1, /ip4/127.0.0.1/tcp/2".into()),
            _ => None,
        })
        .expect("valid env");
        assert_eq!(c.api.port(), 9999);
        assert_eq!(c.bootstrap_addrs().expect("parse").len(), 2);
    }

    #[test]
    fn quotas_default_to_what_a_laptop_survives_and_come_from_the_file() {
        let d = Config::default().policy().expect("policy");
        assert_eq!(d.max_bytes_per_issuer, 4 * 1024 * 1024);
        assert_eq!(d.max_bytes_unfollowed, 256 * 1024 * 1024);
        assert_eq!(d.max_records_per_issuer, 10_000);
        assert_eq!(d.max_issuers, 10_000);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "max_bytes_per_issuer = 1024\nmax_bytes_unfollowed = 4096\n",
        )
        .expect("write");
        let p = Config::from_file(&path, true)
            .expect("parses")
            .policy()
            .expect("policy");
        assert_eq!(
            (p.max_bytes_per_issuer, p.max_bytes_unfollowed),
            (1024, 4096)
        );
    }

    #[test]
    fn upnp_is_off_unless_the_file_or_the_environment_turns_it_on() {
        assert!(!Config::default().upnp);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "upnp = true\n").expect("write");
        assert!(Config::from_file(&path, true).expect("parses").upnp);
        let mut c = Config::default();
        c.apply_env(|k| (k == "BADGEMESH_UPNP").then(|| "true".into()))
            .expect("valid env");
        assert!(c.upnp);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "mdsn = false\n").expect("write");
        assert!(matches!(
            Config::from_file(&path, true),
            Err(ConfigError::Parse { .. })
        ));
        let mut c = Config::default();
        assert!(
            c.apply_env(|k| (k == "BADGEMESH_MDNS").then(|| "maybe".into()))
                .is_err()
        );
        assert!(Config::from_file(&dir.path().join("missing.toml"), false).is_ok());
        assert!(Config::from_file(&dir.path().join("missing.toml"), true).is_err());
    }
}
