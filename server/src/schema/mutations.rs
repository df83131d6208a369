//! Mutations: what a signed-in account (SEP-10, `Authorization: Bearer`) may change about
//! itself and the contracts it deployed. Each is checked against the account, charged to its
//! write limit (`WRITE_RATE_LIMIT_PER_MINUTE`), recorded in the audit log, and written as
//! `registry_publisher_writer` (see `db::writes`).

use async_graphql::{Context, Object};
use registry_core::autotag::{MANUAL_TAGS, MAX_MANUAL_TAGS};
use registry_core::{AccountId, ContractId, Network, WasmHash};

use super::Ctx;
use super::contracts::Contract;
use super::publishers::Publisher;
use super::wasm::Wasm;
use crate::db::writes::{self, ClaimBasis, PublisherChange};
use crate::error::{Error, GqlResultExt};
use crate::home_domain::HomeDomains;

/// The signed-in account, charged one write; `UNAUTHENTICATED` without a token, `RATE_LIMITED`
/// past its write limit.
fn writer(ctx: &Context<'_>) -> Result<AccountId, Error> {
    let viewer = ctx.data_opt::<crate::auth::Viewer>().ok_or_else(|| {
        Error::Unauthenticated(
            "sign in first: POST /auth a signed challenge and send `Authorization: Bearer <token>`"
                .into(),
        )
    })?;
    let account: AccountId = viewer
        .address
        .parse()
        .map_err(|_| Error::Unauthenticated("the token names no account".into()))?;
    if let Some(auth) = ctx.data_opt::<std::sync::Arc<crate::auth::Auth>>() {
        auth.admit_write(&viewer.address)
            .map_err(|retry_after| Error::RateLimited { retry_after })?;
    }
    Ok(account)
}

/// A field a publisher sets: trimmed, empty clears it, control characters and bidi overrides
/// refused.
fn text(name: &str, value: Option<String>, max: usize) -> Result<Option<String>, Error> {
    let Some(v) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    // Control characters and the bidi overrides that reorder text on a page or a terminal.
    if v.chars().count() > max || registry_core::text::escape_untrusted(&v) != v {
        return Err(Error::BadInput(format!(
            "`{name}` must be at most {max} characters, without control characters or bidi overrides"
        )));
    }
    Ok(Some(v))
}

/// A website: an `https://` URL with a host.
fn website(value: Option<String>) -> Result<Option<String>, Error> {
    let Some(v) = text("website", value, 200)? else {
        return Ok(None);
    };
    match reqwest::Url::parse(&v) {
        Ok(u) if u.scheme() == "https" && u.host_str().is_some_and(|h| h.contains('.')) => {
            Ok(Some(u.to_string()))
        }
        _ => Err(Error::BadInput(
            "`website` must be an https:// URL with a host name".into(),
        )),
    }
}

/// A GitHub account or organisation name.
fn github(value: Option<String>) -> Result<Option<String>, Error> {
    let Some(v) = text("github", value, 39)? else {
        return Ok(None);
    };
    let ok = v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !v.starts_with('-')
        && !v.ends_with('-')
        && !v.contains("--");
    if !ok {
        return Err(Error::BadInput(
            "`github` must be a GitHub account name (letters, digits and single hyphens)".into(),
        ));
    }
    Ok(Some(v))
}

/// The mutation root.
#[derive(Default)]
pub struct MutationRoot;

