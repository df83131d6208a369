//! Identifiers that cross module and process boundaries: networks, strkeys, wasm hashes and
//! the bigint surrogate keys of the database.
//!
//! Everything that parses user input parses it here, so the server and the indexer reject the
//! same strings with the same messages. Parsing never panics; errors say what was expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use stellar_strkey::Contract as StrkeyContract;
use stellar_strkey::ed25519::PublicKey as StrkeyAccount;

/// Why a string is not a valid identifier. The message is safe to show to a client: it quotes
/// at most the first 80 characters of the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} \"{input}\": {reason}")]
pub struct ParseIdError {
    /// The kind of identifier that was expected ("contract id", "wasm hash", …).
    pub what: &'static str,
    /// The offending input, truncated.
    pub input: String,
    /// What was wrong with it.
    pub reason: String,
}

impl ParseIdError {
    fn new(what: &'static str, input: &str, reason: impl Into<String>) -> Self {
        let input = crate::text::escape_untrusted(&input.chars().take(80).collect::<String>());
        Self {
            what,
            input,
            reason: reason.into(),
        }
    }
}

/// A Stellar network the registry knows. `Local` is a private network (a quickstart container
/// or the simulated network of `make demo`), with the standalone passphrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type))]
#[cfg_attr(
    feature = "sqlx",
    sqlx(type_name = "network", rename_all = "lowercase")
)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum Network {
    /// The public network ("pubnet").
    Mainnet,
    /// SDF's test network.
    Testnet,
    /// SDF's network for protocol features not yet on testnet.
    Futurenet,
    /// A private standalone network.
    Local,
}

impl Network {
    /// Every network, in the order the API lists them.
    pub const ALL: [Network; 4] = [
        Network::Mainnet,
        Network::Testnet,
        Network::Futurenet,
        Network::Local,
    ];

    /// The lowercase name used in SQL, configuration and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Network::Mainnet => "mainnet",
            Network::Testnet => "testnet",
            Network::Futurenet => "futurenet",
            Network::Local => "local",
        }
    }

    /// The network passphrase; `sha256(passphrase)` is the network id that contract ids and
    /// transaction hashes are derived from.
    pub fn passphrase(self) -> &'static str {
        match self {
            Network::Mainnet => "Public Global Stellar Network ; September 2015",
            Network::Testnet => "Test SDF Network ; September 2015",
            Network::Futurenet => "Test SDF Future Network ; October 2022",
            Network::Local => "Standalone Network ; February 2017",
        }
    }

    /// The network's public Stellar RPC (the default of `STELLAR_RPC_URL`).
    pub fn default_rpc(self) -> &'static str {
        match self {
            Network::Mainnet => "https://mainnet.sorobanrpc.com",
            Network::Testnet => "https://soroban-testnet.stellar.org",
            Network::Futurenet => "https://rpc-futurenet.stellar.org",
            Network::Local => "http://127.0.0.1:8000/rpc",
        }
    }

    /// `sha256(passphrase)`.
    pub fn network_id(self) -> [u8; 32] {
        Sha256::digest(self.passphrase().as_bytes()).into()
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Network {
    type Err = ParseIdError;

    /// Accepts the lowercase names and the GraphQL spelling (`MAINNET`), nothing else.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Network::ALL
            .into_iter()
            .find(|n| s == n.as_str() || s.eq_ignore_ascii_case(n.as_str()))
            .ok_or_else(|| {
                ParseIdError::new(
                    "network",
                    s,
                    "expected one of mainnet, testnet, futurenet, local",
                )
            })
    }
}

