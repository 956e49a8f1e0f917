//! `--metrics-web-config FILE`: who may reach `/metrics` and how, from a
//! web configuration file in the format of the Prometheus exporter toolkit
//! (the one node_exporter and the other official exporters take with
//! `--web.config.file`): TLS with a certificate and key (and optionally
//! client certificates), and basic auth with bcrypt-hashed passwords.
//!
//! The file is read and checked once, before the capture starts: an unknown
//! key, an option portclass does not offer, a certificate that does not
//! load or a hash that is not bcrypt ends the run with a message naming the
//! file and the key. Paths in the file are relative to the file's own
//! directory, as the exporter toolkit takes them.
//!
//! Owns the file format, the TLS server configuration built from it
//! (rustls, with the ring provider) and the password check ([`Users`]);
//! the server in `super` drives the connections.

use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ServerConfig, WebPkiClientVerifier};
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;

/// Largest web configuration file read, in bytes: a few users and paths
/// take a few hundred.
const FILE_LIMIT: u64 = 1024 * 1024;

/// Highest bcrypt cost accepted. Every check of a password not seen before
/// costs 2^cost rounds on the server's one thread (cost 10 takes about 50
/// ms, 14 about a second); `htpasswd -B` makes cost 5 by default, and the
/// exporter toolkit's documentation suggests 10.
pub const MAX_BCRYPT_COST: u32 = 14;

/// Why the web configuration cannot be used; each names the file.
#[derive(Debug, Error)]
pub enum WebConfigError {
    /// The file cannot be read.
    #[error("--metrics-web-config {}: cannot read it: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file is not a valid web configuration.
    #[error("--metrics-web-config {}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, starting with the key (`tls_server_config.cert_file: …`).
        message: String,
    },
}

/// The file as written: every key the exporter toolkit knows, so that the
/// ones portclass does not offer are refused by name rather than as unknown.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    tls_server_config: Option<TlsFile>,
    basic_auth_users: Option<BTreeMap<String, String>>,
    http_server_config: Option<IgnoredAny>,
    rate_limit: Option<IgnoredAny>,
}

/// `tls_server_config` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsFile {
    cert_file: Option<String>,
    key_file: Option<String>,
    client_auth_type: Option<String>,
    client_ca_file: Option<String>,
    min_version: Option<String>,
    max_version: Option<String>,
    cert: Option<IgnoredAny>,
    key: Option<IgnoredAny>,
    client_ca: Option<IgnoredAny>,
    client_allowed_sans: Option<IgnoredAny>,
    cipher_suites: Option<IgnoredAny>,
    curve_preferences: Option<IgnoredAny>,
    prefer_server_cipher_suites: Option<IgnoredAny>,
}

/// A checked web configuration: TLS, basic auth, both or neither.
#[derive(Clone)]
pub struct WebConfig {
    /// The TLS server configuration, when `tls_server_config` is given.
    pub tls: Option<Arc<ServerConfig>>,
    /// The users allowed in, when `basic_auth_users` is given.
    pub users: Option<Users>,
}

impl std::fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebConfig")
            .field("tls", &self.tls.is_some())
            .field("users", &self.users.as_ref().map(Users::len))
            .finish()
    }
}

