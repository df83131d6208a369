//! Trusted documents. The explorer's build writes a manifest of every operation it sends
//! (`persisted-documents.json`: sha256 of the document → its text), and the explorer sends
//! ids, not text. A client names a document by `documentId` (GraphQL over HTTP's persisted
//! documents, `sha256:<hex>` or bare hex) or by the automatic-persisted-queries extension
//! `extensions.persistedQuery.sha256Hash`.
//!
//! `GRAPHQL_DOCUMENTS=any` (the default) runs every document: the manifest's by id, others by
//! text, and an APQ client's by hash once it has sent the text with it (kept in a bounded
//! cache). `GRAPHQL_DOCUMENTS=persisted` runs the manifest's documents only: arbitrary text,
//! GraphiQL's included, is refused, so the public can run exactly what the explorer runs.
//! Resolution happens before the guard and the engine on every transport.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use async_graphql::{Request, ServerError};
use sha2::{Digest, Sha256};

use crate::error::ErrorCode;

/// Which documents the server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Any document, by text or id.
    Any,
    /// Only the manifest's documents.
    Persisted,
}

/// The request extension a transport puts a body's `documentId` in.
pub const DOCUMENT_ID: &str = "documentId";

/// Documents sent by APQ clients, kept in `any` mode.
const APQ_CAPACITY: u64 = 10_000;

/// The manifest and the APQ cache.
pub struct Documents {
    mode: Mode,
    manifest: HashMap<String, Arc<str>>,
    learned: moka::sync::Cache<String, Arc<str>>,
}

/// The sha256 of a document's text, in lowercase hex.
pub fn hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

impl Documents {
    /// Documents for `mode`, with the manifest at `path` when given. Every entry must be keyed
    /// by the sha256 of its text: a manifest that says otherwise is refused.
    pub fn load(mode: Mode, path: Option<&Path>) -> Result<Documents, String> {
        let mut manifest = HashMap::new();
        if let Some(path) = path {
            let bytes = std::fs::read(path).map_err(|e| {
                format!("cannot read the documents manifest {}: {e}", path.display())
            })?;
            let entries: HashMap<String, String> = serde_json::from_slice(&bytes).map_err(|e| {
                format!(
                    "{} is not a documents manifest (an object of sha256 → document): {e}",
                    path.display()
                )
            })?;
            for (id, text) in entries {
                let id = normalise(&id);
                if hash(&text) != id {
                    return Err(format!(
                        "{}: the document under {id} has another sha256 ({})",
                        path.display(),
                        hash(&text)
                    ));
                }
                manifest.insert(id, Arc::from(text));
            }
        }
        Ok(Documents {
            mode,
            manifest,
            learned: moka::sync::Cache::new(APQ_CAPACITY),
        })
    }

    /// How many documents the manifest holds.
    pub fn len(&self) -> usize {
        self.manifest.len()
    }

    /// Whether the manifest is empty.
    pub fn is_empty(&self) -> bool {
        self.manifest.is_empty()
    }

    /// Puts the text of the document a request names into its `query`, or says why it cannot
    /// run: an unknown id (`PersistedQueryNotFound`, which APQ clients answer by sending the
    /// text), a hash that does not match the text sent with it, or, in `persisted` mode, a
    /// document not in the manifest.
    pub fn resolve(&self, request: &mut Request) -> Result<(), Refused> {
        let id = request.extensions.get(DOCUMENT_ID).and_then(|v| match v {
            async_graphql::Value::String(s) => Some(normalise(s)),
            _ => None,
        });
        let apq = request
            .extensions
            .get("persistedQuery")
            .and_then(|v| match v {
                async_graphql::Value::Object(o) => o.get("sha256Hash"),
                _ => None,
            })
            .and_then(|v| match v {
                async_graphql::Value::String(s) => Some(normalise(s)),
                _ => None,
            });
        let named = id.or(apq);
        let text = request.query.trim();
        match named {
            Some(id) if text.is_empty() => {
                let found = self.manifest.get(&id).cloned().or_else(|| match self.mode {
                    Mode::Any => self.learned.get(&id),
                    Mode::Persisted => None,
                });
                match found {
                    Some(doc) => {
                        request.query = doc.to_string();
                        Ok(())
                    }
                    None => Err(error(
                        "PersistedQueryNotFound",
                        ErrorCode::PersistedQueryNotFound,
                    )),
                }
            }
            Some(id) => {
                if hash(&request.query) != id {
                    return Err(error(
                        "the document's sha256 is not the id sent with it",
                        ErrorCode::BadUserInput,
                    ));
                }
                match self.mode {
                    Mode::Any => {
                        if !self.manifest.contains_key(&id) {
                            self.learned.insert(id, Arc::from(request.query.as_str()));
                        }
                        Ok(())
                    }
                    Mode::Persisted => self.only_known(&id),
                }
            }
            None => match self.mode {
                Mode::Any => Ok(()),
                Mode::Persisted => self.only_known(&hash(&request.query)),
            },
        }
    }

    fn only_known(&self, id: &str) -> Result<(), Refused> {
        if self.manifest.contains_key(id) {
            Ok(())
        } else {
            metrics::counter!("registry_server_http_rejections_total", "reason" => "unknown_document")
                .increment(1);
            Err(error(
                "this server runs only its registered documents (GRAPHQL_DOCUMENTS=persisted): send the `documentId` of one",
                ErrorCode::PersistedQueryNotFound,
            ))
        }
    }
}

