//! `badgemesh node run` and `badgemesh node info`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use badgemesh_node::config::Config;
use badgemesh_node::datadir::CONFIG_FILE;
use badgemesh_node::node::Node;
use clap::{Args, Subcommand};

use crate::client::NodeClient;
use crate::fail::{NOT_VALID, OK, storage, usage};
use crate::output::print_json;

/// Node commands.
#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// Start a node in the foreground (Ctrl-C or SIGTERM stops it cleanly).
    #[command(
        after_help = "Examples:\n  badgemesh node run\n  badgemesh --data-dir /tmp/b node run --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 --bootstrap /ip4/127.0.0.1/tcp/4747 --no-mdns\n\nLogs go to stderr; set RUST_LOG=debug for more.\n\nExit status 4 when the data directory cannot be written (disk full, read-only, not this user's); commands that write through the node (issuer, badge, award, revoke, key, import) exit 4 when its storage refuses the write."
    )]
    Run(RunArgs),
    /// Exit 0 when the running node answers `/healthz` as healthy, 1 when it
    /// answers degraded (its storage refuses writes), 2 when it does not
    /// answer: for container health checks and monitors.
    #[command(after_help = "Example:\n  badgemesh --data-dir /data node health")]
    Health,
    /// Show the running node: peer id, addresses, API, counts.
    #[command(after_help = "Example:\n  badgemesh node info --json")]
    Info {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Flags of `node run`; each overrides the config file and BADGEMESH_* variables.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// A libp2p address to listen on (repeatable).
    #[arg(long, value_name = "MULTIADDR")]
    listen: Vec<String>,
    /// Where the HTTP API listens (keep it on loopback).
    #[arg(long, value_name = "HOST:PORT")]
    api: Option<SocketAddr>,
    /// A peer to connect to, with or without /p2p/PEERID (repeatable).
    #[arg(long, value_name = "MULTIADDR")]
    bootstrap: Vec<String>,
    /// Turn off LAN discovery by mDNS.
    #[arg(long)]
    no_mdns: bool,
    /// A relay to be reachable through when behind NAT, with /p2p/ (repeatable).
    #[arg(long, value_name = "MULTIADDR")]
    relay: Vec<String>,
    /// Do not relay for peers behind NAT (on by default, with conservative limits).
    #[arg(long)]
    no_relay_server: bool,
    /// An address this node is reachable at from outside (repeatable):
    /// announced at once, instead of waiting for peers to confirm one.
    #[arg(long, value_name = "MULTIADDR")]
    announce: Vec<String>,
    /// Ask the LAN's router to forward the listen ports (UPnP) and announce
    /// the mapped address (off by default).
    #[arg(long)]
    upnp: bool,
    /// A TOML configuration file (default: config.toml in the data directory).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Log lines as text (for people) or JSON, one object per line (for log
    /// collectors: journald, Loki, Elasticsearch).
    #[arg(long, value_enum, default_value = "text", env = "BADGEMESH_LOG_FORMAT")]
    log_format: LogFormat,
}

/// How `node run` writes its log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines, coloured on a terminal.
    Text,
    /// One JSON object per line: timestamp, level, target, fields.
    Json,
}

/// Runs a node command.
pub fn run(cmd: NodeCommand, data_dir: &Path) -> Result<i32> {
    match cmd {
        NodeCommand::Run(args) => run_node(args, data_dir),
        NodeCommand::Info { json } => info(data_dir, json),
        NodeCommand::Health => health(data_dir),
    }
}

