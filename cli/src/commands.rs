//! Each command: its query, its text output and its JSON.

use serde::Serialize;
use serde_json::{Value, json};

use crate::api::{self, Client, lower};
use crate::error::Error;
use crate::render::{Fields, Table, or_dash};
use crate::{AbiFormat, Cli, Command, ContractArgs, ContractRef, Kind, Net, emit};

/// `Network` of an operation's module.
macro_rules! gql_net {
    ($m:ident, $n:expr) => {
        match $n {
            Net::Mainnet => api::$m::Network::MAINNET,
            Net::Testnet => api::$m::Network::TESTNET,
            Net::Futurenet => api::$m::Network::FUTURENET,
            Net::Local => api::$m::Network::LOCAL,
        }
    };
}

fn json_out<T: Serialize>(value: &T) -> Result<(), Error> {
    let s = serde_json::to_string_pretty(value)
        .map_err(|e| Error::Other(format!("cannot encode JSON: {e}")))?;
    emit(&format!("{s}\n"));
    Ok(())
}

/// Runs the command.
pub async fn run(cli: Cli) -> Result<(), Error> {
    let client = Client::new(&cli.url)?;
    let json = cli.json;
    match cli.command {
        Command::Search {
            text,
            network,
            tag,
            kind,
            implements,
            limit,
        } => {
            search(
                &client,
                json,
                text,
                network.network,
                tag,
                kind,
                implements,
                limit,
            )
            .await
        }
        Command::Show(c) => show(&client, json, c).await,
        Command::Abi { contract, format } => abi(&client, json, contract, format).await,
        Command::Versions(c) => versions(&client, json, c).await,
        Command::Diff { contract, from, to } => diff(&client, json, contract, from, to).await,
        Command::Wasm { hash } => wasm(&client, json, hash).await,
        Command::Publisher { address } => publisher(&client, json, address).await,
        Command::Tags { network } => tags(&client, json, network.network).await,
        Command::Watch {
            network,
            tag,
            fresh,
            breaking,
        } => {
            let feed = if breaking {
                crate::watch::Feed::BreakingUpgrades
            } else {
                crate::watch::Feed::Deployments { tag }
            };
            let path = crate::watch::cursor_path(&client.base, network.network, &feed)?;
            let cursor = crate::watch::saved_cursor(&path, fresh)?;
            crate::watch::Watcher {
                client: &client,
                network: network.network,
                feed,
                json,
                path,
                cursor,
            }
            .run()
            .await
        }
        Command::Status => status(&client, json).await,
        Command::Login {
            secret_file,
            identity,
        } => login(&client, json, secret_file.as_deref(), identity.as_deref()).await,
        Command::Logout => logout(&client, json),
        Command::Claim(c) => claim(client, json, c).await,
        Command::Release(c) => release(client, json, c).await,
        Command::Verify { hash } => verify(client, json, hash).await,
        Command::Tag {
            contract,
            names,
            clear: _,
        } => tag(client, json, contract, names).await,
        Command::Completions { shell } => {
            crate::completions(shell);
            Ok(())
        }
    }
}

