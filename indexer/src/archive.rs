//! SEP-54 ledger-metadata archives (the "data lake"): the layout of their objects, reading
//! one batch, and the sources they are read from.
//!
//! An archive holds zstd-compressed `LedgerCloseMetaBatch` XDR objects. `.config.json` at its
//! root says which network it is (`networkPassphrase`), how many ledgers a batch object holds
//! (`ledgersPerBatch`) and how many batches a partition folder holds (`batchesPerPartition`).
//! Keys count down from `u32::MAX` so that listing sorts newest first:
//!
//! - a partition `%08X--%d-%d/` of `(u32::MAX - start, start, end)`, left out when a partition
//!   holds one batch;
//! - a batch `%08X--%d-%d.xdr.zst` of `(u32::MAX - start, start, end)`, or `%08X--%d.xdr.zst`
//!   for a one-ledger batch. Older archives end in `.xdr.zstd`; both are read.
//!
//! Batch boundaries are multiples of `ledgersPerBatch` (the first batch of a network starts at
//! ledger 2, inside the boundary 0).

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use stellar_xdr::{LedgerCloseMeta, LedgerCloseMetaBatch, Limited, ReadXdr};

/// The largest batch object read, compressed or not (a batch of 64 busy mainnet ledgers is
/// tens of megabytes).
pub const MAX_BATCH_BYTES: u64 = 512 * 1024 * 1024;

/// An archive's `.config.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Layout {
    /// The network's passphrase.
    pub network_passphrase: String,
    /// `zstd` (the only compression SEP-54 defines).
    #[serde(default = "zstd")]
    pub compression: String,
    /// Ledgers per batch object (at least 1).
    pub ledgers_per_batch: u32,
    /// Batch objects per partition folder (at least 1).
    pub batches_per_partition: u32,
}

fn zstd() -> String {
    "zstd".into()
}

/// The two extensions of a batch object: the current one first.
pub const EXTENSIONS: [&str; 2] = ["xdr.zst", "xdr.zstd"];

impl Layout {
    /// Reads `.config.json`, refusing a layout it cannot follow.
    pub fn parse(json: &[u8]) -> Result<Layout, String> {
        let layout: Layout = serde_json::from_slice(json)
            .map_err(|e| format!(".config.json is not an archive configuration: {e}"))?;
        if layout.ledgers_per_batch == 0 || layout.batches_per_partition == 0 {
            return Err(
                ".config.json: ledgersPerBatch and batchesPerPartition must be at least 1".into(),
            );
        }
        if layout.compression != "zstd" {
            return Err(format!(
                ".config.json: compression {:?} is not zstd",
                layout.compression
            ));
        }
        Ok(layout)
    }

    /// The first and last ledger of the batch that holds `seq`.
    pub fn batch_of(&self, seq: u32) -> (u32, u32) {
        let start = seq - seq % self.ledgers_per_batch;
        (start, start.saturating_add(self.ledgers_per_batch - 1))
    }

    /// The key of the batch object holding `seq` (without the extension's final part:
    /// append one of [`EXTENSIONS`]).
    pub fn key_stem(&self, seq: u32) -> String {
        let mut key = String::new();
        if self.batches_per_partition > 1 {
            let size = u64::from(self.ledgers_per_batch) * u64::from(self.batches_per_partition);
            let start = (u64::from(seq) / size * size) as u32;
            let end = (u64::from(start) + size - 1).min(u64::from(u32::MAX)) as u32;
            key.push_str(&format!("{:08X}--{start}-{end}/", u32::MAX - start));
        }
        let (start, end) = self.batch_of(seq);
        key.push_str(&format!("{:08X}--{start}", u32::MAX - start));
        if end != start {
            key.push_str(&format!("-{end}"));
        }
        key
    }

    /// The keys the batch holding `seq` may have, current extension first.
    pub fn keys(&self, seq: u32) -> [String; 2] {
        let stem = self.key_stem(seq);
        EXTENSIONS.map(|ext| format!("{stem}.{ext}"))
    }