/// Moves a request body's `documentId` (one request, or each of a batch) into its
/// `extensions`, where [`Documents::resolve`] looks (the engine's request type has no field
/// for it).
pub fn lift_document_id(body: &mut serde_json::Value) {
    let lift = |o: &mut serde_json::Map<String, serde_json::Value>| {
        if let Some(id) = o.remove(DOCUMENT_ID) {
            let ext = o
                .entry("extensions")
                .or_insert_with(|| serde_json::Value::Object(Default::default()));
            if let Some(ext) = ext.as_object_mut() {
                ext.insert(DOCUMENT_ID.into(), id);
            }
        }
    };
    match body {
        serde_json::Value::Object(o) => lift(o),
        serde_json::Value::Array(items) => items
            .iter_mut()
            .filter_map(serde_json::Value::as_object_mut)
            .for_each(lift),
        _ => {}
    }
}

/// An id without its `sha256:` prefix, in lowercase.
fn normalise(id: &str) -> String {
    id.trim()
        .strip_prefix("sha256:")
        .unwrap_or(id.trim())
        .to_ascii_lowercase()
}

/// Why a request's document does not run.
#[derive(Debug, Clone)]
pub struct Refused {
    pub code: ErrorCode,
    pub message: String,
}

impl From<Refused> for ServerError {
    fn from(r: Refused) -> ServerError {
        let mut err = ServerError::new(r.message, None);
        err.extensions
            .get_or_insert_with(Default::default)
            .set("code", r.code.as_str());
        err
    }
}

fn error(message: &str, code: ErrorCode) -> Refused {
    Refused {
        code,
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_manifest(mode: Mode, docs: &[&str]) -> Documents {
        let dir = std::env::temp_dir().join(format!("registry-docs-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.json");
        let m: HashMap<String, &str> = docs.iter().map(|d| (hash(d), *d)).collect();
        std::fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
        let d = Documents::load(mode, Some(&path)).unwrap();
        let _ = std::fs::remove_dir_all(dir);
        d
    }

    fn by_id(id: &str) -> Request {
        let mut r = Request::new("");
        r.extensions
            .insert(DOCUMENT_ID.into(), async_graphql::Value::String(id.into()));
        r
    }

    fn apq(hash: &str, text: &str) -> Request {
        let mut r = Request::new(text);
        let mut pq = async_graphql::indexmap::IndexMap::new();
        pq.insert(
            async_graphql::Name::new("sha256Hash"),
            async_graphql::Value::String(hash.into()),
        );
        r.extensions
            .insert("persistedQuery".into(), async_graphql::Value::Object(pq));
        r
    }

    fn code(e: &Refused) -> &'static str {
        e.code.as_str()
    }

    #[test]
    fn ids_resolve_to_the_manifest_text_in_both_forms() {
        let q = "{ tags { name } }";
        let d = with_manifest(Mode::Persisted, &[q]);
        for id in [hash(q), format!("sha256:{}", hash(q))] {
            let mut r = by_id(&id);
            d.resolve(&mut r).unwrap();
            assert_eq!(r.query, q);
        }
        let mut r = apq(&hash(q), "");
        d.resolve(&mut r).unwrap();
        assert_eq!(r.query, q);
    }

    #[test]
    fn persisted_mode_refuses_any_other_document() {
        let d = with_manifest(Mode::Persisted, &["{ tags { name } }"]);
        let other = "{ contracts { totalCount } }";
        let e = d.resolve(&mut Request::new(other)).unwrap_err();
        assert_eq!(code(&e), "PERSISTED_QUERY_NOT_FOUND");
        assert!(e.message.contains("GRAPHQL_DOCUMENTS=persisted"));
        // Sending the text with its own hash does not register it either.
        assert!(d.resolve(&mut apq(&hash(other), other)).is_err());
        assert!(d.resolve(&mut apq(&hash(other), "")).is_err());
    }

    #[test]
    fn any_mode_learns_an_apq_document_once_its_text_is_sent() {
        let d = with_manifest(Mode::Any, &[]);
        let q = "{ tags { name } }";
        let e = d.resolve(&mut apq(&hash(q), "")).unwrap_err();
        assert_eq!(e.message, "PersistedQueryNotFound");
        d.resolve(&mut apq(&hash(q), q)).unwrap();
        let mut again = apq(&hash(q), "");
        d.resolve(&mut again).unwrap();
        assert_eq!(again.query, q);
        // A hash that is not the text's is refused, and not learned.
        let e = d.resolve(&mut apq(&"0".repeat(64), q)).unwrap_err();
        assert_eq!(code(&e), "BAD_USER_INPUT");
        assert!(d.resolve(&mut Request::new("{ anything }")).is_ok());
    }

    #[test]
    fn a_manifest_whose_keys_are_not_the_texts_hashes_is_refused() {
        let dir = std::env::temp_dir().join(format!("registry-docs-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.json");
        std::fs::write(
            &path,
            format!(r#"{{"{}": "{{ tags {{ name }} }}"}}"#, "ab".repeat(32)),
        )
        .unwrap();
        let err = Documents::load(Mode::Persisted, Some(&path)).err().unwrap();
        assert!(err.contains("has another sha256"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
