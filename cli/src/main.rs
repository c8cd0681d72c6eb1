//! The `badgemesh` command: run a node, issue, award, revoke and verify badges.
//!
//! Commands that need the node find it through the data directory (`node.json`
//! and `admin.token`) and talk to its HTTP API; everything else is local.
//! Exit statuses are documented in `badgemesh verify --help`.

mod auditing;
mod backpack_cmd;
mod baking;
mod bundles;
mod certifying;
mod client;
mod clr_cmd;
mod demo;
mod endorsing;
mod fail;
mod issuing;
mod node_cmd;
mod operating;
mod output;
mod pathway_cmd;
mod registry_cmd;
mod trusting;
mod verifying;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use fail::Failure;

/// Open Badges that verify anywhere, offline, over a peer-to-peer network.
#[derive(Debug, Parser)]
#[command(name = "badgemesh", version, about, propagate_version = true)]
#[command(
    after_help = "Start here: `badgemesh node run`, then `badgemesh issuer init --name \"My Academy\"` in another terminal.\nSee a whole round trip: `badgemesh demo`."
)]
pub struct Cli {
    /// The node's data directory (store, keys, admin token, node.json).
    #[arg(long, global = true, env = "BADGEMESH_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a node, or show the one that runs.
    #[command(subcommand)]
    Node(node_cmd::NodeCommand),
    /// Create or show this node's issuer.
    #[command(subcommand)]
    Issuer(issuing::IssuerCommand),
    /// Create or list badge classes.
    #[command(subcommand)]
    Badge(issuing::BadgeCommand),
    /// Award a badge class to someone and write the badge for them.
    Award(issuing::AwardArgs),
    /// Revoke an award.
    Revoke(issuing::RevokeArgs),
    /// Endorse a badge class, another issuer or one assertion (as this
    /// node's issuer), or withdraw an endorsement.
    #[command(subcommand)]
    Endorse(endorsing::EndorseCommand),
    /// Declare the badges that lead to one of this node's badges, draw the
    /// pathway graph around a badge, or say how far a holder's badges go.
    #[command(subcommand)]
    Pathway(pathway_cmd::PathwayCommand),
    /// Gather a learner's badges into one signed CLR 2.0 learner record.
    #[command(subcommand)]
    Clr(clr_cmd::ClrCommand),
    /// Verify a badge: genuine, whose, for what, still valid, as of when.
    Verify(verifying::VerifyArgs),
    /// Show the revocation status of an award stored on this node.
    Status(verifying::StatusArgs),
    /// Verify a file of badges (NDJSON) through the node's bulk route.
    Audit(auditing::AuditArgs),
    /// List connected peers.
    #[command(after_help = "Example:\n  badgemesh peers --json")]
    Peers(verifying::JsonFlag),
    /// Your badges, as an earner: keep them (any format), see each one's
    /// verdict of now, group them in collections, export them.
    #[command(subcommand)]
    Backpack(backpack_cmd::BackpackCommand),
    /// Copy the running node's store to a file (consistent, while it runs).
    Backup(operating::BackupArgs),
    /// Put a backup in place of the store (the node stopped).
    Restore(operating::RestoreArgs),
    /// A printable certificate (PDF or PNG, A4 or Letter) of a valid badge,
    /// with a QR code that carries the whole signed badge.
    Certificate(certifying::CertificateArgs),
    /// Manage the issuer's keys.
    #[command(subcommand)]
    Key(issuing::KeyCommand),
    /// Trust or list Open Badges 2.0 issuer keys (for signed OB 2.0 badges).
    #[command(subcommand, name = "ob2-key")]
    Ob2Key(trusting::Ob2KeyCommand),
    /// Hold or list other issuers' OB 3.0 status lists (revocation and
    /// suspension offline).
    #[command(subcommand, name = "status-list")]
    StatusList(trusting::StatusListCommand),
    /// Hold or list issuers' revocation lists (OB 2.0 signed badges, legacy
    /// 1EdTechRevocationList).
    #[command(subcommand, name = "revocation-list")]
    RevocationList(trusting::RevocationListCommand),
    /// Hold or list DID documents of OB 3.0 issuers that do not use did:key.
    #[command(subcommand)]
    Did(trusting::DidCommand),
    /// Whom this node believes about who issued what: trust registries,
    /// local listings, domain checks.
    #[command(subcommand)]
    Trust(registry_cmd::TrustCommand),
    /// Publish this identity's list as a trust registry (vouch for issuers).
    #[command(subcommand)]
    Registry(registry_cmd::RegistryCommand),
    /// Write the public records of issuers to a bundle file for offline carrying.
    Export(bundles::ExportArgs),
    /// Apply a bundle file: every record is verified on its own.
    Import(bundles::ImportArgs),
    /// Bake a credential into a PNG or SVG badge image.
    Bake(baking::BakeArgs),
    /// Print the credential baked into a PNG or SVG badge image.
    Unbake(baking::UnbakeArgs),
    /// Start three nodes on loopback and walk through issue, award, verify, revoke.
    #[command(after_help = "Example:\n  badgemesh demo")]
    Demo,
    /// Print shell completions.
    #[command(
        after_help = "Example:\n  badgemesh completions bash > /etc/bash_completion.d/badgemesh"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page.
    #[command(after_help = "Example:\n  badgemesh man > badgemesh.1 && man ./badgemesh.1")]
    Man,
}

