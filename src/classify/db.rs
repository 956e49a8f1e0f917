//! The port database: the built-in table, the system services file and a
//! user file, merged into one sorted list.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};

use super::naming::{Naming, NamingRule, PortClass};
use super::parse::{self, LineProblem, ParsedEntry};
use super::{DYNAMIC, FAILED, UNASSIGNED};
use crate::decode::Transport;

/// The built-in port database, compiled in from `port-db/services.tsv`.
pub const BUILTIN_PORT_DB: &str = include_str!("../../port-db/services.tsv");

/// How many bad lines of the system services file are listed one by one
/// in [`PortDb::warnings`] before the rest are only counted.
const LISTED_SYSTEM_PROBLEMS: usize = 5;

/// Which layer an entry comes from. JSON names it as [`Source::name`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The table compiled into portclass (`port-db/services.tsv`).
    Builtin,
    /// The system services file, normally `/etc/services`.
    System,
    /// A file the user named (`--port-db FILE`).
    User,
}

impl Source {
    /// Lower-case name for output: `builtin`, `system` or `user`.
    pub fn name(self) -> &'static str {
        match self {
            Source::Builtin => "builtin",
            Source::System => "system",
            Source::User => "user",
        }
    }

    /// All layers, from the compiled-in one to the user's.
    pub const ALL: [Source; 3] = [Source::Builtin, Source::System, Source::User];

    /// Order of entries for one (port, transport): the user's first, then
    /// the built-in ones, then the system file's.
    fn precedence(self) -> u8 {
        match self {
            Source::User => 0,
            Source::Builtin => 1,
            Source::System => 2,
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One service name for one port and transport.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortEntry {
    /// The port number.
    pub port: u16,
    /// The transport the assignment is for.
    pub transport: Transport,
    /// Short lower-case service keyword, e.g. `ssh`, `dns`, `https`.
    pub service: String,
    /// Free-text description.
    pub description: String,
    /// Other names from a services-format line (`discard 9/tcp sink null`
    /// has aliases `sink` and `null`); for a built-in entry, the names the
    /// system services file gives its port (`domain` for 53 `dns`).
    pub aliases: Vec<String>,
    /// The layer the entry comes from.
    pub source: Source,
}

impl PortEntry {
    /// The IANA class of the entry's port.
    pub fn class(&self) -> PortClass {
        PortClass::of(self.port)
    }

    /// Whether `name` is this entry's service keyword or one of its
    /// aliases, ignoring ASCII case.
    pub fn is_named(&self, name: &str) -> bool {
        self.service.eq_ignore_ascii_case(name)
            || self
                .aliases
                .iter()
                .any(|alias| alias.eq_ignore_ascii_case(name))
    }

    /// Whether the service keyword or an alias starts with `prefix`,
    /// ignoring ASCII case.
    pub fn has_name_starting_with(&self, prefix: &str) -> bool {
        let starts = |name: &str| {
            name.as_bytes()
                .get(..prefix.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(prefix.as_bytes()))
        };
        starts(&self.service) || self.aliases.iter().any(|alias| starts(alias))
    }

    /// Takes the names of `other`, an entry of a lower layer for the same
    /// pair, as aliases (those this entry has not already).
    fn adopt_names(&mut self, other: PortEntry) {
        for name in std::iter::once(other.service).chain(other.aliases) {
            if !self.is_named(&name) {
                self.aliases.push(name);
            }
        }
    }

    fn from_parsed(parsed: ParsedEntry, source: Source) -> Self {
        PortEntry {
            port: parsed.port,
            transport: parsed.transport,
            service: parsed.service,
            description: parsed.description,
            aliases: parsed.aliases,
            source,
        }
    }

    /// Sort key: entries of one (port, transport) sit together, in layer
    /// precedence; a stable sort keeps file order within a layer.
    fn sort_key(&self) -> (u16, Transport, u8) {
        (self.port, self.transport, self.source.precedence())
    }
}

/// Loading the user's port database failed.
#[derive(Debug, thiserror::Error)]
pub enum PortDbError {
    /// The file could not be read.
    #[error(
        "cannot read the port database {}: {cause}; check the path given to --port-db",
        path.display()
    )]
    Read {
        /// The file named by the user.
        path: PathBuf,
        /// What the operating system said.
        cause: io::Error,
    },
    /// A line of the file is malformed.
    #[error(
        "{}:{line}: {problem}{}; fix or delete that line",
        path.display(),
        more_note(*.other_bad_lines)
    )]
    Line {
        /// The file named by the user.
        path: PathBuf,
        /// 1-based number of the first bad line.
        line: usize,
        /// What is wrong with it.
        problem: LineProblem,
        /// How many more lines after it are bad.
        other_bad_lines: usize,
    },
}

fn more_note(other_bad_lines: usize) -> String {
    match other_bad_lines {
        0 => String::new(),
        1 => " (and 1 more bad line)".to_owned(),
        n => format!(" (and {n} more bad lines)"),
    }
}

