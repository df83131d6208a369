//! SEP-10 web authentication, as pure functions over XDR: the challenge transaction the server
//! builds and signs, and every check a signed challenge must pass before a token is issued.
//! The account's signers are given by the caller (read through `getLedgerEntries`), so each
//! check can be tried with real ed25519 signatures and no network.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature as EdSignature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use stellar_xdr::{
    BytesM, DataValue, DecoratedSignature, Hash, Limited, Limits, ManageDataOp, Memo, MuxedAccount,
    Operation, OperationBody, Preconditions, ReadXdr, SequenceNumber, Signature, SignatureHint,
    String64, TimeBounds, TimePoint, Transaction, TransactionEnvelope, TransactionExt,
    TransactionSignaturePayload, TransactionSignaturePayloadTaggedTransaction,
    TransactionV1Envelope, Uint256, WriteXdr,
};

/// How long a challenge may be answered (SEP-10: 15 minutes).
pub const CHALLENGE_SECS: u64 = 900;
/// Clock skew tolerated before a challenge's start (replicas' clocks differ a little).
const SKEW_SECS: u64 = 60;
/// Random bytes in a challenge's nonce (base64 makes them the 64 bytes of the data value).
pub const NONCE_BYTES: usize = 48;
/// The most a signed challenge may weigh: the server's and up to 20 signatures.
const MAX_ENVELOPE_BYTES: usize = 8 * 1024;

/// The server's signing key.
#[derive(Clone)]
pub struct ServerKey {
    signing: SigningKey,
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServerKey({})", self.account())
    }
}

impl ServerKey {
    /// From a secret seed strkey (`S…`).
    pub fn from_seed(seed: &str) -> Result<ServerKey, String> {
        let key = stellar_strkey::ed25519::PrivateKey::from_string(seed.trim())
            .map_err(|_| "expected a secret seed strkey (S…)".to_owned())?;
        Ok(ServerKey::from_bytes(key.0))
    }

    /// A new random key.
    pub fn generate() -> ServerKey {
        let mut seed = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut seed);
        ServerKey::from_bytes(seed)
    }

    /// The secret seed strkey (`S…`), for `AUTH_SIGNING_KEY`.
    pub fn seed(&self) -> String {
        stellar_strkey::ed25519::PrivateKey(self.signing.to_bytes())
            .as_unredacted()
            .to_string()
            .as_str()
            .to_owned()
    }

    pub fn from_bytes(seed: [u8; 32]) -> ServerKey {
        ServerKey {
            signing: SigningKey::from_bytes(&seed),
        }
    }

    pub fn public(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// The server's account, a `G…` strkey (`SIGNING_KEY` in stellar.toml).
    pub fn account(&self) -> String {
        registry_core::AccountId(self.public()).to_string()
    }

    fn sign(&self, hash: &[u8; 32]) -> DecoratedSignature {
        decorated(&self.signing, hash)
    }
}

/// A signature of `hash` by `key`, with its hint (the key's last four bytes), as a signer of a
/// Stellar transaction adds it.
pub fn decorated(key: &SigningKey, hash: &[u8; 32]) -> DecoratedSignature {
    let public = key.verifying_key().to_bytes();
    let sig = key.sign(hash).to_bytes();
    DecoratedSignature {
        hint: SignatureHint([public[28], public[29], public[30], public[31]]),
        signature: Signature(BytesM::try_from(sig.to_vec()).expect("64 bytes")),
    }
}

/// The domains a challenge names: `<home> auth` is its first operation's key, and the
/// `web_auth_domain` operation carries the host that serves the endpoint.
#[derive(Debug, Clone)]
pub struct Domains {
    pub home: String,
    pub web_auth: String,
}

/// What is wrong with a signed challenge, in words the client can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the transaction is not a base64 XDR transaction envelope")]
    Unreadable,
    #[error("the challenge must be a plain (v1) transaction envelope")]
    NotV1,
    #[error("the challenge's source account is not this server's")]
    WrongSource,
    #[error("the challenge's sequence number must be 0")]
    Sequence,
    #[error("the challenge has no time bounds")]
    NoTimeBounds,
    #[error("the challenge has expired or is not valid yet: ask for a new one")]
    Expired,
    #[error("the challenge carries a memo, which this server does not issue")]
    Memo,
    #[error(
        "the challenge's first operation must be a manage_data from the client account named `{0} auth`"
    )]
    FirstOperation(String),
    #[error("this account cannot sign in here")]
    Account,
    #[error("the challenge's nonce must be 64 bytes")]
    Nonce,
    #[error("every operation after the first must be a manage_data from the server account")]
    OtherOperation,
    #[error("the challenge's web_auth_domain must be `{0}`")]
    WebAuthDomain(String),
    #[error("the challenge is not signed by this server")]
    ServerSignature,
    #[error("the challenge carries no signature of the account")]
    NoClientSignature,
    #[error("a signature is not from a signer of the account, or is there twice")]
    UnknownSignature,
    #[error("the signatures weigh {have}, the account's medium threshold is {need}")]
    Weight { have: u32, need: u32 },
}

