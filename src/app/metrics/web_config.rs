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
    let first = first.strip_prefix("error: ").unwrap_or(first);
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A directory with a self-signed certificate for 127.0.0.1 and
    /// localhost (`cert.pem`, `key.pem`) and a user `prom` whose password is
    /// `s3cret` (cost 4: quick).
    pub(crate) struct Fixture {
        pub dir: tempfile::TempDir,
        pub cert_pem: String,
        pub hash: String,
    }

    impl Fixture {
        pub fn new() -> Fixture {
            let dir = tempfile::tempdir().unwrap();
            let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
            let made = rcgen::generate_simple_self_signed(names).unwrap();
            let cert_pem = made.cert.pem();
            std::fs::write(dir.path().join("cert.pem"), &cert_pem).unwrap();
            std::fs::write(dir.path().join("key.pem"), made.signing_key.serialize_pem()).unwrap();
            Fixture {
                dir,
                cert_pem,
                hash: bcrypt::hash("s3cret", 4).unwrap(),
            }
        }

        /// Writes `text` as `web.yml` and loads it.
        pub fn load(&self, text: &str) -> Result<WebConfig, WebConfigError> {
            let path = self.dir.path().join("web.yml");
            std::fs::write(&path, text).unwrap();
            WebConfig::load(&path)
        }

        /// The message of loading `text`, which must fail; it names the file.
        fn refused(&self, text: &str) -> String {
            let message = self.load(text).unwrap_err().to_string();
            let file = self.dir.path().join("web.yml");
            assert!(
                message.starts_with(&format!("--metrics-web-config {}: ", file.display())),
                "{message}"
            );
            message
        }

        pub fn full(&self) -> String {
            format!(
                "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\nbasic_auth_users:\n  prom: {}\n",
                self.hash
            )
        }
    }

    #[test]
    fn tls_and_users_load_with_paths_relative_to_the_file() {
        let f = Fixture::new();
        // Run from elsewhere: the paths still resolve against the file.
        let web = f.load(&f.full()).unwrap();
        assert_eq!(web.scheme(), "https");
        assert_eq!(web.users.as_ref().map(Users::len), Some(1));
        let tls = web.tls.unwrap();
        assert_eq!(tls.alpn_protocols, vec![b"http/1.1".to_vec()]);

        // A subdirectory, and an absolute path, work too.
        std::fs::create_dir(f.dir.path().join("tls")).unwrap();
        std::fs::rename(
            f.dir.path().join("cert.pem"),
            f.dir.path().join("tls/cert.pem"),
        )
        .unwrap();
        let key = f.dir.path().join("key.pem");
        let text = format!(
            "tls_server_config:\n  cert_file: tls/cert.pem\n  key_file: {}\n",
            key.display()
        );
        let web = f.load(&text).unwrap();
        assert!(web.tls.is_some() && web.users.is_none());
    }

    #[test]
    fn an_empty_file_configures_nothing() {
        let f = Fixture::new();
        for text in ["", "\n# nothing yet\n", "{}\n"] {
            let web = f.load(text).unwrap();
            assert!(web.tls.is_none() && web.users.is_none(), "{text:?}");
            assert_eq!(web.scheme(), "http");
        }
        let web = f
            .load(&format!("basic_auth_users:\n  prom: {}\n", f.hash))
            .unwrap();
        assert!(web.tls.is_none() && web.users.is_some());
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let f = Fixture::new();
        let m = f.refused("tls_server_confg:\n  cert_file: cert.pem\n");
        assert!(m.contains("tls_server_confg"), "{m}");
        let m = f.refused("tls_server_config:\n  cert_file: cert.pem\n  key_fil: key.pem\n");
        assert!(m.contains("key_fil"), "{m}");
        let m = f.refused("basic_auth_users: [a, b]\n");
        assert!(m.contains("not a valid web configuration"), "{m}");
        let m = f.refused("tls_server_config: {\n");
        assert!(m.contains("not a valid web configuration"), "{m}");
    }

    #[test]
    fn options_portclass_does_not_offer_are_refused_by_name() {
        let f = Fixture::new();
        let tls = "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n";
        let cases = [
            (
                "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
                "tls_server_config.cipher_suites: not supported",
            ),
            (
                "  curve_preferences: [X25519]\n",
                "tls_server_config.curve_preferences: not supported",
            ),
            (
                "  prefer_server_cipher_suites: true\n",
                "tls_server_config.prefer_server_cipher_suites: not supported",
            ),
            (
                "  client_allowed_sans: [a]\n",
                "tls_server_config.client_allowed_sans: not supported",
            ),
            (
                "  min_version: TLS11\n",
                "tls_server_config.min_version: TLS11 is not supported",
            ),
            (
                "  max_version: SSL3\n",
                "tls_server_config.max_version: \"SSL3\" is not a TLS version",
            ),
            (
                "  min_version: TLS13\n  max_version: TLS12\n",
                "min_version is above max_version",
            ),
            (
                "  client_auth_type: RequireAnyClientCert\n",
                "tls_server_config.client_auth_type: RequireAnyClientCert is not supported",
            ),
            (
                "  client_auth_type: Sometimes\n",
                "tls_server_config.client_auth_type: \"Sometimes\" is not a client auth type",
            ),
            (
                "  client_auth_type: RequireAndVerifyClientCert\n",
                "tls_server_config.client_ca_file: missing",
            ),
            (
                "  client_ca_file: cert.pem\n",
                "tls_server_config.client_ca_file: given, but client_auth_type",
            ),
        ];
        for (extra, want) in cases {
            let m = f.refused(&format!("{tls}{extra}"));
            assert!(m.contains(want), "{extra}: {m}");
        }
        let m = f.refused("http_server_config:\n  http2: false\n");
        assert!(m.contains("http_server_config: not supported"), "{m}");
        let m = f.refused("tls_server_config:\n  cert: |\n    x\n  key_file: key.pem\n");
        assert!(m.contains("tls_server_config.cert: not supported"), "{m}");
        // TLS 1.3 only is fine.
        assert!(f.load(&format!("{tls}  min_version: TLS13\n")).is_ok());
    }

    #[test]
    fn certificates_and_keys_that_do_not_load_are_named() {
        let f = Fixture::new();
        let m = f.refused("tls_server_config:\n  cert_file: cert.pem\n");
        assert!(m.contains("tls_server_config.key_file: missing"), "{m}");
        let m = f.refused("tls_server_config:\n  cert_file: nope.pem\n  key_file: key.pem\n");
        assert!(
            m.contains("tls_server_config.cert_file: cannot read"),
            "{m}"
        );
        assert!(m.contains("nope.pem"), "{m}");
        // The key where the certificate should be, and the other way round.
        let m = f.refused("tls_server_config:\n  cert_file: key.pem\n  key_file: key.pem\n");
        assert!(m.contains("tls_server_config.cert_file"), "{m}");
        let m = f.refused("tls_server_config:\n  cert_file: cert.pem\n  key_file: cert.pem\n");
        assert!(
            m.contains("tls_server_config.key_file: no private key"),
            "{m}"
        );
        // A key of another certificate.
        let other = rcgen::KeyPair::generate().unwrap();
        std::fs::write(f.dir.path().join("other.pem"), other.serialize_pem()).unwrap();
        let m = f.refused("tls_server_config:\n  cert_file: cert.pem\n  key_file: other.pem\n");
        assert!(m.contains("does not go with the certificate"), "{m}");
    }

    #[test]
    fn users_need_bcrypt_hashes_of_a_bearable_cost() {
        let f = Fixture::new();
        let m = f.refused("basic_auth_users:\n  prom: s3cret\n");
        assert!(
            m.contains("basic_auth_users.prom: not a bcrypt hash"),
            "{m}"
        );
        assert!(m.contains("htpasswd -nBC 10 prom"), "{m}");
        // The same hash, claiming cost 15: refused before any check.
        let costly = format!("$2y$15${}", &f.hash[7..]);
        let m = f.refused(&format!("basic_auth_users:\n  prom: {costly}\n"));
        assert!(m.contains("bcrypt cost 15 is outside 4 to 14"), "{m}");
        let m = f.refused("basic_auth_users: {}\n");
        assert!(m.contains("basic_auth_users: no users"), "{m}");
        let m = f.refused(&format!("basic_auth_users:\n  \"a:b\": {}\n", f.hash));
        assert!(m.contains("cannot hold ':'"), "{m}");
    }

    #[test]
    fn a_verified_password_is_remembered_and_wrong_ones_never_are() {
        let f = Fixture::new();
        let mut users = f
            .load(&format!("basic_auth_users:\n  prom: {}\n", f.hash))
            .unwrap()
            .users
            .unwrap();
        assert!(users.check("prom", b"s3cret"));
        assert_eq!(users.bcrypt_checks(), 1);
        for _ in 0..5 {
            assert!(users.check("prom", b"s3cret"));
        }
        assert_eq!(users.bcrypt_checks(), 1, "later checks come from memory");
        assert!(!users.check("prom", b"s3cret "));
        assert!(!users.check("prom", b""));
        assert_eq!(
            users.bcrypt_checks(),
            3,
            "every wrong password costs a check"
        );
        // An unknown user costs a check too (the time tells nothing).
        assert!(!users.check("root", b"s3cret"));
        assert_eq!(users.bcrypt_checks(), 4);
        assert!(users.check("prom", b"s3cret"));
        assert_eq!(users.bcrypt_checks(), 4);
        assert_eq!(users.verified.len(), 1, "one remembered password per user");
    }
}
