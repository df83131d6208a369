//! An account's signers and thresholds, read from the network through `getLedgerEntries`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use stellar_xdr::{
    AccountId, LedgerEntryData, LedgerKey, LedgerKeyAccount, Limits, PublicKey, ReadXdr, SignerKey,
    Uint256, WriteXdr,
};

use super::sep10::Signers;

/// The account's signers (the master key with its weight among them) and its medium
/// threshold; a key the ledger does not know is its own master key alone.
pub async fn signers(
    http: &reqwest::Client,
    rpc_url: &str,
    account: [u8; 32],
) -> Result<Signers, String> {
    let key = LedgerKey::Account(LedgerKeyAccount {
        account_id: AccountId(PublicKey::PublicKeyTypeEd25519(Uint256(account))),
    })
    .to_xdr_base64(Limits::none())
    .expect("a key encodes");
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "getLedgerEntries", "params": { "keys": [key] } });
    let res = http
        .post(rpc_url)
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("the Stellar RPC is unreachable ({})", e.without_url()))?;
    if !res.status().is_success() {
        return Err(format!("the Stellar RPC answered {}", res.status()));
    }
    let reply: Value = res
        .json()
        .await
        .map_err(|_| "the Stellar RPC's answer is not JSON".to_owned())?;
    if let Some(err) = reply.get("error") {
        return Err(format!("the Stellar RPC refused getLedgerEntries: {err}"));
    }
    let result = reply
        .get("result")
        .filter(|r| r.is_object())
        .ok_or("the Stellar RPC's answer has no result")?;
    // Only an answer that lists no entry says the account does not exist.
    let entries = match result.get("entries") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(e)) => e.as_slice(),
        Some(_) => return Err("the Stellar RPC's entries are not a list".into()),
    };
    let Some(entry) = entries.first() else {
        return Ok(Signers::master_only(account));
    };
    if entry.get("key").and_then(Value::as_str) != Some(key.as_str()) {
        return Err("the Stellar RPC answered an entry for another key".into());
    }
    let xdr = entry
        .get("xdr")
        .and_then(Value::as_str)
        .ok_or("the Stellar RPC's entry has no xdr")?;
    let data = STANDARD
        .decode(xdr)
        .ok()
        .and_then(|b| LedgerEntryData::from_xdr(b, Limits::len(64 * 1024)).ok())
        .ok_or("the Stellar RPC's entry does not decode")?;
    let LedgerEntryData::Account(a) = data else {
        return Err("the Stellar RPC answered another kind of entry".into());
    };
    let [master, _low, medium, _high] = a.thresholds.0;
    let mut keys = vec![(account, u32::from(master))];
    for s in a.signers.iter() {
        if let SignerKey::Ed25519(Uint256(k)) = s.key {
            keys.push((k, s.weight));
        }
    }
    Ok(Signers {
        keys,
        medium: u32::from(medium),
    })
}
