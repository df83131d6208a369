//! The checks every GraphQL document passes before the engine validates or executes it, on
//! every transport (HTTP POST and GET, batches, server-sent events, both WebSocket protocols,
//! shared subscriptions): one place, so a limit added here holds everywhere.
//!
//! Validation itself walks fragments expanded, so a small document of nested fragment spreads
//! (`fragment F24 on Query { ...F23 ...F23 }` down to `F0`) would cost 2^24 steps there. Here
//! the work a document asks for is counted with each fragment measured once (memoised), in
//! time linear in the document: fields it would execute with fragments expanded, fragment
//! spreads expanded, directives, nesting and aliases, each against its cap. Past one, the
//! request is refused with `QUERY_TOO_COMPLEX` and a message naming the cap, before any
//! validation or SQL.
//!
//! Parsing comes first and is itself the dearest step for a large hostile document (a 30 KB
//! text of 6,000 spreads costs far more to parse than to refuse), so [`scan`] reads the text
//! once, as the lexer would, before it is parsed: past `GRAPHQL_MAX_TOKENS` tokens, or with
//! more spreads or deeper nesting written out than the expanded caps allow, the document is
//! refused without being parsed. Every fragment of a valid document is used, so what is
//! written out never exceeds what the expansion counts: the scan refuses nothing the
//! measure would admit.

use std::collections::HashMap;

use async_graphql::parser::types::{
    ExecutableDocument, FragmentDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, Request, ServerError};

use crate::config::Limits;
use crate::error::ErrorCode;

/// How deep fragments may be spread inside fragments: real documents nest a handful; the bound
/// keeps the measuring itself from recursing without end.
const MAX_FRAGMENT_NESTING: u32 = 64;

/// The work a document (or a fragment) asks for, fragments expanded. Counts saturate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Work {
    /// Fields that would be resolved.
    pub fields: u64,
    /// Fragment spreads, each counted every time it is expanded.
    pub spreads: u64,
    /// Directives on fields, fragments and spreads.
    pub directives: u64,
    /// Deepest field nesting.
    pub depth: u64,
    /// Aliased fields.
    pub aliases: u64,
}

impl Work {
    fn add(&mut self, other: Work) {
        self.fields = self.fields.saturating_add(other.fields);
        self.spreads = self.spreads.saturating_add(other.spreads);
        self.directives = self.directives.saturating_add(other.directives);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.depth = self.depth.max(other.depth);
    }
}

/// Why a document was not measured to the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A fragment spreads itself, directly or not.
    Cycle(String),
    /// Fragments spread inside fragments deeper than [`MAX_FRAGMENT_NESTING`].
    FragmentNesting,
    /// Fields nest deeper than the depth cap (measuring stops there).
    Depth(u64),
}

enum Memo {
    InProgress,
    Done(Work),
}

struct Measure<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    memo: HashMap<Name, Memo>,
    max_depth: u64,
}