    /// The batches covering `start..=end`, in order: (first ledger of the batch, last).
    pub fn batches(&self, start: u32, end: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        let first = self.batch_of(start).0;
        let step = self.ledgers_per_batch as usize;
        (u64::from(first)..=u64::from(end))
            .step_by(step)
            .map(move |s| self.batch_of(s as u32))
    }
}

/// Decompresses and decodes a batch object ledger by ledger, checking that it holds exactly
/// the ledgers of `expected` (its name's range, clipped to what a first batch can hold) in
/// order. Each ledger within `keep` goes to `each` with its XDR size as soon as it is read, so
/// one `LedgerCloseMeta` is held at a time (a 64-ledger batch of busy ledgers decodes to
/// hundreds of megabytes of structures); the batch's bytes are decompressed as they are read.
pub fn decode_batch<T>(
    key: &str,
    compressed: &[u8],
    expected: (u32, u32),
    keep: std::ops::RangeInclusive<u32>,
    mut each: impl FnMut(LedgerCloseMeta, usize) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let zstd = ruzstd::decoding::StreamingDecoder::new(compressed)
        .map_err(|e| format!("{key}: not a zstd frame: {e}"))?;
    let mut r = Limited::new(
        Counted {
            inner: std::io::BufReader::with_capacity(
                64 * 1024,
                Inflate {
                    inner: zstd,
                    failed: None,
                },
            ),
            bytes: 0,
        },
        crate::ledger::limits(MAX_BATCH_BYTES as usize),
    );
    // An XDR error that began as a decompression error is the frame's fault.
    let fail = |failed: &Option<String>, what: &str, e: stellar_xdr::Error| -> String {
        match failed {
            Some(z) => format!("{key}: the zstd frame is truncated or corrupt: {z}"),
            None => format!("{key}: not a LedgerCloseMetaBatch ({what}): {e}"),
        }
    };
    let start = u32::read_xdr(&mut r)
        .map_err(|e| fail(&r.inner.inner.get_ref().failed, "its first ledger", e))?;
    let end = u32::read_xdr(&mut r)
        .map_err(|e| fail(&r.inner.inner.get_ref().failed, "its last ledger", e))?;
    let count = u32::read_xdr(&mut r)
        .map_err(|e| fail(&r.inner.inner.get_ref().failed, "its length", e))?;
    // A first batch of a network starts at ledger 2; the newest batch of an archive may end
    // before its boundary.
    let first_possible = expected.0.max(2);
    if end > expected.1 || end < start || !(start == expected.0 || start == first_possible) {
        return Err(format!(
            "{key}: holds ledgers {start}-{end}, its name says {}-{}",
            expected.0, expected.1
        ));
    }
    if u64::from(count) != u64::from(end) - u64::from(start) + 1 {
        return Err(format!(
            "{key}: says ledgers {start}-{end} but holds {count} ledgers"
        ));
    }
    let mut out = Vec::with_capacity(count.min(1024) as usize);
    for i in 0..count {
        let before = r.inner.bytes;
        let meta = LedgerCloseMeta::read_xdr(&mut r).map_err(|e| {
            fail(
                &r.inner.inner.get_ref().failed,
                &format!("ledger {} of the batch", i + 1),
                e,
            )
        })?;
        let seq = ledger_seq(&meta);
        if seq != start + i {
            return Err(format!(
                "{key}: ledger {} of the batch is {seq}, not {}",
                i + 1,
                start + i
            ));
        }
        if keep.contains(&seq) {
            out.push(each(meta, (r.inner.bytes - before) as usize)?);
        }
    }
    // Reading on to the frame's end also checks its checksum.
    let mut rest = [0u8; 1];
    match r.inner.read(&mut rest) {
        Ok(0) => Ok(out),
        Ok(_) => Err(format!("{key}: bytes after the LedgerCloseMetaBatch")),
        Err(e) => Err(format!(
            "{key}: the zstd frame is truncated or corrupt: {e}"
        )),
    }
}