/// The merged port database: every entry of every layer, sorted by port,
/// transport and layer precedence. Lookups by (transport, port) are binary
/// searches.
#[derive(Clone, Debug, Default)]
pub struct PortDb {
    entries: Vec<PortEntry>,
    warnings: Vec<String>,
}

impl PortDb {
    /// The built-in database alone.
    ///
    /// Its file is validated by the tests, so a bad line is a bug; in a
    /// release build such a line is skipped rather than a panic.
    pub fn builtin() -> PortDb {
        let mut db = PortDb {
            entries: builtin_entries(),
            warnings: Vec::new(),
        };
        db.sort_and_dedup();
        db
    }

    /// The built-in database, then the system services file, then the user
    /// file.
    ///
    /// - `system` (normally `/etc/services`) only adds entries for
    ///   (port, transport) pairs the built-in table lacks; for the others,
    ///   its names become aliases of the primary built-in entry, so that
    ///   [`PortDb::query`] finds `postgres` or `domain`. A missing file is
    ///   skipped silently; an unreadable one, and its bad lines, are skipped
    ///   with a note in [`PortDb::warnings`].
    /// - `user` entries, in the port-db or the `/etc/services` format
    ///   (detected line by line), come first for the pairs they name; the
    ///   lower layers' entries for those pairs stay listed after them. A
    ///   missing, unreadable or malformed user file is an error.
    ///
    /// Within one pair, an entry whose service keyword a higher layer
    /// already lists is dropped, so a user line that redefines `80 tcp http`
    /// replaces the built-in description instead of repeating the name.
    pub fn layered(system: Option<&Path>, user: Option<&Path>) -> Result<PortDb, PortDbError> {
        let mut warnings = Vec::new();
        let builtin = builtin_entries();
        let system_entries = match system {
            Some(path) => read_system_file(path, &mut warnings),
            None => Vec::new(),
        };
        let user_entries = match user {
            Some(path) => read_user_file(path)?,
            None => Vec::new(),
        };

        // The primary built-in entry of each pair (the first in file order).
        let mut builtin_primary: HashMap<(u16, Transport), usize> = HashMap::new();
        for (index, e) in builtin.iter().enumerate() {
            builtin_primary
                .entry((e.port, e.transport))
                .or_insert(index);
        }
        let mut entries = builtin;
        for system_entry in system_entries {
            match builtin_primary.get(&(system_entry.port, system_entry.transport)) {
                // The built-in name stands; the system's names find it
                // (`postgres`, `domain`).
                Some(&primary) => entries[primary].adopt_names(system_entry),
                None => entries.push(system_entry),
            }
        }
        entries.extend(user_entries);

        let mut db = PortDb { entries, warnings };
        db.sort_and_dedup();
        Ok(db)
    }

    fn sort_and_dedup(&mut self) {
        self.entries.sort_by_key(PortEntry::sort_key);
        let mut seen = HashSet::new();
        self.entries
            .retain(|e| seen.insert((e.port, e.transport, e.service.clone())));
    }

    /// Problems met while loading the system services file, one message
    /// each, for the caller to print as warnings.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Every entry for a transport and port, the primary one first, then the
    /// conflicting ones; empty when the port is not in the database.
    pub fn entries_for(&self, transport: Transport, port: u16) -> &[PortEntry] {
        let key = (port, transport);
        let start = self
            .entries
            .partition_point(|e| (e.port, e.transport) < key);
        let length = self.entries[start..].partition_point(|e| (e.port, e.transport) == key);
        &self.entries[start..start + length]
    }

    /// Every entry for the ports of `ports`, in database order.
    pub fn entries_in(&self, ports: std::ops::RangeInclusive<u16>) -> &[PortEntry] {
        let start = self.entries.partition_point(|e| e.port < *ports.start());
        let length = self.entries[start..].partition_point(|e| e.port <= *ports.end());
        &self.entries[start..start + length]
    }

    /// The entry shown for a transport and port by default.
    pub fn primary(&self, transport: Transport, port: u16) -> Option<&PortEntry> {
        self.entries_for(transport, port).first()
    }

    /// Whether any layer has an entry for this transport and port.
    pub fn contains(&self, transport: Transport, port: u16) -> bool {
        self.primary(transport, port).is_some()
    }

    /// The label a frame's row is shown under: the primary service of the
    /// naming port, [`UNASSIGNED`] for a port with no entry, [`DYNAMIC`] or
    /// [`FAILED`].
    pub fn label(&self, transport: Transport, naming: Naming) -> &str {
        match naming {
            Naming::Port(port) => self
                .primary(transport, port)
                .map_or(UNASSIGNED, |entry| entry.service.as_str()),
            Naming::Dynamic => DYNAMIC,
            Naming::Failed => FAILED,
        }
    }

    /// Number of entries in all layers.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the database has no entries at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All entries, by port, then transport, primary first.
    pub fn entries(&self) -> impl Iterator<Item = &PortEntry> {
        self.entries.iter()
    }