impl Measure<'_> {
    fn selection(&mut self, set: &SelectionSet, depth: u64, nesting: u32) -> Result<Work, Refusal> {
        let mut w = Work {
            depth,
            ..Work::default()
        };
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let f = &f.node;
                    let inner_depth = depth + 1;
                    if inner_depth > self.max_depth {
                        return Err(Refusal::Depth(inner_depth));
                    }
                    w.fields = w.fields.saturating_add(1);
                    w.directives = w.directives.saturating_add(f.directives.len() as u64);
                    w.aliases = w.aliases.saturating_add(u64::from(f.alias.is_some()));
                    w.depth = w.depth.max(inner_depth);
                    if !f.selection_set.node.items.is_empty() {
                        let inner = self.selection(&f.selection_set.node, inner_depth, nesting)?;
                        w.add(inner);
                    }
                }
                Selection::InlineFragment(i) => {
                    let i = &i.node;
                    w.directives = w.directives.saturating_add(i.directives.len() as u64);
                    let inner = self.selection(&i.selection_set.node, depth, nesting)?;
                    w.add(inner);
                }
                Selection::FragmentSpread(s) => {
                    let s = &s.node;
                    w.spreads = w.spreads.saturating_add(1);
                    w.directives = w.directives.saturating_add(s.directives.len() as u64);
                    let inner = self.fragment(&s.fragment_name.node, nesting + 1)?;
                    // A fragment's depth is measured from where it is spread.
                    w.add(Work {
                        depth: depth.saturating_add(inner.depth),
                        ..inner
                    });
                    if depth.saturating_add(inner.depth) > self.max_depth {
                        return Err(Refusal::Depth(depth.saturating_add(inner.depth)));
                    }
                }
            }
        }
        Ok(w)
    }

    /// A fragment's work, measured once; its depth counted from its own root.
    fn fragment(&mut self, name: &Name, nesting: u32) -> Result<Work, Refusal> {
        if nesting > MAX_FRAGMENT_NESTING {
            return Err(Refusal::FragmentNesting);
        }
        match self.memo.get(name) {
            Some(Memo::Done(w)) => return Ok(*w),
            Some(Memo::InProgress) => return Err(Refusal::Cycle(name.to_string())),
            None => {}
        }
        // An undefined fragment costs nothing here; validation names it.
        let Some(def) = self.fragments.get(name) else {
            return Ok(Work::default());
        };
        self.memo.insert(name.clone(), Memo::InProgress);
        let mut w = self.selection(&def.node.selection_set.node, 0, nesting)?;
        w.directives = w
            .directives
            .saturating_add(def.node.directives.len() as u64);
        self.memo.insert(name.clone(), Memo::Done(w));
        Ok(w)
    }
}

/// The work of a document: the largest of its operations' and of its fragments' (validation
/// walks every definition, used or not).
pub fn measure(doc: &ExecutableDocument, max_depth: u64) -> Result<Work, Refusal> {
    let mut m = Measure {
        fragments: &doc.fragments,
        memo: HashMap::new(),
        max_depth,
    };
    let mut worst = Work::default();
    let take = |w: Work, worst: &mut Work| {
        worst.fields = worst.fields.max(w.fields);
        worst.spreads = worst.spreads.max(w.spreads);
        worst.directives = worst.directives.max(w.directives);
        worst.depth = worst.depth.max(w.depth);
        worst.aliases = worst.aliases.max(w.aliases);
    };
    for (_, op) in doc.operations.iter() {
        let mut w = m.selection(&op.node.selection_set.node, 0, 0)?;
        w.directives = w.directives.saturating_add(op.node.directives.len() as u64);
        take(w, &mut worst);
    }
    for name in doc.fragments.keys() {
        let w = m.fragment(name, 0)?;
        take(w, &mut worst);
    }
    Ok(worst)
}

/// What [`scan`] found past a cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextRefusal {
    /// More lexical tokens than the cap.
    Tokens(usize),
    /// More fragment spreads written out than the cap.
    Spreads(usize),
    /// Field selections nested deeper than the cap (inline fragments do not nest fields): the
    /// depth reached.
    Depth(usize),
}

