//! The accounts a contract's SEP-55 `home_domain` vouches for: the `ACCOUNTS` of the domain's
//! `https://<domain>/.well-known/stellar.toml` (SEP-1), which entitle an account to claim the
//! contract.
//!
//! The domain comes from the contract's meta, so it is adversarial: the fetch goes over HTTPS
//! only, follows no redirect, gives up after `HOME_DOMAIN_TIMEOUT_SECS`, reads at most
//! [`MAX_TOML_BYTES`] (SEP-1's limit), and never connects to a loopback, private, link-local
//! or otherwise non-public address (checked on the addresses it connects to, so a name that
//! resolves differently the second time gains nothing). An operator can pin a domain to an
//! address (`HOME_DOMAIN_RESOLVE`) and trust an extra certificate authority
//! (`HOME_DOMAIN_CA_FILE`) for a private network.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::error::{Error, Result};

/// The largest stellar.toml read (SEP-1 allows 100 KB).
pub const MAX_TOML_BYTES: usize = 100 * 1024;

/// How stellar.toml files are fetched.
#[derive(Debug, Clone)]
pub struct HomeDomainConfig {
    /// `HOME_DOMAIN_TIMEOUT_SECS` (default 5): the longest a fetch may take, end to end.
    pub timeout: Duration,
    /// `HOME_DOMAIN_RESOLVE` (optional): `domain=ip:port` pairs, comma-separated; a pinned
    /// domain is fetched from that address (which may be private) and port.
    pub pinned: HashMap<String, SocketAddr>,
    /// `HOME_DOMAIN_CA_FILE` (optional): a PEM file of certificate authorities trusted besides
    /// the public ones.
    pub ca_file: Option<PathBuf>,
}

impl Default for HomeDomainConfig {
    fn default() -> Self {
        HomeDomainConfig {
            timeout: Duration::from_secs(5),
            pinned: HashMap::new(),
            ca_file: None,
        }
    }
}

/// Parses `HOME_DOMAIN_RESOLVE`.
pub fn parse_pins(value: &str) -> std::result::Result<HashMap<String, SocketAddr>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (domain, addr) = pair
                .split_once('=')
                .ok_or_else(|| format!("`{pair}` is not domain=ip:port"))?;
            let addr: SocketAddr = addr
                .trim()
                .parse()
                .map_err(|_| format!("`{addr}` is not an ip:port address"))?;
            Ok((domain.trim().to_ascii_lowercase(), addr))
        })
        .collect()
}

/// Fetches stellar.toml files.
#[derive(Clone)]
pub struct HomeDomains {
    client: reqwest::Client,
}

impl HomeDomains {
    /// A client for `config`; fails on an unreadable CA file.
    pub fn new(config: &HomeDomainConfig) -> std::result::Result<Self, String> {
        let mut builder = reqwest::Client::builder()
            .https_only(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(concat!("soroban-registry/", env!("CARGO_PKG_VERSION")))
            // A proxy named by address would be connected to without the address check.
            .no_proxy()
            .dns_resolver(Arc::new(PublicOnly {
                pinned: Arc::new(config.pinned.clone()),
            }));
        if let Some(path) = &config.ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| format!("HOME_DOMAIN_CA_FILE {}: {e}", path.display()))?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("HOME_DOMAIN_CA_FILE {}: {e}", path.display()))?
            {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder
            .build()
            .map_err(|e| format!("home-domain HTTP client: {e}"))?;
        Ok(HomeDomains { client })
    }

    /// The `ACCOUNTS` of `domain`'s stellar.toml. Every failure is `FORBIDDEN` with what went
    /// wrong, since it is what refuses the claim.
    pub async fn accounts(&self, domain: &str) -> Result<Vec<String>> {
        let refuse = |why: String| {
            Error::Forbidden(format!(
                "the contract's home domain {domain} could not vouch for the account: {why}"
            ))
        };
        let url = format!("https://{domain}/.well-known/stellar.toml");
        let res = self.client.get(&url).send().await.map_err(|e| {
            // What failed (DNS, a private address, TLS, a timeout) is logged, not answered: the
            // answer would let anyone probe which internal names resolve.
            let mut why = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                why = format!("{why}: {s}");
                source = s.source();
            }
            tracing::info!(domain, error = %why, "home domain fetch failed: {why}");
            refuse(format!("{url} could not be reached over HTTPS"))
        })?;
        if !res.status().is_success() {
            return Err(refuse(format!("{url} answered {}", res.status())));
        }
        if res
            .content_length()
            .is_some_and(|n| n > MAX_TOML_BYTES as u64)
        {
            return Err(refuse(format!("{url} is larger than 100 KB")));
        }
        let mut body = Vec::new();
        let mut res = res;
        while let Some(chunk) = res
            .chunk()
            .await
            .map_err(|e| refuse(format!("reading {url} failed: {e}")))?
        {
            if body.len() + chunk.len() > MAX_TOML_BYTES {
                return Err(refuse(format!("{url} is larger than 100 KB")));
            }
            body.extend_from_slice(&chunk);
        }
        parse_accounts(&body).map_err(|why| refuse(format!("{url}: {why}")))
    }
}