/// A decompressing reader that remembers why it failed.
struct Inflate<R> {
    inner: R,
    failed: Option<String>,
}

impl<R: Read> Read for Inflate<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            self.failed.get_or_insert_with(|| e.to_string());
        })
    }
}

/// A reader that counts the bytes read through it.
struct Counted<R> {
    inner: R,
    bytes: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

/// A batch object's bytes: the ledgers `metas` (consecutive, from `start`) as a zstd-compressed
/// `LedgerCloseMetaBatch`, the way SEP-54 writers store them.
pub fn encode_batch(start: u32, metas: Vec<LedgerCloseMeta>) -> Result<Vec<u8>, String> {
    use stellar_xdr::{Limits, WriteXdr};
    let end = start + metas.len().saturating_sub(1) as u32;
    let batch = LedgerCloseMetaBatch {
        start_sequence: start,
        end_sequence: end,
        ledger_close_metas: metas
            .try_into()
            .map_err(|_| "too many ledgers for one batch".to_owned())?,
    };
    let raw = batch
        .to_xdr(Limits::none())
        .map_err(|e| format!("the batch does not encode: {e}"))?;
    Ok(ruzstd::encoding::compress_to_vec(
        raw.as_slice(),
        ruzstd::encoding::CompressionLevel::Fastest,
    ))
}

/// Writes `ledgers` (consecutive `LedgerCloseMeta`s from `first`) as a SEP-54 archive under
/// `dir`: `.config.json` and one object per batch of `layout`, with `extension` (one of
/// [`EXTENSIONS`]). A batch the ledgers only partly fill holds those ledgers.
pub fn write_archive(
    dir: &std::path::Path,
    layout: &Layout,
    first: u32,
    ledgers: Vec<LedgerCloseMeta>,
    extension: &str,
) -> Result<(), String> {
    let io = |e: std::io::Error| format!("{}: {e}", dir.display());
    std::fs::create_dir_all(dir).map_err(io)?;
    let config = serde_json::json!({
        "networkPassphrase": layout.network_passphrase,
        "version": "1.0",
        "compression": layout.compression,
        "ledgersPerBatch": layout.ledgers_per_batch,
        "batchesPerPartition": layout.batches_per_partition,
    });
    std::fs::write(dir.join(".config.json"), config.to_string()).map_err(io)?;
    let mut pending: Vec<LedgerCloseMeta> = Vec::new();
    let mut batch_start = first;
    let last = first + ledgers.len().saturating_sub(1) as u32;
    for (i, meta) in ledgers.into_iter().enumerate() {
        let seq = first + i as u32;
        pending.push(meta);
        if seq == layout.batch_of(seq).1 || seq == last {
            let path = dir.join(format!("{}.{extension}", layout.key_stem(batch_start)));
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            std::fs::write(
                &path,
                encode_batch(batch_start, std::mem::take(&mut pending))?,
            )
            .map_err(io)?;
            batch_start = seq + 1;
        }
    }
    Ok(())
}

/// The sequence number in a ledger's header.
pub fn ledger_seq(meta: &LedgerCloseMeta) -> u32 {
    match meta {
        LedgerCloseMeta::V0(m) => m.ledger_header.header.ledger_seq,
        LedgerCloseMeta::V1(m) => m.ledger_header.header.ledger_seq,
        LedgerCloseMeta::V2(m) => m.ledger_header.header.ledger_seq,
    }
}

/// Where an archive is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A local directory.
    Dir(PathBuf),
    /// An HTTP(S) base URL (an S3-compatible bucket's public URL works too).
    Http(String),
}

/// Why an object could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// The object does not exist.
    Missing,
    /// Worth retrying (a network error, a 5xx, a timeout).
    Transient(String),
    /// Retrying will not help.
    Fatal(String),
}