/// The network and address of a contract argument; without `--network`, an address is looked
/// up on every network.
async fn locate(client: &Client, args: &ContractArgs) -> Result<(Net, String), Error> {
    match &args.contract {
        ContractRef::Id(id) => {
            if let Some(n) = args.network.network {
                return Ok((n, id.clone()));
            }
            let data = client
                .run::<api::Lookup>(api::lookup::Variables {
                    contract_id: id.clone(),
                })
                .await?;
            let found: Vec<Net> = [
                (data.mainnet.is_some(), Net::Mainnet),
                (data.testnet.is_some(), Net::Testnet),
                (data.futurenet.is_some(), Net::Futurenet),
                (data.local.is_some(), Net::Local),
            ]
            .into_iter()
            .filter_map(|(f, n)| f.then_some(n))
            .collect();
            match found.as_slice() {
                [] => Err(Error::NotFound(format!("no contract {id} on any network"))),
                [n] => Ok((*n, id.clone())),
                many => Err(Error::Usage(format!(
                    "{id} is on several networks ({}): pass --network",
                    many.iter()
                        .map(|n| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))),
            }
        }
        ContractRef::Name { network, name } => {
            if let Some(n) = args.network.network {
                if n != *network {
                    return Err(Error::Usage(format!(
                        "--network {} contradicts {}/{name}",
                        n.as_str(),
                        network.as_str()
                    )));
                }
            }
            let data = client
                .run::<api::Resolve>(api::resolve::Variables {
                    network: gql_net!(resolve, *network),
                    name: name.clone(),
                })
                .await?;
            match data.contract {
                Some(c) => Ok((*network, c.contract_id)),
                None => Err(Error::NotFound(format!(
                    "no contract named {name} on {}",
                    network.as_str()
                ))),
            }
        }
    }
}

fn no_contract(network: Net, id: &str) -> Error {
    Error::NotFound(format!("no contract {id} on {}", network.as_str()))
}

#[allow(clippy::too_many_arguments)]
async fn search(
    client: &Client,
    json: bool,
    text: Option<String>,
    network: Option<Net>,
    tag: Option<String>,
    kind: Option<Kind>,
    implements: Option<String>,
    limit: i64,
) -> Result<(), Error> {
    use api::search::{ContractFilter, ContractKind, ContractOrder, Variables};
    let text = text.filter(|t| !t.trim().is_empty());
    let order = if text.is_some() {
        ContractOrder::RELEVANCE
    } else {
        ContractOrder::NEWEST
    };
    let filter = ContractFilter {
        network: network.map(|n| gql_net!(search, n)),
        kind: kind.map(|k| match k {
            Kind::Wasm => ContractKind::WASM,
            Kind::StellarAsset => ContractKind::STELLAR_ASSET,
        }),
        tag,
        publisher: None,
        deployer: None,
        verification: None,
        created_after: None,
        created_before: None,
        implements_function: implements,
        search: text,
        wasm_hash: None,
    };
    let data = client
        .run::<api::Search>(Variables {
            first: limit,
            filter,
            order_by: order,
        })
        .await?;
    let page = data.contracts;
    if json {
        return json_out(&json!({ "totalCount": page.total_count, "contracts": page.nodes }));
    }
    if page.nodes.is_empty() {
        emit("no contracts match\n");
        return Ok(());
    }
    let mut t = Table::new(&["CONTRACT", "NETWORK", "KIND", "NAME", "TAGS"]);
    for c in &page.nodes {
        t.row(vec![
            c.contract_id.clone(),
            lower(&c.network),
            lower(&c.kind),
            or_dash(c.name.as_deref()),
            c.tags
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ]);
    }
    emit(&t.render());
    emit(&format!(
        "{} of {} contracts\n",
        page.nodes.len(),
        page.total_count
    ));
    Ok(())
}

async fn show(client: &Client, json: bool, args: ContractArgs) -> Result<(), Error> {
    let (network, id) = locate(client, &args).await?;
    let data = client
        .run::<api::Show>(api::show::Variables {
            network: gql_net!(show, network),
            contract_id: id.clone(),
        })
        .await?;
    let c = data.contract.ok_or_else(|| no_contract(network, &id))?;
    if json {
        return json_out(&c);
    }
    let mut f = Fields::new();
    f.add("Contract", c.contract_id.clone());
    f.add("Network", lower(&c.network));
    f.add("Kind", lower(&c.kind));
    f.opt("Name", c.name.clone());
    if let Some(r) = &c.registered_name {
        f.add("Registered as", r.clone());
    }
    f.opt("Description", c.description.clone());
    if let Some(a) = &c.asset {
        f.add("Asset", a.canonical.clone());
    }
    f.opt("Deployer", c.deployer.clone());
    f.add(
        "Created",
        format!("ledger {} at {}", c.created_ledger, c.created_at),
    );
    f.opt("Created by tx", c.created_tx.clone());
    f.opt("WASM", c.wasm_hash.clone());
    f.opt(
        "Publisher",
        c.publisher.as_ref().map(|p| match &p.display_name {
            Some(n) => format!("{} ({n})", p.address),
            None => p.address.clone(),
        }),
    );
    f.add("Verification", lower(&c.verification));
    if !c.implemented_seps.is_empty() {
        f.add(
            "SEPs",
            c.implemented_seps
                .iter()
                .map(|n| format!("SEP-{n}"))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    let tags: Vec<String> = c
        .tags
        .iter()
        .map(|t| match lower(&t.source).as_str() {
            "auto" => format!("{} (auto)", t.name),
            _ => t.name.clone(),
        })
        .collect();
    f.add(
        "Tags",
        if tags.is_empty() {
            "-".to_owned()
        } else {
            tags.join(", ")
        },
    );
    let mut out = f.render();
    match &c.abi {
        Some(abi) => {
            out.push_str(&format!("\nFunctions ({}):\n", abi.functions.len()));
            for func in &abi.functions {
                out.push_str(&format!("  {}\n", func.signature));
            }
        }
        None => out.push_str("\nFunctions: unknown (the interface is not known)\n"),
    }
    emit(&out);
    Ok(())
}

async fn abi(
    client: &Client,
    json: bool,
    args: ContractArgs,
    format: Option<AbiFormat>,
) -> Result<(), Error> {
    let (network, id) = locate(client, &args).await?;
    let data = client
        .run::<api::ContractAbi>(api::contract_abi::Variables {
            network: gql_net!(contract_abi, network),
            contract_id: id.clone(),
        })
        .await?;
    let c = data.contract.ok_or_else(|| no_contract(network, &id))?;
    let abi = c.abi.ok_or_else(|| {
        Error::Other(format!(
            "the interface of {id} is not known (its WASM has not been seen, or its spec does not decode)"
        ))
    })?;
    let format = format.unwrap_or(if json {
        AbiFormat::Json
    } else {
        AbiFormat::Rust
    });
    match format {
        AbiFormat::Rust => {
            emit(&crate::render::safe(&crate::abi::rust(&abi)));
            Ok(())
        }
        AbiFormat::Json => {
            let mut v = serde_json::to_value(&abi)
                .map_err(|e| Error::Other(format!("cannot encode JSON: {e}")))?;
            if let Value::Object(m) = &mut v {
                m.remove("raw");
            }
            json_out(&v)
        }
        AbiFormat::Raw => match &abi.raw {
            Some(raw) => json_out(raw),
            None => Err(Error::Other(format!(
                "{id} has the built-in interface of a Stellar Asset Contract: there is no spec to print raw"
            ))),
        },
    }
}

async fn versions(client: &Client, json: bool, args: ContractArgs) -> Result<(), Error> {
    let (network, id) = locate(client, &args).await?;
    let data = client
        .run::<api::Versions>(api::versions::Variables {
            network: gql_net!(versions, network),
            contract_id: id.clone(),
        })
        .await?;
    let c = data.contract.ok_or_else(|| no_contract(network, &id))?;
    if json {
        return json_out(&c);
    }
    let mut t = Table::new(&["KIND", "LEDGER", "CHANGED AT", "WASM"]);
    for v in &c.versions {
        t.row(vec![
            lower(&v.kind),
            v.ledger.to_string(),
            v.changed_at.clone(),
            or_dash(v.new_wasm_hash.as_deref()),
        ]);
    }
    emit(&t.render());
    Ok(())
}

async fn diff(
    client: &Client,
    json: bool,
    args: ContractArgs,
    from: Option<String>,
    to: Option<String>,
) -> Result<(), Error> {
    let (network, id) = locate(client, &args).await?;
    let data = client
        .run::<api::Upgrades>(api::upgrades::Variables {
            network: gql_net!(upgrades, network),
            contract_id: id.clone(),
        })
        .await?;
    let c = data.contract.ok_or_else(|| no_contract(network, &id))?;
    let (from, to) = if from.is_none() && to.is_none() {
        let latest = c
            .versions
            .iter()
            .rev()
            .find(|v| matches!(v.kind, api::upgrades::VersionKind::UPGRADED))
            .ok_or_else(|| {
                Error::Other(format!(
                    "{id} has not been upgraded: name two WASMs with --from and --to"
                ))
            })?;
        (latest.old_wasm_hash.clone(), latest.new_wasm_hash.clone())
    } else {
        (
            from.or_else(|| c.versions.first().and_then(|v| v.new_wasm_hash.clone())),
            to.or_else(|| c.versions.last().and_then(|v| v.new_wasm_hash.clone())),
        )
    };
    let (Some(from), Some(to)) = (from, to) else {
        return Err(Error::Other(format!(
            "{id} does not run WASM on both sides: there is no interface to compare"
        )));
    };
    let data = client
        .run::<api::AbiDiff>(api::abi_diff::Variables {
            from: from.clone(),
            to: to.clone(),
        })
        .await?;
    let d = data.abi_diff.ok_or_else(|| {
        Error::NotFound(format!(
            "the interfaces of {from} and {to} are not both known to the registry"
        ))
    })?;
    if json {
        return json_out(&d);
    }
    let verdict = if d.changes.is_empty() {
        "no interface change"
    } else if d.breaking {
        "breaking"
    } else {
        "compatible"
    };
    let mut out = crate::render::safe(&format!(
        "{} -> {}: {verdict}\n",
        d.from_wasm_hash, d.to_wasm_hash
    ));
    if !d.changes.is_empty() {
        let mut t = Table::new(&["SEVERITY", "CHANGE", "ITEM", "NAME", "DETAILS"]);
        for ch in &d.changes {
            t.row(vec![
                lower(&ch.severity),
                lower(&ch.kind),
                lower(&ch.subject).replace('_', " "),
                ch.name.clone(),
                ch.details.join("; "),
            ]);
        }
        out.push('\n');
        out.push_str(&t.render());
    }
    emit(&out);
    Ok(())
}

async fn wasm(client: &Client, json: bool, hash: String) -> Result<(), Error> {
    let data = client
        .run::<api::WasmInfo>(api::wasm_info::Variables { hash: hash.clone() })
        .await?;
    let w = data
        .wasm
        .ok_or_else(|| Error::NotFound(format!("no WASM {hash}")))?;
    if json {
        return json_out(&w);
    }
    let mut f = Fields::new();
    f.add("Hash", w.hash.clone());
    f.opt("Size", w.size_bytes.map(|s| format!("{s} bytes")));
    f.add(
        "First seen",
        format!(
            "{}, ledger {} at {}",
            lower(&w.first_seen_network),
            w.first_seen_ledger,
            w.first_seen_at
        ),
    );
    f.opt("SDK", w.sdk_version.clone());
    f.opt(
        "Protocol",
        w.interface_version.as_ref().map(|v| {
            if v.pre_release == 0 {
                v.protocol.to_string()
            } else {
                format!("{} (pre-release {})", v.protocol, v.pre_release)
            }
        }),
    );
    if !w.implemented_seps.is_empty() {
        f.add(
            "SEPs",
            w.implemented_seps
                .iter()
                .map(|n| format!("SEP-{n}"))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    f.opt("Source", w.build_info.source_repo.clone());
    f.opt("Home domain", w.build_info.home_domain.clone());
    f.add("Verification", lower(&w.verification.status));
    f.add(
        "Functions",
        if w.function_names.is_empty() {
            "-".to_owned()
        } else {
            w.function_names.join(", ")
        },
    );
    let mut out = f.render();
    out.push_str(&format!(
        "\nContracts running it ({}):\n",
        w.contracts.total_count
    ));
    if !w.contracts.nodes.is_empty() {
        let mut t = Table::new(&["CONTRACT", "NETWORK", "NAME"]);
        for c in &w.contracts.nodes {
            t.row(vec![
                c.contract_id.clone(),
                lower(&c.network),
                or_dash(c.name.as_deref()),
            ]);
        }
        out.push_str(&t.render());
    }
    emit(&out);
    Ok(())
}

async fn publisher(client: &Client, json: bool, address: String) -> Result<(), Error> {
    let data = client
        .run::<api::PublisherInfo>(api::publisher_info::Variables {
            address: address.clone(),
        })
        .await?;
    let p = data
        .publisher
        .ok_or_else(|| Error::NotFound(format!("no publisher {address}")))?;
    if json {
        return json_out(&p);
    }
    let mut f = Fields::new();
    f.add("Publisher", p.address.clone());
    f.opt("Name", p.display_name.clone());
    f.opt("Website", p.website.clone());
    f.opt("GitHub", p.github.clone());
    f.add("Since", p.created_at.clone());
    let mut out = f.render();
    out.push_str(&format!("\nContracts ({}):\n", p.contracts.total_count));
    if !p.contracts.nodes.is_empty() {
        let mut t = Table::new(&["CONTRACT", "NETWORK", "KIND", "NAME"]);
        for c in &p.contracts.nodes {
            t.row(vec![
                c.contract_id.clone(),
                lower(&c.network),
                lower(&c.kind),
                or_dash(c.name.as_deref()),
            ]);
        }
        out.push_str(&t.render());
    }
    emit(&out);
    Ok(())
}

async fn tags(client: &Client, json: bool, network: Option<Net>) -> Result<(), Error> {
    let data = client
        .run::<api::Tags>(api::tags::Variables {
            network: network.map(|n| gql_net!(tags, n)),
        })
        .await?;
    if json {
        return json_out(&data.tags);
    }
    let mut t = Table::new(&["TAG", "CONTRACTS"]);
    for tag in &data.tags {
        t.row(vec![tag.name.clone(), tag.contract_count.to_string()]);
    }
    emit(&t.render());
    Ok(())
}

async fn status(client: &Client, json: bool) -> Result<(), Error> {
    let data = client.run::<api::Status>(api::status::Variables {}).await?;
    let rows = data.analytics.indexer_status;
    if json {
        return json_out(&rows);
    }
    let mut t = Table::new(&[
        "NETWORK",
        "STATE",
        "LAST LEDGER",
        "CLOSED AT",
        "NETWORK LEDGER",
        "LAG",
    ]);
    let num = |n: Option<i64>| n.map_or_else(|| "-".to_owned(), |n| n.to_string());
    for s in &rows {
        t.row(vec![
            lower(&s.network),
            lower(&s.state),
            num(s.last_ledger),
            or_dash(s.last_ledger_closed_at.as_deref()),
            num(s.latest_ledger),
            s.lag_ledgers
                .map_or_else(|| "-".to_owned(), |n| format!("{n} ledgers")),
        ]);
    }
    let mut out = t.render();
    for s in &rows {
        if let Some(d) = &s.detail {
            out.push_str(&format!("{}: {d}\n", lower(&s.network)));
        }
    }
    emit(&out);
    Ok(())
}

async fn login(
    client: &Client,
    json: bool,
    secret_file: Option<&std::path::Path>,
    identity: Option<&str>,
) -> Result<(), Error> {
    let key = match identity {
        Some(name) => {
            let cwd = std::env::current_dir()
                .map_err(|e| Error::Other(format!("no current directory: {e}")))?;
            crate::identity::key_of(&crate::identity::locate(name, &cwd)?)?
        }
        None => crate::auth::secret_key(secret_file)?,
    };
    let account = crate::auth::account_of(&key);
    let token = crate::auth::sign_in(client, &key).await?;
    crate::config::store_credential(
        &client.base,
        crate::config::Credential {
            account: account.clone(),
            token,
        },
    )?;
    if json {
        return json_out(&json!({ "url": client.base, "account": account }));
    }
    emit(&format!("signed in to {} as {account}\n", client.base));
    Ok(())
}

fn logout(client: &Client, json: bool) -> Result<(), Error> {
    let removed = crate::config::remove_credential(&client.base)?;
    if json {
        return json_out(&json!({ "url": client.base, "signedOut": removed.is_some() }));
    }
    match removed {
        Some(c) => emit(&format!("signed out of {} ({})\n", client.base, c.account)),
        None => emit(&format!("not signed in to {}\n", client.base)),
    }
    Ok(())
}

/// The client with the stored token of its registry.
fn signed_in(client: Client) -> Result<Client, Error> {
    match crate::config::credential(&client.base)? {
        Some(c) => Ok(client.with_token(c.token)),
        None => Err(Error::Other(format!(
            "not signed in to {}: run `registry login` first",
            client.base
        ))),
    }
}

async fn claim(client: Client, json: bool, args: ContractArgs) -> Result<(), Error> {
    let client = signed_in(client)?;
    let (network, id) = locate(&client, &args).await?;
    let data = client
        .run::<api::Claim>(api::claim::Variables {
            network: gql_net!(claim, network),
            contract_id: id,
        })
        .await?;
    let c = data.claim_contract;
    if json {
        return json_out(&c);
    }
    emit(&format!(
        "claimed {} on {} for {}\n",
        c.contract_id,
        lower(&c.network),
        c.publisher.as_ref().map_or("-", |p| p.address.as_str())
    ));
    Ok(())
}

async fn release(client: Client, json: bool, args: ContractArgs) -> Result<(), Error> {
    let client = signed_in(client)?;
    let (network, id) = locate(&client, &args).await?;
    let data = client
        .run::<api::Release>(api::release::Variables {
            network: gql_net!(release, network),
            contract_id: id,
        })
        .await?;
    let c = data.release_contract;
    if json {
        return json_out(&c);
    }
    emit(&format!(
        "released {} on {}\n",
        c.contract_id,
        lower(&c.network)
    ));
    Ok(())
}

async fn verify(client: Client, json: bool, hash: String) -> Result<(), Error> {
    let client = signed_in(client)?;
    let data = client
        .run::<api::RequestVerification>(api::request_verification::Variables { wasm_hash: hash })
        .await?;
    let w = data.request_verification;
    if json {
        return json_out(&w);
    }
    emit(&format!(
        "verification of {} requested: {}{}\n",
        w.hash,
        lower(&w.verification.status),
        if w.verification.queued {
            ", queued"
        } else {
            ""
        }
    ));
    Ok(())
}

async fn tag(
    client: Client,
    json: bool,
    args: ContractArgs,
    names: Vec<String>,
) -> Result<(), Error> {
    let client = signed_in(client)?;
    let (network, id) = locate(&client, &args).await?;
    let data = client
        .run::<api::SetTags>(api::set_tags::Variables {
            network: gql_net!(set_tags, network),
            contract_id: id,
            tags: names,
        })
        .await?;
    let c = data.set_contract_tags;
    if json {
        return json_out(&c);
    }
    let tags: Vec<String> = c
        .tags
        .iter()
        .map(|t| format!("{} ({})", t.name, lower(&t.source)))
        .collect();
    emit(&format!(
        "tags of {} on {}: {}\n",
        c.contract_id,
        lower(&c.network),
        if tags.is_empty() {
            "none".to_owned()
        } else {
            tags.join(", ")
        }
    ));
    Ok(())
}