/// The `ACCOUNTS` list of a stellar.toml.
pub fn parse_accounts(body: &[u8]) -> std::result::Result<Vec<String>, String> {
    #[derive(serde::Deserialize)]
    struct Toml {
        #[serde(rename = "ACCOUNTS", default)]
        accounts: Vec<String>,
    }
    let text = std::str::from_utf8(body).map_err(|_| "it is not UTF-8".to_owned())?;
    let toml: Toml = toml::from_str(text).map_err(|e| format!("it is not valid TOML: {e}"))?;
    Ok(toml.accounts)
}

/// Resolves names through the system, keeping public addresses only; pinned names resolve to
/// their pin.
struct PublicOnly {
    pinned: Arc<HashMap<String, SocketAddr>>,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let pinned = self.pinned.clone();
        Box::pin(async move {
            let host = name.as_str().to_ascii_lowercase();
            if let Some(addr) = pinned.get(&host) {
                return Ok(Box::new(std::iter::once(*addr)) as Addrs);
            }
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// Whether `ip` is a globally routable unicast address (not loopback, private, link-local,
/// shared, documentation, benchmarking, multicast, unspecified or reserved; IPv4-mapped IPv6
/// addresses are judged as their IPv4 address).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
                || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
                || (a == 198 && (b == 18 || b == 19)) // benchmarking
                || a >= 240) // reserved
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || first == 0x2001 && v6.segments()[1] == 0x0db8 // documentation
                || first == 0x0064 && v6.segments()[1] == 0xff9b) // NAT64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_pass() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "1.1.1.1",
            "8.8.8.8",
            "2606:4700:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn accounts_come_from_the_toml_and_bad_files_say_why() {
        let toml =
            b"VERSION = \"2.0.0\"\nACCOUNTS = [\"GA\", \"GB\"]\n[[CURRENCIES]]\ncode = \"X\"\n";
        assert_eq!(parse_accounts(toml).unwrap(), vec!["GA", "GB"]);
        assert_eq!(
            parse_accounts(b"VERSION = \"2.0.0\"").unwrap(),
            Vec::<String>::new()
        );
        assert!(
            parse_accounts(b"ACCOUNTS = 3")
                .unwrap_err()
                .contains("TOML")
        );
        assert!(parse_accounts(&[0xff, 0xfe]).unwrap_err().contains("UTF-8"));
    }

    #[tokio::test]
    async fn a_name_resolving_to_a_private_address_is_never_fetched() {
        let h = HomeDomains::new(&HomeDomainConfig::default()).unwrap();
        // Refused before any connection (nothing listens on 443 here either way; the
        // resolver's refusal is what the log names).
        let err = h.accounts("localhost").await.unwrap_err().to_string();
        assert!(err.contains("could not be reached"), "{err}");
        let mut resolving = PublicOnly {
            pinned: Arc::new(HashMap::new()),
        }
        .resolve("localhost".parse().unwrap());
        let refused = (&mut resolving).await.err().map(|e| e.to_string());
        assert_eq!(refused.as_deref(), Some("localhost has no public address"));
    }

    #[test]
    fn pins_parse_and_bad_ones_are_named() {
        let pins = parse_pins("a.example=127.0.0.1:8443, B.example=[::1]:443").unwrap();
        assert_eq!(pins["a.example"], "127.0.0.1:8443".parse().unwrap());
        assert_eq!(pins["b.example"], "[::1]:443".parse().unwrap());
        assert!(
            parse_pins("a.example")
                .unwrap_err()
                .contains("domain=ip:port")
        );
        assert!(
            parse_pins("a.example=nowhere")
                .unwrap_err()
                .contains("nowhere")
        );
    }
}
