//! Stellar facts both binaries rely on: how contract ids are derived, how XDR addresses are
//! shown, and how a classic asset is written.

use sha2::{Digest, Sha256};
use stellar_xdr::{
    ContractIdPreimage, Hash, HashIdPreimage, HashIdPreimageContractId, Limits, MuxedAccount,
    PublicKey, ScAddress, WriteXdr,
};

use crate::ids::{AccountId, ContractId, Network};

/// The id of the contract a preimage creates on `network`:
/// `sha256(XDR(HashIdPreimage::ContractId { network_id, preimage }))`.
pub fn contract_id(network: Network, preimage: &ContractIdPreimage) -> ContractId {
    let hashed = HashIdPreimage::ContractId(HashIdPreimageContractId {
        network_id: Hash(network.network_id()),
        contract_id_preimage: preimage.clone(),
    });
    // Writing a well-formed value into memory cannot fail; an empty preimage hashes to a
    // unique, harmless id should it ever happen.
    let bytes = hashed.to_xdr(Limits::none()).unwrap_or_default();
    ContractId(Sha256::digest(bytes).into())
}

/// An address as a strkey: `G…` for accounts (muxed accounts by their underlying account),
/// `C…` for contracts, `None` for other kinds (balances, pools).
pub fn address_strkey(address: &ScAddress) -> Option<String> {
    match address {
        ScAddress::Account(stellar_xdr::AccountId(PublicKey::PublicKeyTypeEd25519(k))) => {
            Some(AccountId(k.0).to_string())
        }
        ScAddress::Contract(c) => Some(ContractId(c.0.0).to_string()),
        ScAddress::MuxedAccount(m) => Some(AccountId(m.ed25519.0).to_string()),
        ScAddress::MuxedContract(_)
        | ScAddress::ClaimableBalance(_)
        | ScAddress::LiquidityPool(_) => None,
    }
}

/// The classic asset behind a Stellar Asset Contract.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum AssetRef {
    /// Lumens.
    Native,
    /// An issued asset: its code (1 to 12 letters and digits) and its issuer.
    Credit {
        /// The asset code, as issued (case kept).
        code: String,
        /// The issuing account.
        issuer: AccountId,
    },
}

impl AssetRef {
    /// The asset of a `FromAsset` preimage. A code that is not 1 to 12 ASCII letters and
    /// digits (the network refuses such assets) gives `None`.
    pub fn from_xdr(asset: &stellar_xdr::Asset) -> Option<AssetRef> {
        let (code, issuer): (&[u8], &stellar_xdr::AccountId) = match asset {
            stellar_xdr::Asset::Native => return Some(AssetRef::Native),
            stellar_xdr::Asset::CreditAlphanum4(a) => (&a.asset_code.0, &a.issuer),
            stellar_xdr::Asset::CreditAlphanum12(a) => (&a.asset_code.0, &a.issuer),
        };
        let stellar_xdr::AccountId(PublicKey::PublicKeyTypeEd25519(k)) = issuer;
        AssetRef::credit(code, AccountId(k.0))
    }

    /// An issued asset from its code bytes (trailing NULs, as XDR pads them, removed).
    pub fn credit(code: &[u8], issuer: AccountId) -> Option<AssetRef> {
        let end = code.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
        let code = &code[..end];
        if code.is_empty() || code.len() > 12 || !code.iter().all(u8::is_ascii_alphanumeric) {
            return None;
        }
        Some(AssetRef::Credit {
            code: String::from_utf8_lossy(code).into_owned(),
            issuer,
        })
    }

    /// SEP-11's canonical form: `native`, or `CODE:ISSUER`. This is also the `name` a Stellar
    /// Asset Contract reports.
    pub fn canonical(&self) -> String {
        match self {
            AssetRef::Native => "native".into(),
            AssetRef::Credit { code, issuer } => format!("{code}:{issuer}"),
        }
    }