/// How an `s3://bucket/prefix` source is reached: anonymously, over HTTPS, at the region's
/// virtual-hosted address, or at `endpoint` (an S3-compatible server) in path style.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct S3Options {
    /// The bucket's region (default `us-east-1`).
    pub region: Option<String>,
    /// An S3-compatible endpoint, e.g. `http://127.0.0.1:9000`.
    pub endpoint: Option<String>,
}

impl Source {
    /// `SOURCE` as given on the command line: a directory, an http(s) URL, or
    /// `s3://bucket/prefix`.
    pub fn parse(s: &str, s3: &S3Options) -> Result<Source, String> {
        if s.starts_with("http://") || s.starts_with("https://") {
            Ok(Source::Http(s.trim_end_matches('/').to_owned()))
        } else if let Some(rest) = s.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            let valid = (3..=63).contains(&bucket.len())
                && bucket.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                });
            if !valid {
                return Err(format!("{s}: `{bucket}` is not an S3 bucket name"));
            }
            let prefix = prefix.trim_matches('/');
            let base = match &s3.endpoint {
                Some(e) => format!("{}/{bucket}", e.trim_end_matches('/')),
                None => format!(
                    "https://{bucket}.s3.{}.amazonaws.com",
                    s3.region.as_deref().unwrap_or("us-east-1")
                ),
            };
            Ok(Source::Http(if prefix.is_empty() {
                base
            } else {
                format!("{base}/{prefix}")
            }))
        } else if s.contains("://") {
            Err(format!(
                "{s}: expected a directory, an http(s):// URL or s3://bucket/prefix"
            ))
        } else {
            Ok(Source::Dir(PathBuf::from(s)))
        }
    }

    /// Where `key` is, for messages.
    pub fn locate(&self, key: &str) -> String {
        match self {
            Source::Dir(d) => d.join(key).display().to_string(),
            Source::Http(u) => format!("{u}/{key}"),
        }
    }

    /// The bytes of `key`.
    pub async fn get(&self, client: &reqwest::Client, key: &str) -> Result<Vec<u8>, FetchError> {
        match self {
            Source::Dir(dir) => match tokio::fs::read(dir.join(key)).await {
                Ok(b) => Ok(b),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(FetchError::Missing),
                Err(e) => Err(FetchError::Fatal(format!("{}: {e}", self.locate(key)))),
            },
            Source::Http(_) => {
                let url = self.locate(key);
                let mut res = client
                    .get(&url)
                    .send()
                    .await
                    .map_err(|e| FetchError::Transient(format!("{url}: {e}")))?;
                let status = res.status();
                if status == reqwest::StatusCode::NOT_FOUND
                    || status == reqwest::StatusCode::FORBIDDEN
                {
                    // S3 answers 403 for a missing key when listing is not allowed.
                    return Err(FetchError::Missing);
                }
                if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                    return Err(FetchError::Transient(format!("{url}: {status}")));
                }
                if !status.is_success() {
                    return Err(FetchError::Fatal(format!("{url}: {status}")));
                }
                let mut out = Vec::new();
                while let Some(chunk) = res
                    .chunk()
                    .await
                    .map_err(|e| FetchError::Transient(format!("{url}: {e}")))?
                {
                    if out.len() as u64 + chunk.len() as u64 > MAX_BATCH_BYTES {
                        return Err(FetchError::Fatal(format!(
                            "{url}: larger than {MAX_BATCH_BYTES} bytes"
                        )));
                    }
                    out.extend_from_slice(&chunk);
                }
                Ok(out)
            }
        }
    }

    /// The bytes of `key`, trying again `attempts` times in all (with backoff) while the
    /// failure is transient; the last failure says how many attempts were made.
    pub async fn get_retrying(
        &self,
        client: &reqwest::Client,
        key: &str,
        attempts: u32,
    ) -> Result<Vec<u8>, FetchError> {
        let mut wait = Duration::from_millis(200);
        let attempts = attempts.max(1);
        for attempt in 1.. {
            match self.get(client, key).await {
                Err(FetchError::Transient(e)) if attempt < attempts => {
                    tracing::warn!(error = %e, attempt, "archive read failed, retrying: {e}");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(10));
                }
                Err(FetchError::Transient(e)) => {
                    return Err(FetchError::Transient(format!(
                        "{e} (after {attempt} attempts)"
                    )));
                }
                other => return other,
            }
        }
        unreachable!("the loop returns")
    }

    /// The batch object holding `seq`: tries the current extension, then the legacy one;
    /// transient failures are retried `attempts` times with backoff.
    pub async fn get_batch(
        &self,
        client: &reqwest::Client,
        layout: &Layout,
        seq: u32,
        attempts: u32,
    ) -> Result<(String, Vec<u8>), String> {
        let keys = layout.keys(seq);
        for key in &keys {
            match self.get_retrying(client, key, attempts).await {
                Ok(bytes) => return Ok((key.clone(), bytes)),
                Err(FetchError::Missing) => continue,
                Err(FetchError::Transient(e) | FetchError::Fatal(e)) => return Err(e),
            }
        }
        Err(format!(
            "the batch of ledger {seq} is missing: neither {} nor {}",
            self.locate(&keys[0]),
            self.locate(&keys[1])
        ))
    }
}