/// An account's signers as the ledger has them: `(ed25519 key, weight)`, the master key among
/// them with its weight, and the medium threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signers {
    pub keys: Vec<([u8; 32], u32)>,
    pub medium: u32,
}

impl Signers {
    /// A key the ledger does not know: the master key alone, weight 1.
    pub fn master_only(account: [u8; 32]) -> Signers {
        Signers {
            keys: vec![(account, 1)],
            medium: 1,
        }
    }
}

/// The hash a transaction's signers sign: sha256 of the network id and the transaction.
pub fn hash(tx: &Transaction, network_passphrase: &str) -> [u8; 32] {
    let payload = TransactionSignaturePayload {
        network_id: Hash(Sha256::digest(network_passphrase.as_bytes()).into()),
        tagged_transaction: TransactionSignaturePayloadTaggedTransaction::Tx(tx.clone()),
    };
    let bytes = payload
        .to_xdr(Limits::none())
        .expect("a transaction encodes");
    Sha256::digest(bytes).into()
}

fn ed25519(account: &MuxedAccount) -> Option<[u8; 32]> {
    match account {
        MuxedAccount::Ed25519(Uint256(k)) => Some(*k),
        MuxedAccount::MuxedEd25519(_) => None,
    }
}

fn manage_data(source: [u8; 32], name: &str, value: &[u8]) -> Operation {
    Operation {
        source_account: Some(MuxedAccount::Ed25519(Uint256(source))),
        body: OperationBody::ManageData(ManageDataOp {
            data_name: String64(
                name.as_bytes()
                    .to_vec()
                    .try_into()
                    .expect("64 bytes or fewer"),
            ),
            data_value: Some(DataValue(
                value.to_vec().try_into().expect("64 bytes or fewer"),
            )),
        }),
    }
}

/// The challenge for `client`, valid from `now` for [`CHALLENGE_SECS`], signed by the server:
/// base64 XDR of the envelope.
pub fn challenge(
    key: &ServerKey,
    client: [u8; 32],
    domains: &Domains,
    network_passphrase: &str,
    now: u64,
    nonce: [u8; NONCE_BYTES],
) -> String {
    let nonce = STANDARD.encode(nonce);
    let tx = Transaction {
        source_account: MuxedAccount::Ed25519(Uint256(key.public())),
        fee: 200,
        seq_num: SequenceNumber(0),
        cond: Preconditions::Time(TimeBounds {
            min_time: TimePoint(now),
            max_time: TimePoint(now + CHALLENGE_SECS),
        }),
        memo: Memo::None,
        operations: vec![
            manage_data(client, &format!("{} auth", domains.home), nonce.as_bytes()),
            manage_data(key.public(), "web_auth_domain", domains.web_auth.as_bytes()),
        ]
        .try_into()
        .expect("two operations"),
        ext: TransactionExt::V0,
    };
    let signature = key.sign(&hash(&tx, network_passphrase));
    TransactionEnvelope::Tx(TransactionV1Envelope {
        tx,
        signatures: vec![signature].try_into().expect("one signature"),
    })
    .to_xdr_base64(Limits::none())
    .expect("a transaction encodes")
}

/// A signed challenge whose shape, time bounds, domains and server signature are right.
#[derive(Debug, Clone)]
pub struct Challenge {
    /// The account signing in.
    pub client: [u8; 32],
    /// The transaction's hash: the challenge's identity (used once).
    pub hash: [u8; 32],
    /// When the challenge stops being valid (unix seconds).
    pub expires: u64,
    /// Every signature but the server's.
    signatures: Vec<DecoratedSignature>,
}

