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
use registry_verifier::sigstore::testing::{TestIdentity, TestSigstore};
use serde_json::{Value, json};

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

/// The SLSA provenance v1 statement GitHub's `attest-build-provenance` action writes for a
/// `release.yml` run on tag `v1.0.0` of `repo` at `commit` (the shape the verifier's own tests
/// use, and the run the certificate of [`TestIdentity::github`] names).
fn provenance(hash: &WasmHash, repo: &str, commit: &str) -> Value {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{ "name": "contract.wasm", "digest": { "sha256": hash.to_string() } }],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                "externalParameters": { "workflow": {
                    "ref": "refs/tags/v1.0.0",
                    "repository": format!("https://github.com/{repo}"),
                    "path": ".github/workflows/release.yml" } },
                "resolvedDependencies": [{
                    "uri": format!("git+https://github.com/{repo}@refs/tags/v1.0.0"),
                    "digest": { "gitCommit": commit } }]
            },
            "runDetails": {
                "builder": { "id": format!("https://github.com/{repo}/.github/workflows/release.yml@refs/tags/v1.0.0") },
                "metadata": { "invocationId": format!("https://github.com/{repo}/actions/runs/1234567890/attempts/1") }
            }
        }
    })
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
    let statement = serde_json::to_vec(&provenance(&cli.hash, &repo, &commit))?;
    let bundle = sigstore.sign(&statement, &TestIdentity::github(&repo, &commit));
    println!("{}", serde_json::to_string(&bundle)?);
    Ok(())
}
