//! Stellar facts both binaries rely on: how contract ids are derived, and how XDR addresses
//! are shown.

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