/// Reads a signed challenge and checks everything that does not depend on the account:
/// envelope, source, sequence, time bounds at `now`, operations, domains, server signature.
pub fn read(
    envelope: &str,
    key: &ServerKey,
    domains: &Domains,
    network_passphrase: &str,
    now: u64,
) -> Result<Challenge, Refusal> {
    let envelope = envelope.trim();
    if envelope.len() > MAX_ENVELOPE_BYTES {
        return Err(Refusal::Unreadable);
    }
    let bytes = STANDARD.decode(envelope).map_err(|_| Refusal::Unreadable)?;
    let mut limited = Limited::new(
        bytes.as_slice(),
        Limits {
            depth: 50,
            len: MAX_ENVELOPE_BYTES,
        },
    );
    let env = TransactionEnvelope::read_xdr(&mut limited).map_err(|_| Refusal::Unreadable)?;
    if !limited.inner.is_empty() {
        return Err(Refusal::Unreadable);
    }
    let TransactionEnvelope::Tx(TransactionV1Envelope { tx, signatures }) = env else {
        return Err(Refusal::NotV1);
    };
    if ed25519(&tx.source_account) != Some(key.public()) {
        return Err(Refusal::WrongSource);
    }
    if tx.seq_num.0 != 0 {
        return Err(Refusal::Sequence);
    }
    let Preconditions::Time(bounds) = &tx.cond else {
        return Err(Refusal::NoTimeBounds);
    };
    let (min, max) = (bounds.min_time.0, bounds.max_time.0);
    if max == 0 || min > max || now > max || now + SKEW_SECS < min || max - min > CHALLENGE_SECS {
        return Err(Refusal::Expired);
    }
    if tx.memo != Memo::None {
        return Err(Refusal::Memo);
    }
    let mut ops = tx.operations.iter();
    let first_name = format!("{} auth", domains.home);
    let client = match ops.next() {
        Some(Operation {
            source_account: Some(source),
            body: OperationBody::ManageData(op),
        }) if op.data_name.as_slice() == first_name.as_bytes() => {
            let client =
                ed25519(source).ok_or_else(|| Refusal::FirstOperation(domains.home.clone()))?;
            if op.data_value.as_ref().map(|v| v.len()) != Some(64) {
                return Err(Refusal::Nonce);
            }
            client
        }
        _ => return Err(Refusal::FirstOperation(domains.home.clone())),
    };
    if !may_sign_in(&client, key) {
        return Err(Refusal::Account);
    }
    let mut web_auth_domain = false;
    for op in ops {
        let Operation {
            source_account: Some(source),
            body: OperationBody::ManageData(data),
        } = op
        else {
            return Err(Refusal::OtherOperation);
        };
        if ed25519(source) != Some(key.public()) {
            return Err(Refusal::OtherOperation);
        }
        if data.data_name.as_slice() == b"web_auth_domain" {
            if data.data_value.as_ref().map(|v| v.as_slice()) != Some(domains.web_auth.as_bytes()) {
                return Err(Refusal::WebAuthDomain(domains.web_auth.clone()));
            }
            web_auth_domain = true;
        }
    }
    if !web_auth_domain {
        return Err(Refusal::WebAuthDomain(domains.web_auth.clone()));
    }
    let hash = hash(&tx, network_passphrase);
    let server = VerifyingKey::from_bytes(&key.public()).map_err(|_| Refusal::ServerSignature)?;
    let mut rest: Vec<DecoratedSignature> = signatures.to_vec();
    let position = rest
        .iter()
        .position(|s| verifies(&server, &key.public(), s, &hash))
        .ok_or(Refusal::ServerSignature)?;
    rest.remove(position);
    if rest.is_empty() {
        return Err(Refusal::NoClientSignature);
    }
    Ok(Challenge {
        client,
        hash,
        expires: max,
        signatures: rest,
    })
}

/// Whether `account` may sign in: not the server's own key (its signature authenticates the
/// challenge, never a client), and not a weak (small-order) key, whose signatures can be forged.
pub fn may_sign_in(account: &[u8; 32], key: &ServerKey) -> bool {
    *account != key.public() && VerifyingKey::from_bytes(account).is_ok_and(|k| !k.is_weak())
}

fn verifies(
    key: &VerifyingKey,
    public: &[u8; 32],
    sig: &DecoratedSignature,
    hash: &[u8; 32],
) -> bool {
    sig.hint.0 == public[28..32]
        && EdSignature::from_slice(sig.signature.as_slice())
            .is_ok_and(|s| key.verify_strict(hash, &s).is_ok())
}

