//! What a module's `contractmetav0` entries say, read the way the Stellar standards define
//! them. Meta carries no guarantees (SEP-46): it is what the builder chose to write, so every
//! value is checked and a malformed one is dropped on its own, never the rest.
//!
//! - SEP-47 `sep`: comma-separated SEP numbers without leading zeros, in any order; the key
//!   may repeat and its values are joined (`41,40`).
//! - SEP-55 `source_repo` (`github:<owner>/<repo>`) and `home_domain` (a bare domain, no
//!   scheme, no path): where the source is and which domain vouches for the contract.
//! - The toolchain: `cliver` (stellar-cli), `rsver` (rustc), `rssdkver` (soroban-sdk).

use serde::{Deserialize, Serialize};

use super::MetaEntry;

/// The longest toolchain version string kept (real ones are under 60 characters).
const MAX_VERSION_CHARS: usize = 100;

/// The highest SEP number accepted (the standards are numbered in the tens today).
const MAX_SEP: u32 = 9_999;

/// The meta entries a registry user relies on, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interpreted {
    /// SEP numbers the contract says it implements (SEP-47), ascending, each once.
    pub seps: Vec<u32>,
    /// SEP-55 `source_repo`, as `github:<owner>/<repo>`.
    pub source_repo: Option<String>,
    /// SEP-55 `home_domain`, lower-case.
    pub home_domain: Option<String>,
    /// stellar-cli version that built the module (`cliver`).
    pub cli_version: Option<String>,
    /// rustc version (`rsver`).
    pub rust_version: Option<String>,
    /// soroban-sdk version (`rssdkver`).
    pub sdk_version: Option<String>,
    /// One line per entry, or part of one, that was dropped, and why.
    pub problems: Vec<String>,
}

impl Interpreted {
    /// The https URL of `source_repo`.
    pub fn source_url(&self) -> Option<String> {
        let repo = self.source_repo.as_deref()?.strip_prefix("github:")?;
        Some(format!("https://github.com/{repo}"))
    }
}

/// Reads the entries (in module order). The first valid value of a single-valued key wins.
pub fn interpret(entries: &[MetaEntry]) -> Interpreted {
    let mut out = Interpreted::default();
    for e in entries {
        match e.key.as_str() {
            "sep" => {
                for token in e.value.split(',').map(str::trim) {
                    match sep_number(token) {
                        Some(n) => out.seps.push(n),
                        None => out
                            .problems
                            .push(format!("sep: `{token}` is not a SEP number")),
                    }
                }
            }
            "source_repo" => match github_repo(&e.value) {
                Some(r) if out.source_repo.is_none() => out.source_repo = Some(r),
                Some(_) => {}
                None => out.problems.push(format!(
                    "source_repo: `{}` is not github:<owner>/<repo>",
                    e.value
                )),
            },
            "home_domain" => match domain(&e.value) {
                Some(d) if out.home_domain.is_none() => out.home_domain = Some(d),
                Some(_) => {}
                None => out
                    .problems
                    .push(format!("home_domain: `{}` is not a domain name", e.value)),
            },
            "cliver" => set_version(&mut out.cli_version, &e.value),
            "rsver" => set_version(&mut out.rust_version, &e.value),
            "rssdkver" => set_version(&mut out.sdk_version, &e.value),
            _ => {}
        }
    }
    out.seps.sort_unstable();
    out.seps.dedup();
    out
}

fn set_version(slot: &mut Option<String>, value: &str) {
    let v = value.trim();
    if slot.is_none() && !v.is_empty() && !v.contains('\n') {
        *slot = Some(v.chars().take(MAX_VERSION_CHARS).collect());
    }
}

/// A SEP number as SEP-47 writes it: decimal, no sign, no leading zero.
fn sep_number(token: &str) -> Option<u32> {
    if token.is_empty() || token.starts_with('0') || !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse().ok().filter(|n| *n <= MAX_SEP)
}

/// `github:<owner>/<repo>` with GitHub's own rules for both names.
fn github_repo(value: &str) -> Option<String> {
    let (owner, repo) = value.trim().strip_prefix("github:")?.split_once('/')?;
    let owner_ok = (1..=39).contains(&owner.len())
        && !owner.starts_with('-')
        && owner
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let repo_ok = (1..=100).contains(&repo.len())
        && repo != "."
        && repo != ".."
        && repo
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    (owner_ok && repo_ok).then(|| format!("github:{owner}/{repo}"))
}

/// A fully qualified host name: dot-separated labels of letters, digits and inner hyphens,
/// at most 253 characters; lower-cased.
fn domain(value: &str) -> Option<String> {
    let d = value.trim().trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = d.split('.').collect();
    let ok = d.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()));
    ok.then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(pairs: &[(&str, &str)]) -> Vec<MetaEntry> {
        pairs
            .iter()
            .map(|(k, v)| MetaEntry {
                key: (*k).into(),
                value: (*v).into(),
            })
            .collect()
    }

    #[test]
    fn repeated_sep_keys_are_joined_sorted_and_deduplicated() {
        let i = interpret(&meta(&[("sep", "41, 40"), ("sep", "41,45")]));
        assert_eq!(i.seps, vec![40, 41, 45]);
        assert!(i.problems.is_empty());
    }

    #[test]
    fn a_malformed_sep_token_loses_only_itself() {
        let i = interpret(&meta(&[("sep", "41,abc,041,-1,,99999999999,40")]));
        assert_eq!(i.seps, vec![40, 41]);
        assert_eq!(i.problems.len(), 5, "{:?}", i.problems);
    }

    #[test]
    fn build_info_and_toolchain_are_read() {
        let i = interpret(&meta(&[
            ("cliver", "23.1.4#9e4a7a1a"),
            ("rsver", "1.89.0"),
            ("rssdkver", "23.0.2#5b3d1c"),
            (
                "source_repo",
                "github:stellar-expert/soroban-build-workflow",
            ),
            ("home_domain", "Example.ORG"),
        ]));
        assert_eq!(i.cli_version.as_deref(), Some("23.1.4#9e4a7a1a"));
        assert_eq!(i.rust_version.as_deref(), Some("1.89.0"));
        assert_eq!(i.sdk_version.as_deref(), Some("23.0.2#5b3d1c"));
        assert_eq!(
            i.source_url().as_deref(),
            Some("https://github.com/stellar-expert/soroban-build-workflow")
        );
        assert_eq!(i.home_domain.as_deref(), Some("example.org"));
    }

    #[test]
    fn malformed_build_info_is_dropped_with_a_reason() {
        let i = interpret(&meta(&[
            ("source_repo", "https://github.com/a/b"),
            ("source_repo", "github:-bad/repo"),
            ("source_repo", "github:owner/../x"),
            ("home_domain", "https://example.org/path"),
            ("home_domain", "localhost"),
            ("home_domain", "10.0.0.1"),
            ("home_domain", "javascript:alert(1)"),
        ]));
        assert_eq!(i.source_repo, None);
        assert_eq!(i.home_domain, None);
        assert_eq!(i.problems.len(), 7, "{:?}", i.problems);
    }

    #[test]
    fn the_first_valid_value_of_a_single_valued_key_wins() {
        let i = interpret(&meta(&[
            ("source_repo", "nonsense"),
            ("source_repo", "github:a/first"),
            ("source_repo", "github:a/second"),
        ]));
        assert_eq!(i.source_repo.as_deref(), Some("github:a/first"));
    }
}
