//! The seeder: deterministic, realistic registry data for development, demos and benchmarks.
//!
//! Specs come from the real WASM modules embedded by `registry_core::fixtures`. Distinct WASM
//! codes are made from them by appending a `contractmetav0` entry (a build id), which changes
//! the hash but not the interface, the way rebuilds of one contract differ on chain. Many
//! contracts share few codes, most share the popular ones, as on mainnet.
//!
//! [`generate`] is pure: the same [`SeedOptions`] give byte-identical rows. [`load`] writes them
//! with COPY in one transaction, then refreshes the search documents and the identity
//! sequences. Times are relative to `anchor` (default: now, to the hour), so the same seed and
//! anchor always give the same rows.

use std::fmt::Write as _;
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use registry_core::spec::{DecodedWasm, append_custom_section, decode_wasm};
use registry_core::{AccountId, ContractId, ContractKind, Network, autotag};
use sqlx::{Connection, PgConnection};
use stellar_xdr::{Limits, ScMetaEntry, ScMetaV0, WriteXdr};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// Contracts to create (publishers, codes and statistics scale with it).
    pub count: usize,
    /// RNG seed.
    pub seed: u64,
    /// The data set's "now": the newest deployment and the last statistics day.
    pub anchor: DateTime<Utc>,
}

/// Row counts of a generated data set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedCounts {
    pub publishers: usize,
    pub tags: usize,
    pub wasm_codes: usize,
    pub contracts: usize,
    pub contract_versions: usize,
    pub contract_tags: usize,
    pub daily_stats: usize,
    pub function_stats: usize,
}

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The registry already holds contracts and `--reset` was not given.
    #[error(
        "the database already holds {0} contracts: pass --reset to replace everything, or seed an empty database"
    )]
    NotEmpty(i64),
    /// A database error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// A generated data set: COPY text for each table, in load order.
pub struct Dataset {
    pub tables: Vec<(&'static str, &'static str, String)>,
    pub counts: SeedCounts,
    /// Sample variables for the benchmark queries: `(network, contract id)` of contracts with
    /// statistics and several versions, and search phrases.
    pub samples: Vec<(Network, String)>,
}

