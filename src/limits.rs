//! Every cap on input that comes from outside, in one place, each with the attack it stops.
//!
//! Owns: numbers. Must not touch: anything else. Parsers and verifiers read these constants; a
//! test or a fuzz target that wants a smaller cap passes its own, it never edits these.

/// Largest Sigstore bundle file accepted (bytes). Stops memory exhaustion by a huge bundle; real
/// bundles are 3–15 KiB, DSSE attestations with large SLSA provenance stay well under 1 MiB.
pub const MAX_BUNDLE_BYTES: u64 = 16 * 1024 * 1024;

/// Largest `trusted_root.json` accepted (bytes). The public-good root is about 7 KiB.
pub const MAX_TRUSTED_ROOT_BYTES: u64 = 4 * 1024 * 1024;

/// Largest PEM public key file accepted for `--key` (bytes).
pub const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// Deepest JSON nesting accepted in any document. Stops stack exhaustion; bundles nest about 6 deep.
pub const MAX_JSON_DEPTH: usize = 64;

/// Most transparency-log entries in one bundle (sigstore-go uses 32 as well).
pub const MAX_TLOG_ENTRIES: usize = 32;

/// Most RFC 3161 timestamps in one bundle (sigstore-python refuses more than 32).
pub const MAX_TIMESTAMPS: usize = 32;

/// Longest certificate chain, in certificates, in a bundle or a trusted-root authority.
pub const MAX_CHAIN_LEN: usize = 10;

/// Most hashes in an inclusion proof: a tree of 2^64 leaves needs at most 64.
pub const MAX_PROOF_HASHES: usize = 64;

/// Largest signed-note checkpoint text (bytes).
pub const MAX_CHECKPOINT_BYTES: usize = 64 * 1024;

/// Most signature lines in one checkpoint (log signature plus witness cosignatures).
pub const MAX_CHECKPOINT_SIGNATURES: usize = 64;

/// Most signatures in one DSSE envelope.
pub const MAX_DSSE_SIGNATURES: usize = 16;

/// Most subjects in one in-toto statement.
pub const MAX_INTOTO_SUBJECTS: usize = 4096;

/// Most entries in each list of a trusted root (CAs, logs, TSAs).
pub const MAX_TRUSTED_ROOT_ENTRIES: usize = 256;

/// Most embedded SCTs examined in one certificate.
pub const MAX_SCTS: usize = 64;

/// Largest single DER object (certificate, timestamp response) accepted (bytes).
pub const MAX_DER_BYTES: usize = 1024 * 1024;

/// Most lines in one `--batch` file.
pub const MAX_BATCH_LINES: usize = 10_000_000;

/// Largest line in a `--batch` file (bytes).
pub const MAX_BATCH_LINE_BYTES: usize = 64 * 1024;

/// Most Subject Alternative Names read from one certificate. Stops a leaf stuffed with thousands
/// of names from blowing up the report and the policy match; Fulcio issues exactly one.
pub const MAX_SAN_ENTRIES: usize = 64;

/// Longest single string read from a certificate (a SAN, an issuer DN, a Fulcio extension), in
/// bytes. Longer values are refused, never truncated (a truncated identity could match a policy
/// prefix). Real values are under 300 bytes.
pub const MAX_CERT_STRING_BYTES: usize = 8 * 1024;

/// Largest TUF `N.root.json` read from a medium (bytes). Stops an endless-data attack (TUF §1.5.2)
/// during the root chain walk; Sigstore roots are about 6 KiB.
pub const MAX_TUF_ROOT_BYTES: u64 = 512 * 1024;

/// Largest TUF `timestamp.json` read from a medium (bytes). Stops an endless-data attack; the
/// Sigstore timestamp is about 450 bytes.
pub const MAX_TUF_TIMESTAMP_BYTES: u64 = 64 * 1024;

/// Largest TUF snapshot metadata when the timestamp does not sign its length (bytes). Stops an
/// endless-data attack; the Sigstore snapshot is about 2 KiB.
pub const MAX_TUF_SNAPSHOT_BYTES: u64 = 1024 * 1024;

