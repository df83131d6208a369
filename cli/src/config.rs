//! The user's configuration directory: sign-in tokens and `watch` cursors.
//!
//! `$REGISTRY_CONFIG_DIR` when set, else `<config dir>/soroban-registry` (on Linux
//! `$XDG_CONFIG_HOME/soroban-registry` or `~/.config/soroban-registry`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The configuration directory (not created).
pub fn dir() -> Result<PathBuf, Error> {
    if let Some(d) = std::env::var_os("REGISTRY_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d));
    }
    dirs::config_dir()
        .map(|d| d.join("soroban-registry"))
        .ok_or_else(|| {
            Error::Other("no configuration directory: set REGISTRY_CONFIG_DIR or HOME".to_owned())
        })
}

/// Writes `contents` to `path` atomically (a temporary file renamed over it), readable by the
/// user only.
pub fn write_private(path: &Path, contents: &[u8]) -> Result<(), Error> {
    let parent = path
        .parent()
        .ok_or_else(|| Error::Other(format!("{} has no parent directory", path.display())))?;
    std::fs::create_dir_all(parent)
        .map_err(|e| Error::Other(format!("cannot create {}: {e}", parent.display())))?;
    // A new file of our own (never one that exists, nor a link someone left there), made
    // private when created, then renamed over the old one.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = path.with_extension(format!("{}-{nanos}.tmp", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let write = || -> std::io::Result<()> {
        let mut f = opts.open(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::Other(format!("cannot write {}: {e}", path.display()))
    })
}

/// A sign-in token for one registry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credential {
    pub account: String,
    pub token: String,
}

/// `credentials.json`: a token per registry URL.
fn credentials_path() -> Result<PathBuf, Error> {
    Ok(dir()?.join("credentials.json"))
}

fn read_credentials() -> Result<BTreeMap<String, Credential>, Error> {
    let path = credentials_path()?;
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            Error::Other(format!(
                "{} is not a credentials file ({e}): delete it and sign in again",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(Error::Other(format!("cannot read {}: {e}", path.display()))),
    }
}

fn write_credentials(all: &BTreeMap<String, Credential>) -> Result<(), Error> {
    let path = credentials_path()?;
    if all.is_empty() {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::Other(format!(
                "cannot remove {}: {e}",
                path.display()
            ))),
            _ => Ok(()),
        };
    }
    let json = serde_json::to_vec_pretty(all)
        .map_err(|e| Error::Other(format!("cannot encode credentials: {e}")))?;
    write_private(&path, &json)
}

/// The token stored for `url`.
pub fn credential(url: &str) -> Result<Option<Credential>, Error> {
    Ok(read_credentials()?.remove(url))
}

/// Stores the token for `url`.
pub fn store_credential(url: &str, credential: Credential) -> Result<(), Error> {
    let mut all = read_credentials()?;
    all.insert(url.to_owned(), credential);
    write_credentials(&all)
}

/// Forgets the token for `url`; whether there was one.
pub fn remove_credential(url: &str) -> Result<Option<Credential>, Error> {
    let mut all = read_credentials()?;
    let removed = all.remove(url);
    if removed.is_some() {
        write_credentials(&all)?;
    }
    Ok(removed)
}
