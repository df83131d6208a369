//! SEP-10 sign-in: `GET /auth?account=G…` gives a challenge transaction signed by the server;
//! the client checks that it can do nothing (sequence number 0, only `manage_data`
//! operations, the first one from the account), adds its signature and `POST`s it back to
//! `/auth` for a token.

use ed25519_dalek::{Signer, SigningKey};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use stellar_xdr::{
    BytesM, DecoratedSignature, Hash, Limits, MuxedAccount, OperationBody, ReadXdr, Signature,
    SignatureHint, TransactionEnvelope, TransactionSignaturePayload,
    TransactionSignaturePayloadTaggedTransaction, WriteXdr,
};

use crate::api::Client;
use crate::error::Error;

/// The secret key: from `--secret-file`, else `REGISTRY_SECRET_KEY`.
pub fn secret_key(file: Option<&std::path::Path>) -> Result<SigningKey, Error> {
    let text = match file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Error::Other(format!("cannot read {}: {e}", path.display())))?,
        None => std::env::var("REGISTRY_SECRET_KEY").map_err(|_| {
            Error::Usage(
                "no secret key: set REGISTRY_SECRET_KEY to an S… secret key or pass --secret-file PATH"
                    .to_owned(),
            )
        })?,
    };
    let seed = stellar_strkey::ed25519::PrivateKey::from_string(text.trim()).map_err(|_| {
        Error::Usage("the secret key is not a Stellar secret key (S…, 56 characters)".to_owned())
    })?;
    Ok(SigningKey::from_bytes(&seed.0))
}

/// The `G…` account of a key.
pub fn account_of(key: &SigningKey) -> String {
    format!(
        "{}",
        stellar_strkey::ed25519::PublicKey(key.verifying_key().to_bytes())
    )
}

#[derive(Deserialize)]
struct Challenge {
    transaction: String,
    network_passphrase: String,
}

#[derive(Deserialize)]
struct TokenAnswer {
    token: String,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
}

/// The challenge `transaction` (base64 XDR) with `key`'s signature added, after checking that
/// signing it cannot move anything.
pub fn sign_challenge(
    transaction: &str,
    passphrase: &str,
    key: &SigningKey,
) -> Result<String, Error> {
    let bad = |why: &str| Error::Other(format!("refusing to sign the server's challenge: {why}"));
    let env = TransactionEnvelope::from_xdr_base64(transaction, Limits::len(100_000))
        .map_err(|_| bad("it is not a transaction envelope"))?;
    let TransactionEnvelope::Tx(mut env) = env else {
        return Err(bad("it is not a v1 transaction envelope"));
    };
    if env.tx.seq_num.0 != 0 {
        return Err(bad("its sequence number is not 0"));
    }
    let me = key.verifying_key().to_bytes();
    for (i, op) in env.tx.operations.iter().enumerate() {
        if !matches!(op.body, OperationBody::ManageData(_)) {
            return Err(bad("it has an operation other than manage_data"));
        }
        if i == 0 {
            match &op.source_account {
                Some(MuxedAccount::Ed25519(k)) if k.0 == me => {}
                _ => return Err(bad("its first operation is not from this account")),
            }
        }
    }
    if env.tx.operations.is_empty() {
        return Err(bad("it has no operation"));
    }
    let payload = TransactionSignaturePayload {
        network_id: Hash(Sha256::digest(passphrase.as_bytes()).into()),
        tagged_transaction: TransactionSignaturePayloadTaggedTransaction::Tx(env.tx.clone()),
    };
    let bytes = payload
        .to_xdr(Limits::none())
        .map_err(|_| bad("it does not encode"))?;
    let hash: [u8; 32] = Sha256::digest(bytes).into();
    let sig = key.sign(&hash).to_bytes();
    let decorated = DecoratedSignature {
        hint: SignatureHint([me[28], me[29], me[30], me[31]]),
        signature: Signature(BytesM::try_from(sig.to_vec()).map_err(|_| bad("signature size"))?),
    };
    let mut sigs = env.signatures.to_vec();
    sigs.push(decorated);
    env.signatures = sigs
        .try_into()
        .map_err(|_| bad("it already carries too many signatures"))?;
    TransactionEnvelope::Tx(env)
        .to_xdr_base64(Limits::none())
        .map_err(|_| bad("it does not encode"))
}

async fn answer<T: for<'de> Deserialize<'de>>(
    client: &Client,
    res: reqwest::Response,
) -> Result<T, Error> {
    let status = res.status();
    let text = res.text().await.map_err(|e| client.unreachable(&e))?;
    if status.is_success() {
        serde_json::from_str(&text).map_err(|_| {
            Error::Other(format!(
                "the registry at {} gave an unexpected sign-in answer",
                client.base
            ))
        })
    } else {
        let why = serde_json::from_str::<ErrorAnswer>(&text)
            .map(|e| e.error)
            .unwrap_or_else(|_| format!("HTTP {status}"));
        Err(Error::Other(format!("sign-in refused: {why}")))
    }
}

/// Signs in as `key`'s account; the token.
pub async fn sign_in(client: &Client, key: &SigningKey) -> Result<String, Error> {
    let account = account_of(key);
    let url = format!("{}/auth", client.base);
    let res = client
        .http()
        .get(&url)
        .query(&[("account", account.as_str())])
        .send()
        .await
        .map_err(|e| client.unreachable(&e))?;
    let challenge: Challenge = answer(client, res).await?;
    let signed = sign_challenge(&challenge.transaction, &challenge.network_passphrase, key)?;
    let res = client
        .http()
        .post(&url)
        .json(&serde_json::json!({ "transaction": signed }))
        .send()
        .await
        .map_err(|e| client.unreachable(&e))?;
    let token: TokenAnswer = answer(client, res).await?;
    Ok(token.token)
}
