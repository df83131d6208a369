//! Keys of `stellar keys` identities: `<name>.toml` under `.stellar/identity/` of this
//! directory or one above it, else under the Stellar CLI's configuration directory
//! (`STELLAR_CONFIG_HOME`, else `<config dir>/stellar`). An identity holds a `secret_key`
//! (S…) or a `seed_phrase` (BIP-39), whose account 0 is derived as SEP-5 says:
//! `m/44'/148'/0'` by SLIP-10 from the BIP-39 seed.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use hmac::{Hmac, Mac};
use sha2::Sha512;

use crate::error::Error;

type HmacSha512 = Hmac<Sha512>;

/// Where the identity `name` is kept, searched from `cwd` up, then in the global directory.
pub fn locate(name: &str, cwd: &Path) -> Result<PathBuf, Error> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        || name.starts_with('.')
    {
        return Err(Error::Usage(format!("{name:?} is not an identity name")));
    }
    let file = format!("{name}.toml");
    let mut tried = Vec::new();
    for dir in cwd.ancestors() {
        let p = dir.join(".stellar").join("identity").join(&file);
        if p.is_file() {
            return Ok(p);
        }
    }
    tried.push(format!("{}/…/.stellar/identity", cwd.display()));
    let global = match std::env::var_os("STELLAR_CONFIG_HOME") {
        Some(d) => Some(PathBuf::from(d)),
        None => dirs::config_dir().map(|d| d.join("stellar")),
    };
    if let Some(g) = global {
        let p = g.join("identity").join(&file);
        if p.is_file() {
            return Ok(p);
        }
        tried.push(g.join("identity").display().to_string());
    }
    Err(Error::Usage(format!(
        "no identity {name:?} (looked in {}): create it with `stellar keys generate {name}` or add it with `stellar keys add {name}`",
        tried.join(" and ")
    )))
}

/// The signing key of the identity file at `path`.
pub fn key_of(path: &Path) -> Result<SigningKey, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Other(format!("cannot read {}: {e}", path.display())))?;
    let doc: toml::Table = text
        .parse()
        .map_err(|e| Error::Other(format!("{} is not TOML: {e}", path.display())))?;
    if let Some(secret) = doc.get("secret_key").and_then(|v| v.as_str()) {
        let seed =
            stellar_strkey::ed25519::PrivateKey::from_string(secret.trim()).map_err(|_| {
                Error::Other(format!(
                    "{}: secret_key is not a Stellar secret key",
                    path.display()
                ))
            })?;
        return Ok(SigningKey::from_bytes(&seed.0));
    }
    if let Some(phrase) = doc.get("seed_phrase").and_then(|v| v.as_str()) {
        return Ok(SigningKey::from_bytes(&sep5_key(phrase, 0)));
    }
    Err(Error::Other(format!(
        "{} holds neither a secret_key nor a seed_phrase (an identity on a hardware or \
         secure-store key cannot sign here: pass its secret with REGISTRY_SECRET_KEY)",
        path.display()
    )))
}

/// SEP-5: the ed25519 seed of account `index` of a BIP-39 phrase (no passphrase).
pub fn sep5_key(phrase: &str, index: u32) -> [u8; 32] {
    let words: Vec<&str> = phrase.split_whitespace().collect();
    let seed = pbkdf2_sha512(words.join(" ").as_bytes(), b"mnemonic", 2048);
    let mut node = hmac(b"ed25519 seed", &seed);
    for i in [44, 148, index] {
        let mut data = Vec::with_capacity(37);
        data.push(0);
        data.extend_from_slice(&node[..32]);
        data.extend_from_slice(&(i | 0x8000_0000).to_be_bytes());
        node = hmac(&node[32..], &data);
    }
    node[..32].try_into().expect("32 bytes")
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 64] {
    let mut mac = HmacSha512::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// PBKDF2-HMAC-SHA512 with one 64-byte block, as BIP-39 uses it.
fn pbkdf2_sha512(password: &[u8], salt: &[u8], rounds: u32) -> [u8; 64] {
    let mut first = salt.to_vec();
    first.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac(password, &first);
    let mut out = u;
    for _ in 1..rounds {
        u = hmac(password, &u);
        for (o, b) in out.iter_mut().zip(u) {
            *o ^= b;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHRASE: &str = "illness spike retreat truth genius clock brain pass fit cave bargain toe";

    fn account(key: &[u8; 32]) -> String {
        crate::auth::account_of(&SigningKey::from_bytes(key))
    }

    #[test]
    fn seed_phrases_give_the_accounts_of_sep5s_first_test_vector() {
        assert_eq!(
            account(&sep5_key(PHRASE, 0)),
            "GDRXE2BQUC3AZNPVFSCEZ76NJ3WWL25FYFK6RGZGIEKWE4SOOHSUJUJ6"
        );
        assert_eq!(
            stellar_strkey::ed25519::PrivateKey::from_string(
                "SBGWSG6BTNCKCOB3DIFBGCVMUPQFYPA2G4O34RMTB343OYPXU5DJDVMN"
            )
            .unwrap()
            .0,
            sep5_key(PHRASE, 0)
        );
        assert_eq!(
            account(&sep5_key(PHRASE, 1)),
            "GBAW5XGWORWVFE2XTJYDTLDHXTY2Q2MO73HYCGB3XMFMQ562Q2W2GJQX"
        );
    }

    #[test]
    fn identities_are_found_locally_then_globally_and_read_in_both_forms() {
        let root = std::env::temp_dir().join(format!("identity-{}", std::process::id()));
        let project = root.join("project");
        let nested = project.join("src").join("deep");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::create_dir_all(project.join(".stellar/identity")).unwrap();
        std::fs::write(
            project.join(".stellar/identity/alice.toml"),
            format!("seed_phrase = \"{PHRASE}\"\n"),
        )
        .unwrap();
        let found = locate("alice", &nested).unwrap();
        assert_eq!(found, project.join(".stellar/identity/alice.toml"));
        assert_eq!(
            crate::auth::account_of(&key_of(&found).unwrap()),
            "GDRXE2BQUC3AZNPVFSCEZ76NJ3WWL25FYFK6RGZGIEKWE4SOOHSUJUJ6"
        );
        std::fs::write(
            project.join(".stellar/identity/bob.toml"),
            "secret_key = \"SCEPFFWGAG5P2VX5DHIYK3XEMZYLTYWIPWYEKXFHSK25RVMIUNJ7CTIS\"\n",
        )
        .unwrap();
        assert_eq!(
            crate::auth::account_of(&key_of(&locate("bob", &project).unwrap()).unwrap()),
            "GBAW5XGWORWVFE2XTJYDTLDHXTY2Q2MO73HYCGB3XMFMQ562Q2W2GJQX"
        );
        std::fs::write(
            project.join(".stellar/identity/ledger.toml"),
            "public_key = \"G\"\n",
        )
        .unwrap();
        let err = key_of(&locate("ledger", &project).unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("neither a secret_key nor a seed_phrase"),
            "{err}"
        );
        assert!(locate("../etc/passwd", &project).is_err());
        let err = locate("nobody", &nested).unwrap_err().to_string();
        assert!(err.contains("stellar keys generate nobody"), "{err}");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