#[Object(name = "Mutation")]
impl MutationRoot {
    /// Sets the signed-in account's publisher profile, creating it on first use; an empty or
    /// absent value clears a field. `website` must be an https:// URL, `github` an account name.
    async fn update_publisher(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_length = 256))] display_name: Option<String>,
        #[graphql(validator(max_length = 256))] website: Option<String>,
        #[graphql(validator(max_length = 256))] github: Option<String>,
    ) -> async_graphql::Result<Publisher> {
        let actor = writer(ctx).gql()?;
        let change = PublisherChange {
            display_name: text("displayName", display_name, 64).gql()?,
            website: self::website(website).gql()?,
            github: self::github(github).gql()?,
        };
        let row = writes::update_publisher(&ctx.db().writer, &actor, &change)
            .await
            .gql()?;
        ctx.caches().invalidate_lists();
        Ok(Publisher::from_row(row))
    }

    /// Claims a contract for the signed-in account, while no other publisher holds it:
    /// allowed to the account that deployed it, or to an account listed in `ACCOUNTS` of the
    /// stellar.toml of its WASM's SEP-55 `home_domain` (fetched over HTTPS) when that list
    /// also names the contract's deployer (a domain vouches for its own deployments, not for
    /// anyone's instance of its WASM). `FORBIDDEN` otherwise, with the reason. Subscribers of `contractClaimed` hear of it.
    async fn claim_contract(
        &self,
        ctx: &Context<'_>,
        network: Network,
        #[graphql(validator(max_length = 64))] contract_id: String,
    ) -> async_graphql::Result<Contract> {
        let actor = writer(ctx).gql()?;
        let id = super::contract_id_arg(&contract_id).gql()?;
        let pool = &ctx.db().writer;
        let facts = writes::claim_facts(pool, network, &id).await.gql()?;
        let me = actor.to_string();
        let basis = if facts.deployer.as_deref() == Some(me.as_str()) {
            ClaimBasis::Deployer
        } else if let (Some(domain), Some(wasm)) = (facts.home_domain, facts.wasm) {
            let listed = ctx
                .data_unchecked::<HomeDomains>()
                .accounts(&domain)
                .await
                .gql()?;
            let lists = |account: &str| listed.iter().any(|a| a.trim() == account);
            if !lists(&me) {
                return Err(Error::Forbidden(format!(
                    "the account neither deployed this contract nor is listed in ACCOUNTS of \
                     https://{domain}/.well-known/stellar.toml (the contract's home domain)"
                )))
                .gql();
            }
            // Anyone may deploy an instance of a published WASM: the domain vouches only for
            // the instances its own accounts deployed.
            if !facts.deployer.as_deref().is_some_and(lists) {
                return Err(Error::Forbidden(format!(
                    "https://{domain}/.well-known/stellar.toml does not list the account that \
                     deployed this instance in ACCOUNTS: the home domain vouches only for its \
                     own deployments"
                )))
                .gql();
            }
            ClaimBasis::HomeDomain { domain, wasm }
        } else {
            ClaimBasis::Deployer
        };
        writes::claim(pool, &actor, network, &id, &basis)
            .await
            .gql()?;
        reread(ctx, network, &id).await
    }

    /// Releases a contract the signed-in account holds.
    async fn release_contract(
        &self,
        ctx: &Context<'_>,
        network: Network,
        #[graphql(validator(max_length = 64))] contract_id: String,
    ) -> async_graphql::Result<Contract> {
        let actor = writer(ctx).gql()?;
        let id = super::contract_id_arg(&contract_id).gql()?;
        writes::release(&ctx.db().writer, &actor, network, &id)
            .await
            .gql()?;
        reread(ctx, network, &id).await
    }

    /// Sets the manual tags of a contract the signed-in account holds (the automatic tags,
    /// derived from its interface, stay): names from `tagVocabulary`, at most 8; an empty list
    /// clears them. `FORBIDDEN` unless the account holds the contract.
    async fn set_contract_tags(
        &self,
        ctx: &Context<'_>,
        network: Network,
        #[graphql(validator(max_length = 64))] contract_id: String,
        #[graphql(validator(max_items = 16))] tags: Vec<String>,
    ) -> async_graphql::Result<Contract> {
        let actor = writer(ctx).gql()?;
        let id = super::contract_id_arg(&contract_id).gql()?;
        let tags = manual_tags(tags).gql()?;
        writes::set_tags(&ctx.db().writer, &actor, network, &id, &tags)
            .await
            .gql()?;
        reread(ctx, network, &id).await
    }

    /// Asks the verifier to check the build attestation of a WASM again (a WASM whose meta
    /// names `source_repo` is checked once anyway when it appears): for a publisher holding a
    /// contract that runs it. Unverified contracts show `PENDING` until the verdict, which
    /// subscribers of `contractVerified` hear; a verified build stays verified unless the new
    /// check finds the attestation does not hold.
    async fn request_verification(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_length = 64))] wasm_hash: String,
    ) -> async_graphql::Result<Wasm> {
        let actor = writer(ctx).gql()?;
        let hash: WasmHash = wasm_hash
            .trim()
            .parse()
            .map_err(|_| Error::BadInput("`wasmHash` must be 64 hex digits".into()))
            .gql()?;
        writes::request_verification(&ctx.db().writer, &actor, &hash)
            .await
            .gql()?;
        ctx.caches().invalidate_lists();
        crate::db::wasm::by_hash(ctx.db(), &hash)
            .await
            .gql()?
            .map(Wasm::from_row)
            .ok_or_else(|| Error::BadInput(format!("no WASM {hash} in the registry")))
            .gql()
    }
}

/// Manual tags as given: trimmed, lower-cased, each once, each from the vocabulary.
fn manual_tags(tags: Vec<String>) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().to_lowercase();
        if !MANUAL_TAGS.contains(&t.as_str()) {
            return Err(Error::BadInput(format!(
                "`{}` is not a tag one can set: choose from tagVocabulary ({})",
                registry_core::text::escape_untrusted(&t.chars().take(48).collect::<String>()),
                MANUAL_TAGS.join(", ")
            )));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > MAX_MANUAL_TAGS {
        return Err(Error::BadInput(format!(
            "at most {MAX_MANUAL_TAGS} manual tags per contract"
        )));
    }
    out.sort();
    Ok(out)
}

/// The contract as it is now (read past every cache).
async fn reread(
    ctx: &Context<'_>,
    network: Network,
    id: &ContractId,
) -> async_graphql::Result<Contract> {
    ctx.caches().invalidate_lists();
    crate::db::contracts::by_key(ctx.db(), network, id)
        .await
        .gql()?
        .map(Contract::from)
        .ok_or_else(|| Error::BadInput(format!("no contract {id} on {network}")))
        .gql()
}