macro_rules! strkey_id {
    ($(#[$doc:meta])* $name:ident, $strkey:ident, $what:literal, $first:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            /// The raw 32-byte payload.
            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&$strkey(self.0).to_string(), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let expected = concat!("expected a 56-character strkey starting with ", $first);
                if s.len() != 56 || !s.starts_with($first) {
                    return Err(ParseIdError::new($what, s, expected));
                }
                $strkey::from_string(s)
                    .map(|k| $name(k.0))
                    .map_err(|_| ParseIdError::new($what, s, format!("{expected} (bad base32 or checksum)")))
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

strkey_id!(
    /// A contract address, shown as its `C…` strkey.
    ContractId,
    StrkeyContract,
    "contract id",
    "C"
);

strkey_id!(
    /// An ed25519 account, shown as its `G…` strkey (deployers, callers, publishers).
    AccountId,
    StrkeyAccount,
    "account address",
    "G"
);

/// sha256 of a WASM module's exact bytes: the id of uploaded code on every network.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WasmHash(pub [u8; 32]);

impl WasmHash {
    /// Hashes WASM bytes the way the network does.
    pub fn of_code(code: &[u8]) -> Self {
        WasmHash(Sha256::digest(code).into())
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Builds a hash from a database or XDR byte slice; `None` unless it is exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(WasmHash)
    }
}

impl fmt::Display for WasmHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for WasmHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WasmHash({self})")
    }
}

impl FromStr for WasmHash {
    type Err = ParseIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let expected = "expected 64 hexadecimal characters (the sha256 of the WASM)";
        if s.len() != 64 {
            return Err(ParseIdError::new("wasm hash", s, expected));
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out)
            .map_err(|_| ParseIdError::new("wasm hash", s, expected))?;
        Ok(WasmHash(out))
    }
}

impl Serialize for WasmHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for WasmHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The ids as column values: a strkey id is stored as its text, a WASM hash as its 32 bytes.
/// A row that holds anything else fails to decode with the reason, instead of carrying a
/// string the rest of the code would have to trust.
#[cfg(feature = "sqlx")]
mod sql {
    use sqlx::encode::IsNull;
    use sqlx::error::BoxDynError;
    use sqlx::postgres::{PgArgumentBuffer, PgHasArrayType, PgTypeInfo, PgValueRef};
    use sqlx::{Decode, Encode, Postgres, Type};

    use super::{AccountId, ContractId, WasmHash};

    macro_rules! text_column {
        ($name:ident) => {
            impl Type<Postgres> for $name {
                fn type_info() -> PgTypeInfo {
                    <String as Type<Postgres>>::type_info()
                }

                fn compatible(ty: &PgTypeInfo) -> bool {
                    <String as Type<Postgres>>::compatible(ty)
                }
            }

            impl PgHasArrayType for $name {
                fn array_type_info() -> PgTypeInfo {
                    <String as PgHasArrayType>::array_type_info()
                }
            }

            impl Encode<'_, Postgres> for $name {
                fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
                    <String as Encode<'_, Postgres>>::encode(self.to_string(), buf)
                }
            }

            impl<'r> Decode<'r, Postgres> for $name {
                fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
                    let text = <&str as Decode<'r, Postgres>>::decode(value)?;
                    Ok(text.parse()?)
                }
            }
        };
    }

    text_column!(ContractId);
    text_column!(AccountId);

    impl Type<Postgres> for WasmHash {
        fn type_info() -> PgTypeInfo {
            <Vec<u8> as Type<Postgres>>::type_info()
        }

        fn compatible(ty: &PgTypeInfo) -> bool {
            <Vec<u8> as Type<Postgres>>::compatible(ty)
        }
    }

    impl PgHasArrayType for WasmHash {
        fn array_type_info() -> PgTypeInfo {
            <Vec<u8> as PgHasArrayType>::array_type_info()
        }
    }

    impl Encode<'_, Postgres> for WasmHash {
        fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
            <&[u8] as Encode<'_, Postgres>>::encode(self.0.as_slice(), buf)
        }
    }

    impl<'r> Decode<'r, Postgres> for WasmHash {
        fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
            let bytes = <&[u8] as Decode<'r, Postgres>>::decode(value)?;
            WasmHash::from_slice(bytes).ok_or_else(|| {
                format!("a wasm hash is 32 bytes, the column holds {}", bytes.len()).into()
            })
        }
    }
}

