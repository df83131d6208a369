//! Per-request batching: every resolver that needs rows related to its parent asks a loader,
//! and all the asks of one execution step become one statement.
//!
//! [`Batcher`] collects keys without timers. async-graphql resolves the fields of a list's
//! items by polling their futures together in one task; the first `load` of a step opens a
//! batch as its leader and yields to the scheduler twice, during which its siblings are
//! polled, add their keys to the open batch and wait for its result. The leader then closes
//! the batch and runs one query. Results are cached for the rest of the request (the request sees one snapshot
//! per key). Loaders live for one request (built in `http::graphql`); cross-request caching is
//! `cache.rs`'s job.

mod contracts;
mod stats;

use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use async_graphql::ErrorExtensions;
use futures::FutureExt;
use futures::channel::oneshot;
use futures::future::Shared;
use tracing::Instrument;

pub use contracts::{
    ContractByPk, PublisherByPk, ScopedCounts, ScopedPages, TagsByContract, VerificationByWasm,
    WasmByPk,
};
pub use stats::{
    DailyStatsByContract, FunctionStatsByContract, InvocationsByContract, StatsRange,
    VersionsByContract,
};

use crate::db::Db;
use crate::error::Result;

/// The loaders' maps. A key is hashed several times on its way through a batch, and some keys
/// hold a whole filter (a nested page's), so the hasher is a fast one; the keys of one request
/// are few, and the hasher is seeded per map.
pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// A batch query: many keys in, the values of those found out.
pub trait BatchFn: Send + Sync + 'static {
    /// What is looked up.
    type Key: Eq + Hash + Clone + Send + Sync + 'static;
    /// What is found; keys without a value are absent from the map.
    type Value: Clone + Send + Sync + 'static;

    /// Loads the values of `keys` (deduplicated, non-empty) in as few statements as possible.
    fn load(
        &self,
        db: &Db,
        keys: Vec<Self::Key>,
    ) -> impl Future<Output = Result<HashMap<Self::Key, Self::Value>>> + Send;
}

type BatchResult<K, V> = Result<Arc<HashMap<K, V>>, async_graphql::Error>;

struct OpenBatch<F: BatchFn> {
    id: u64,
    keys: Vec<F::Key>,
    /// Completes when the batch's leader has run it. Polling it does not drive the batch, so
    /// followers cannot close the batch early.
    done: Shared<oneshot::Receiver<BatchResult<F::Key, F::Value>>>,
}

struct State<F: BatchFn> {
    next_id: u64,
    /// The batch still accepting keys, if any. Keys are added and the batch is closed under
    /// this lock, so a key is never added to a batch that has already run.
    open: Option<OpenBatch<F>>,
    /// Every value loaded in this request (`None`: looked up, not found).
    cache: HashMap<F::Key, Option<F::Value>>,
}

struct Inner<F: BatchFn> {
    f: F,
    db: Db,
    /// Whether loaded values are kept for the rest of the request. Off for subscriptions: a
    /// subscription lives for hours and must see every event's data fresh.
    cache: bool,
    state: Mutex<State<F>>,
}

/// A per-request batching loader around a [`BatchFn`].
pub struct Batcher<F: BatchFn> {
    inner: Arc<Inner<F>>,
}

enum Role<F: BatchFn> {
    Leader(u64, oneshot::Sender<BatchResult<F::Key, F::Value>>),
    Follower(
        u64,
        Shared<oneshot::Receiver<BatchResult<F::Key, F::Value>>>,
    ),
}

impl<F: BatchFn> Batcher<F> {
    /// A loader for one request.
    pub fn new(f: F, db: Db) -> Self {
        Self::with_cache(f, db, true)
    }