impl WebConfig {
    /// Reads and checks the web configuration in `path`.
    pub fn load(path: &Path) -> Result<WebConfig, WebConfigError> {
        let text = read_limited(path).map_err(|source| WebConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let invalid = |message: String| WebConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        // An empty file (or one of comments) configures nothing, as in the
        // exporter toolkit.
        let file: FileConfig = if text.lines().all(|l| {
            let l = l.trim();
            l.is_empty() || l.starts_with('#')
        }) {
            FileConfig::default()
        } else {
            serde_saphyr::from_str(&text).map_err(|e| invalid(yaml_message(&e.to_string())))?
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        refuse(
            "http_server_config",
            file.http_server_config.is_some(),
            "not supported: portclass serves HTTP/1.1 and sets no extra headers; remove it",
        )
        .map_err(invalid)?;
        refuse(
            "rate_limit",
            file.rate_limit.is_some(),
            "not supported: portclass answers one connection at a time; remove it",
        )
        .map_err(invalid)?;
        let tls = file
            .tls_server_config
            .map(|tls| tls_config(tls, dir))
            .transpose()
            .map_err(invalid)?;
        let users = file
            .basic_auth_users
            .map(Users::new)
            .transpose()
            .map_err(invalid)?;
        Ok(WebConfig { tls, users })
    }

    /// `https` with TLS, `http` without.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }
}

/// Reads `path` as UTF-8 text, at most [`FILE_LIMIT`] bytes.
fn read_limited(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    let file = std::fs::File::open(path)?;
    file.take(FILE_LIMIT + 1).read_to_string(&mut text)?;
    if text.len() as u64 > FILE_LIMIT {
        return Err(std::io::Error::other(format!(
            "larger than {} KiB, too large for a web configuration",
            FILE_LIMIT / 1024
        )));
    }
    Ok(text)
}

/// The YAML parser's message, on one line (it may add a snippet of the
/// file below the first line; the first line says what and where).
fn yaml_message(message: &str) -> String {
    let first = message.lines().next().unwrap_or(message).trim();
    format!("not a valid web configuration: {first}")
}

/// `Err("KEY: why")` when `present`.
fn refuse(key: &str, present: bool, why: &str) -> Result<(), String> {
    if present {
        Err(format!("{key}: {why}"))
    } else {
        Ok(())
    }
}

/// Which client certificates the server asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClientAuth {
    /// None (the default).
    None,
    /// Verified against the client CA when given, optional.
    VerifyIfGiven,
    /// Required and verified against the client CA.
    RequireAndVerify,
}

/// The rustls server configuration `tls` asks for; paths relative to `dir`.
fn tls_config(tls: TlsFile, dir: &Path) -> Result<Arc<ServerConfig>, String> {
    const KEY: &str = "tls_server_config";
    let unsupported = [
        (
            "cert",
            tls.cert.is_some(),
            "not supported: give the certificate's file as cert_file",
        ),
        (
            "key",
            tls.key.is_some(),
            "not supported: give the key's file as key_file",
        ),
        (
            "client_ca",
            tls.client_ca.is_some(),
            "not supported: give the CA certificates' file as client_ca_file",
        ),
        (
            "client_allowed_sans",
            tls.client_allowed_sans.is_some(),
            "not supported: any client certificate the client CA signed is let in; remove it",
        ),
        (
            "cipher_suites",
            tls.cipher_suites.is_some(),
            "not supported: rustls offers only its own list of safe suites; remove it",
        ),
        (
            "curve_preferences",
            tls.curve_preferences.is_some(),
            "not supported: rustls offers only its own list of safe groups; remove it",
        ),
        (
            "prefer_server_cipher_suites",
            tls.prefer_server_cipher_suites.is_some(),
            "not supported (rustls always prefers its own order); remove it",
        ),
    ];
    for (key, present, why) in unsupported {
        refuse(&format!("{KEY}.{key}"), present, why)?;
    }
    let path_of = |key: &str, value: Option<String>| -> Result<PathBuf, String> {
        match value {
            Some(v) if !v.is_empty() => Ok(dir.join(v)),
            _ => Err(format!(
                "{KEY}.{key}: missing; TLS needs both cert_file and key_file"
            )),
        }
    };
    let cert_file = path_of("cert_file", tls.cert_file)?;
    let key_file = path_of("key_file", tls.key_file)?;
    let certs = load_certs(&cert_file).map_err(|e| format!("{KEY}.cert_file: {e}"))?;
    let key = PrivateKeyDer::from_pem_file(&cert_or_key(&key_file)?).map_err(|e| {
        format!(
            "{KEY}.key_file: no private key in {} ({})",
            key_file.display(),
            pem_error(&e)
        )
    })?;

    let versions = versions(tls.min_version.as_deref(), tls.max_version.as_deref())?;
    let client_auth = match tls.client_auth_type.as_deref() {
        None | Some("NoClientCert") => ClientAuth::None,
        Some("VerifyClientCertIfGiven") => ClientAuth::VerifyIfGiven,
        Some("RequireAndVerifyClientCert") => ClientAuth::RequireAndVerify,
        Some(other @ ("RequestClientCert" | "RequireAnyClientCert")) => {
            return Err(format!(
                "{KEY}.client_auth_type: {other} is not supported (it lets in certificates nobody checked); \
                 use VerifyClientCertIfGiven or RequireAndVerifyClientCert with client_ca_file"
            ));
        }
        Some(other) => {
            return Err(format!(
                "{KEY}.client_auth_type: {other:?} is not a client auth type; use NoClientCert, \
                 VerifyClientCertIfGiven or RequireAndVerifyClientCert"
            ));
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&versions)
        .map_err(|e| format!("{KEY}: {e}"))?;
    let builder = match (client_auth, tls.client_ca_file) {
        (ClientAuth::None, None) => builder.with_no_client_auth(),
        (ClientAuth::None, Some(_)) => {
            return Err(format!(
                "{KEY}.client_ca_file: given, but client_auth_type asks for no client certificate; \
                 set client_auth_type: RequireAndVerifyClientCert (or VerifyClientCertIfGiven)"
            ));
        }
        (_, None) => {
            return Err(format!(
                "{KEY}.client_ca_file: missing; client_auth_type verifies client certificates against it"
            ));
        }
        (auth, Some(ca)) => {
            let ca_file = dir.join(ca);
            let verifier = client_verifier(&ca_file, auth, provider)
                .map_err(|e| format!("{KEY}.client_ca_file: {e}"))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_single_cert(certs, key).map_err(|e| {
        format!(
            "{KEY}: the key in {} does not go with the certificate in {}: {e}",
            key_file.display(),
            cert_file.display()
        )
    })?;
    // Prometheus and curl offer h2 too; this server speaks HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// `path`, when it is a readable file; otherwise what is wrong with it.
fn cert_or_key(path: &Path) -> Result<PathBuf, String> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(path.to_path_buf()),
        Ok(_) => Err(format!("{} is not a file", path.display())),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// A PEM error in words (its I/O errors are the file's).
fn pem_error(error: &rustls::pki_types::pem::Error) -> String {
    match error {
        rustls::pki_types::pem::Error::NoItemsFound => "no PEM section of that kind".to_string(),
        other => other.to_string(),
    }
}

/// The PEM certificates in `path` (at least one).
fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let path = cert_or_key(path)?;
    let certs = CertificateDer::pem_file_iter(&path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {}", path.display(), pem_error(&e)))?;
    if certs.is_empty() {
        return Err(format!(
            "no certificate (-----BEGIN CERTIFICATE-----) in {}",
            path.display()
        ));
    }
    Ok(certs)
}

/// The verifier of client certificates signed by the CAs in `ca_file`.
fn client_verifier(
    ca_file: &Path,
    auth: ClientAuth,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<dyn rustls::server::danger::ClientCertVerifier>, String> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(ca_file)? {
        roots
            .add(cert)
            .map_err(|e| format!("{}: not a CA certificate: {e}", ca_file.display()))?;
    }
    let builder = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
    let builder = if auth == ClientAuth::VerifyIfGiven {
        builder.allow_unauthenticated()
    } else {
        builder
    };
    builder
        .build()
        .map_err(|e| format!("{}: {e}", ca_file.display()))
}

/// The TLS versions from `min_version` to `max_version` (TLS 1.2 and 1.3
/// when neither is given, as in the exporter toolkit).
fn versions(
    min: Option<&str>,
    max: Option<&str>,
) -> Result<Vec<&'static rustls::SupportedProtocolVersion>, String> {
    let rank = |key: &str, value: &str| -> Result<u8, String> {
        match value {
            "TLS12" => Ok(12),
            "TLS13" => Ok(13),
            "TLS10" | "TLS11" => Err(format!(
                "tls_server_config.{key}: {value} is not supported: rustls speaks TLS 1.2 and 1.3 only; use TLS12 or TLS13"
            )),
            other => Err(format!(
                "tls_server_config.{key}: {other:?} is not a TLS version; use TLS12 or TLS13"
            )),
        }
    };
    let low = min
        .map(|v| rank("min_version", v))
        .transpose()?
        .unwrap_or(12);
    let high = max
        .map(|v| rank("max_version", v))
        .transpose()?
        .unwrap_or(13);
    if low > high {
        return Err("tls_server_config: min_version is above max_version".to_string());
    }
    let mut versions = Vec::new();
    if low <= 12 {
        versions.push(&rustls::version::TLS12);
    }
    if high >= 13 {
        versions.push(&rustls::version::TLS13);
    }
    Ok(versions)
}

/// The users of `basic_auth_users` and the check of their passwords.
///
/// A bcrypt check is slow by design, and Prometheus sends the same
/// credentials every few seconds, so a password that verified is
/// remembered, as the exporter toolkit does: as an HMAC under a key drawn
/// at start (never the password itself), one per user at most, so the
/// memory is bounded by the file. A wrong password is checked with bcrypt
/// every time; an unknown user costs the same bcrypt check as a known one,
/// so the time taken does not tell which users exist.
#[derive(Clone)]
pub struct Users {
    /// User name → bcrypt hash.
    hashes: HashMap<String, String>,
    /// User name → HMAC of the password that last verified.
    verified: HashMap<String, ring::hmac::Tag>,
    key: ring::hmac::Key,
    /// A hash of the highest cost given, checked against for unknown users.
    decoy: String,
    /// bcrypt checks made (for the tests).
    bcrypt_checks: u64,
}

impl Users {
    fn new(users: BTreeMap<String, String>) -> Result<Users, String> {
        const KEY: &str = "basic_auth_users";
        if users.is_empty() {
            return Err(format!(
                "{KEY}: no users; add `NAME: BCRYPT-HASH` lines or remove the key"
            ));
        }
        let mut decoy = (0, String::new());
        for (user, hash) in &users {
            if user.contains(':') {
                return Err(format!(
                    "{KEY}.{user}: a user name cannot hold ':' (basic auth splits there)"
                ));
            }
            let cost = hash
                .parse::<bcrypt::HashParts>()
                .map_err(|e| {
                    format!(
                        "{KEY}.{user}: not a bcrypt hash ({e}); make one with `htpasswd -nBC 10 {user}`"
                    )
                })?
                .get_cost();
            if !(4..=MAX_BCRYPT_COST).contains(&cost) {
                return Err(format!(
                    "{KEY}.{user}: bcrypt cost {cost} is outside 4 to {MAX_BCRYPT_COST} (each new check would take \
                     too long, and on the one thread that serves the scrapes); make a hash of cost 10 with \
                     `htpasswd -nBC 10 {user}`"
                ));
            }
            if cost > decoy.0 {
                decoy = (cost, hash.clone());
            }
        }
        let rng = ring::rand::SystemRandom::new();
        let key = ring::hmac::Key::generate(ring::hmac::HMAC_SHA256, &rng)
            .map_err(|_| format!("{KEY}: the system's random number generator failed"))?;
        Ok(Users {
            hashes: users.into_iter().collect(),
            verified: HashMap::new(),
            key,
            decoy: decoy.1,
            bcrypt_checks: 0,
        })
    }

    /// How many users there are.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether there are no users (never: the file must name one).
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Whether `user` and `password` are let in.
    pub fn check(&mut self, user: &str, password: &[u8]) -> bool {
        let Some(hash) = self.hashes.get(user) else {
            self.bcrypt_checks += 1;
            let _ = bcrypt::verify(password, &self.decoy);
            return false;
        };
        if let Some(tag) = self.verified.get(user)
            && ring::hmac::verify(&self.key, password, tag.as_ref()).is_ok()
        {
            return true;
        }
        self.bcrypt_checks += 1;
        let ok = bcrypt::verify(password, hash).unwrap_or(false);
        if ok {
            self.verified
                .insert(user.to_string(), ring::hmac::sign(&self.key, password));
        }
        ok
    }

    /// The bcrypt checks made so far (a check answered from memory makes
    /// none).
    pub fn bcrypt_checks(&self) -> u64 {
        self.bcrypt_checks
    }
}