/// Reads a document's text as the GraphQL lexer would (names, numbers, strings, block strings
/// and punctuators; whitespace, commas and comments ignored) and stops at the first cap it
/// passes. Braces inside arguments and variable defaults (object values) are not selections.
/// A text the lexer would reject is left to the parser, which names the error.
pub fn scan(
    text: &str,
    max_tokens: usize,
    max_spreads: usize,
    max_depth: usize,
) -> Result<(), TextRefusal> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut tokens = 0usize;
    let mut spreads = 0usize;
    let mut parens = 0usize;
    // For each open selection brace, whether it nests fields (an inline fragment's does not).
    let mut braces: Vec<bool> = Vec::new();
    let mut depth = 0usize;
    // After `...`: whether the next token decides a spread (a name other than `on`).
    let mut after_dots = false;
    // An inline fragment's selection brace is the next `{` outside arguments.
    let mut inline = false;
    let is_name_start = |c: u8| c == b'_' || c.is_ascii_alphabetic();
    let is_name = |c: u8| c == b'_' || c.is_ascii_alphanumeric();
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        if c == 0xEF && b[i..].starts_with(&[0xEF, 0xBB, 0xBF]) {
            i += 3;
            continue;
        }
        tokens += 1;
        if tokens > max_tokens {
            return Err(TextRefusal::Tokens(max_tokens));
        }
        let dots = after_dots;
        after_dots = false;
        if is_name_start(c) {
            let start = i;
            while i < b.len() && is_name(b[i]) {
                i += 1;
            }
            if dots {
                if &b[start..i] == b"on" {
                    inline = true;
                } else {
                    spreads += 1;
                    if spreads > max_spreads {
                        return Err(TextRefusal::Spreads(max_spreads));
                    }
                }
            }
            continue;
        }
        if dots && parens == 0 && (c == b'@' || c == b'{') {
            inline = true;
        }
        match c {
            b'"' => {
                if b[i..].starts_with(b"\"\"\"") {
                    i += 3;
                    loop {
                        if i >= b.len() {
                            return Ok(());
                        }
                        if b[i..].starts_with(b"\\\"\"\"") {
                            i += 4;
                        } else if b[i..].starts_with(b"\"\"\"") {
                            i += 3;
                            break;
                        } else {
                            i += 1;
                        }
                    }
                } else {
                    i += 1;
                    loop {
                        match b.get(i) {
                            None | Some(b'\n' | b'\r') => return Ok(()),
                            Some(b'\\') => i += 2,
                            Some(b'"') => {
                                i += 1;
                                break;
                            }
                            Some(_) => i += 1,
                        }
                    }
                }
            }
            b'.' => {
                if !b[i..].starts_with(b"...") {
                    return Ok(());
                }
                i += 3;
                after_dots = true;
            }
            b'(' => {
                parens += 1;
                i += 1;
            }
            b')' => {
                parens = parens.saturating_sub(1);
                i += 1;
            }
            b'{' if parens == 0 => {
                let nests = !std::mem::take(&mut inline);
                braces.push(nests);
                if nests {
                    depth += 1;
                    if depth > max_depth {
                        return Err(TextRefusal::Depth(depth));
                    }
                }
                i += 1;
            }
            b'}' if parens == 0 => {
                if braces.pop() == Some(true) {
                    depth -= 1;
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                i += 1;
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'.'
                        || b[i] == b'+'
                        || b[i] == b'-')
                {
                    if b[i] == b'.' && b[i..].starts_with(b"...") {
                        break;
                    }
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    Ok(())
}

fn too_complex(message: String) -> ServerError {
    let mut err = ServerError::new(message, None);
    err.extensions
        .get_or_insert_with(Default::default)
        .set("code", ErrorCode::QueryTooComplex.as_str());
    err
}

/// Documents already parsed and measured, by their text: a client sends the same few
/// documents again and again, and parsing is the dearest part of admitting one. Bounded in
/// bytes; only admitted documents are kept, and a kept one is held to the depth limit again.
pub struct Prepared {
    cache: moka::sync::Cache<std::sync::Arc<str>, std::sync::Arc<(ExecutableDocument, Work)>>,
    /// Digests of requests (document, operation, variables) that passed validation.
    validated: moka::sync::Cache<Digest, ()>,
}

/// What a request's validation depends on, besides the schema: SHA-256 of its document,
/// operation name and variables.
pub type Digest = [u8; 32];

/// Requests remembered as validated (32 bytes each, plus the cache's own entry).
const VALIDATED_REQUESTS: u64 = 65_536;

impl Prepared {
    /// A cache of up to `max_bytes` of document text (each entry weighed at eight times its
    /// text, for the parsed tree).
    pub fn new(max_bytes: u64) -> Prepared {
        Prepared {
            cache: moka::sync::Cache::builder()
                .name("documents")
                .weigher(|text: &std::sync::Arc<str>, _| {
                    u32::try_from(text.len().saturating_mul(8)).unwrap_or(u32::MAX)
                })
                .max_capacity(max_bytes)
                .time_to_idle(std::time::Duration::from_secs(3600))
                .build(),
            validated: moka::sync::Cache::builder()
                .name("validated")
                .max_capacity(VALIDATED_REQUESTS)
                .time_to_idle(std::time::Duration::from_secs(3600))
                .build(),
        }
    }

    /// The digest of what a request's validation depends on. async-graphql's validation
    /// checks variable values against the arguments they feed, so the variables are part of
    /// it: a document validated with some variables is not valid with any others.
    pub fn digest(request: &Request) -> Option<Digest> {
        use sha2::Digest as _;
        // Variables serialise in a stable order (a sorted map of values).
        let variables = serde_json::to_vec(&request.variables).ok()?;
        let mut hasher = sha2::Sha256::new();
        for part in [
            request.query.as_bytes(),
            request.operation_name.as_deref().unwrap_or("").as_bytes(),
        ] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        hasher.update(variables);
        Some(hasher.finalize().into())
    }

    /// Whether a request with this digest passed validation before. Validation depends on
    /// the document, the operation, the variables and the schema, which does not change while
    /// the server runs, so the verdict stands.
    pub fn validated(&self, digest: &Digest) -> bool {
        // A lookup, not `contains_key`: a digest in use stays, one unused expires.
        self.validated.get(digest).is_some()
    }

    /// Remembers that a request with this digest passed validation.
    pub fn mark_validated(&self, digest: Digest) {
        self.validated.insert(digest, ());
    }

    /// Documents kept.
    pub fn count(&self) -> u64 {
        self.cache.run_pending_tasks();
        self.cache.entry_count()
    }
}

/// Admits a request's document and returns its work, or says which cap it is past. A
/// document that does not parse is admitted (as no work): the engine reports the syntax error
/// the usual way. A document admitted before is not parsed again: the request gets the parsed
/// tree from `prepared`.
pub fn admit(
    limits: &Limits,
    prepared: &Prepared,
    request: &mut Request,
) -> Result<Work, ServerError> {
    if let Err(refusal) = scan(
        &request.query,
        limits.max_tokens,
        limits.max_fragment_spreads,
        limits.max_depth,
    ) {
        metrics::counter!("registry_server_http_rejections_total", "reason" => "query_too_complex")
            .increment(1);
        return Err(too_complex(match refusal {
            TextRefusal::Tokens(max) => {
                format!("The document is longer than {max} tokens (GRAPHQL_MAX_TOKENS)")
            }
            TextRefusal::Spreads(max) => format!(
                "Too many fragment spreads: the document has more than {max}, the limit is {max} (GRAPHQL_MAX_FRAGMENT_SPREADS)"
            ),
            TextRefusal::Depth(d) => format!(
                "The query nests {d} levels deep with its fragments expanded, the limit is {} (GRAPHQL_MAX_DEPTH)",
                limits.max_depth
            ),
        }));
    }
    let outcome = match prepared.cache.get(request.query.as_str()) {
        Some(entry) => {
            crate::cache::count("documents".to_owned(), "hit");
            request.set_parsed_query(entry.0.clone());
            if entry.1.depth > limits.max_depth as u64 {
                Err(Refusal::Depth(entry.1.depth))
            } else {
                Ok(entry.1)
            }
        }
        None => {
            crate::cache::count("documents".to_owned(), "miss");
            let text = std::sync::Arc::<str>::from(request.query.as_str());
            let Ok(doc) = request.parsed_query() else {
                return Ok(Work::default());
            };
            let measured = measure(doc, limits.max_depth as u64);
            if let Ok(w) = &measured {
                prepared
                    .cache
                    .insert(text, std::sync::Arc::new((doc.clone(), *w)));
            }
            measured
        }
    };
    let w = match outcome {
        Ok(w) => w,
        Err(Refusal::Cycle(name)) => {
            return Err(too_complex(format!(
                "The fragment `{name}` spreads itself: fragments may not form cycles"
            )));
        }
        Err(Refusal::FragmentNesting) => {
            return Err(too_complex(format!(
                "Fragments are spread inside fragments more than {MAX_FRAGMENT_NESTING} deep"
            )));
        }
        Err(Refusal::Depth(d)) => {
            return Err(too_complex(format!(
                "The query nests {d} levels deep with its fragments expanded, the limit is {} (GRAPHQL_MAX_DEPTH)",
                limits.max_depth
            )));
        }
    };
    let caps = [
        (
            w.fields,
            limits.max_fields,
            "fields with its fragments expanded",
            "GRAPHQL_MAX_FIELDS",
        ),
        (
            w.spreads,
            limits.max_fragment_spreads,
            "fragment spreads with its fragments expanded",
            "GRAPHQL_MAX_FRAGMENT_SPREADS",
        ),
        (
            w.directives,
            limits.max_directives,
            "directives",
            "GRAPHQL_MAX_DIRECTIVES",
        ),
        (
            w.aliases,
            limits.max_aliases,
            "aliases",
            "GRAPHQL_MAX_ALIASES",
        ),
    ];
    for (n, max, what, var) in caps {
        if n > max as u64 {
            metrics::counter!("registry_server_http_rejections_total", "reason" => "query_too_complex")
                .increment(1);
            return Err(too_complex(format!(
                "Too many {what}: the document has {n}, the limit is {max} ({var})"
            )));
        }
    }
    Ok(w)
}

/// Admits a batch as a whole: each operation on its own, then their fields together against
/// `GRAPHQL_MAX_FIELDS`. Returns each operation's verdict, all refused when the sum is over.
pub fn admit_batch(
    limits: &Limits,
    prepared: &Prepared,
    requests: &mut [Request],
) -> Vec<Result<(), ServerError>> {
    let verdicts: Vec<Result<Work, ServerError>> = requests
        .iter_mut()
        .map(|r| admit(limits, prepared, r))
        .collect();
    let fields = verdicts
        .iter()
        .filter_map(|v| v.as_ref().ok())
        .fold(0u64, |n, w| n.saturating_add(w.fields));
    if fields > limits.max_fields as u64 {
        metrics::counter!("registry_server_http_rejections_total", "reason" => "query_too_complex")
            .increment(1);
        let message = format!(
            "Too many fields in the batch: its operations together have {fields} with their fragments expanded, the limit is {} (GRAPHQL_MAX_FIELDS)",
            limits.max_fields
        );
        return verdicts
            .into_iter()
            .map(|_| Err(too_complex(message.clone())))
            .collect();
    }
    verdicts.into_iter().map(|v| v.map(|_| ())).collect()
}

/// The complexity points a batch has left: the operations of one batch draw on one budget of
/// `GRAPHQL_MAX_COMPLEXITY`, charged by [`Complexity`] as each is validated.
#[derive(Debug)]
pub struct BatchBudget {
    left: std::sync::atomic::AtomicUsize,
}

impl BatchBudget {
    pub fn new(max: usize) -> std::sync::Arc<BatchBudget> {
        std::sync::Arc::new(BatchBudget {
            left: std::sync::atomic::AtomicUsize::new(max),
        })
    }

    /// Takes `points` from the budget, or returns what was left.
    fn take(&self, points: usize) -> Result<(), usize> {
        use std::sync::atomic::Ordering;
        self.left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(points)
            })
            .map(|_| ())
    }
}

