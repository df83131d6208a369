//! SEP-10 sign-in: `GET /auth?account=G…` gives a challenge transaction signed by the server;
//! the client checks that it can do nothing (sequence number 0, only `manage_data`
//! operations, the first one from the account), adds its signature and `POST`s it back to
//! `/auth` for a token.

use ed25519_dalek::{Signer, SigningKey};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use stellar_xdr::{
    BytesM, DecoratedSignature, Hash, Limits, MuxedAccount, OperationBody, Preconditions, ReadXdr,
    Signature, SignatureHint, TransactionEnvelope, TransactionSignaturePayload,
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

/// The challenge `transaction` (base64 XDR) with `key`'s signature added, after checking, as
/// SEP-10 asks of a client, that signing it cannot move anything and cannot sign this account
/// in anywhere but the registry it asked: a v1 transaction with sequence number 0, time bounds
/// around `now` (Unix seconds), only `manage_data` operations, the first from this account
/// and named `<home domain> auth`, and a `web_auth_domain` that is `registry_host` (the host
/// of the URL the challenge came from; loopback names count as one).
pub fn sign_challenge(
    transaction: &str,
    passphrase: &str,
    key: &SigningKey,
    registry_host: &str,
    now: u64,
) -> Result<String, Error> {
    let bad = |why: &str| Error::Other(format!("refusing to sign the server's challenge: {why}"));
    let limits = Limits {
        depth: 50,
        len: 100_000,
    };
    let env = TransactionEnvelope::from_xdr_base64(transaction, limits)
        .map_err(|_| bad("it is not a transaction envelope"))?;
    let TransactionEnvelope::Tx(mut env) = env else {
        return Err(bad("it is not a v1 transaction envelope"));
    };
    if env.tx.seq_num.0 != 0 {
        return Err(bad("its sequence number is not 0"));
    }
    let bounds = match &env.tx.cond {
        Preconditions::Time(t) => Some(t),
        Preconditions::V2(p) => p.time_bounds.as_ref(),
        Preconditions::None => None,
    };
    match bounds {
        Some(t) if t.max_time.0 != 0 && t.min_time.0 <= now + 300 && now <= t.max_time.0 => {}
        _ => return Err(bad("its time bounds do not hold the present")),
    }
    if env.tx.operations.is_empty() {
        return Err(bad("it has no operation"));
    }
    let me = key.verifying_key().to_bytes();
    let mut web_auth = None;
    for (i, op) in env.tx.operations.iter().enumerate() {
        let OperationBody::ManageData(data) = &op.body else {
            return Err(bad("it has an operation other than manage_data"));
        };
        let name = data.data_name.as_slice();
        if i == 0 {
            match &op.source_account {
                Some(MuxedAccount::Ed25519(k)) if k.0 == me => {}
                _ => return Err(bad("its first operation is not from this account")),
            }
            if !name.ends_with(b" auth") {
                return Err(bad("its first operation is not named `<home domain> auth`"));
            }
        } else if name == b"web_auth_domain" {
            web_auth = data.data_value.as_ref().map(|v| v.as_slice().to_vec());
        }
    }
    let web_auth = web_auth
        .and_then(|v| String::from_utf8(v).ok())
        .ok_or_else(|| bad("it names no web_auth_domain"))?;
    if !same_host(&web_auth, registry_host) {
        return Err(bad(&format!(
            "it is for {web_auth}, not for {registry_host}, the registry asked"
        )));
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

/// Whether a `web_auth_domain` (a host, maybe with a port) names `host`; `localhost` and
/// loopback addresses name one another.
fn same_host(web_auth_domain: &str, host: &str) -> bool {
    let strip = |h: &str| -> String {
        let h = h.trim_start_matches('[');
        let h = match h.split_once(']') {
            Some((inside, _)) => inside,
            None => match h.rsplit_once(':') {
                Some((name, port))
                    if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    name
                }
                _ => h,
            },
        };
        h.to_ascii_lowercase()
    };
    let (a, b) = (strip(web_auth_domain), strip(host));
    let loopback = |h: &str| {
        h == "localhost"
            || h.parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    };
    a == b || (loopback(&a) && loopback(&b))
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
    let host = reqwest::Url::parse(&client.base)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .ok_or_else(|| Error::Usage(format!("{} has no host", client.base)))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let signed = sign_challenge(
        &challenge.transaction,
        &challenge.network_passphrase,
        key,
        &host,
        now,
    )?;
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

#[cfg(test)]
mod tests {
    use stellar_xdr::{
        BumpSequenceOp, DataValue, ManageDataOp, Memo, Operation, SequenceNumber, TimeBounds,
        TimePoint, Transaction, TransactionExt, TransactionV1Envelope, Uint256, VecM,
    };

    use super::*;

    const NOW: u64 = 1_800_000_000;
    const HOST: &str = "registry.example";

    fn client_key() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    fn data(from: [u8; 32], name: &str, value: &[u8]) -> Operation {
        Operation {
            source_account: Some(MuxedAccount::Ed25519(Uint256(from))),
            body: OperationBody::ManageData(ManageDataOp {
                data_name: stellar_xdr::String64(name.try_into().unwrap()),
                data_value: Some(DataValue(value.try_into().unwrap())),
            }),
        }
    }

    /// A challenge as the registry at `HOST` makes it, edited by `edit`.
    fn challenge(edit: impl FnOnce(&mut Transaction)) -> String {
        let server = SigningKey::from_bytes(&[9; 32]).verifying_key().to_bytes();
        let me = client_key().verifying_key().to_bytes();
        let mut tx = Transaction {
            source_account: MuxedAccount::Ed25519(Uint256(server)),
            fee: 200,
            seq_num: SequenceNumber(0),
            cond: Preconditions::Time(TimeBounds {
                min_time: TimePoint(NOW - 10),
                max_time: TimePoint(NOW + 890),
            }),
            memo: Memo::None,
            operations: vec![
                data(me, &format!("{HOST} auth"), &[b'n'; 64]),
                data(server, "web_auth_domain", HOST.as_bytes()),
            ]
            .try_into()
            .unwrap(),
            ext: TransactionExt::V0,
        };
        edit(&mut tx);
        TransactionEnvelope::Tx(TransactionV1Envelope {
            tx,
            signatures: VecM::default(),
        })
        .to_xdr_base64(Limits::none())
        .unwrap()
    }

    fn sign(tx: &str, host: &str) -> Result<String, String> {
        sign_challenge(
            tx,
            "Test SDF Network ; September 2015",
            &client_key(),
            host,
            NOW,
        )
        .map_err(|e| e.to_string())
    }

    #[test]
    fn a_challenge_of_the_registry_asked_is_signed() {
        let signed = sign(&challenge(|_| {}), HOST).unwrap();
        let TransactionEnvelope::Tx(env) =
            TransactionEnvelope::from_xdr_base64(&signed, Limits::none()).unwrap()
        else {
            panic!("a v1 envelope");
        };
        assert_eq!(env.signatures.len(), 1);
        // A registry served on loopback under another loopback name.
        let local = challenge(|tx| {
            let server = SigningKey::from_bytes(&[9; 32]).verifying_key().to_bytes();
            let mut ops = tx.operations.to_vec();
            ops[1] = data(server, "web_auth_domain", b"localhost:3001");
            tx.operations = ops.try_into().unwrap();
        });
        assert!(sign(&local, "127.0.0.1").is_ok());
    }

    #[test]
    fn challenges_that_could_do_harm_or_sign_in_elsewhere_are_refused() {
        let server = SigningKey::from_bytes(&[9; 32]).verifying_key().to_bytes();
        let me = client_key().verifying_key().to_bytes();
        let set_op = |i: usize, op: Operation| {
            move |tx: &mut Transaction| {
                let mut ops = tx.operations.to_vec();
                if i < ops.len() {
                    ops[i] = op;
                } else {
                    ops.push(op);
                }
                tx.operations = ops.try_into().unwrap();
            }
        };
        let cases: Vec<(&str, String, &str)> = vec![
            (
                "a sequence number",
                challenge(|tx| tx.seq_num = SequenceNumber(1)),
                "sequence number",
            ),
            (
                "no time bounds",
                challenge(|tx| tx.cond = Preconditions::None),
                "time bounds",
            ),
            (
                "expired",
                challenge(|tx| {
                    tx.cond = Preconditions::Time(TimeBounds {
                        min_time: TimePoint(NOW - 1000),
                        max_time: TimePoint(NOW - 100),
                    })
                }),
                "time bounds",
            ),
            (
                "another operation",
                challenge(set_op(
                    2,
                    Operation {
                        source_account: Some(MuxedAccount::Ed25519(Uint256(me))),
                        body: OperationBody::BumpSequence(BumpSequenceOp {
                            bump_to: SequenceNumber(1),
                        }),
                    },
                )),
                "other than manage_data",
            ),
            (
                "the first operation from another account",
                challenge(set_op(
                    0,
                    data(server, &format!("{HOST} auth"), &[b'n'; 64]),
                )),
                "not from this account",
            ),
            (
                "the first operation not a sign-in",
                challenge(set_op(0, data(me, "config", b"x"))),
                "<home domain> auth",
            ),
            (
                "another service's challenge relayed",
                challenge(set_op(
                    1,
                    data(server, "web_auth_domain", b"anchor.example"),
                )),
                "it is for anchor.example, not for registry.example",
            ),
            (
                "no web_auth_domain",
                challenge(|tx| {
                    let mut ops = tx.operations.to_vec();
                    ops.truncate(1);
                    tx.operations = ops.try_into().unwrap();
                }),
                "names no web_auth_domain",
            ),
            ("not XDR", "AAAA".to_owned(), "not a transaction envelope"),
        ];
        for (what, tx, why) in cases {
            let err = sign(&tx, HOST).unwrap_err();
            assert!(err.contains(why), "{what}: {err}");
        }
    }
}