const WORDS_A: &[&str] = &[
    "Soro", "Blend", "Aqua", "Phoenix", "Comet", "Stellar", "Lumen", "Orbit", "Nova", "Astro",
    "Kale", "Zephyr", "Mercury", "Vega", "Lyra", "Helio", "Quasar", "Polar", "Drift", "Ember",
    "Tidal", "Cobalt", "Falcon", "Harbor", "Ion", "Juno", "Kepler", "Lunar", "Meteor", "Nimbus",
    "Onyx", "Pulsar", "Rigel", "Sirius", "Terra", "Umbra",
];
const WORDS_B: &[&str] = &[
    "Swap",
    "Router",
    "Pool",
    "Vault",
    "Lending",
    "Oracle",
    "Bridge",
    "Token",
    "DAO",
    "Staking",
    "Farm",
    "Escrow",
    "Auction",
    "Market",
    "Launchpad",
    "Wallet",
    "Registry",
    "Governor",
    "Treasury",
    "Faucet",
    "Lottery",
    "Airdrop",
    "Multisig",
    "Timelock",
    "Factory",
    "Pair",
    "Stablecoin",
    "NFT",
    "Perps",
    "Options",
    "Index",
    "Insurance",
];
const WORDS_C: &[&str] = &[
    "", "", "", " V2", " V3", " USDC", " XLM", " EURC", " Core", " Pro", " Lite", " Beta",
];
const DESC_PHRASES: &[&str] = &[
    "automated market maker for Stellar assets",
    "over-collateralized lending pool",
    "price oracle aggregating multiple feeds",
    "cross-chain bridge relayer",
    "fungible token with admin controls",
    "on-chain governance with delegated voting",
    "yield farming rewards distributor",
    "non-fungible token collection with royalties",
    "escrow with dispute resolution",
    "sealed-bid auction house",
    "liquidity staking vault",
    "time-locked treasury controlled by a multisig",
    "perpetual futures exchange",
    "payment streaming for payroll",
    "decentralized identity registry",
    "insurance pool against smart contract failure",
    "fixed-rate bond market",
    "lottery with verifiable randomness",
    "launchpad for token sales",
    "carbon credit marketplace",
    "remittance corridor settlement",
    "flash loan provider",
    "index fund of Stellar assets",
];
const DESC_EXTRA: &[&str] = &[
    "Audited.",
    "Upgradeable by its admin.",
    "Immutable.",
    "Supports fee bumps.",
    "Extends storage TTLs automatically.",
    "Emits events for every state change.",
    "Built with soroban-sdk.",
    "",
];
const PUBLISHER_SUFFIX: &[&str] = &[
    "Labs",
    "Finance",
    "Protocol",
    "Foundation",
    "Studio",
    "DAO",
    "Collective",
    "Capital",
    "Network",
    "Systems",
];
const TAG_BASE: &[&str] = &[
    "defi",
    "dex",
    "amm",
    "lending",
    "oracle",
    "bridge",
    "token",
    "stablecoin",
    "nft",
    "dao",
    "governance",
    "staking",
    "yield",
    "escrow",
    "auction",
    "marketplace",
    "gaming",
    "identity",
    "payments",
    "remittance",
    "payroll",
    "insurance",
    "derivatives",
    "perps",
    "options",
    "index",
    "launchpad",
    "airdrop",
    "multisig",
    "timelock",
    "audited",
    "rwa",
    "carbon",
    "lottery",
    "randomness",
    "social",
    "streaming",
    "treasury",
    "vault",
    "wallet",
    "faucet",
    "testing",
    "example",
    "factory",
    "router",
    "registry",
];
const TAG_QUALIFIERS: &[&str] = &["core", "v2", "experimental", "community", "official"];
const ASSET_CODES: &[&str] = &[
    "USDC", "EURC", "yXLM", "AQUA", "BLND", "SHX", "VELO", "MOBI", "ARST", "BRL", "KALE", "PYUSD",
];

/// Ledger of each network at the anchor, and the seconds per ledger.
fn ledger_at_anchor(network: Network) -> i64 {
    match network {
        Network::Mainnet => 60_000_000,
        Network::Testnet => 1_400_000,
        Network::Futurenet => 900_000,
        Network::Local => 10_000,
    }
}
const LEDGER_SECONDS: i64 = 5;

fn ledger_at(network: Network, anchor: DateTime<Utc>, t: DateTime<Utc>) -> i64 {
    (ledger_at_anchor(network) - (anchor - t).num_seconds() / LEDGER_SECONDS).max(2)
}

/// COPY text-format writer for one table.
struct Copy {
    buf: String,
    rows: usize,
}