    /// The per-packet naming rule for this database. Builds two small
    /// bitsets; call once and keep the result.
    pub fn naming_rule(&self) -> NamingRule {
        NamingRule::from_known_ports(self.entries.iter().map(|e| (e.transport, e.port)))
    }
}

fn builtin_entries() -> Vec<PortEntry> {
    let parsed = parse::parse_file(BUILTIN_PORT_DB.as_bytes());
    debug_assert!(
        parsed.problems.is_empty(),
        "port-db/services.tsv has bad lines: {:?}",
        parsed.problems
    );
    parsed
        .entries
        .into_iter()
        .map(|e| PortEntry::from_parsed(e, Source::Builtin))
        .collect()
}

/// Reads the system services file; every problem becomes a warning.
fn read_system_file(path: &Path, warnings: &mut Vec<String>) -> Vec<PortEntry> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Vec::new(),
        Err(error) => {
            warnings.push(format!(
                "skipped the system services file {}: {error}",
                path.display()
            ));
            return Vec::new();
        }
    };
    let parsed = parse::parse_file(&bytes);
    for (line, problem) in parsed.problems.iter().take(LISTED_SYSTEM_PROBLEMS) {
        warnings.push(format!("{}:{line}: skipped: {problem}", path.display()));
    }
    let unlisted = parsed.problems.len().saturating_sub(LISTED_SYSTEM_PROBLEMS);
    if unlisted > 0 {
        warnings.push(format!(
            "{}: skipped {unlisted} more bad lines",
            path.display()
        ));
    }
    parsed
        .entries
        .into_iter()
        .map(|e| PortEntry::from_parsed(e, Source::System))
        .collect()
}