fn data_dir(cli: &Cli) -> PathBuf {
    cli.data_dir
        .clone()
        .unwrap_or_else(badgemesh_node::config::default_data_dir)
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    let dir = data_dir(&cli);
    // A command whose output is piped into `head` should end quietly when
    // the pipe closes, as Unix tools do, not panic in `println!`. Not the
    // node itself: a journal that restarts must not kill a daemon.
    if !matches!(cli.command, Command::Node(node_cmd::NodeCommand::Run(_))) {
        sigpipe::reset();
    }
    match cli.command {
        Command::Node(c) => node_cmd::run(c, &dir),
        Command::Issuer(c) => issuing::issuer(c, &dir),
        Command::Badge(c) => issuing::badge(c, &dir),
        Command::Award(a) => issuing::award(a, &dir),
        Command::Revoke(a) => issuing::revoke(a, &dir),
        Command::Endorse(c) => endorsing::endorse(c, &dir),
        Command::Pathway(c) => pathway_cmd::run(c, &dir),
        Command::Clr(c) => clr_cmd::run(c, &dir),
        Command::Verify(a) => verifying::verify(a, &dir),
        Command::Status(a) => verifying::status(a, &dir),
        Command::Audit(a) => auditing::audit(a, &dir),
        Command::Peers(a) => verifying::peers(a, &dir),
        Command::Backpack(c) => backpack_cmd::run(c, &dir),
        Command::Certificate(a) => certifying::certificate(a, &dir),
        Command::Backup(a) => operating::backup(a, &dir),
        Command::Restore(a) => operating::restore(a, &dir),
        Command::Key(c) => issuing::key(c, &dir),
        Command::Ob2Key(c) => trusting::ob2_key(c, &dir),
        Command::StatusList(c) => trusting::status_list(c, &dir),
        Command::RevocationList(c) => trusting::revocation_list(c, &dir),
        Command::Did(c) => trusting::did(c, &dir),
        Command::Trust(c) => registry_cmd::trust(c, &dir),
        Command::Registry(c) => registry_cmd::registry(c, &dir),
        Command::Export(a) => bundles::export(a, &dir),
        Command::Import(a) => bundles::import(a, &dir),
        Command::Bake(a) => baking::bake(a),
        Command::Unbake(a) => baking::unbake(a),
        Command::Demo => demo::run(),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "badgemesh",
                &mut std::io::stdout(),
            );
            Ok(fail::OK)
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            Ok(fail::OK)
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { fail::USAGE as u8 } else { 0 });
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            let code = e.downcast_ref::<Failure>().map_or(fail::USAGE, |f| f.code);
            anstream::eprintln!("error: {e:#}");
            ExitCode::from(u8::try_from(code).unwrap_or(2))
        }
    }
}
