//! Decoding helpers shared by the trust-root and bundle parsers: protobuf-JSON bytes (base64)
//! and 64-bit integers (decimal strings), and PEM certificates.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::Value;

const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
/// Standard alphabet, padding optional.
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
/// URL-safe alphabet, padding optional.
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Decodes a protobuf-JSON `bytes` value: standard base64, or URL-safe base64 (protobuf's JSON
/// mapping accepts both, with or without padding).
pub(super) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(text)
        .or_else(|_| URL_SAFE.decode(text))
        .ok()
}

/// Encodes bytes as standard, padded base64 (the form Rekor signs and logs).
pub(super) fn base64_encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Looks up a dotted `path` (e.g. `inclusionProof.rootHash`) in a JSON object.
pub(super) fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(value, |value, key| value.get(key))
        .filter(|value| !value.is_null())
}

/// The string at `path`, or why not (naming `what`, the path as the reader knows it).
pub(super) fn string<'a>(value: &'a Value, path: &str, what: &str) -> Result<&'a str, String> {
    match lookup(value, path) {
        None => Err(format!("{what} is missing")),
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(format!("{what} is not a string")),
    }
}

/// The base64 bytes at `path`, or why not.
pub(super) fn bytes(value: &Value, path: &str, what: &str) -> Result<Vec<u8>, String> {
    let text = string(value, path, what)?;
    base64_decode(text).ok_or_else(|| format!("{what} is not base64"))
}

/// The 64-bit integer at `path`: protobuf JSON writes int64 as a decimal string, but a number
/// is accepted too.
pub(super) fn integer(value: &Value, path: &str, what: &str) -> Result<i64, String> {
    match lookup(value, path) {
        None => Err(format!("{what} is missing")),
        Some(Value::String(text)) => text
            .parse::<i64>()
            .map_err(|_| format!("{what} (`{text}`) is not an integer")),
        Some(Value::Number(number)) => number
            .as_i64()
            .ok_or_else(|| format!("{what} ({number}) is not an integer")),
        Some(_) => Err(format!("{what} is not an integer")),
    }
}

/// The integer at `path`, 0 if absent: proto3 JSON omits fields that hold their default value.
pub(super) fn integer_or_zero(value: &Value, path: &str, what: &str) -> Result<i64, String> {
    match lookup(value, path) {
        None => Ok(0),
        Some(_) => integer(value, path, what),
    }
}

/// The non-negative integer at `path`, 0 if absent.
pub(super) fn unsigned(value: &Value, path: &str, what: &str) -> Result<u64, String> {
    let number = integer_or_zero(value, path, what)?;
    u64::try_from(number).map_err(|_| format!("{what} ({number}) is negative"))
}

/// Decodes the first `CERTIFICATE` block of a PEM text to DER.
pub(super) fn pem_certificate(pem: &str) -> Option<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let start = pem.find(BEGIN)? + BEGIN.len();
    let length = pem[start..].find(END)?;
    let base64: String = pem[start..start + length]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(base64)
        .ok()
}