enum F<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    Bytes(&'a [u8]),
    Ts(DateTime<Utc>),
    Date(NaiveDate),
    TextArray(&'a [String]),
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

impl Copy {
    fn new() -> Self {
        Copy {
            buf: String::new(),
            rows: 0,
        }
    }

    fn row(&mut self, fields: &[F<'_>]) {
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                self.buf.push('\t');
            }
            match f {
                F::Null => self.buf.push_str("\\N"),
                F::Int(n) => {
                    let _ = write!(self.buf, "{n}");
                }
                F::Text(s) => escape_into(&mut self.buf, s),
                F::Bytes(b) => {
                    self.buf.push_str("\\\\x");
                    self.buf.push_str(&hex::encode(b));
                }
                F::Ts(t) => {
                    let _ = write!(self.buf, "{}", t.format("%Y-%m-%d %H:%M:%S%.6f+00"));
                }
                F::Date(d) => {
                    let _ = write!(self.buf, "{}", d.format("%Y-%m-%d"));
                }
                F::TextArray(items) => {
                    let mut lit = String::from("{");
                    for (j, s) in items.iter().enumerate() {
                        if j > 0 {
                            lit.push(',');
                        }
                        lit.push('"');
                        lit.push_str(&s.replace('\\', "\\\\").replace('"', "\\\""));
                        lit.push('"');
                    }
                    lit.push('}');
                    escape_into(&mut self.buf, &lit);
                }
            }
        }
        self.buf.push('\n');
        self.rows += 1;
    }
}

struct WasmVariant {
    pk: i64,
    decoded: DecodedWasm,
    function_names: Vec<String>,
}

fn random_bytes(rng: &mut ChaCha8Rng) -> [u8; 32] {
    let mut b = [0u8; 32];
    rng.fill(&mut b);
    b
}

/// A time within `days` days before `anchor`, skewed towards recent times.
fn recent_time(rng: &mut ChaCha8Rng, anchor: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    let u: f64 = rng.random();
    let secs = (u * u * (days * 86_400) as f64) as i64;
    anchor - Duration::seconds(secs)
}

/// Generates the data set (pure; see the module docs).
pub fn generate(opts: &SeedOptions) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let anchor = opts.anchor;
    let today = anchor.date_naive();
    let mut counts = SeedCounts::default();

    // Publishers.
    let n_publishers = (opts.count / 10).max(1);
    let mut publishers = Copy::new();
    for pk in 1..=n_publishers as i64 {
        let address = AccountId(random_bytes(&mut rng)).to_string();
        let name = format!(
            "{} {}",
            WORDS_A.choose(&mut rng).unwrap_or(&"Soro"),
            PUBLISHER_SUFFIX.choose(&mut rng).unwrap_or(&"Labs")
        );
        let display = if rng.random_bool(0.9) {
            Some(name.clone())
        } else {
            None
        };
        let slug = name.to_lowercase().replace(' ', "");
        let website = rng
            .random_bool(0.6)
            .then(|| format!("https://{slug}.example"));
        let github = rng.random_bool(0.5).then(|| format!("{slug}-{pk}"));
        let created =
            anchor - Duration::days(800) + Duration::seconds(pk * 3600 * 9 % (790 * 86_400));
        publishers.row(&[
            F::Int(pk),
            F::Text(&address),
            display.as_deref().map_or(F::Null, F::Text),
            website.as_deref().map_or(F::Null, F::Text),
            github.as_deref().map_or(F::Null, F::Text),
            F::Ts(created),
        ]);
    }
    counts.publishers = publishers.rows;

    // Tags: the auto-tag rules' names, then a vocabulary of manual tags.
    let mut tag_names: Vec<String> = autotag::rule_tags().map(str::to_owned).collect();
    tag_names.extend(TAG_BASE.iter().map(|s| (*s).to_owned()));
    for q in TAG_QUALIFIERS {
        for b in TAG_BASE.iter().take(20) {
            tag_names.push(format!("{b}-{q}"));
        }
    }
    let mut tags = Copy::new();
    for (i, name) in tag_names.iter().enumerate() {
        tags.row(&[F::Int(i as i64 + 1), F::Text(name)]);
    }
    counts.tags = tags.rows;
    let auto_tag_pk = |name: &str| {
        tag_names
            .iter()
            .position(|t| t == name)
            .map(|i| i as i64 + 1)
    };
    let n_auto = autotag::RULES.len();

    // WASM codes: variants of the real fixtures.
    let bases: Vec<(&[u8], DecodedWasm)> = registry_core::fixtures::WASMS
        .iter()
        .map(|(_, code)| (*code, decode_wasm(code)))
        .collect();
    let n_wasm = (opts.count / 5).max(bases.len());
    let mut wasm_rows = Copy::new();
    let mut variants: Vec<WasmVariant> = Vec::with_capacity(n_wasm);
    for i in 0..n_wasm {
        let (base_code, base) = &bases[i % bases.len()];
        let build_id = format!("seed-{}-{i}", opts.seed);
        let entry = ScMetaEntry::ScMetaV0(ScMetaV0 {
            key: "build_id".try_into().unwrap_or_default(),
            val: build_id.as_str().try_into().unwrap_or_default(),
        });
        let payload = entry.to_xdr(Limits::none()).unwrap_or_default();
        let code = append_custom_section(base_code, "contractmetav0", &payload);
        let mut decoded = base.clone();
        decoded.hash = registry_core::WasmHash::of_code(&code);
        decoded.size = code.len();
        decoded.meta.push(registry_core::spec::MetaEntry {
            key: "build_id".into(),
            value: build_id,
        });
        let network = *[Network::Mainnet, Network::Testnet, Network::Futurenet]
            .choose(&mut rng)
            .unwrap_or(&Network::Testnet);
        let at = recent_time(&mut rng, anchor, 400);
        let function_names: Vec<String> = decoded
            .spec
            .as_ref()
            .map(|s| s.function_names().map(str::to_owned).collect())
            .unwrap_or_default();
        let abi = decoded
            .spec
            .as_ref()
            .and_then(|s| serde_json::to_string(s).ok());
        let raw = decoded.raw_spec.as_ref().map(|v| v.to_string());
        let meta = serde_json::to_string(&decoded.meta).unwrap_or_else(|_| "[]".into());
        let pk = i as i64 + 1;
        wasm_rows.row(&[
            F::Int(pk),
            F::Bytes(&decoded.hash.0),
            F::Bytes(&code),
            F::Int(code.len() as i64),
            F::Text(network.as_str()),
            F::Int(ledger_at(network, anchor, at)),
            F::Ts(at),
            raw.as_deref().map_or(F::Null, F::Text),
            abi.as_deref().map_or(F::Null, F::Text),
            decoded.spec_error.as_deref().map_or(F::Null, F::Text),
            F::Text(&meta),
            decoded
                .interface_version
                .map_or(F::Null, |v| F::Int(i64::from(v.0))),
            decoded
                .interface_version
                .map_or(F::Null, |v| F::Int(i64::from(v.1))),
            decoded.sdk_version().map_or(F::Null, F::Text),
            F::TextArray(&function_names),
        ]);
        variants.push(WasmVariant {
            pk,
            decoded,
            function_names,
        });
    }
    counts.wasm_codes = wasm_rows.rows;

    // Contracts, their versions, tags and statistics.
    let mut contracts = Copy::new();
    let mut versions = Copy::new();
    let mut contract_tags = Copy::new();
    let mut daily = Copy::new();
    let mut functions = Copy::new();
    let mut samples = Vec::new();
    let mut version_pk = 0i64;
    for pk in 1..=opts.count as i64 {
        let network = match rng.random_range(0..10) {
            0..=4 => Network::Mainnet,
            5..=8 => Network::Testnet,
            _ => Network::Futurenet,
        };
        let kind = if rng.random_bool(0.08) {
            ContractKind::StellarAsset
        } else {
            ContractKind::Wasm
        };
        let created_at = recent_time(&mut rng, anchor, 365);
        let created_ledger = ledger_at(network, anchor, created_at);
        let contract_id = ContractId(random_bytes(&mut rng)).to_string();
        let created_tx = random_bytes(&mut rng);
        let deployer = if rng.random_bool(0.1) {
            ContractId(random_bytes(&mut rng)).to_string()
        } else {
            AccountId(random_bytes(&mut rng)).to_string()
        };
        let publisher = rng
            .random_bool(0.6)
            .then(|| rng.random_range(1..=n_publishers as i64));
        let verification = match rng.random_range(0..20) {
            0..=13 => "unverified",
            14..=17 => "verified",
            18 => "pending",
            _ => "failed",
        };
        let (name, description, wasm) = match kind {
            ContractKind::StellarAsset => {
                let code = *ASSET_CODES.choose(&mut rng).unwrap_or(&"USDC");
                let issuer = AccountId(random_bytes(&mut rng)).to_string();
                (
                    Some(code.to_owned()),
                    Some(format!(
                        "Stellar Asset Contract for {code} issued by {issuer}"
                    )),
                    None,
                )
            }
            ContractKind::Wasm => {
                let u: f64 = rng.random();
                let w =
                    &variants[((u * u * variants.len() as f64) as usize).min(variants.len() - 1)];
                let name = rng.random_bool(0.85).then(|| {
                    format!(
                        "{} {}{}",
                        WORDS_A.choose(&mut rng).unwrap_or(&"Soro"),
                        WORDS_B.choose(&mut rng).unwrap_or(&"Swap"),
                        WORDS_C.choose(&mut rng).unwrap_or(&"")
                    )
                });
                let description = rng.random_bool(0.8).then(|| {
                    let phrase = DESC_PHRASES.choose(&mut rng).unwrap_or(&"");
                    let extra = DESC_EXTRA.choose(&mut rng).unwrap_or(&"");
                    let mut d = phrase.to_string();
                    if let Some(first) = d.get_mut(0..1) {
                        first.make_ascii_uppercase();
                    }
                    format!("{d}. {extra}").trim().to_owned()
                });
                (name, description, Some(w))
            }
        };

        // Versions: the deployment, then 0–3 upgrades for a quarter of WASM contracts.
        let mut current = wasm;
        let mut history: Vec<(DateTime<Utc>, Option<&WasmVariant>, &WasmVariant)> = Vec::new();
        if let Some(w) = wasm {
            history.push((created_at, None, w));
            if rng.random_bool(0.25) {
                let mut t = created_at;
                for _ in 0..rng.random_range(1..=3) {
                    let gap = (anchor - t).num_seconds().max(2);
                    t += Duration::seconds(rng.random_range(1..gap));
                    let next = &variants[rng.random_range(0..variants.len())];
                    history.push((t, current, next));
                    current = Some(next);
                }
            }
        }
        let mut prev_ledger = 0;
        for (t, old, new) in &history {
            version_pk += 1;
            // Ledgers only move forward in one contract's history.
            let ledger = ledger_at(network, anchor, *t).max(prev_ledger + 1);
            prev_ledger = ledger;
            versions.row(&[
                F::Int(version_pk),
                F::Int(pk),
                F::Int(ledger),
                F::Int(1),
                F::Text(if old.is_some() {
                    "upgraded"
                } else {
                    "deployed"
                }),
                F::Ts(*t),
                F::Bytes(&random_bytes(&mut rng)),
                old.map_or(F::Null, |o| F::Int(o.pk)),
                F::Int(new.pk),
            ]);
        }

        contracts.row(&[
            F::Int(pk),
            F::Text(network.as_str()),
            F::Text(&contract_id),
            F::Text(match kind {
                ContractKind::Wasm => "wasm",
                ContractKind::StellarAsset => "stellar_asset",
            }),
            current.map_or(F::Null, |w| F::Int(w.pk)),
            F::Text(&deployer),
            F::Int(created_ledger),
            F::Ts(created_at),
            F::Bytes(&created_tx),
            name.as_deref().map_or(F::Null, F::Text),
            description.as_deref().map_or(F::Null, F::Text),
            publisher.map_or(F::Null, F::Int),
            F::Text(verification),
        ]);

        // Tags: the auto-tags of its interface, and 0–4 manual tags.
        let spec = match (kind, current) {
            (ContractKind::StellarAsset, _) => {
                Some(registry_core::spec::sac::stellar_asset_spec().clone())
            }
            (_, Some(w)) => w.decoded.spec.clone(),
            _ => None,
        };
        let mut tag_pks: Vec<(i64, &str)> = Vec::new();
        if let Some(spec) = &spec {
            let seps = current
                .map(|w| w.decoded.interpreted().seps)
                .unwrap_or_default();
            for t in autotag::tags_for(kind, spec, &seps) {
                if let Some(tp) = auto_tag_pk(&t) {
                    tag_pks.push((tp, "auto"));
                }
            }
        }
        for _ in 0..rng.random_range(0..=4) {
            let tp = rng.random_range(n_auto + 1..=tag_names.len()) as i64;
            if !tag_pks.iter().any(|(p, _)| *p == tp) {
                tag_pks.push((tp, "manual"));
            }
        }
        for (tp, source) in &tag_pks {
            contract_tags.row(&[F::Int(pk), F::Int(*tp), F::Text(source)]);
        }

        // Statistics: a quarter of the contracts are in use, over the last 90 days.
        if rng.random_bool(0.25) {
            // Statistics draw from a generator of their own: how many days they span depends on
            // the anchor's hour, and must not shift the main stream (contract ids stay stable
            // across anchors, so benchmark variables stay valid).
            let mut rng = ChaCha8Rng::seed_from_u64(
                opts.seed ^ (pk as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            );
            let level = rng.random_range(1.0f64..6.0).exp();
            let fns: Vec<&String> = match current {
                Some(w) if !w.function_names.is_empty() => {
                    w.function_names.iter().take(8).collect()
                }
                _ => Vec::new(),
            };
            let start = (today - chrono::Days::new(89)).max(created_at.date_naive());
            for day in start.iter_days().take_while(|d| *d <= today) {
                if rng.random_bool(0.15) {
                    continue;
                }
                let invocations = (level * rng.random_range(0.2f64..2.0)).round() as i64 + 1;
                let failed = (invocations as f64 * rng.random_range(0.0f64..0.06)).round() as i64;
                let callers = (invocations as f64 * rng.random_range(0.1f64..0.9)).ceil() as i64;
                let events = invocations * rng.random_range(0..4);
                daily.row(&[
                    F::Int(pk),
                    F::Date(day),
                    F::Int(invocations),
                    F::Int(failed),
                    F::Int(callers),
                    F::Int(events),
                ]);
                if !fns.is_empty() && (today - day).num_days() < 30 {
                    let mut left = invocations;
                    for (i, f) in fns.iter().take(3).enumerate() {
                        let calls = if i == 2.min(fns.len() - 1) {
                            left
                        } else {
                            rng.random_range(0..=left)
                        };
                        left -= calls;
                        if calls > 0 {
                            let failed_calls =
                                (calls as f64 * rng.random_range(0.0f64..0.05)).round() as i64;
                            functions.row(&[
                                F::Int(pk),
                                F::Text(f),
                                F::Date(day),
                                F::Int(calls),
                                F::Int(failed_calls),
                            ]);
                        }
                    }
                }
            }
            if history.len() >= 2 && samples.len() < 150 {
                samples.push((network, contract_id.clone()));
            }
        }
    }
    counts.contracts = contracts.rows;
    counts.contract_versions = versions.rows;
    counts.contract_tags = contract_tags.rows;
    counts.daily_stats = daily.rows;
    counts.function_stats = functions.rows;

    let tables = vec![
        (
            "publishers",
            "pk, address, display_name, website, github, created_at",
            publishers.buf,
        ),
        ("tags", "pk, name", tags.buf),
        (
            "wasm_codes",
            "pk, hash, code, size_bytes, first_seen_network, first_seen_ledger, first_seen_at, spec, abi, spec_error, meta, \
             interface_protocol, interface_pre_release, sdk_version, function_names",
            wasm_rows.buf,
        ),
        (
            "contracts",
            "pk, network, contract_id, kind, wasm_pk, deployer, created_ledger, created_at, created_tx, name, description, \
             publisher_pk, verification",
            contracts.buf,
        ),
        (
            "contract_versions",
            "pk, contract_pk, ledger, tx_index, kind, changed_at, tx_hash, old_wasm_pk, new_wasm_pk",
            versions.buf,
        ),
        (
            "contract_tags",
            "contract_pk, tag_pk, source",
            contract_tags.buf,
        ),
        (
            "contract_daily_stats",
            "contract_pk, day, invocations, failed_invocations, distinct_callers, events_emitted",
            daily.buf,
        ),
        (
            "contract_function_stats",
            "contract_pk, function, day, calls, failed_calls",
            functions.buf,
        ),
    ];
    Dataset {
        tables,
        counts,
        samples,
    }
}

/// Writes a data set in one transaction. With `reset`, every registry table is emptied first;
/// without it, a database that already holds contracts is left untouched.
pub async fn load(
    conn: &mut PgConnection,
    data: &Dataset,
    reset: bool,
    anchor: DateTime<Utc>,
) -> Result<(), SeedError> {
    let mut tx = conn.begin().await?;
    if reset {
        // The tables the seeder fills, in an order that TRUNCATE … CASCADE accepts.
        sqlx::query!(
            "TRUNCATE registry_events, contract_function_stats, contract_daily_stats, contract_tags, tags, \
             contract_versions, contracts, wasm_codes, publishers, indexer_cursors RESTART IDENTITY CASCADE"
        )
        .execute(&mut *tx)
        .await?;
    } else {
        let n: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM contracts"#)
            .fetch_one(&mut *tx)
            .await?;
        if n > 0 {
            return Err(SeedError::NotEmpty(n));
        }
    }
    // Search documents are computed once at the end, not row by row during the COPY.
    sqlx::query!("ALTER TABLE contracts DISABLE TRIGGER contracts_search_refresh")
        .execute(&mut *tx)
        .await?;
    sqlx::query!("ALTER TABLE contract_tags DISABLE TRIGGER contract_tags_search_refresh")
        .execute(&mut *tx)
        .await?;
    for (table, columns, rows) in &data.tables {
        let mut copy = tx
            .copy_in_raw(&format!("COPY {table} ({columns}) FROM STDIN"))
            .await?;
        copy.send(rows.as_bytes()).await?;
        copy.finish().await?;
    }
    sqlx::query!(
        "UPDATE contracts SET search = contract_search_document(pk, name, description, wasm_pk, \
         contract_search_names(asset_code, asset_issuer, registered_name))",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("ALTER TABLE contracts ENABLE TRIGGER contracts_search_refresh")
        .execute(&mut *tx)
        .await?;
    sqlx::query!("ALTER TABLE contract_tags ENABLE TRIGGER contract_tags_search_refresh")
        .execute(&mut *tx)
        .await?;
    for table in [
        "publishers",
        "tags",
        "wasm_codes",
        "contracts",
        "contract_versions",
    ] {
        // The table name varies, so this statement is built at run time.
        sqlx::query(&format!("SELECT setval(pg_get_serial_sequence('{table}', 'pk'), (SELECT coalesce(max(pk), 0) + 1 FROM {table}), false)"))
            .execute(&mut *tx)
            .await?;
    }
    for network in [Network::Mainnet, Network::Testnet, Network::Futurenet] {
        let ledger = ledger_at_anchor(network);
        let hash: [u8; 32] =
            registry_core::WasmHash::of_code(format!("{network}:{ledger}").as_bytes()).0;
        sqlx::query!(
            "INSERT INTO indexer_cursors (network, last_ledger, last_ledger_hash, last_ledger_close_at, network_latest_ledger, updated_at) \
             VALUES ($1, $2, $3, $4, $2, $4)",
            network as Network,
            ledger,
            hash.as_slice(),
            anchor,
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Generates and loads, returning the counts and how long it took.
pub async fn seed(
    conn: &mut PgConnection,
    opts: &SeedOptions,
    reset: bool,
) -> Result<(Dataset, std::time::Duration), SeedError> {
    let started = Instant::now();
    let data = generate(opts);
    load(conn, &data, reset, opts.anchor).await?;
    // A bulk load leaves every contract row it updated dead, which autovacuum would clean up
    // at a time of its own (during a benchmark, say): cleaned now, with the statistics.
    sqlx::raw_sql("VACUUM (ANALYZE)")
        .execute(&mut *conn)
        .await?;
    Ok((data, started.elapsed()))
}
