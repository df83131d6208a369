//! `registry`: the Soroban Registry from the command line.
//!
//! Every command asks the registry's GraphQL API (`--url`, `REGISTRY_URL`). Exit codes: 0 ok,
//! 1 error, 2 bad usage (nothing sent), 3 not found.

mod abi;
mod api;
mod auth;
mod commands;
mod config;
mod error;
mod identity;
mod render;
mod watch;

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Exit codes: 0 ok, 1 error (the API's errors print as `error: <CODE>: <message>`), 2 bad usage
(nothing is sent), 3 not found (an unknown contract, WASM or publisher).

With --json every command prints one JSON document (`watch`: one JSON object per line) whose
fields are the API's (schema.graphql), enum values spelled as the API spells them (TESTNET).";

/// The Soroban Registry from the command line: search contracts, read their interfaces and
/// history, watch new deployments live, and manage the contracts you publish.
#[derive(Parser)]
#[command(name = "registry", version, after_help = AFTER_HELP)]
struct Cli {
    /// The registry's base URL.
    #[arg(
        long,
        env = "REGISTRY_URL",
        default_value = "http://127.0.0.1:3001",
        global = true,
        value_name = "URL"
    )]
    url: String,

    /// Print JSON instead of text (its shape is documented in each command's --help).
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Command,
}

/// A Stellar network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Net {
    Mainnet,
    Testnet,
    Futurenet,
    Local,
}

impl Net {
    pub fn as_str(self) -> &'static str {
        match self {
            Net::Mainnet => "mainnet",
            Net::Testnet => "testnet",
            Net::Futurenet => "futurenet",
            Net::Local => "local",
        }
    }
}

/// What executes a contract.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Kind {
    /// Uploaded WASM code.
    Wasm,
    /// The built-in Stellar Asset Contract of a classic asset.
    StellarAsset,
}

/// A contract: its address, or `NETWORK/NAME` for the name it is registered under in that
/// network's root Stellar Registry.
#[derive(Clone, Debug)]
pub enum ContractRef {
    Id(String),
    Name { network: Net, name: String },
}

fn parse_contract(s: &str) -> Result<ContractRef, String> {
    if let Some((network, name)) = s.split_once('/') {
        let network = Net::from_str(network, true).map_err(|_| {
            format!("`{network}` is not a network (mainnet, testnet, futurenet or local)")
        })?;
        if name.is_empty() {
            return Err("NETWORK/NAME needs a name after the slash".to_owned());
        }
        return Ok(ContractRef::Name {
            network,
            name: name.to_owned(),
        });
    }
    stellar_strkey::Contract::from_string(s)
        .map(|c| ContractRef::Id(format!("{c}")))
        .map_err(|_| "not a contract address (C…, 56 characters) nor NETWORK/NAME".to_owned())
}

fn parse_hash(s: &str) -> Result<String, String> {
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err("not a WASM hash (64 hexadecimal characters)".to_owned())
    }
}

fn parse_account(s: &str) -> Result<String, String> {
    stellar_strkey::ed25519::PublicKey::from_string(s)
        .map(|k| format!("{k}"))
        .map_err(|_| "not an account address (G…, 56 characters)".to_owned())
}

/// `--network`.
#[derive(Args, Clone, Copy, Debug)]
struct NetworkArg {
    /// The network (without it, a contract address is looked up on every network).
    #[arg(long, short = 'n', value_enum)]
    network: Option<Net>,
}

/// A contract argument with its `--network`.
#[derive(Args, Clone, Debug)]
struct ContractArgs {
    /// The contract: its address (C…), or NETWORK/NAME for its name in the network's root
    /// Stellar Registry.
    #[arg(value_parser = parse_contract, value_name = "CONTRACT")]
    contract: ContractRef,
    #[command(flatten)]
    network: NetworkArg,
}

/// How `abi` prints the interface.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum AbiFormat {
    /// Rust-like declarations.
    Rust,
    /// The API's ABI object (`Contract.abi` without `raw`).
    Json,
    /// The spec entries exactly as stellar-xdr serialises them (`Abi.raw`).
    Raw,
}

