//! The feed cache: one file per URL, a header line, a JSON line, then the
//! body, written atomically so the validators always belong to the body next
//! to them.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub(super) const CACHE_MAGIC: &str = "rapport-feed-cache";
pub(super) const CACHE_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct CacheMeta {
    pub(super) version: u32,
    /// Redacted, for a human looking at the cache folder.
    pub(super) url: String,
    pub(super) etag: Option<String>,
    pub(super) last_modified: Option<String>,
    pub(super) fetched_at: DateTime<Utc>,
    pub(super) len: u64,
    /// [`body_digest`] of the body, to know a 200 with the same bytes
    /// without reading the cached copy (absent in caches of older versions).
    #[serde(default)]
    pub(super) digest: Option<u64>,
}

/// A 64-bit FNV-1a over 8-byte words: a few ms for a 17 MB feed. It only
/// tells a changed feed from an unchanged one (the server chooses the bytes
/// anyway, so nothing is gained by fooling it).
pub(super) fn body_digest(body: &[u8]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut acc: u64 = 0xcbf2_9ce4_8422_2325 ^ body.len() as u64;
    let mut words = body.chunks_exact(8);
    for w in &mut words {
        let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        acc = (acc ^ w).wrapping_mul(PRIME);
    }
    for &b in words.remainder() {
        acc = (acc ^ u64::from(b)).wrapping_mul(PRIME);
    }
    acc
}

/// The header of a cache file, without reading its body: what a request
/// needs (validators, digest). `None` when missing, damaged or cut short.
pub(super) fn read_cache_meta(path: &Path) -> Option<CacheMeta> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).ok()?;
    let size = file.metadata().ok()?.len();
    let mut reader = std::io::BufReader::with_capacity(4096, file);
    let mut magic = String::new();
    reader.read_line(&mut magic).ok()?;
    if magic.trim_end_matches('\n') != CACHE_MAGIC {
        return None;
    }
    let mut json = String::new();
    reader.read_line(&mut json).ok()?;
    let meta: CacheMeta = serde_json::from_str(json.trim_end_matches('\n')).ok()?;
    let header = (magic.len() + json.len()) as u64;
    (meta.version == CACHE_VERSION && header + meta.len == size).then_some(meta)
}

pub(super) struct CacheEntry {
    pub(super) meta: CacheMeta,
    pub(super) body: Vec<u8>,
}

pub(super) fn read_cache(path: &Path) -> Option<CacheEntry> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(path = %path.display(), "cannot read the feed cache: {e}");
            return None;
        }
    };
    let header = (|| {
        let first = bytes.iter().position(|b| *b == b'\n')?;
        if &bytes[..first] != CACHE_MAGIC.as_bytes() {
            return None;
        }
        let rest = &bytes[first + 1..];
        let second = rest.iter().position(|b| *b == b'\n')?;
        let meta: CacheMeta = serde_json::from_slice(&rest[..second]).ok()?;
        let body_start = first + 1 + second + 1;
        (meta.version == CACHE_VERSION && meta.len == (bytes.len() - body_start) as u64)
            .then_some((meta, body_start))
    })();
    let parsed = header.map(|(meta, body_start)| {
        // The body is the file minus its two header lines: moved to the
        // front in place, not copied (a second buffer of a 90 MB feed).
        let mut body = bytes;
        body.drain(..body_start);
        CacheEntry { meta, body }
    });
    if parsed.is_none() {
        tracing::warn!(path = %path.display(), "ignoring a damaged feed cache file");
    }
    parsed
}

pub(super) fn write_cache(path: &Path, meta: &CacheMeta, body: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        if !dir.exists() {
            // The cache folder and its `feeds/`, both 0700.
            crate::util::fs::create_private_dir(dir)?;
        }
    }
    let mut header = CACHE_MAGIC.as_bytes().to_vec();
    header.push(b'\n');
    serde_json::to_writer(&mut header, meta).map_err(std::io::Error::other)?;
    header.push(b'\n');
    // Header and body written as two parts: no second copy of the body.
    crate::util::fs::atomic_write_parts(path, &[&header, body], &mut || Ok(()))
}