/// Largest TUF targets metadata when the snapshot does not sign its length, and largest metadata
/// file copied off a medium at all (bytes). Stops an endless-data attack; Sigstore's is about 5 KiB.
pub const MAX_TUF_TARGETS_BYTES: u64 = 4 * 1024 * 1024;

/// Most root versions walked in one TUF update (the spec's "Y", §5.3.3). Stops a medium from
/// making the appliance walk an endless chain; Sigstore reached root 15 in five years.
pub const MAX_TUF_ROOT_UPDATES: u64 = 256;

/// Most files copied off a medium or written out of a `.tar.gz` into the private staging folder.
/// Stops a medium from filling the data dir with small files; a Sigstore state has about 40.
pub const MAX_MEDIUM_FILES: usize = 10_000;

/// Most bytes copied off a medium or written out of a `.tar.gz` into the private staging folder.
/// Stops a medium from filling the data dir; a Sigstore state is about 130 KiB.
pub const MAX_MEDIUM_BYTES: u64 = 64 * 1024 * 1024;

/// Most bytes decompressed from a `.tar.gz` medium, written or skipped. Stops a gzip bomb from
/// keeping the appliance busy, and bounds the memory `tar` spends on a GNU long-name or PAX header
/// (it reads those whole). An archive with larger unrelated files is refused: pass the folder.
pub const MAX_ARCHIVE_STREAM_BYTES: u64 = 256 * 1024 * 1024;

/// Most entries in a `.tar.gz` medium. Stops an archive of millions of empty entries.
pub const MAX_ARCHIVE_ENTRIES: usize = 100_000;

/// Most entries listed in one folder of a medium while looking for the TUF repository. Stops a
/// medium with a huge folder from keeping the appliance busy.
pub const MAX_MEDIUM_DIR_ENTRIES: usize = 100_000;

/// Largest `signing_config` target kept beside the trust root (bytes); Sigstore's is about 1 KiB.
pub const MAX_SIGNING_CONFIG_BYTES: u64 = 1024 * 1024;

/// Largest trust history file read back (bytes). Stops a corrupted or planted history file from
/// exhausting memory; one entry is about 500 bytes.
pub const MAX_TRUST_HISTORY_BYTES: u64 = 64 * 1024 * 1024;

/// Longest untrusted value (a name, a media type, an identity) shown to a person, in characters;
/// longer ones end in an ellipsis. Stops a hostile bundle or tar entry name from flooding the
/// operator's terminal or log; `--json` carries the whole value.
pub const MAX_SHOWN_VALUE_CHARS: usize = 256;

/// Longest text line shown to a person or written to a text log, in characters.
pub const MAX_SHOWN_LINE_CHARS: usize = 4096;

/// Most entries (files, folders, extension headers) in one imported tarball or folder. Stops an
/// archive of millions of empty entries from filling the staging folder and the result list; an
/// OCI layout of a hundred multi-platform images holds a few thousand blobs.
pub const MAX_IMPORT_ENTRIES: usize = 50_000;

/// Largest single file in an imported tarball (bytes). Stops a header claiming exabytes; the
/// largest real image layers are a few GiB.
pub const MAX_IMPORT_ENTRY_BYTES: u64 = 32 * 1024 * 1024 * 1024;

/// Most bytes written into staging by one import, and most decompressed bytes read from one
/// tarball. Stops a medium from filling the data dir.
pub const MAX_IMPORT_TOTAL_BYTES: u64 = 64 * 1024 * 1024 * 1024;

/// Largest ratio of decompressed to compressed bytes accepted once past
/// [`COMPRESSION_RATIO_FLOOR_BYTES`]. Stops gzip and zstd bombs (1 GB of zeros is 1 MB of gzip,
/// a ratio of 1000; zstd reaches 30000) in bounded time; real tarballs of OCI layouts, whose
/// layers are compressed already, stay near 1, and uncompressed layers near 3 to 10.
pub const MAX_COMPRESSION_RATIO: u64 = 100;

/// Decompressed bytes allowed before the compression ratio is judged (small archives of text
/// compress far better than 100:1 and are harmless).
pub const COMPRESSION_RATIO_FLOOR_BYTES: u64 = 16 * 1024 * 1024;

