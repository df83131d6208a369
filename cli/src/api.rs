//! The registry's GraphQL API over HTTP: the typed operations (checked against
//! `../schema.graphql` at build time) and a client that turns every failure into an [`Error`].

use std::time::Duration;

use graphql_client::GraphQLQuery;
use serde::Serialize;

use crate::error::Error;

/// `DateTime`: RFC 3339 text, printed as the API gives it.
pub type DateTime = String;
/// `JSON`: any JSON value.
#[allow(clippy::upper_case_acronyms)]
pub type JSON = serde_json::Value;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/lookup.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Debug"
)]
pub struct Lookup;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/resolve.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Debug"
)]
pub struct Resolve;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/search.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Debug"
)]
pub struct Search;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/show.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Debug"
)]
pub struct Show;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/contract_abi.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Debug"
)]
pub struct ContractAbi;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/versions.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Debug"
)]
pub struct Versions;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/upgrades.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Debug"
)]
pub struct Upgrades;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/abi_diff.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Debug"
)]
pub struct AbiDiff;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/watch_breaking.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Debug"
)]
pub struct WatchBreaking;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/wasm_info.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Debug"
)]
pub struct WasmInfo;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/publisher_info.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Debug"
)]
pub struct PublisherInfo;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/tags.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Debug"
)]
pub struct Tags;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/status.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Debug"
)]
pub struct Status;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/claim.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Debug"
)]
pub struct Claim;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/release.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Debug"
)]
pub struct Release;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/set_tags.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Debug"
)]
pub struct SetTags;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/request_verification.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Debug"
)]
pub struct RequestVerification;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/watch.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Debug"
)]
pub struct Watch;

/// The lower-case spelling of an API enum value (`TESTNET` → `testnet`).
pub fn lower<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s.to_lowercase(),
        _ => String::from("?"),
    }
}

/// A client of one registry.
pub struct Client {
    http: reqwest::Client,
    /// The registry's base URL, without a trailing slash.
    pub base: String,
    token: Option<String>,
}

impl Client {
    /// A client of the registry at `base`.
    pub fn new(base: &str) -> Result<Client, Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("registry-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Other(format!("cannot build an HTTP client: {e}")))?;
        Ok(Client {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token: None,
        })
    }

    /// Sends `Authorization: Bearer <token>` with every request.
    pub fn with_token(mut self, token: String) -> Client {
        self.token = Some(token);
        self
    }

    /// The HTTP client (for the sign-in endpoint).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The error for a request that got no answer.
    pub fn unreachable(&self, e: &reqwest::Error) -> Error {
        Error::Other(format!(
            "cannot reach the registry at {}: {}",
            self.base,
            transport_reason(e)
        ))
    }

    /// Runs one operation; GraphQL errors become [`Error::Api`] (`NOT_FOUND` exits with 3).
    pub async fn run<Q: GraphQLQuery>(
        &self,
        variables: Q::Variables,
    ) -> Result<Q::ResponseData, Error> {
        let body = Q::build_query(variables);
        let mut req = self.http.post(format!("{}/graphql", self.base)).json(&body);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.map_err(|e| self.unreachable(&e))?;
        let status = res.status();
        let text = res.text().await.map_err(|e| self.unreachable(&e))?;
        let parsed: graphql_client::Response<Q::ResponseData> = serde_json::from_str(&text)
            .map_err(|_| {
                Error::Other(format!(
                    "the registry at {} answered HTTP {status} without a GraphQL response",
                    self.base
                ))
            })?;
        if let Some(e) = parsed.errors.as_ref().and_then(|e| e.first()) {
            let code = e
                .extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .and_then(|c| c.as_str())
                .unwrap_or("ERROR")
                .to_owned();
            return Err(Error::Api {
                code,
                message: e.message.clone(),
            });
        }
        parsed.data.ok_or_else(|| {
            Error::Other(format!(
                "the registry at {} answered HTTP {status} with no data",
                self.base
            ))
        })
    }
}

/// Why a request got no answer, in a few words (`connection refused`, `timed out`).
pub fn transport_reason(e: &(dyn std::error::Error + 'static)) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut last = e.to_string();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
                std::io::ErrorKind::TimedOut => "timed out".into(),
                std::io::ErrorKind::ConnectionReset => "connection reset".into(),
                _ => io.to_string(),
            };
        }
        last = s.to_string();
        source = s.source();
    }
    if let Some(r) = e.downcast_ref::<reqwest::Error>() {
        if r.is_timeout() {
            return "timed out".into();
        }
    }
    last
}