fn run_node(args: RunArgs, data_dir: &Path) -> Result<i32> {
    let (path, required) = match &args.config {
        Some(p) => (p.clone(), true),
        None => (data_dir.join(CONFIG_FILE), false),
    };
    let mut config = Config::from_file(&path, required).map_err(|e| usage(e.to_string()))?;
    config
        .apply_env(|k| std::env::var(k).ok())
        .map_err(|e| usage(e.to_string()))?;
    config.data_dir = data_dir.to_owned();
    if !args.listen.is_empty() {
        config.listen = args.listen;
    }
    if let Some(api) = args.api {
        config.api = api;
    }
    if !args.bootstrap.is_empty() {
        config.bootstrap = args.bootstrap;
    }
    if args.no_mdns {
        config.mdns = false;
    }
    if !args.relay.is_empty() {
        config.relays = args.relay;
    }
    if args.no_relay_server {
        config.relay_server = false;
    }
    if !args.announce.is_empty() {
        config.announce = args.announce;
    }
    if args.upnp {
        config.upnp = true;
    }
    config.listen_addrs().map_err(|e| usage(e.to_string()))?;
    config.bootstrap_addrs().map_err(|e| usage(e.to_string()))?;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,libp2p_mdns=warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match args.log_format {
        LogFormat::Json => logs.json().flatten_event(true).init(),
        // Colour codes only for a terminal, not for log files and journals.
        LogFormat::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let node = Node::start(config).await.map_err(|e| {
            let message = format!("the node could not start: {e}");
            if e.storage_problem().is_some() {
                storage(message)
            } else {
                usage(message)
            }
        })?;
        println!("badgemesh node {}", node.peer_id());
        println!("  data dir  {}", data_dir.display());
        println!("  api       http://{}", node.api_addr());
        for a in node.p2p_addrs() {
            println!("  listen    {a}");
        }
        wait_for_signal().await;
        eprintln!("stopping...");
        node.shutdown().await;
        Ok::<_, anyhow::Error>(OK)
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn health(data_dir: &Path) -> Result<i32> {
    let client = NodeClient::find(data_dir)?;
    let answer = client.get("/healthz")?;
    let status = answer.json["status"].as_str().unwrap_or("unknown");
    println!("{status}");
    if let Some(why) = answer.json["storage"].as_str() {
        println!("storage: {why}");
    }
    Ok(if answer.status == 200 { OK } else { NOT_VALID })
}

fn info(data_dir: &Path, json: bool) -> Result<i32> {
    let client = NodeClient::find(data_dir)?;
    let mut v = client.get("/v1/node")?.ok()?.json;
    v["api"] = client.base().into();
    if json {
        print_json(&v);
        return Ok(OK);
    }
    println!("peer id       {}", v["peer_id"].as_str().unwrap_or(""));
    println!("version       {}", v["version"].as_str().unwrap_or(""));
    println!("data dir      {}", data_dir.display());
    println!("api           {}", client.base());
    for a in v["listen"].as_array().into_iter().flatten() {
        println!("listen        {}", a.as_str().unwrap_or(""));
    }
    println!("peers         {}", v["peers"]);
    let r = &v["reachability"];
    if r.is_object() {
        let list = |k: &str| {
            r[k].as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .filter(|s| !s.is_empty())
        };
        println!(
            "reachable at  {}",
            list("external").unwrap_or_else(|| "(no address confirmed by a peer)".into())
        );
        if let Some(relayed) = list("relayed_listen") {
            println!("relayed at    {relayed}");
        }
        if let Some(upnp) = r["upnp"].as_str() {
            match list("upnp_mapped") {
                Some(mapped) => println!("upnp          {upnp}: {mapped}"),
                None => println!("upnp          {upnp}"),
            }
        }
        println!(
            "connections   {} direct, {} relayed; hole punches {} ok, {} failed; relaying for others: {}",
            r["direct_connections"],
            r["relayed_connections"],
            r["hole_punches_succeeded"],
            r["hole_punches_failed"],
            if r["relay_server"] == true {
                "yes"
            } else {
                "no"
            }
        );
    }
    println!("issuers       {}", v["issuers"]);
    println!(
        "local issuer  {}",
        v["local_issuer"].as_str().unwrap_or("(none)")
    );
    if let Some(records) = v["records"].as_object() {
        for (kind, n) in records {
            println!("{:<13} {n}", kind.replace('_', " "));
        }
    }
    Ok(OK)
}