/// The engine extension that holds each operation's complexity (computed by validation, where a
/// list field costs its page size times its items) to `GRAPHQL_MAX_COMPLEXITY`, and an
/// operation of a batch to what the batch's [`BatchBudget`] has left.
pub struct Complexity {
    pub max: usize,
}

impl async_graphql::extensions::ExtensionFactory for Complexity {
    fn create(&self) -> std::sync::Arc<dyn async_graphql::extensions::Extension> {
        std::sync::Arc::new(Complexity { max: self.max })
    }
}

#[async_trait::async_trait]
impl async_graphql::extensions::Extension for Complexity {
    async fn validation(
        &self,
        ctx: &async_graphql::extensions::ExtensionContext<'_>,
        next: async_graphql::extensions::NextValidation<'_>,
    ) -> Result<async_graphql::ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let cost = result.complexity;
        let refusal = if cost > self.max {
            Some(format!(
                "The query costs {cost} complexity points, the limit is {} (GRAPHQL_MAX_COMPLEXITY): ask for smaller pages or fewer fields",
                self.max
            ))
        } else if let Some(budget) = ctx.data_opt::<std::sync::Arc<BatchBudget>>() {
            budget.take(cost).err().map(|left| {
                format!(
                    "The batch's operations together cost more than {} complexity points (GRAPHQL_MAX_COMPLEXITY): this one costs {cost} with {left} left",
                    self.max
                )
            })
        } else {
            None
        };
        match refusal {
            Some(message) => {
                metrics::counter!("registry_server_http_rejections_total", "reason" => "query_too_complex")
                    .increment(1);
                Err(vec![too_complex(message)])
            }
            None => Ok(result),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{TextRefusal, scan};

    fn tokens(text: &str) -> usize {
        (1..100_000)
            .find(|&n| scan(text, n, usize::MAX, usize::MAX).is_ok())
            .unwrap()
    }

    #[test]
    fn tokens_are_counted_as_the_lexer_reads_them() {
        assert_eq!(tokens("{ a }"), 3);
        assert_eq!(tokens("{ a, b # c d e\n }"), 4);
        assert_eq!(tokens(r#"{ a(s: "x { y ... z", n: -1.5e3) }"#), 11);
        assert_eq!(tokens(r#"{ a(s: """ one \""" { ... } """) }"#), 8);
        assert_eq!(tokens("query Q($v: [Int!] = [1, 2]) { a }"), 19);
        assert_eq!(tokens("{ ...F } fragment F on Query { a }"), 11);
    }

    #[test]
    fn spreads_written_out_are_counted_and_inline_fragments_are_not() {
        let doc = "{ ...A ... on Query { a } ... @include(if: true) { b } ...B }";
        assert_eq!(scan(doc, 1000, 2, 10), Ok(()));
        assert_eq!(scan(doc, 1000, 1, 10), Err(TextRefusal::Spreads(1)));
        // Dots in strings and comments are no spreads.
        let doc = "{ a(s: \"...A ...B\") # ...C\n }";
        assert_eq!(scan(doc, 1000, 0, 10), Ok(()));
    }

    #[test]
    fn depth_counts_field_selections_only() {
        let doc = "{ a { b { c } } }";
        assert_eq!(scan(doc, 1000, 0, 3), Ok(()));
        assert_eq!(scan(doc, 1000, 0, 2), Err(TextRefusal::Depth(3)));
        // Object values in arguments and inline fragments nest no fields.
        let doc =
            "query($v: In = { a: { b: 1 } }) { a(x: { y: { z: 1 } }) { ... on T { ... { b } } } }";
        assert_eq!(scan(doc, 1000, 0, 2), Ok(()));
        assert_eq!(scan(doc, 1000, 0, 1), Err(TextRefusal::Depth(2)));
    }

    #[test]
    fn admitted_documents_are_parsed_once_and_refused_ones_are_not_kept() {
        use super::{Prepared, admit};
        let limits = crate::config::Config::for_database("postgres://unused").limits;
        let prepared = Prepared::new(1 << 20);
        let text = include_str!("../../benches/queries/Q2_detail.graphql");
        let first = admit(&limits, &prepared, &mut async_graphql::Request::new(text)).unwrap();
        assert_eq!(prepared.count(), 1);
        // Again: the same work, from the kept document (nothing new kept), and the request
        // carries the parsed tree.
        let mut again = async_graphql::Request::new(text);
        assert_eq!(admit(&limits, &prepared, &mut again).unwrap(), first);
        assert_eq!(prepared.count(), 1);
        assert!(again.parsed_query().is_ok());
        // Measured to another depth limit, it is kept apart.
        let shallow = crate::config::Limits {
            max_depth: 3,
            ..limits.clone()
        };
        assert!(admit(&shallow, &prepared, &mut async_graphql::Request::new(text)).is_err());
        assert_eq!(prepared.count(), 1, "a refused document is not kept");
        // One that does not parse is admitted as no work, for the engine to report.
        let broken = "{ contracts(first: 2) { ";
        assert_eq!(
            admit(&limits, &prepared, &mut async_graphql::Request::new(broken)).unwrap(),
            super::Work::default()
        );
        assert_eq!(prepared.count(), 1);
    }

    #[test]
    fn the_benchmark_documents_are_well_within_the_default_caps() {
        for doc in [
            include_str!("../../benches/queries/Q1_list.graphql"),
            include_str!("../../benches/queries/Q2_detail.graphql"),
            include_str!("../../benches/queries/Q3_search.graphql"),
            include_str!("../../benches/queries/Q4_deep.graphql"),
        ] {
            assert!(tokens(doc) < 1000, "{doc}");
            assert_eq!(scan(doc, 5000, 200, 12), Ok(()), "{doc}");
        }
    }
}