/// Reads an archive's ledgers in order, a bounded number of batch objects in flight.
#[derive(Clone)]
pub struct Reader {
    pub source: Source,
    pub layout: Layout,
    client: reqwest::Client,
    /// Batch objects downloaded and decoded at once.
    pub concurrency: usize,
    /// Tries of a read that failed transiently.
    pub attempts: u32,
}

impl Reader {
    /// Opens `source`: reads its `.config.json` and checks that it is an archive of `network`.
    pub async fn open(
        source: Source,
        network: registry_core::Network,
        concurrency: usize,
        attempts: u32,
    ) -> Result<Reader, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!(
                "soroban-registry-indexer/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        let config = match source.get_retrying(&client, ".config.json", attempts).await {
            Ok(b) => b,
            Err(FetchError::Missing) => {
                return Err(format!(
                    "{} is missing: not a SEP-54 archive",
                    source.locate(".config.json")
                ));
            }
            Err(FetchError::Transient(e) | FetchError::Fatal(e)) => return Err(e),
        };
        let layout = Layout::parse(&config)
            .map_err(|e| format!("{}: {e}", source.locate(".config.json")))?;
        if layout.network_passphrase != network.passphrase() {
            return Err(format!(
                "{} is an archive of the network \"{}\", not of {network} (\"{}\"): check \
                 STELLAR_NETWORK and the source",
                source.locate(""),
                layout.network_passphrase,
                network.passphrase()
            ));
        }
        Ok(Reader {
            source,
            layout,
            client,
            concurrency: concurrency.max(1),
            attempts: attempts.max(1),
        })
    }

    /// The ledgers `start..=end`, batch by batch, in order, each given to `each` (with its XDR
    /// size) in a blocking worker as soon as it is decoded: an item is what `each` made of
    /// one batch's ledgers within the range. At most `concurrency` batches are read ahead.
    pub fn ledgers<T, F>(
        &self,
        start: u32,
        end: u32,
        each: F,
    ) -> impl futures::Stream<Item = Result<Vec<T>, String>> + use<T, F>
    where
        T: Send + 'static,
        F: Fn(LedgerCloseMeta, usize) -> Result<T, String> + Clone + Send + 'static,
    {
        use futures::StreamExt;
        let this = self.clone();
        let batches: Vec<(u32, u32)> = self.layout.batches(start, end).collect();
        futures::stream::iter(batches)
            .map(move |(first, last)| {
                let this = this.clone();
                let each = each.clone();
                async move {
                    let (key, bytes) = this
                        .source
                        .get_batch(&this.client, &this.layout, first, this.attempts)
                        .await?;
                    let location = this.source.locate(&key);
                    tokio::task::spawn_blocking(move || {
                        decode_batch(&location, &bytes, (first, last), start..=end, each)
                    })
                    .await
                    .map_err(|e| format!("decoding {key} stopped: {e}"))?
                }
            })
            .buffered(self.concurrency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(lpb: u32, bpp: u32) -> Layout {
        Layout {
            network_passphrase: "Public Global Stellar Network ; September 2015".into(),
            compression: "zstd".into(),
            ledgers_per_batch: lpb,
            batches_per_partition: bpp,
        }
    }

    #[test]
    fn keys_are_those_of_the_public_archive() {
        // s3://aws-public-blockchain/v1.1/stellar/ledgers/pubnet: one ledger per object,
        // 64,000 per partition.
        let l = layout(1, 64_000);
        assert_eq!(
            l.keys(62_075_700)[0],
            "FC4DB5FF--62016000-62079999/FC4CCCCB--62075700.xdr.zst"
        );
        assert_eq!(
            l.keys(62_075_700)[1],
            "FC4DB5FF--62016000-62079999/FC4CCCCB--62075700.xdr.zstd"
        );
    }

    #[test]
    fn several_ledgers_per_batch_name_their_range_and_one_batch_partitions_have_no_folder() {
        let l = layout(64, 10);
        assert_eq!(l.batch_of(2), (0, 63));
        assert_eq!(l.batch_of(64), (64, 127));
        assert_eq!(
            l.key_stem(100),
            format!("{:08X}--0-639/{:08X}--64-127", u32::MAX, u32::MAX - 64)
        );
        let flat = layout(8, 1);
        assert_eq!(flat.key_stem(17), format!("{:08X}--16-23", u32::MAX - 16));
        let batches: Vec<_> = l.batches(60, 200).collect();
        assert_eq!(batches, vec![(0, 63), (64, 127), (128, 191), (192, 255)]);
        // The last ledgers of the sequence space do not overflow.
        assert_eq!(layout(64, 1).batch_of(u32::MAX).1, u32::MAX);
    }

    #[test]
    fn configs_it_cannot_follow_are_refused() {
        assert!(
            Layout::parse(
                br#"{"networkPassphrase":"x","ledgersPerBatch":0,"batchesPerPartition":1}"#
            )
            .is_err()
        );
        assert!(Layout::parse(br#"{"networkPassphrase":"x","compression":"gzip","ledgersPerBatch":1,"batchesPerPartition":1}"#)
            .unwrap_err()
            .contains("gzip"));
        let ok = Layout::parse(br#"{"networkPassphrase":"x","version":"1.0","compression":"zstd","ledgersPerBatch":2,"batchesPerPartition":4}"#)
            .unwrap();
        assert_eq!((ok.ledgers_per_batch, ok.batches_per_partition), (2, 4));
    }

    #[test]
    fn sources_are_directories_http_urls_or_s3_buckets() {
        let none = S3Options::default();
        assert_eq!(
            Source::parse("/data/lake", &none).unwrap(),
            Source::Dir("/data/lake".into())
        );
        assert_eq!(
            Source::parse("https://example.org/lake/", &none).unwrap(),
            Source::Http("https://example.org/lake".into())
        );
        let public = S3Options {
            region: Some("us-east-2".into()),
            endpoint: None,
        };
        assert_eq!(
            Source::parse("s3://aws-public-blockchain/v1.1/stellar/ledgers/pubnet", &public).unwrap(),
            Source::Http(
                "https://aws-public-blockchain.s3.us-east-2.amazonaws.com/v1.1/stellar/ledgers/pubnet"
                    .into()
            )
        );
        let local = S3Options {
            region: None,
            endpoint: Some("http://127.0.0.1:9000/".into()),
        };
        assert_eq!(
            Source::parse("s3://lake/", &local).unwrap(),
            Source::Http("http://127.0.0.1:9000/lake".into())
        );
        assert!(Source::parse("s3://Not_A_Bucket/x", &none).is_err());
        assert!(Source::parse("ftp://x", &none).is_err());
    }
}