    fn with_cache(f: F, db: Db, cache: bool) -> Self {
        Batcher {
            inner: Arc::new(Inner {
                f,
                db,
                cache,
                state: Mutex::new(State {
                    next_id: 0,
                    open: None,
                    cache: HashMap::default(),
                }),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State<F>> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The value of one key, batched with every other key asked for in the same step.
    pub async fn load(&self, key: F::Key) -> async_graphql::Result<Option<F::Value>> {
        // Boxed: the engine moves every field's resolution of a type into a box the size of
        // its largest field's, and unboxed, this future (with the batch its leader runs) made
        // each field of a contract several times the size of its plain fields.
        Box::pin(self.load_batched(key)).await
    }

    async fn load_batched(&self, key: F::Key) -> async_graphql::Result<Option<F::Value>> {
        loop {
            let role = {
                let mut st = self.state();
                if let Some(v) = st.cache.get(&key) {
                    return Ok(v.clone());
                }
                match &mut st.open {
                    Some(open) => {
                        open.keys.push(key.clone());
                        Role::<F>::Follower(open.id, open.done.clone())
                    }
                    None => {
                        let id = st.next_id;
                        st.next_id += 1;
                        let (tx, rx) = oneshot::channel();
                        st.open = Some(OpenBatch {
                            id,
                            keys: vec![key.clone()],
                            done: rx.shared(),
                        });
                        Role::<F>::Leader(id, tx)
                    }
                }
            };
            let result = match role {
                Role::Leader(id, tx) => {
                    let result = self.run(id).await;
                    let _ = tx.send(result.clone());
                    result
                }
                Role::Follower(id, done) => match done.await {
                    Ok(result) => result,
                    Err(_cancelled) => {
                        // The leader was dropped before running the batch: forget the batch and
                        // try again (this caller may become the next leader).
                        let mut st = self.state();
                        if st.open.as_ref().is_some_and(|o| o.id == id) {
                            st.open = None;
                        }
                        continue;
                    }
                },
            };
            return Ok(result?.get(&key).cloned());
        }
    }

    /// Runs batch `id` as its leader: lets the siblings of this step add their keys (see the
    /// module docs), closes the batch and loads every key in it.
    async fn run(&self, id: u64) -> BatchResult<F::Key, F::Value> {
        tokio::task::yield_now().await;
        tokio::task::yield_now().await;
        let mut keys = {
            let mut st = self.state();
            match st.open.take() {
                Some(open) if open.id == id => open.keys,
                other => {
                    st.open = other;
                    Vec::new()
                }
            }
        };
        let mut seen = HashSet::with_capacity_and_hasher(keys.len(), Default::default());
        keys.retain(|k| seen.insert(k.clone()));
        let span = tracing::debug_span!(
            "loader",
            otel.name = %format_args!("loader {}", loader_name::<F>()),
            keys = keys.len(),
        );
        let map = self
            .inner
            .f
            .load(&self.inner.db, keys.clone())
            .instrument(span)
            .await
            .map_err(|e| e.extend())?;
        if self.inner.cache {
            let mut st = self.state();
            for k in keys {
                let v = map.get(&k).cloned();
                st.cache.insert(k, v);
            }
        }
        Ok(Arc::new(map))
    }

    /// Records a value read by another statement (one that read a parent and its relations
    /// at once), so a later `load` of the key needs no statement. Does nothing for loaders
    /// that keep nothing, or for a key already known.
    pub fn prime(&self, key: F::Key, value: Option<F::Value>) {
        if self.inner.cache {
            self.state().cache.entry(key).or_insert(value);
        }
    }

    /// The value of a key that must exist (a foreign key): a missing row is a broken invariant.
    pub async fn load_required(&self, key: F::Key) -> async_graphql::Result<F::Value>
    where
        F::Key: std::fmt::Debug,
    {
        self.load(key.clone()).await?.ok_or_else(|| {
            crate::error::Error::Corrupt(format!("missing row for {key:?}")).extend()
        })
    }
}

/// Every loader of one request.
pub struct Loaders {
    pub contract: Batcher<ContractByPk>,
    pub wasm: Batcher<WasmByPk>,
    pub verification: Batcher<VerificationByWasm>,
    pub publisher: Batcher<PublisherByPk>,
    pub tags: Batcher<TagsByContract>,
    pub versions: Batcher<VersionsByContract>,
    pub daily: Batcher<DailyStatsByContract>,
    pub functions: Batcher<FunctionStatsByContract>,
    pub invocations: Batcher<InvocationsByContract>,
    pub scoped_pages: Batcher<ScopedPages>,
    pub scoped_counts: Batcher<ScopedCounts>,
}

impl Loaders {
    /// Fresh loaders for one request.
    pub fn new(db: &Db) -> Self {
        Self::build(db, true)
    }

    /// Loaders that batch but keep nothing (for long-lived subscriptions).
    pub fn uncached(db: &Db) -> Self {
        Self::build(db, false)
    }

    fn build(db: &Db, cache: bool) -> Self {
        Loaders {
            contract: Batcher::with_cache(ContractByPk, db.clone(), cache),
            wasm: Batcher::with_cache(WasmByPk, db.clone(), cache),
            verification: Batcher::with_cache(VerificationByWasm, db.clone(), cache),
            publisher: Batcher::with_cache(PublisherByPk, db.clone(), cache),
            tags: Batcher::with_cache(TagsByContract, db.clone(), cache),
            versions: Batcher::with_cache(VersionsByContract, db.clone(), cache),
            daily: Batcher::with_cache(DailyStatsByContract, db.clone(), cache),
            functions: Batcher::with_cache(FunctionStatsByContract, db.clone(), cache),
            invocations: Batcher::with_cache(InvocationsByContract, db.clone(), cache),
            scoped_pages: Batcher::with_cache(ScopedPages, db.clone(), cache),
            scoped_counts: Batcher::with_cache(ScopedCounts, db.clone(), cache),
        }
    }
}

/// Groups keys of the form `(item, args)` by `args`, so a loader can run one statement per
/// distinct argument set.
pub(crate) fn group_by_args<I: Clone, A: Eq + Hash + Clone>(keys: &[(I, A)]) -> HashMap<A, Vec<I>> {
    let mut groups: HashMap<A, Vec<I>> = HashMap::default();
    for (item, args) in keys {
        groups.entry(args.clone()).or_default().push(item.clone());
    }
    groups
}

/// A loader's name in traces: its type's name without the module path (`ContractByPk`).
fn loader_name<F>() -> &'static str {
    let full = std::any::type_name::<F>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    struct Squares(Arc<AtomicUsize>);

    impl BatchFn for Squares {
        type Key = u32;
        type Value = u64;

        async fn load(&self, _db: &Db, keys: Vec<u32>) -> Result<HashMap<u32, u64>> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(keys
                .into_iter()
                .filter(|k| *k != 0)
                .map(|k| (k, u64::from(k) * u64::from(k)))
                .collect())
        }
    }

    fn lazy_db() -> Db {
        Db::from_pool(
            sqlx::postgres::PgPoolOptions::new()
                .connect_lazy("postgres://unused@127.0.0.1:1/x")
                .unwrap(),
        )
    }

    #[tokio::test]
    async fn sibling_loads_share_one_batch_and_later_loads_hit_the_cache() {
        let calls = Arc::new(AtomicUsize::new(0));
        let b = Batcher::new(Squares(calls.clone()), lazy_db());
        let got = futures::future::join_all((0..50u32).map(|k| b.load(k))).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(got[7].as_ref().unwrap(), &Some(49));
        assert_eq!(got[0].as_ref().unwrap(), &None);
        assert_eq!(b.load(7).await.unwrap(), Some(49));
        assert_eq!(b.load(0).await.unwrap(), None);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn primed_keys_are_served_without_a_batch_and_never_overwritten() {
        let calls = Arc::new(AtomicUsize::new(0));
        let b = Batcher::new(Squares(calls.clone()), lazy_db());
        b.prime(3, Some(10));
        b.prime(4, None);
        b.prime(3, Some(11));
        assert_eq!(b.load(3).await.unwrap(), Some(10));
        assert_eq!(b.load(4).await.unwrap(), None);
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        assert_eq!(b.load(5).await.unwrap(), Some(25));
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        let uncached = Batcher::with_cache(Squares(calls.clone()), lazy_db(), false);
        uncached.prime(3, Some(10));
        assert_eq!(uncached.load(3).await.unwrap(), Some(9));
    }

    #[tokio::test]
    async fn nested_steps_batch_per_step() {
        let calls = Arc::new(AtomicUsize::new(0));
        let b = Arc::new(Batcher::new(Squares(calls.clone()), lazy_db()));
        let outer = futures::future::join_all((1..=10u32).map(|k| {
            let b = b.clone();
            async move {
                let v = b.load(k).await.unwrap().unwrap();
                // the next level asks for keys derived from the first level's values
                b.load(1000 + v as u32).await.unwrap()
            }
        }))
        .await;
        assert_eq!(outer.len(), 10);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