/// Checks the client's signatures against the account's signers: every signature is by a
/// signer, none twice, the server's key never one of them, and their weight meets the medium
/// threshold (at least 1).
pub fn authorize(challenge: &Challenge, signers: &Signers, key: &ServerKey) -> Result<(), Refusal> {
    if challenge.signatures.is_empty() {
        return Err(Refusal::NoClientSignature);
    }
    let keys: Vec<([u8; 32], u32, VerifyingKey)> = signers
        .keys
        .iter()
        .filter(|(k, w)| *w > 0 && *k != key.public())
        .filter_map(|(k, w)| Some((*k, *w, VerifyingKey::from_bytes(k).ok()?)))
        .filter(|(_, _, vk)| !vk.is_weak())
        .collect();
    let mut used: Vec<[u8; 32]> = Vec::new();
    let mut weight = 0u32;
    for sig in &challenge.signatures {
        let signer = keys
            .iter()
            .find(|(k, _, vk)| verifies(vk, k, sig, &challenge.hash))
            .ok_or(Refusal::UnknownSignature)?;
        if used.contains(&signer.0) {
            return Err(Refusal::UnknownSignature);
        }
        used.push(signer.0);
        weight = weight.saturating_add(signer.1);
    }
    let need = signers.medium.max(1);
    if weight < need {
        return Err(Refusal::Weight { have: weight, need });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSPHRASE: &str = "Test SDF Network ; September 2015";
    const NOW: u64 = 1_800_000_000;

    fn domains() -> Domains {
        Domains {
            home: "registry.example".into(),
            web_auth: "api.registry.example".into(),
        }
    }

    fn server() -> ServerKey {
        ServerKey::from_bytes([7; 32])
    }

    fn client() -> SigningKey {
        SigningKey::from_bytes(&[9; 32])
    }

    /// The challenge for `client`, decoded, with `edit` applied and signed again by the
    /// server, then signed by `signers`.
    fn signed(edit: impl FnOnce(&mut Transaction), signers: &[&SigningKey]) -> String {
        let c = client();
        let text = challenge(
            &server(),
            c.verifying_key().to_bytes(),
            &domains(),
            PASSPHRASE,
            NOW,
            [1; 48],
        );
        let TransactionEnvelope::Tx(mut env) =
            TransactionEnvelope::from_xdr_base64(&text, Limits::none()).unwrap()
        else {
            unreachable!()
        };
        edit(&mut env.tx);
        let h = hash(&env.tx, PASSPHRASE);
        let mut sigs = vec![server().sign(&h)];
        sigs.extend(signers.iter().map(|k| decorated(k, &h)));
        env.signatures = sigs.try_into().unwrap();
        TransactionEnvelope::Tx(env)
            .to_xdr_base64(Limits::none())
            .unwrap()
    }

    fn check(text: &str, signers: &Signers) -> Result<(), Refusal> {
        let ch = read(text, &server(), &domains(), PASSPHRASE, NOW + 10)?;
        authorize(&ch, signers, &server())
    }

    fn master() -> Signers {
        Signers::master_only(client().verifying_key().to_bytes())
    }

    #[test]
    fn a_generated_key_reads_back_from_its_seed() {
        let key = ServerKey::generate();
        let again = ServerKey::from_seed(&key.seed()).unwrap();
        assert_eq!(again.public(), key.public());
        assert!(key.seed().starts_with('S') && key.account().starts_with('G'));
        assert_ne!(ServerKey::generate().public(), key.public());
    }

    #[test]
    fn a_challenge_signed_by_the_account_is_accepted() {
        let text = signed(|_| {}, &[&client()]);
        let ch = read(&text, &server(), &domains(), PASSPHRASE, NOW + 10).unwrap();
        assert_eq!(ch.client, client().verifying_key().to_bytes());
        assert_eq!(ch.expires, NOW + CHALLENGE_SECS);
        assert_eq!(authorize(&ch, &master(), &server()), Ok(()));
    }

    #[test]
    fn the_challenge_has_the_shape_sep_10_gives_it() {
        let text = challenge(&server(), [3; 32], &domains(), PASSPHRASE, NOW, [5; 48]);
        let TransactionEnvelope::Tx(env) =
            TransactionEnvelope::from_xdr_base64(&text, Limits::none()).unwrap()
        else {
            panic!("a v1 envelope")
        };
        assert_eq!(env.tx.seq_num.0, 0);
        assert_eq!(
            env.tx.cond,
            Preconditions::Time(TimeBounds {
                min_time: TimePoint(NOW),
                max_time: TimePoint(NOW + 900)
            })
        );
        let OperationBody::ManageData(first) = &env.tx.operations[0].body else {
            panic!("manage_data")
        };
        assert_eq!(first.data_name.as_slice(), b"registry.example auth");
        assert_eq!(first.data_value.as_ref().unwrap().len(), 64);
        assert_eq!(
            env.tx.operations[0].source_account,
            Some(MuxedAccount::Ed25519(Uint256([3; 32])))
        );
        let OperationBody::ManageData(second) = &env.tx.operations[1].body else {
            panic!("manage_data")
        };
        assert_eq!(second.data_name.as_slice(), b"web_auth_domain");
        assert_eq!(
            second.data_value.as_ref().unwrap().as_slice(),
            b"api.registry.example"
        );
        // Signed by the server alone, which a client can check with the server's key.
        let server = VerifyingKey::from_bytes(&server().public()).unwrap();
        let h = hash(&env.tx, PASSPHRASE);
        assert_eq!(env.signatures.len(), 1);
        assert!(verifies(
            &server,
            &super::ServerKey::from_bytes([7; 32]).public(),
            &env.signatures[0],
            &h
        ));
    }

    #[test]
    fn forgeries_and_stale_challenges_are_refused_each_with_its_reason() {
        let other = SigningKey::from_bytes(&[11; 32]);
        // Time bounds the wrong way round.
        let text = signed(
            |t| {
                t.cond = Preconditions::Time(TimeBounds {
                    min_time: TimePoint(NOW + 100),
                    max_time: TimePoint(NOW + 50),
                })
            },
            &[&client()],
        );
        assert_eq!(check(&text, &master()), Err(Refusal::Expired));
        // Not signed by the account.
        assert_eq!(
            check(&signed(|_| {}, &[]), &master()),
            Err(Refusal::NoClientSignature)
        );
        assert_eq!(
            check(&signed(|_| {}, &[&other]), &master()),
            Err(Refusal::UnknownSignature)
        );
        // A change after the server signed: its signature no longer verifies.
        let text = signed(|_| {}, &[&client()]);
        let TransactionEnvelope::Tx(mut env) =
            TransactionEnvelope::from_xdr_base64(&text, Limits::none()).unwrap()
        else {
            unreachable!()
        };
        env.tx.fee += 1;
        let h = hash(&env.tx, PASSPHRASE);
        let mut sigs = env.signatures.to_vec();
        sigs[1] = decorated(&client(), &h);
        env.signatures = sigs.try_into().unwrap();
        let tampered = TransactionEnvelope::Tx(env)
            .to_xdr_base64(Limits::none())
            .unwrap();
        assert_eq!(check(&tampered, &master()), Err(Refusal::ServerSignature));
        // Another network's passphrase signs another hash.
        let ch = read(
            &text,
            &server(),
            &domains(),
            "Public Global Stellar Network ; September 2015",
            NOW + 10,
        );
        assert_eq!(ch.err(), Some(Refusal::ServerSignature));
        // Out of its time bounds.
        for at in [NOW + CHALLENGE_SECS + 1, NOW - SKEW_SECS - 1] {
            let ch = read(&text, &server(), &domains(), PASSPHRASE, at);
            assert_eq!(ch.err(), Some(Refusal::Expired));
        }
        // Shape.
        type Edit = Box<dyn FnOnce(&mut Transaction)>;
        let cases: Vec<(Edit, Refusal)> = vec![
            (
                Box::new(|t| t.seq_num = SequenceNumber(1)),
                Refusal::Sequence,
            ),
            (
                Box::new(|t| t.cond = Preconditions::None),
                Refusal::NoTimeBounds,
            ),
            (Box::new(|t| t.memo = Memo::Id(1)), Refusal::Memo),
            (
                Box::new(|t| t.source_account = MuxedAccount::Ed25519(Uint256([1; 32]))),
                Refusal::WrongSource,
            ),
            (
                Box::new(|t| {
                    let mut ops = t.operations.to_vec();
                    ops[0] = manage_data(
                        client().verifying_key().to_bytes(),
                        "evil.example auth",
                        &[b'a'; 64],
                    );
                    t.operations = ops.try_into().unwrap();
                }),
                Refusal::FirstOperation("registry.example".into()),
            ),
            (
                Box::new(|t| {
                    let mut ops = t.operations.to_vec();
                    ops[0] = manage_data(
                        client().verifying_key().to_bytes(),
                        "registry.example auth",
                        &[b'a'; 10],
                    );
                    t.operations = ops.try_into().unwrap();
                }),
                Refusal::Nonce,
            ),
            (
                Box::new(|t| {
                    let mut ops = t.operations.to_vec();
                    ops[1] = manage_data(server().public(), "web_auth_domain", b"evil.example");
                    t.operations = ops.try_into().unwrap();
                }),
                Refusal::WebAuthDomain("api.registry.example".into()),
            ),
            (
                Box::new(|t| {
                    let mut ops = t.operations.to_vec();
                    ops.push(manage_data(
                        client().verifying_key().to_bytes(),
                        "extra",
                        b"x",
                    ));
                    t.operations = ops.try_into().unwrap();
                }),
                Refusal::OtherOperation,
            ),
        ];
        for (edit, want) in cases {
            assert_eq!(check(&signed(edit, &[&client()]), &master()), Err(want));
        }
        assert_eq!(check("not xdr", &master()), Err(Refusal::Unreadable));
    }

    #[test]
    fn the_server_key_never_signs_for_a_client() {
        // A challenge for the server's own account, carrying the server's signature twice.
        let srv = server();
        let text = challenge(&srv, srv.public(), &domains(), PASSPHRASE, NOW, [1; 48]);
        let TransactionEnvelope::Tx(mut env) =
            TransactionEnvelope::from_xdr_base64(&text, Limits::none()).unwrap()
        else {
            unreachable!()
        };
        let mut sigs = env.signatures.to_vec();
        sigs.push(sigs[0].clone());
        env.signatures = sigs.try_into().unwrap();
        let twice = TransactionEnvelope::Tx(env)
            .to_xdr_base64(Limits::none())
            .unwrap();
        assert_eq!(
            read(&twice, &srv, &domains(), PASSPHRASE, NOW + 10).err(),
            Some(Refusal::Account)
        );
        // Nor for an account that lists the server's key among its signers.
        let c = client();
        let mut ch = read(
            &signed(|_| {}, &[&c]),
            &srv,
            &domains(),
            PASSPHRASE,
            NOW + 10,
        )
        .unwrap();
        ch.signatures.push(srv.sign(&ch.hash));
        let lists_server = Signers {
            keys: vec![(c.verifying_key().to_bytes(), 1), (srv.public(), 1)],
            medium: 2,
        };
        assert_eq!(
            authorize(&ch, &lists_server, &srv),
            Err(Refusal::UnknownSignature)
        );
    }

    #[test]
    fn a_weak_key_cannot_sign_in() {
        // The identity point: a small-order key, whose signatures can be forged.
        let mut weak = [0u8; 32];
        weak[0] = 1;
        assert!(!may_sign_in(&weak, &server()));
        assert!(!may_sign_in(&server().public(), &server()));
        assert!(may_sign_in(&client().verifying_key().to_bytes(), &server()));
    }

    #[test]
    fn signers_and_weights_follow_the_account() {
        let c = client();
        let cosigner = SigningKey::from_bytes(&[12; 32]);
        let me = c.verifying_key().to_bytes();
        let co = cosigner.verifying_key().to_bytes();
        // Medium threshold 2: the master key (1) alone is not enough; with the cosigner (1) it is.
        let two = Signers {
            keys: vec![(me, 1), (co, 1)],
            medium: 2,
        };
        assert_eq!(
            check(&signed(|_| {}, &[&c]), &two),
            Err(Refusal::Weight { have: 1, need: 2 })
        );
        assert_eq!(check(&signed(|_| {}, &[&c, &cosigner]), &two), Ok(()));
        // The same signer twice is refused, not counted once more.
        assert_eq!(
            check(&signed(|_| {}, &[&c, &c, &cosigner]), &two),
            Err(Refusal::UnknownSignature)
        );
        // A master key of weight 0 cannot sign in; the cosigner it delegated to can.
        let delegated = Signers {
            keys: vec![(me, 0), (co, 5)],
            medium: 5,
        };
        assert_eq!(
            check(&signed(|_| {}, &[&c]), &delegated),
            Err(Refusal::UnknownSignature)
        );
        assert_eq!(check(&signed(|_| {}, &[&cosigner]), &delegated), Ok(()));
        // A threshold of 0 still needs one signer.
        let zero = Signers {
            keys: vec![(me, 1)],
            medium: 0,
        };
        assert_eq!(check(&signed(|_| {}, &[&c]), &zero), Ok(()));
    }
}