    /// Parses the canonical form.
    pub fn parse_canonical(s: &str) -> Option<AssetRef> {
        if s == "native" {
            return Some(AssetRef::Native);
        }
        let (code, issuer) = s.split_once(':')?;
        AssetRef::credit(code.as_bytes(), issuer.parse().ok()?)
    }

    /// The preimage whose contract id is this asset's Stellar Asset Contract.
    pub fn preimage(&self) -> ContractIdPreimage {
        use stellar_xdr::{AlphaNum4, AlphaNum12, Asset, AssetCode4, AssetCode12, Uint256};
        match self {
            AssetRef::Native => ContractIdPreimage::Asset(Asset::Native),
            AssetRef::Credit { code, issuer } => {
                let issuer =
                    stellar_xdr::AccountId(PublicKey::PublicKeyTypeEd25519(Uint256(issuer.0)));
                let bytes = code.as_bytes();
                if bytes.len() <= 4 {
                    let mut c = [0u8; 4];
                    c[..bytes.len()].copy_from_slice(bytes);
                    ContractIdPreimage::Asset(Asset::CreditAlphanum4(AlphaNum4 {
                        asset_code: AssetCode4(c),
                        issuer,
                    }))
                } else {
                    let mut c = [0u8; 12];
                    c[..bytes.len()].copy_from_slice(bytes);
                    ContractIdPreimage::Asset(Asset::CreditAlphanum12(AlphaNum12 {
                        asset_code: AssetCode12(c),
                        issuer,
                    }))
                }
            }
        }
    }
}

/// A transaction or operation source as a `G…` strkey (muxed accounts by their account).
pub fn muxed_strkey(account: &MuxedAccount) -> String {
    match account {
        MuxedAccount::Ed25519(k) => AccountId(k.0).to_string(),
        MuxedAccount::MuxedEd25519(m) => AccountId(m.ed25519.0).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use stellar_xdr::Asset;

    use super::*;

    #[test]
    fn assets_round_trip_through_the_canonical_form_and_the_preimage() {
        let usdc = "USDC:GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN";
        let a = AssetRef::parse_canonical(usdc).unwrap();
        assert_eq!(a.canonical(), usdc);
        let ContractIdPreimage::Asset(x) = a.preimage() else {
            panic!("an asset preimage")
        };
        assert_eq!(AssetRef::from_xdr(&x), Some(a.clone()));
        // The well-known mainnet USDC contract.
        assert_eq!(
            contract_id(Network::Mainnet, &a.preimage()).to_string(),
            "CCW67TSZV3SSS2HXMBQ5JFGCKJNXKZM7UQUWUZPUTHXSTZLEO7SJMI75"
        );
        let long = AssetRef::parse_canonical(
            "LONGCODE12AB:GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN",
        )
        .unwrap();
        let ContractIdPreimage::Asset(x) = long.preimage() else {
            panic!("an asset preimage")
        };
        assert_eq!(AssetRef::from_xdr(&x), Some(long));
        assert_eq!(AssetRef::parse_canonical("native"), Some(AssetRef::Native));
        assert_eq!(AssetRef::parse_canonical("BAD CODE:GA5Z"), None);
        assert_eq!(AssetRef::credit(b"\x1b[2J", AccountId([0; 32])), None);
    }

    #[test]
    fn native_asset_contract_ids_match_the_known_addresses() {
        let native = ContractIdPreimage::Asset(Asset::Native);
        assert_eq!(
            contract_id(Network::Mainnet, &native).to_string(),
            "CAS3J7GYLGXMF6TDJBBYYSE3HQ6BBSMLNUQ34T6TZMYMW2EVH34XOWMA"
        );
        assert_eq!(
            contract_id(Network::Testnet, &native).to_string(),
            "CDLZFC3SYJYDZT7K67VZ75HPJVIEUVNIXF47ZG2FB2RMQQVU2HHGCYSC"
        );
    }
}
