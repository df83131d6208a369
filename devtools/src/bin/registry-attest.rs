//! `registry-attest`: a GitHub build attestation of a WASM, made by a test Sigstore of its own,
//! for running the real verifier against a fake GitHub (the explorer's end-to-end tests do).
//! It writes the test Sigstore's trusted root (`VERIFIER_TRUSTED_ROOT` for `registry-verifier`)
//! and prints the Sigstore bundle of the SLSA provenance that `actions/attest-build-provenance`
//! writes for a `release.yml` run: what GitHub's attestations API serves as
//! `{"attestations": [{"bundle": …}]}`. The keys live only in this process, so the bundle
//! verifies against this root and no other.
//!
//! Run: `registry-attest --root-out root.json --hash <64 hex> --repo acme/token --commit <40 hex>`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use registry_core::WasmHash;
use registry_verifier::sigstore::testing::{TestIdentity, TestSigstore, github_provenance};

#[derive(Parser)]
#[command(
    name = "registry-attest",
    about = "A build attestation of a WASM from a test Sigstore, and that Sigstore's trusted root"
)]
struct Cli {
    /// Where to write the trusted root (JSON) the bundle verifies against.
    #[arg(long)]
    root_out: PathBuf,
    /// The WASM's sha256 (64 hex digits): the provenance's subject.
    #[arg(long)]
    hash: WasmHash,
    /// The repository that built it, `owner/repo`.
    #[arg(long)]
    repo: String,
    /// The commit it was built from (40 hex digits).
    #[arg(long)]
    commit: String,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let (owner, name) = cli
        .repo
        .split_once('/')
        .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
        .context("--repo must be owner/repo")?;
    let commit = cli.commit.to_ascii_lowercase();
    anyhow::ensure!(
        commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()),
        "--commit must be 40 hex digits"
    );
    let repo = format!("{owner}/{name}");
    let sigstore = TestSigstore::new();
    std::fs::write(&cli.root_out, sigstore.trusted_root_json())
        .with_context(|| format!("writing the trusted root to {}", cli.root_out.display()))?;
    let statement = serde_json::to_vec(&github_provenance(&cli.hash.to_string(), &repo, &commit))?;
    let bundle = sigstore.sign(&statement, &TestIdentity::github(&repo, &commit));
    println!("{}", serde_json::to_string(&bundle)?);
    Ok(())
}