/// A shell for `completions`.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Subcommand)]
enum Command {
    /// Search contracts by text, network, tag, kind or exported function.
    ///
    /// Without TEXT, the newest contracts matching the filters. JSON: {"totalCount": N,
    /// "contracts": [{contractId, network, kind, name, wasmHash, verification,
    /// createdLedger, tags: [{name}]}]}.
    Search {
        /// Words to look for in names, descriptions, tags and function names ("quoted
        /// phrases" and -excluded words work).
        text: Option<String>,
        #[command(flatten)]
        network: NetworkArg,
        /// Only contracts carrying this tag.
        #[arg(long)]
        tag: Option<String>,
        /// Only contracts of this kind.
        #[arg(long, value_enum)]
        kind: Option<Kind>,
        /// Only contracts exporting a function of this name.
        #[arg(long, value_name = "FN")]
        implements: Option<String>,
        /// At most this many contracts.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(i64).range(1..=100))]
        limit: i64,
    },
    /// Show a contract: what it is, who deployed and claims it, its tags and functions.
    ///
    /// JSON: the API's Contract {contractId, network, kind, name, registeredName,
    /// description, asset: {canonical}, deployer, createdLedger, createdAt, createdTx,
    /// wasmHash, publisher: {address, displayName}, verification, implementedSeps,
    /// tags: [{name, source}], abi: {functions: [{signature}]}}.
    Show(ContractArgs),
    /// Print a contract's interface.
    ///
    /// --format rust (the default): Rust-like declarations of its functions, structs,
    /// unions, enums, error enums and events. json (the default with --json): the API's Abi
    /// object {builtin, functions, structs, unions, enums, errorEnums, events}. raw: the spec
    /// entries as stellar-xdr serialises them to JSON (not for a Stellar Asset Contract).
    Abi {
        #[command(flatten)]
        contract: ContractArgs,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<AbiFormat>,
    },
    /// List every executable a contract has run: its deployment, then its upgrades.
    ///
    /// JSON: {contractId, network, versions: [{kind, ledger, changedAt, txHash,
    /// oldWasmHash, newWasmHash}]}, oldest first.
    Versions(ContractArgs),
    /// Show what changed in a contract's interface: by default, what its latest upgrade
    /// changed; with --from and/or --to, between those WASMs (--from defaults to the WASM it
    /// was deployed with, --to to the one it runs now). Each change is breaking (a caller or
    /// an event consumer of the old interface can fail) or compatible; the rule is in the
    /// API's docs of AbiDiff.
    ///
    /// JSON: the API's AbiDiff {fromWasmHash, toWasmHash, breaking, changes: [{subject, name,
    /// kind, severity, details, before, after}]}.
    Diff {
        #[command(flatten)]
        contract: ContractArgs,
        /// The older WASM (64 hex characters).
        #[arg(long, value_parser = parse_hash, value_name = "HASH")]
        from: Option<String>,
        /// The newer WASM (64 hex characters).
        #[arg(long, value_parser = parse_hash, value_name = "HASH")]
        to: Option<String>,
    },
    /// Show a WASM: its build, interface and the contracts that run it.
    ///
    /// JSON: the API's Wasm {hash, sizeBytes, firstSeenNetwork, firstSeenLedger,
    /// firstSeenAt, sdkVersion, interfaceVersion: {protocol, preRelease}, implementedSeps,
    /// buildInfo: {sourceRepo, homeDomain}, verification: {status}, functionNames,
    /// contracts: {totalCount, nodes: [{contractId, network, name}]}}.
    Wasm {
        /// The WASM's sha256 (64 hex characters).
        #[arg(value_parser = parse_hash, value_name = "HASH")]
        hash: String,
    },
    /// Show a publisher and the contracts it claims.
    ///
    /// JSON: the API's Publisher {address, displayName, website, github, createdAt,
    /// contracts: {totalCount, nodes: [{contractId, network, kind, name}]}}.
    Publisher {
        /// The publisher's account (G…).
        #[arg(value_parser = parse_account, value_name = "ACCOUNT")]
        address: String,
    },
    /// List the tags in use, most used first.
    ///
    /// JSON: [{name, contractCount}].
    Tags {
        #[command(flatten)]
        network: NetworkArg,
    },
    /// Print new contracts as they are deployed, live.
    ///
    /// One line per contract (--json: one JSON object per line, {cursor, network, ledger,
    /// contract: {contractId, kind, name, wasmHash, tags: [{name}]}}). The cursor of the last
    /// event is kept in the configuration directory (REGISTRY_CONFIG_DIR, else
    /// <config dir>/soroban-registry, file cursors/<registry URL>/watch-cursor-<network|all>
    /// [-tag-<tag>]), and the
    /// next watch with the same filters resumes after it; when the server goes away the watch
    /// reconnects (with exponential backoff, up to 30 s) and resumes likewise, so nothing is
    /// lost or printed twice.
    Watch {
        #[command(flatten)]
        network: NetworkArg,
        /// Only contracts carrying this tag.
        #[arg(long)]
        tag: Option<String>,
        /// Start from now, ignoring the saved cursor.
        #[arg(long)]
        fresh: bool,
        /// Print breaking upgrades instead of new contracts: upgrades that can break a caller
        /// or an event consumer of the old interface, and those whose interfaces cannot be
        /// compared (a WASM the registry has no readable interface for: nothing shows they are
        /// safe) (--json: {cursor, network, ledger,
        /// oldWasmHash, newWasmHash, breaking, abiChanges: {changes: [{subject, name, kind,
        /// severity, details}]}, contract: {contractId, name}}).
        #[arg(long, conflicts_with = "tag")]
        breaking: bool,
    },
    /// Show how far the indexer is on each network.
    ///
    /// JSON: [{network, state, stateSince, detail, lastLedger, lastLedgerClosedAt,
    /// latestLedger, lagLedgers, lagSeconds, updatedAt}].
    Status,
    /// Sign in with a Stellar account (SEP-10) and keep the token.
    ///
    /// The secret key (S…) comes from --identity (a `stellar keys` identity), --secret-file or
    /// REGISTRY_SECRET_KEY; it never leaves this machine: the server's challenge is checked
    /// (it can do nothing) and signed here.
    /// The token is stored in the configuration directory (credentials.json, mode 0600),
    /// per registry URL. JSON: {url, account}.
    Login {
        /// A file holding the secret key (instead of REGISTRY_SECRET_KEY).
        #[arg(long, value_name = "PATH")]
        secret_file: Option<PathBuf>,
        /// A `stellar keys` identity: `.stellar/identity/NAME.toml` here or in a directory
        /// above, else in the Stellar CLI's configuration directory (STELLAR_CONFIG_HOME, else
        /// <config dir>/stellar); its secret_key, or account 0 of its seed_phrase (SEP-5).
        #[arg(long, value_name = "NAME", conflicts_with = "secret_file")]
        identity: Option<String>,
    },
    /// Forget the token of this registry.
    ///
    /// JSON: {url, signedOut}.
    Logout,
    /// Claim a contract for the signed-in account (its deployer, or an account its WASM's
    /// home domain lists).
    ///
    /// JSON: {contractId, network, publisher: {address}}.
    Claim(ContractArgs),
    /// Release a contract the signed-in account holds.
    ///
    /// JSON: {contractId, network, publisher}.
    Release(ContractArgs),
    /// Ask the verifier to check a WASM's build attestation again (for the publisher of a
    /// contract that runs it).
    ///
    /// JSON: {hash, verification: {status, queued}}.
    Verify {
        /// The WASM's sha256 (64 hex characters).
        #[arg(value_parser = parse_hash, value_name = "HASH")]
        hash: String,
    },
    /// Set the manual tags of a contract the signed-in account holds (names from the
    /// registry's vocabulary; the automatic tags stay).
    ///
    /// JSON: {contractId, network, tags: [{name, source}]}.
    Tag {
        #[command(flatten)]
        contract: ContractArgs,
        /// The tags (they replace the manual tags it has).
        #[arg(value_name = "NAME", required_unless_present = "clear")]
        names: Vec<String>,
        /// Remove every manual tag.
        #[arg(long, conflicts_with = "names")]
        clear: bool,
    },
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// Writes to stdout; a closed pipe (`registry search | head`) ends the program quietly.
pub fn emit(s: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

fn main() {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal error: {info}");
    }));
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            std::process::exit(1);
        }
    };
    let code = match rt.block_on(commands::run(cli)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {}", render::safe(&e.to_string()));
            e.exit_code()
        }
    };
    std::process::exit(code);
}

/// Completion script for `shell`.
fn completions(shell: Shell) {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    clap_complete::generate(shell, &mut cmd, "registry", &mut buf);
    emit(&String::from_utf8_lossy(&buf));
}