/// Largest zstd window accepted, as a power of two (2^27 = 128 MiB, what `zstd --long` writes).
/// Stops a frame header from making the decoder allocate gigabytes.
pub const MAX_ZSTD_WINDOW_LOG: u32 = 27;

/// Largest PAX extended header in a tar stream (bytes). Stops a PAX header claiming gigabytes
/// from being read into memory (the `tar` crate reads them whole); real ones hold a path and a
/// few times, under 1 KiB.
pub const MAX_PAX_HEADER_BYTES: usize = 64 * 1024;

/// Longest entry name in an archive or folder (bytes), Linux's PATH_MAX. Also caps GNU long-name
/// headers.
pub const MAX_ENTRY_NAME_BYTES: usize = 4096;

/// Deepest entry path in an archive or folder, in components. Stops a deep folder medium from
/// exhausting the walker's stack.
pub const MAX_ENTRY_DEPTH: usize = 64;

/// Largest policy file (bytes). Stops a YAML file built to exhaust memory; real
/// ClusterImagePolicy files are a few KiB.
pub const MAX_POLICY_BYTES: u64 = 1024 * 1024;

/// Largest `zarf.yaml` of a Zarf package (bytes). Real package definitions are a few KiB to a
/// few hundred KiB (many components, inlined values).
pub const MAX_ZARF_YAML_BYTES: u64 = 4 * 1024 * 1024;

/// Largest `checksums.txt` of a Zarf package (bytes): a line per file of the package.
pub const MAX_ZARF_CHECKSUMS_BYTES: u64 = 16 * 1024 * 1024;

/// Most image globs in one policy file, all documents together: each compiles to a matcher of a
/// few KiB (30,000 of them, what 1 MiB of globs makes, took 170 MiB). Real policy sets have tens.
pub const MAX_POLICY_GLOBS: usize = 1024;

/// Most YAML documents in one policy file.
pub const MAX_POLICY_DOCUMENTS: usize = 256;

/// Largest `index.json`, manifest, index or config read from an OCI layout (bytes). Stops a
/// layout from making the appliance parse a huge JSON document; real manifests are a few KiB.
pub const MAX_OCI_JSON_BYTES: u64 = 4 * 1024 * 1024;

/// Most manifests and indexes in one layout (and in one index). Stops a layout of millions of
/// tiny manifests.
pub const MAX_OCI_MANIFESTS: usize = 10_000;

/// Most layers in one manifest; real images have under a hundred.
pub const MAX_OCI_LAYERS: usize = 1_000;

/// Deepest nesting of indexes in a layout (an index of indexes of ...).
pub const MAX_OCI_DEPTH: usize = 8;

/// Largest simple-signing payload (bytes); cosign's are under 1 KiB.
pub const MAX_SIMPLE_SIGNING_BYTES: u64 = 64 * 1024;

/// Largest HMAC key file (bytes). A key is 32 to 64 bytes; anything larger is not a key.
pub const MAX_HMAC_KEY_BYTES: u64 = 4096;

/// Deepest chain of TUF delegations walked. The roles loaded are bounded by the
/// snapshot; Sigstore's repository delegates one level.
pub const MAX_TUF_DELEGATION_DEPTH: usize = 32;

/// Most trust instances listed in one data dir (public good, GitHub's, a few private ones).
pub const MAX_TRUST_INSTANCES: usize = 64;

/// sled's page cache for the ledger (bytes). Bounds the memory the ledger takes whatever its
/// size; queries by index touch a few pages.
pub const LEDGER_CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// The daemon's default sled page cache for the ledger (bytes; `--ledger-cache-mib`): it serves
/// lookups for as long as it runs, so it keeps more of the ledger in memory.
pub const DAEMON_LEDGER_CACHE_BYTES: u64 = 512 * 1024 * 1024;

/// How many times (100 ms apart) opening the ledger waits for another process that holds it.
pub const LEDGER_LOCK_TRIES: u32 = 50;

/// Largest export file `audit verify-export` reads (bytes).
pub const MAX_EXPORT_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// Most entries of the daemon's inbox looked at in one pass (the rest wait for the next).
pub const MAX_DAEMON_INBOX_ENTRIES: usize = 10_000;