macro_rules! surrogate_key {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "sqlx", derive(sqlx::Type))]
        #[cfg_attr(feature = "sqlx", sqlx(transparent))]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

surrogate_key!(
    /// `contracts.pk`: the join key of a contract. Never shown to clients.
    ContractPk
);
surrogate_key!(
    /// `wasm_codes.pk`.
    WasmPk
);
surrogate_key!(
    /// `publishers.pk`.
    PublisherPk
);
surrogate_key!(
    /// `tags.pk`.
    TagPk
);
surrogate_key!(
    /// `registry_events.id`: the position of an event in the feed, increasing with commit order
    /// of the writer (the single indexer).
    EventId
);

/// A ledger sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LedgerSeq(pub u32);

impl fmt::Display for LedgerSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_contract_and_account_render_as_known_strkeys() {
        assert_eq!(
            ContractId([0; 32]).to_string(),
            "CAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABSC4"
        );
        assert_eq!(
            AccountId([0; 32]).to_string(),
            "GAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAWHF"
        );
    }

    #[test]
    fn contract_id_round_trips_through_its_strkey() {
        let id: ContractId = "CAS3J7GYLGXMF6TDJBBYYSE3HQ6BBSMLNUQ34T6TZMYMW2EVH34XOWMA"
            .parse()
            .unwrap();
        assert_eq!(
            id.to_string(),
            "CAS3J7GYLGXMF6TDJBBYYSE3HQ6BBSMLNUQ34T6TZMYMW2EVH34XOWMA"
        );
    }

    #[test]
    fn contract_id_with_a_bad_checksum_is_rejected_with_the_reason() {
        let err = "CAS3J7GYLGXMF6TDJBBYYSE3HQ6BBSMLNUQ34T6TZMYMW2EVH34XOWMB"
            .parse::<ContractId>()
            .unwrap_err();
        assert_eq!(err.what, "contract id");
        assert!(err.to_string().contains("checksum"), "{err}");
    }

    #[test]
    fn account_strkey_is_not_a_contract_id() {
        let err = "GAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAWHF"
            .parse::<ContractId>()
            .unwrap_err();
        assert!(err.reason.contains("starting with C"), "{err}");
    }

    #[test]
    fn wasm_hash_parses_64_hex_and_rejects_everything_else() {
        let h: WasmHash = "00".repeat(32).parse().unwrap();
        assert_eq!(h, WasmHash([0; 32]));
        assert!("0".repeat(63).parse::<WasmHash>().is_err());
        assert!("zz".repeat(32).parse::<WasmHash>().is_err());
    }

    #[test]
    fn network_parses_both_spellings_and_names_the_choices() {
        assert_eq!("MAINNET".parse::<Network>().unwrap(), Network::Mainnet);
        assert_eq!("testnet".parse::<Network>().unwrap(), Network::Testnet);
        let err = "mainet".parse::<Network>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid network \"mainet\": expected one of mainnet, testnet, futurenet, local"
        );
    }

    #[test]
    fn network_ids_are_sha256_of_the_passphrases() {
        assert_eq!(
            hex::encode(Network::Mainnet.network_id()),
            "7ac33997544e3175d266bd022439b22cdb16508c01163f26e5cb2a3e1045a979"
        );
        assert_eq!(
            hex::encode(Network::Testnet.network_id()),
            "cee0302d59844d32bdca915c8203dd44b33fbb7edc19051ea37abedf28ecd472"
        );
    }

    #[test]
    fn parse_errors_escape_control_characters_in_the_input() {
        let err = "\u{1b}[31mred".parse::<WasmHash>().unwrap_err();
        assert!(!err.to_string().contains('\u{1b}'), "{err}");
    }
}