/// Reads the user's file; the first bad line is an error.
fn read_user_file(path: &Path) -> Result<Vec<PortEntry>, PortDbError> {
    let bytes = std::fs::read(path).map_err(|cause| PortDbError::Read {
        path: path.to_owned(),
        cause,
    })?;
    let parsed = parse::parse_file(&bytes);
    if let Some((line, problem)) = parsed.problems.first() {
        return Err(PortDbError::Line {
            path: path.to_owned(),
            line: *line,
            problem: problem.clone(),
            other_bad_lines: parsed.problems.len() - 1,
        });
    }
    Ok(parsed
        .entries
        .into_iter()
        .map(|e| PortEntry::from_parsed(e, Source::User))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Transport::{Sctp, Tcp, Udp};
    use std::collections::HashMap;
    use std::io::Write;

    const SEED_PATH: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/seed/ports-article.txt"
    );

    fn temp_file(contents: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().expect("create temp file");
        file.write_all(contents).expect("write temp file");
        file
    }

    fn services(entries: &[PortEntry]) -> Vec<(&str, Source)> {
        entries
            .iter()
            .map(|e| (e.service.as_str(), e.source))
            .collect()
    }

    fn keys<'a>(entries: &[&'a PortEntry]) -> Vec<(u16, Transport, &'a str)> {
        entries
            .iter()
            .map(|e| (e.port, e.transport, e.service.as_str()))
            .collect()
    }

    // ---- the built-in file ----

    #[test]
    fn builtin_file_parses_without_problems() {
        let parsed = parse::parse_file(BUILTIN_PORT_DB.as_bytes());
        assert_eq!(parsed.problems, []);
        // Every non-comment line is exactly PORT, TRANSPORT, SERVICE,
        // DESCRIPTION separated by single tabs, so the file stays uniform.
        for (index, line) in BUILTIN_PORT_DB.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 4, "line {}: {line:?}", index + 1);
            assert!(
                fields.iter().all(|f| !f.is_empty() && f.trim() == *f),
                "line {}: empty field or stray spaces: {line:?}",
                index + 1
            );
        }
    }

    #[test]
    fn builtin_has_at_least_300_entries() {
        let db = PortDb::builtin();
        assert!(db.len() >= 300, "only {} entries", db.len());
        assert_eq!(
            db.len(),
            parse::parse_file(BUILTIN_PORT_DB.as_bytes()).entries.len()
        );
    }

    #[test]
    fn builtin_has_no_duplicate_port_transport_service() {
        let parsed = parse::parse_file(BUILTIN_PORT_DB.as_bytes());
        let mut seen = HashSet::new();
        for e in &parsed.entries {
            assert!(
                seen.insert((e.port, e.transport, e.service.clone())),
                "duplicate {}/{} {}",
                e.port,
                e.transport.name(),
                e.service
            );
        }
    }

    #[test]
    fn builtin_service_keywords_are_short_lower_case_words() {
        let is_keyword = |name: &str| {
            let mut bytes = name.bytes();
            bytes
                .next()
                .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                && bytes
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+.-".contains(&b))
        };
        for e in PortDb::builtin().entries() {
            assert!(
                is_keyword(&e.service),
                "bad keyword {:?} on {}",
                e.service,
                e.port
            );
            assert!(e.service.len() <= 24, "keyword too long: {}", e.service);
            assert!(
                !e.description.is_empty(),
                "{} has no description",
                e.service
            );
            assert_eq!(e.source, Source::Builtin);
            assert!(e.aliases.is_empty());
        }
    }

    #[test]
    fn builtin_covers_every_transport() {
        let db = PortDb::builtin();
        for transport in Transport::ALL {
            assert!(
                db.entries().any(|e| e.transport == transport),
                "no {} entries",
                transport.name()
            );
        }
    }

    /// Parses `| 22/TCP,UDP | SSH ... |` rows into (port, transport, description).
    fn seed_rows(text: &str) -> Vec<(u16, Transport, String)> {
        let mut rows = Vec::new();
        for line in text.lines() {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let [_, key, description, _] = cells.as_slice() else {
                continue;
            };
            let Some((port, transports)) = key.split_once('/') else {
                continue;
            };
            let Ok(port) = port.parse::<u16>() else {
                continue;
            };
            for name in transports.split(',') {
                let transport = Transport::parse(name)
                    .unwrap_or_else(|| panic!("seed row {line:?}: transport {name:?}"));
                rows.push((port, transport, (*description).to_owned()));
            }
        }
        rows
    }

    /// Every seed row is present with its description verbatim (exact
    /// equality, after trimming the table cell).
    #[test]
    fn builtin_holds_every_seed_row() {
        let Ok(seed) = std::fs::read_to_string(SEED_PATH) else {
            crate::test_skipped("../shared/seed/ports-article.txt not found");
            return;
        };
        let rows = seed_rows(&seed);
        assert!(
            rows.len() >= 190,
            "seed table not recognised: {} rows",
            rows.len()
        );
        let db = PortDb::builtin();
        let missing: Vec<String> = rows
            .iter()
            .filter(|(port, transport, description)| {
                !db.entries_for(*transport, *port)
                    .iter()
                    .any(|e| e.description == *description)
            })
            .map(|(port, transport, description)| {
                format!("{port}/{} {description:?}", transport.name())
            })
            .collect();
        assert!(
            missing.is_empty(),
            "seed rows missing:\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn builtin_spot_checks() {
        let db = PortDb::builtin();
        let primary = |transport, port| db.primary(transport, port).map(|e| e.service.as_str());
        for (transport, port, service) in [
            (Tcp, 22, "ssh"),
            (Udp, 53, "dns"),
            (Tcp, 53, "dns"),
            (Tcp, 443, "https"),
            (Udp, 443, "https"),
            (Tcp, 80, "http"),
            (Udp, 80, "skype"),
            (Udp, 123, "ntp"),
            (Tcp, 3306, "mysql"),
            (Tcp, 5432, "postgresql"),
            (Tcp, 27017, "mongodb"),
            (Tcp, 6379, "redis"),
            (Tcp, 3389, "rdp"),
            (Udp, 5353, "mdns"),
            (Udp, 51820, "wireguard"),
            (Udp, 4789, "vxlan"),
            (Udp, 2152, "gtp-u"),
            (Sctp, 2905, "m3ua"),
            (Sctp, 5060, "sip"),
        ] {
            assert_eq!(
                primary(transport, port),
                Some(service),
                "{port}/{}",
                transport.name()
            );
        }
        assert_eq!(
            services(db.entries_for(Tcp, 80)),
            [("http", Source::Builtin), ("skype", Source::Builtin)]
        );
        assert_eq!(
            services(db.entries_for(Udp, 443)),
            [("https", Source::Builtin), ("quic", Source::Builtin)]
        );
        let smb_tcp = db.primary(Tcp, 445).map(|e| e.description.as_str());
        let smb_udp = db.primary(Udp, 445).map(|e| e.description.as_str());
        assert!(smb_tcp.is_some() && smb_udp.is_some() && smb_tcp != smb_udp);
        assert!(!db.contains(Sctp, 80));
        assert_eq!(db.entries_for(Tcp, 51234), []);
    }

    /// The defaults of common infrastructure software, each by the name its
    /// users know (the primary entry, so traffic is counted under it).
    #[test]
    fn builtin_names_common_infrastructure_defaults() {
        let db = PortDb::builtin();
        let primary = |transport, port| db.primary(transport, port).map(|e| e.service.as_str());
        let cases = [
            // measurement
            (Tcp, 5201, "iperf3"),
            (Udp, 5201, "iperf3"),
            (Udp, 33434, "traceroute"),
            (Udp, 33480, "traceroute"),
            (Udp, 33534, "traceroute"),
            // monitoring
            (Tcp, 9090, "prometheus"),
            (Tcp, 9093, "alertmanager"),
            (Tcp, 3000, "grafana"),
            (Tcp, 10050, "zabbix-agent"),
            (Tcp, 5666, "nrpe"),
            (Udp, 25826, "collectd"),
            (Udp, 8125, "statsd"),
            (Tcp, 2003, "graphite"),
            (Tcp, 8086, "influxdb"),
            (Tcp, 9200, "elasticsearch"),
            (Tcp, 5601, "kibana"),
            (Tcp, 3100, "loki"),
            (Tcp, 4317, "otlp"),
            (Tcp, 4318, "otlp-http"),
            (Tcp, 9411, "zipkin"),
            (Tcp, 16686, "jaeger-ui"),
            // databases
            (Tcp, 3306, "mysql"),
            (Tcp, 5432, "postgresql"),
            (Tcp, 27017, "mongodb"),
            (Tcp, 6379, "redis"),
            (Tcp, 9042, "cassandra"),
            (Tcp, 8123, "clickhouse-http"),
            (Tcp, 26257, "cockroachdb"),
            (Tcp, 8091, "couchbase"),
            (Tcp, 5984, "couchdb"),
            (Tcp, 7687, "bolt"),
            (Tcp, 1521, "oracle"),
            (Tcp, 1433, "mssql"),
            (Tcp, 2379, "etcd-client"),
            // messaging
            (Tcp, 9092, "kafka"),
            (Tcp, 2181, "zookeeper"),
            (Tcp, 5672, "amqp"),
            (Tcp, 1883, "mqtt"),
            (Tcp, 4222, "nats"),
            (Tcp, 61616, "activemq"),
            (Tcp, 6650, "pulsar"),
            // containers and orchestration
            (Tcp, 2375, "docker"),
            (Tcp, 2376, "docker-tls"),
            (Tcp, 6443, "kube-apiserver"),
            (Tcp, 10250, "kubelet"),
            (Tcp, 2380, "etcd-server"),
            (Tcp, 8500, "consul"),
            (Tcp, 4646, "nomad"),
            (Tcp, 8200, "vault"),
            // VPN
            (Udp, 1194, "openvpn"),
            (Udp, 51820, "wireguard"),
            (Udp, 500, "isakmp"),
            (Udp, 4500, "ipsec-nat-t"),
            (Udp, 1701, "l2tp"),
            (Tcp, 1723, "pptp"),
            (Udp, 41641, "tailscale"),
        ];
        let wrong: Vec<String> = cases
            .iter()
            .filter(|(transport, port, service)| primary(*transport, *port) != Some(*service))
            .map(|(transport, port, service)| {
                format!(
                    "{port}/{}: {:?}, expected {service}",
                    transport.name(),
                    primary(*transport, *port)
                )
            })
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        // The traceroute range ends where its line says.
        assert!(!db.contains(Udp, 33433));
        assert!(!db.contains(Udp, 33535));
        // A registry assignment stays primary over a vendor default on the
        // same port; the default is listed after it.
        assert_eq!(
            services(db.entries_for(Tcp, 9100)),
            [
                ("jetdirect", Source::Builtin),
                ("node-exporter", Source::Builtin)
            ]
        );
    }

    #[test]
    fn entries_are_sorted_and_grouped() {
        let db = PortDb::builtin();
        let sorted = db
            .entries
            .windows(2)
            .all(|pair| (pair[0].port, pair[0].transport) <= (pair[1].port, pair[1].transport));
        assert!(sorted);
        // entries_for finds exactly the entries a linear scan finds.
        let mut by_pair: HashMap<(u16, Transport), usize> = HashMap::new();
        for e in db.entries() {
            *by_pair.entry((e.port, e.transport)).or_default() += 1;
        }
        for ((port, transport), count) in by_pair {
            assert_eq!(db.entries_for(transport, port).len(), count);
        }
    }

    // ---- coverage of the ports scans find open most often ----

    /// nmap's service table, as Debian's `nmap-common` package installs it;
    /// read at test time, never copied into the repository.
    const NMAP_SERVICES: &str = "/usr/share/nmap/nmap-services";

    /// How many of nmap's most frequently open ports, per transport, the
    /// built-in database must name: the sets `nmap --top-ports 1000` (TCP)
    /// and `nmap -sU --top-ports 300` scan.
    const TOP_TCP: usize = 1000;
    const TOP_UDP: usize = 300;

    /// Ports among those top ones that the built-in database leaves
    /// unnamed on purpose: the IANA registry assigns them to nothing on
    /// that transport (each below 49152 checked against its 2023-06-29
    /// revision; it assigns nothing from 49152 up), we know of no
    /// documented vendor default for them, and nmap itself calls 255 of
    /// these 269 `unknown` (they are in its list because Internet-wide
    /// scans found them open, not because a known service uses them; the
    /// 14 it does name are registrations since withdrawn or reserved, or
    /// names we found no registration or vendor documentation for).
    /// Naming them would mean inventing a service. Among them are the
    /// first ports of the Windows dynamic range on UDP (49152 and up),
    /// where scans meet Windows hosts' ephemeral sockets rather than a
    /// service: a name there would also claim the ephemeral ports of
    /// clients. The test below fails if one of them gets a name (so the
    /// list only shrinks) and if any other top port has none.
    const UNNAMED_TOP_TCP: [u16; 158] = [
        4, 6, 30, 32, 254, 255, 301, 306, 340, 722, 726, 787, 880, 1007, 1009, 1011, 1783, 3404,
        3546, 4998, 5030, 5214, 5440, 5544, 5998, 6156, 6565, 6567, 6646, 6692, 6779, 6792, 6839,
        7103, 7106, 7435, 7512, 7625, 7911, 7920, 7921, 8010, 8011, 8031, 8045, 8099, 8254, 8290,
        8654, 8701, 8994, 9071, 9099, 9110, 9220, 9290, 9415, 9485, 9502, 9503, 9575, 9917, 9943,
        9968, 10012, 10180, 10215, 10566, 10616, 10617, 10621, 10626, 10628, 10629, 10778, 12174,
        12265, 13456, 14238, 14441, 14442, 15003, 15004, 15742, 16012, 16016, 16018, 16113, 17877,
        18040, 18101, 18988, 19101, 19350, 19780, 19801, 19842, 20221, 20828, 21571, 22939, 23502,
        24444, 25734, 25735, 26214, 27352, 27353, 27355, 27356, 27715, 28201, 30951, 31038, 33354,
        33899, 34571, 34572, 34573, 35500, 40193, 40911, 41511, 44176, 44442, 44443, 44501, 45100,
        48080, 49400, 49999, 50389, 50636, 51103, 51493, 52673, 52822, 52848, 54045, 54328, 55055,
        55056, 55555, 55600, 56737, 56738, 57294, 57797, 58080, 60443, 61532, 61900, 63331, 64623,
        64680, 65000, 65129, 65389,
    ];
    const UNNAMED_TOP_UDP: [u16; 111] = [
        983, 1001, 1014, 1019, 1028, 1030, 1031, 1032, 11487, 16680, 16832, 16947, 18449, 19120,
        19503, 19616, 19682, 20019, 20126, 20389, 21383, 22846, 22986, 22996, 25375, 27195, 27892,
        28547, 29823, 30365, 31073, 31681, 31891, 32815, 32818, 32931, 33281, 33354, 33355, 33744,
        34125, 34555, 34861, 34862, 34892, 35438, 35777, 36206, 37444, 39213, 39888, 40116, 40441,
        41058, 41524, 42172, 44968, 49152, 49153, 49154, 49156, 49158, 49159, 49160, 49162, 49163,
        49165, 49166, 49167, 49168, 49169, 49171, 49172, 49174, 49175, 49179, 49180, 49181, 49182,
        49184, 49185, 49186, 49187, 49188, 49189, 49190, 49191, 49192, 49193, 49194, 49195, 49196,
        49198, 49199, 49200, 49201, 49202, 49204, 49205, 49208, 49209, 49210, 49211, 49212, 49213,
        49215, 52225, 52503, 53571, 58002, 65024,
    ];

    /// `(port, transport, open frequency)` of every tcp and udp line of an
    /// nmap-services file (`NAME<TAB>PORT/PROTO<TAB>FREQUENCY[<TAB># COMMENT]`).
    fn nmap_frequencies(text: &str) -> Vec<(u16, Transport, f64)> {
        let mut rows = Vec::new();
        for line in text.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            let (Some(port_proto), Some(frequency)) = (fields.get(1), fields.get(2)) else {
                panic!("nmap-services line without PORT/PROTO and frequency: {line:?}");
            };
            let Some((port, proto)) = port_proto.split_once('/') else {
                panic!("nmap-services line without PORT/PROTO: {line:?}");
            };
            let transport = match proto {
                "tcp" => Transport::Tcp,
                "udp" => Transport::Udp,
                _ => continue,
            };
            let port = port
                .parse::<u16>()
                .unwrap_or_else(|_| panic!("bad port in nmap-services: {line:?}"));
            let frequency = frequency
                .parse::<f64>()
                .unwrap_or_else(|_| panic!("bad frequency in nmap-services: {line:?}"));
            rows.push((port, transport, frequency));
        }
        rows
    }

    /// The `count` most frequently open ports of one transport, most
    /// frequent first; equal frequencies in port order, which is the order
    /// `nmap --top-ports` picks them in.
    fn top_ports(rows: &[(u16, Transport, f64)], transport: Transport, count: usize) -> Vec<u16> {
        let mut ports: Vec<(u16, f64)> = rows
            .iter()
            .filter(|row| row.1 == transport)
            .map(|row| (row.0, row.2))
            .collect();
        ports.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        assert!(
            ports.len() >= count,
            "{NMAP_SERVICES} has only {} {} ports",
            ports.len(),
            transport.name()
        );
        ports.truncate(count);
        ports.into_iter().map(|(port, _)| port).collect()
    }

    #[test]
    fn builtin_names_nmaps_most_frequently_open_ports() {
        let Ok(text) = std::fs::read_to_string(NMAP_SERVICES) else {
            crate::test_skipped(format_args!(
                "{NMAP_SERVICES} not found (install Debian's nmap package to measure coverage)"
            ));
            return;
        };
        let rows = nmap_frequencies(&text);
        let db = PortDb::builtin();
        let mut problems = Vec::new();
        for (transport, count, unnamed) in [
            (Tcp, TOP_TCP, &UNNAMED_TOP_TCP[..]),
            (Udp, TOP_UDP, &UNNAMED_TOP_UDP[..]),
        ] {
            let top = top_ports(&rows, transport, count);
            let named = top
                .iter()
                .filter(|&&port| db.contains(transport, port))
                .count();
            eprintln!(
                "built-in database names {named} of nmap's top {count} {} ports",
                transport.name()
            );
            for &port in &top {
                let listed = unnamed.contains(&port);
                match (db.contains(transport, port), listed) {
                    (false, false) => {
                        problems.push(format!("{port}/{} has no name", transport.name()))
                    }
                    (true, true) => problems.push(format!(
                        "{port}/{} is named now: take it off the unnamed list",
                        transport.name()
                    )),
                    _ => {}
                }
            }
            for &port in unnamed {
                if !top.contains(&port) {
                    problems.push(format!(
                        "{port}/{} is listed as unnamed but is not in the top {count}",
                        transport.name()
                    ));
                }
            }
        }
        assert!(
            problems.is_empty(),
            "{} problems:\n{}",
            problems.len(),
            problems.join("\n")
        );
    }

    #[test]
    fn top_ports_follow_nmaps_order() {
        let rows = nmap_frequencies(
            "# comment\n             a\t10/tcp\t0.5\n             b\t7/tcp\t0.25\t# ties with 5\n             c\t5/tcp\t0.25\n             d\t3/udp\t0.9\n             e\t1/ddp\t0.99\n",
        );
        assert_eq!(rows.len(), 4, "{rows:?}");
        assert_eq!(top_ports(&rows, Tcp, 2), [10, 5]);
        assert_eq!(top_ports(&rows, Tcp, 3), [10, 5, 7]);
        assert_eq!(top_ports(&rows, Udp, 1), [3]);
    }

    // ---- layers ----

    const SYSTEM_FILE: &[u8] = b"# test services file\n\
        ssh\t\t22/tcp\t\t\t# SSH from the system file\n\
        portclass-test\t40123/tcp\tpct\t# only the system file has this\n\
        portclass-test\t40123/udp\tpct\n\
        rtmp\t\t1/ddp\t\t\t# Routing Table Maintenance Protocol\n";

    #[test]
    fn system_file_fills_gaps_but_never_overrides_builtin() {
        let system = temp_file(SYSTEM_FILE);
        let db = PortDb::layered(Some(system.path()), None).expect("layers load");
        assert_eq!(db.warnings(), [] as [String; 0]);
        assert_eq!(
            services(db.entries_for(Tcp, 22)),
            [("ssh", Source::Builtin)]
        );
        let added = db.primary(Tcp, 40123).expect("system entry");
        assert_eq!(added.service, "portclass-test");
        assert_eq!(added.source, Source::System);
        assert_eq!(added.description, "only the system file has this");
        assert_eq!(added.aliases, ["pct"]);
        assert_eq!(
            db.primary(Udp, 40123).map(|e| e.description.as_str()),
            Some("pct")
        );
        assert_eq!(db.len(), PortDb::builtin().len() + 2);
        // Aliases answer queries too.
        assert_eq!(
            keys(&db.query("PCT").expect("query")),
            [
                (40123, Tcp, "portclass-test"),
                (40123, Udp, "portclass-test")
            ]
        );
    }

    #[test]
    fn missing_system_file_is_silently_skipped() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = PortDb::layered(Some(&dir.path().join("no-such-services")), None)
            .expect("a missing system file is fine");
        assert_eq!(db.warnings(), [] as [String; 0]);
        assert_eq!(db.len(), PortDb::builtin().len());
    }

    #[test]
    fn garbled_system_file_is_skipped_line_by_line_with_warnings() {
        let mut garbled = b"good 40124/tcp\n".to_vec();
        for n in 0..7 {
            garbled.extend_from_slice(format!("bad{n} 70000/tcp\n").as_bytes());
        }
        garbled.extend_from_slice(b"\xff\xfe\n");
        let system = temp_file(&garbled);
        let db =
            PortDb::layered(Some(system.path()), None).expect("system problems are not errors");
        assert!(db.contains(Tcp, 40124));
        let warnings = db.warnings();
        assert_eq!(warnings.len(), LISTED_SYSTEM_PROBLEMS + 1, "{warnings:#?}");
        assert!(
            warnings[0].contains(":2: skipped: `70000` is not a port number"),
            "{}",
            warnings[0]
        );
        assert!(warnings[LISTED_SYSTEM_PROBLEMS].contains("skipped 3 more bad lines"));
    }

    #[test]
    fn unreadable_system_file_is_a_warning() {
        // A directory cannot be read as a file.
        let dir = tempfile::tempdir().expect("temp dir");
        let db = PortDb::layered(Some(dir.path()), None).expect("not an error");
        assert_eq!(db.warnings().len(), 1);
        assert!(db.warnings()[0].contains("skipped the system services file"));
        assert_eq!(db.len(), PortDb::builtin().len());
    }

    #[test]
    fn user_file_comes_first_and_lower_layers_stay_listed() {
        let system = temp_file(SYSTEM_FILE);
        let user = temp_file(
            b"# my site\n\
              80\ttcp\tintranet\tOur intranet portal\n\
              22 tcp ssh Bastion SSH\n\
              webhook 40123/tcp # our webhook receiver\n\
              9999\tsctp\tlab\n",
        );
        let db = PortDb::layered(Some(system.path()), Some(user.path())).expect("layers load");

        // A new name goes first; the built-in conflicts follow in file order.
        assert_eq!(
            services(db.entries_for(Tcp, 80)),
            [
                ("intranet", Source::User),
                ("http", Source::Builtin),
                ("skype", Source::Builtin)
            ]
        );
        // The same name replaces the built-in entry rather than repeating it.
        let ssh = db.entries_for(Tcp, 22);
        assert_eq!(services(ssh), [("ssh", Source::User)]);
        assert_eq!(ssh[0].description, "Bastion SSH");
        // The user also beats the system layer, which stays listed.
        assert_eq!(
            services(db.entries_for(Tcp, 40123)),
            [
                ("webhook", Source::User),
                ("portclass-test", Source::System)
            ]
        );
        // Pairs the user does not name keep their primary.
        assert_eq!(
            services(db.entries_for(Udp, 80)),
            [("skype", Source::Builtin)]
        );
        assert_eq!(
            db.primary(Sctp, 9999).map(|e| e.service.as_str()),
            Some("lab")
        );
        assert_eq!(db.label(Tcp, Naming::Port(80)), "intranet");
    }

    #[test]
    fn malformed_user_file_names_file_line_and_problem() {
        let user = temp_file(b"# ok\n80 tcp web\n80 tcpp web\nweb 80\n");
        let error = PortDb::layered(None, Some(user.path())).expect_err("must fail");
        let PortDbError::Line {
            path,
            line,
            problem,
            other_bad_lines,
        } = &error
        else {
            panic!("wrong error: {error}");
        };
        assert_eq!(path, user.path());
        assert_eq!(*line, 3);
        assert_eq!(
            *problem,
            LineProblem::UnknownTransport {
                text: "tcpp".into()
            }
        );
        assert_eq!(*other_bad_lines, 1);
        let message = error.to_string();
        let expected_start = format!("{}:3: `tcpp` is not a transport", user.path().display());
        assert!(message.starts_with(&expected_start), "{message}");
        assert!(message.contains("(and 1 more bad line)"), "{message}");
        assert!(message.ends_with("; fix or delete that line"), "{message}");
    }

    #[test]
    fn missing_user_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("my-ports.tsv");
        let error = PortDb::layered(None, Some(&path)).expect_err("must fail");
        assert!(
            matches!(&error, PortDbError::Read { cause, .. } if cause.kind() == io::ErrorKind::NotFound)
        );
        let message = error.to_string();
        assert!(message.contains("my-ports.tsv"), "{message}");
        assert!(message.contains("--port-db"), "{message}");
    }

    #[test]
    fn empty_user_file_changes_nothing() {
        let user = temp_file(b"");
        let db = PortDb::layered(None, Some(user.path())).expect("empty is fine");
        assert_eq!(db.len(), PortDb::builtin().len());
    }

    // ---- queries ----

    #[test]
    fn labels_for_namings() {
        let db = PortDb::builtin();
        assert_eq!(db.label(Tcp, Naming::Port(443)), "https");
        assert_eq!(db.label(Tcp, Naming::Port(40000)), UNASSIGNED);
        assert_eq!(db.label(Udp, Naming::Dynamic), DYNAMIC);
        assert_eq!(Source::Builtin.name(), "builtin");
        assert_eq!(Source::System.name(), "system");
        assert_eq!(Source::User.name(), "user");
    }

    #[test]
    fn naming_rule_knows_every_layer() {
        let system = temp_file(SYSTEM_FILE);
        let db = PortDb::layered(Some(system.path()), None).expect("layers load");
        let rule = db.naming_rule();
        // 1502/tcp is in no layer: the built-in rule alone falls back to the
        // lower port, the layered one knows 40123 from the system file.
        assert!(!db.contains(Tcp, 1502));
        assert_eq!(rule.name_frame(Tcp, 40123, 1502), Naming::Port(40123));
        assert_eq!(
            PortDb::builtin().naming_rule().name_frame(Tcp, 40123, 1502),
            Naming::Port(1502)
        );
    }
}