/// Most open entries of the daemon's journal read at start.
pub const MAX_DAEMON_JOURNAL_ENTRIES: usize = 100_000;

/// Largest request a client sends on the daemon's unix socket (a typed request, JSON; a
/// `verify-bundle --batch` of the most lines fits).
pub const MAX_SOCKET_REQUEST_BYTES: u32 = 64 * 1024 * 1024;

/// Largest answer the CLI reads from the daemon's socket (an export of the whole ledger is
/// the largest; the owner-only socket is the daemon's own).
pub const MAX_SOCKET_RESPONSE_BYTES: usize = 1 << 30;

/// Most commands the daemon runs for socket clients at once.
pub const MAX_SOCKET_CLIENTS: usize = 16;

/// Largest request body the API reads (it has no write endpoint: GET bodies are refused past
/// this with 413).
pub const MAX_API_BODY_BYTES: u64 = 1024;

/// Largest request head (request line and headers) the API reads; past it, 431.
pub const MAX_API_HEAD_BYTES: usize = 16 * 1024;

/// Most headers of one API request: hyper's own cap, left at its default (a larger one moves
/// the headers to the heap); past it, 431.
pub const MAX_API_HEADERS: usize = 100;

/// Longest query string of an API request (bytes); past it, 414.
pub const MAX_API_QUERY_BYTES: usize = 2048;

/// Most records in one page of `/v1/results` (a larger `limit` is lowered to this).
pub const MAX_API_PAGE: usize = 1000;

/// Most records of a digest's history `/v1/artifacts/{digest}` returns.
pub const MAX_API_HISTORY: usize = 100;

/// Most API connections still in their TLS handshake at once (a share of
/// [`MAX_API_CONNECTIONS`]): idle or slow connections that never authenticate cannot take the
/// budget of clients that did.
pub const MAX_API_HANDSHAKING: usize = 384;

/// Most API connections one client address may hold in their handshake at once.
pub const MAX_API_HANDSHAKING_PER_CLIENT: usize = 16;

/// The handshake deadline when over half of [`MAX_API_HANDSHAKING`] is in use (seconds).
pub const API_HANDSHAKE_SECONDS_UNDER_PRESSURE: u64 = 2;

/// Most pieces of evidence listed in one ledger record (the rest are counted in
/// `evidenceOmitted`): bounds a record whatever a medium holds.
pub const MAX_RECORD_EVIDENCE: usize = 64;

/// Largest body of one API page (bytes): a page ends early, with `nextCursor` and `truncated`,
/// when the next record would pass it.
pub const MAX_API_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// Most API connections served at once; more wait in the listen backlog.
pub const MAX_API_CONNECTIONS: usize = 512;

/// Seconds a client has to finish its TLS handshake and send a request head.
pub const API_HANDSHAKE_SECONDS: u64 = 10;

/// Seconds an idle keep-alive connection stays open.
pub const API_IDLE_SECONDS: u64 = 60;

/// Most distinct clients the rate limiter remembers (the oldest are forgotten past this).
pub const MAX_API_RATE_CLIENTS: usize = 10_000;

/// Records a short digest (`query --digest sha256:0123456789ab`) reads at most: a prefix matches
/// one artifact in practice; a crafted ledger of look-alike prefixes cannot make a query read
/// it all.
pub const MAX_PREFIX_HITS: usize = 100_000;

/// Largest PEM file read for a push (the registry CA, a client certificate or key): a bundle of
/// every CA a machine trusts is about 200 KiB.
pub const MAX_PEM_BYTES: u64 = 4 * 1024 * 1024;

/// Most certificates taken from a CA bundle.
pub const MAX_CA_BUNDLE_CERTS: usize = 1_000;

/// Largest Docker-style auth file (`config.json`) read for a push.
pub const MAX_AUTH_FILE_BYTES: u64 = 1024 * 1024;

/// Largest token answer of a registry's auth server.
pub const MAX_TOKEN_BYTES: u64 = 64 * 1024;

/// Files of a kept layout looked at when searching it for referrers (manifests found only as
/// blobs); each is read only when it is small enough to be a manifest.
pub const MAX_PUSH_BLOBS: usize = 100_000;
