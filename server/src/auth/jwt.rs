//! The tokens `POST /auth` issues: compact JWTs signed with HMAC-SHA256 (`AUTH_JWT_SECRET`).
//! Only `HS256` is accepted, the MAC is compared in constant time, and the issuer and the
//! expiry are checked.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The claims SEP-10 names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The endpoint that issued the token.
    pub iss: String,
    /// The account signed in (`G…`).
    pub sub: String,
    pub iat: u64,
    pub exp: u64,
    /// The challenge's hash (hex): one token per challenge.
    pub jti: String,
}

/// Why a token is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("the token is not a signed JWT of this server")]
    Malformed,
    #[error("the token's signature does not verify")]
    Signature,
    #[error("the token has expired: sign in again")]
    Expired,
    #[error("the token was not issued by this server")]
    Issuer,
}

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

fn mac(secret: &[u8]) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length")
}

/// Signs `claims`.
pub fn encode(secret: &[u8], claims: &Claims) -> String {
    let head = URL_SAFE_NO_PAD.encode(HEADER);
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialise"));
    let signing_input = format!("{head}.{body}");
    let mut m = mac(secret);
    m.update(signing_input.as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(m.finalize().into_bytes());
    format!("{signing_input}.{sig}")
}

/// Verifies a token issued by `issuer` and returns its claims, at `now` (unix seconds).
pub fn decode(secret: &[u8], issuer: &str, token: &str, now: u64) -> Result<Claims, Invalid> {
    let mut parts = token.trim().splitn(3, '.');
    let (Some(head), Some(body), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(Invalid::Malformed);
    };
    let header: serde_json::Value = URL_SAFE_NO_PAD
        .decode(head)
        .ok()
        .and_then(|h| serde_json::from_slice(&h).ok())
        .ok_or(Invalid::Malformed)?;
    if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
        return Err(Invalid::Malformed);
    }
    let sig = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| Invalid::Malformed)?;
    let mut m = mac(secret);
    m.update(head.as_bytes());
    m.update(b".");
    m.update(body.as_bytes());
    m.verify_slice(&sig).map_err(|_| Invalid::Signature)?;
    let claims: Claims = URL_SAFE_NO_PAD
        .decode(body)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(Invalid::Malformed)?;
    if claims.iss != issuer {
        return Err(Invalid::Issuer);
    }
    if now >= claims.exp {
        return Err(Invalid::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            iss: "https://api.example/auth".into(),
            sub: "GA".into(),
            iat: 100,
            exp: 200,
            jti: "ab".into(),
        }
    }

    #[test]
    fn a_token_verifies_until_it_expires() {
        let t = encode(b"secret", &claims());
        assert_eq!(
            decode(b"secret", "https://api.example/auth", &t, 150),
            Ok(claims())
        );
        assert_eq!(
            decode(b"secret", "https://api.example/auth", &t, 200),
            Err(Invalid::Expired)
        );
        assert_eq!(
            decode(b"other", "https://api.example/auth", &t, 150),
            Err(Invalid::Signature)
        );
        assert_eq!(
            decode(b"secret", "https://evil/auth", &t, 150),
            Err(Invalid::Issuer)
        );
    }

    #[test]
    fn altered_claims_and_other_algorithms_are_refused() {
        let t = encode(b"secret", &claims());
        let mut parts: Vec<String> = t.split('.').map(str::to_owned).collect();
        let mut c = claims();
        c.sub = "GB".into();
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap());
        assert_eq!(
            decode(b"secret", "https://api.example/auth", &parts.join("."), 150),
            Err(Invalid::Signature)
        );
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims()).unwrap())
        );
        assert_eq!(
            decode(b"secret", "https://api.example/auth", &none, 150),
            Err(Invalid::Malformed)
        );
        assert_eq!(
            decode(b"secret", "x", "garbage", 150),
            Err(Invalid::Malformed)
        );
    }
}
