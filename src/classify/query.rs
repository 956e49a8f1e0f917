//! Port-database look-ups by what a user types (`portclass ports`): a port,
//! a range of ports, a service name or the start of one, each for every
//! transport or for one. Imports only the database and the transport type.

use super::db::{PortDb, PortEntry};
use crate::decode::Transport;
use std::ops::RangeInclusive;

/// What every query error message suggests instead.
const QUERY_FORMS: &str =
    "give a port (443), a range (1-1024), a port and transport (53/udp) or a service name (ssh)";

/// A port-database query could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Nothing was asked.
    #[error("empty query: {QUERY_FORMS}")]
    Empty,
    /// The query is not of the form PORT, LOW-HIGH, NAME, each optionally
    /// followed by `/TRANSPORT`.
    #[error("`{query}` is not a query: {QUERY_FORMS}")]
    Malformed {
        /// The query as given.
        query: String,
    },
    /// A number outside 0-65535.
    #[error("`{query}`: {number} is not a port; ports run from 0 to 65535")]
    PortOutOfRange {
        /// The query as given.
        query: String,
        /// The number as written.
        number: String,
    },
    /// A range whose first port is above its last.
    #[error("`{query}`: the range runs backwards; give the lower port first, {last}-{first}")]
    BackwardRange {
        /// The query as given.
        query: String,
        /// The first port as written.
        first: u16,
        /// The last port as written.
        last: u16,
    },
    /// The part after `/` is not a transport.
    #[error("`{query}`: unknown transport `{transport}`; use tcp, udp or sctp, e.g. 53/udp")]
    UnknownTransport {
        /// The query as given.
        query: String,
        /// The part after `/`.
        transport: String,
    },
}

/// What a query asks for, before the transport.
enum Subject<'q> {
    /// Ports, one (`443`) or a range (`1-1024`).
    Ports(RangeInclusive<u16>),
    /// A service name or the start of one.
    Name(&'q str),
}

impl PortDb {
    /// Looks entries up by what a user types:
    ///
    /// - `443`: that port, all transports;
    /// - `1-1024`: every port of the range, inclusive;
    /// - `53/udp`, `1-1024/tcp`: the same, for one transport;
    /// - `ssh`, `HTTP`: every entry whose service keyword or alias equals
    ///   the name, ignoring case (a name the system services file gives a
    ///   port the built-in database names otherwise, such as `postgres` or
    ///   `domain`, is an alias of the built-in entry); when no entry is
    ///   named so, every entry with a name that starts with it (`postgres`
    ///   finds `postgresql` and `postgres-exporter`);
    /// - `dns/udp`: the same, for one transport.
    ///
    /// Entries come in database order (port, transport, primary first). A
    /// query that matches nothing gives `Ok` of an empty list.
    pub fn query(&self, query: &str) -> Result<Vec<&PortEntry>, QueryError> {
        let trimmed = query.trim();
        let malformed = || QueryError::Malformed {
            query: trimmed.to_owned(),
        };
        if trimmed.is_empty() {
            return Err(QueryError::Empty);
        }
        if trimmed.contains(char::is_whitespace) {
            return Err(malformed());
        }
        let (subject, transport) = match trimmed.split_once('/') {
            None => (trimmed, None),
            Some((subject, transport_text)) => {
                if transport_text.is_empty() {
                    return Err(malformed());
                }
                let transport = Transport::parse(transport_text).ok_or_else(|| {
                    QueryError::UnknownTransport {
                        query: trimmed.to_owned(),
                        transport: transport_text.to_owned(),
                    }
                })?;
                (subject, Some(transport))
            }
        };
        if subject.is_empty() {
            return Err(malformed());
        }
        let transports: &[Transport] = match &transport {
            Some(transport) => std::slice::from_ref(transport),
            None => &Transport::ALL,
        };
        let wanted = |entry: &&PortEntry| transports.contains(&entry.transport);
        Ok(match parse_subject(subject, trimmed)? {
            Subject::Ports(ports) => self.entries_in(ports).iter().filter(wanted).collect(),
            Subject::Name(name) => {
                let named: Vec<&PortEntry> = self
                    .entries()
                    .filter(wanted)
                    .filter(|e| e.is_named(name))
                    .collect();
                if named.is_empty() {
                    self.entries()
                        .filter(wanted)
                        .filter(|e| e.has_name_starting_with(name))
                        .collect()
                } else {
                    named
                }
            }
        })
    }
}

/// `--service NAME` names no service of the port database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceFilterError {
    /// The query itself is malformed.
    #[error("--service {0}")]
    Query(QueryError),
    /// A number: that is `--port`.
    #[error("--service {0}: that is a port number; give it with --port {0}")]
    Number(String),
    /// No entry has that name (`suggestions`: names that start with it).
    #[error("--service {name}: no service of that name in the port database{}", suggest(.suggestions))]
    Unknown {
        /// The name as given.
        name: String,
        /// Service names starting with it, a few.
        suggestions: Vec<String>,
    },
}

fn suggest(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        "; portclass ports lists them".to_owned()
    } else {
        format!("; did you mean {}?", suggestions.join(", "))
    }
}

/// Most names suggested for an unknown `--service`.
const MAX_SUGGESTIONS: usize = 5;

impl PortDb {
    /// The capture filter (tcpdump syntax) for the ports this database
    /// gives the service `name` (its keyword or an alias, any case;
    /// `dns/udp` for one transport): `tcp port 22 or sctp port 22`, runs of
    /// ports as `portrange`. Only exact names count here, not prefixes.
    pub fn service_filter(&self, name: &str) -> Result<String, ServiceFilterError> {
        let subject = name.split('/').next().unwrap_or(name).trim();
        if !subject.is_empty() && subject.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
            return Err(ServiceFilterError::Number(subject.to_owned()));
        }
        let found = self.query(name).map_err(ServiceFilterError::Query)?;
        let exact: Vec<&PortEntry> = found
            .iter()
            .copied()
            .filter(|e| e.is_named(subject))
            .collect();
        if exact.is_empty() {
            let mut suggestions: Vec<String> = found.iter().map(|e| e.service.clone()).collect();
            suggestions.dedup();
            suggestions.truncate(MAX_SUGGESTIONS);
            return Err(ServiceFilterError::Unknown {
                name: name.trim().to_owned(),
                suggestions,
            });
        }
        let mut terms = Vec::new();
        for transport in Transport::ALL {
            let mut ports: Vec<u16> = exact
                .iter()
                .filter(|e| e.transport == transport)
                .map(|e| e.port)
                .collect();
            ports.sort_unstable();
            ports.dedup();
            let mut runs: Vec<(u16, u16)> = Vec::new();
            for port in ports {
                match runs.last_mut() {
                    Some((_, last)) if u32::from(*last) + 1 == u32::from(port) => *last = port,
                    _ => runs.push((port, port)),
                }
            }
            let proto = transport.name();
            terms.extend(runs.into_iter().map(|(first, last)| {
                if first == last {
                    format!("{proto} port {first}")
                } else {
                    format!("{proto} portrange {first}-{last}")
                }
            }));
        }
        Ok(terms.join(" or "))
    }
}

/// A port, a range of ports or a name; an error for a number outside
/// 0-65535 (including a signed one) and for a range that runs backwards.
fn parse_subject<'q>(subject: &'q str, query: &str) -> Result<Subject<'q>, QueryError> {
    let is_number = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let port = |number: &str| {
        number
            .parse::<u16>()
            .map_err(|_| QueryError::PortOutOfRange {
                query: query.to_owned(),
                number: number.to_owned(),
            })
    };
    if let Some((low, high)) = subject.split_once('-')
        && is_number(low)
        && is_number(high)
    {
        let (first, last) = (port(low)?, port(high)?);
        if first > last {
            return Err(QueryError::BackwardRange {
                query: query.to_owned(),
                first,
                last,
            });
        }
        return Ok(Subject::Ports(first..=last));
    }
    let digits = subject.strip_prefix(['+', '-']).unwrap_or(subject);
    if !is_number(digits) {
        return Ok(Subject::Name(subject));
    }
    if subject.starts_with('-') {
        return Err(QueryError::PortOutOfRange {
            query: query.to_owned(),
            number: subject.to_owned(),
        });
    }
    let number = port(subject)?;
    Ok(Subject::Ports(number..=number))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Transport::{Sctp, Tcp, Udp};
    use std::io::Write;

    fn keys<'a>(entries: &[&'a PortEntry]) -> Vec<(u16, Transport, &'a str)> {
        entries
            .iter()
            .map(|e| (e.port, e.transport, e.service.as_str()))
            .collect()
    }

    fn services<'a>(entries: &[&'a PortEntry]) -> Vec<&'a str> {
        entries.iter().map(|e| e.service.as_str()).collect()
    }

    #[test]
    fn query_by_port_spans_transports() {
        let db = PortDb::builtin();
        assert_eq!(
            keys(&db.query("443").expect("query")),
            [(443, Tcp, "https"), (443, Udp, "https"), (443, Udp, "quic")]
        );
        assert_eq!(
            keys(&db.query(" 53/udp ").expect("query")),
            [(53, Udp, "dns")]
        );
        assert_eq!(
            keys(&db.query("53/UDP").expect("query")),
            [(53, Udp, "dns")]
        );
        assert_eq!(
            keys(&db.query("5060/sctp").expect("query")),
            [(5060, Sctp, "sip")]
        );
        assert_eq!(db.query("65535").expect("query"), [] as [&PortEntry; 0]);
    }

    #[test]
    fn query_by_name_ignores_case_and_can_filter_transport() {
        let db = PortDb::builtin();
        assert_eq!(
            keys(&db.query("ssh").expect("query")),
            [(22, Tcp, "ssh"), (22, Udp, "ssh")]
        );
        let http = db.query("HTTP").expect("query");
        assert_eq!(keys(&http), [(80, Tcp, "http")]);
        let vnc: Vec<u16> = db
            .query("vnc")
            .expect("query")
            .iter()
            .map(|e| e.port)
            .collect();
        assert_eq!(
            vnc,
            [
                5900, 5901, 5902, 5903, 5915, 5922, 5925, 5950, 5952, 5959, 5960, 5961, 5962
            ]
        );
        assert_eq!(
            keys(&db.query("dns/udp").expect("query")),
            [(53, Udp, "dns")]
        );
        assert_eq!(
            db.query("no-such-service").expect("query"),
            [] as [&PortEntry; 0]
        );
    }

    #[test]
    fn bad_queries_explain_themselves() {
        let db = PortDb::builtin();
        let cases = [
            ("", QueryError::Empty),
            ("   ", QueryError::Empty),
            (
                "70000",
                QueryError::PortOutOfRange {
                    query: "70000".into(),
                    number: "70000".into(),
                },
            ),
            (
                "99999999999999999999/tcp",
                QueryError::PortOutOfRange {
                    query: "99999999999999999999/tcp".into(),
                    number: "99999999999999999999".into(),
                },
            ),
            (
                "-1",
                QueryError::PortOutOfRange {
                    query: "-1".into(),
                    number: "-1".into(),
                },
            ),
            (
                "53/foo",
                QueryError::UnknownTransport {
                    query: "53/foo".into(),
                    transport: "foo".into(),
                },
            ),
            (
                "53/",
                QueryError::Malformed {
                    query: "53/".into(),
                },
            ),
            (
                "/udp",
                QueryError::Malformed {
                    query: "/udp".into(),
                },
            ),
            (
                "ssh tcp",
                QueryError::Malformed {
                    query: "ssh tcp".into(),
                },
            ),
        ];
        for (query, expected) in cases {
            assert_eq!(db.query(query), Err(expected), "{query:?}");
        }
        // Messages quote the query without surrounding blanks.
        assert_eq!(
            db.query(" 53/foo\n"),
            Err(QueryError::UnknownTransport {
                query: "53/foo".into(),
                transport: "foo".into()
            })
        );
        let message = db.query("53/foo").expect_err("bad").to_string();
        assert!(message.contains("use tcp, udp or sctp"), "{message}");
        let message = db.query("70000").expect_err("bad").to_string();
        assert!(message.contains("0 to 65535"), "{message}");
    }

    #[test]
    fn a_range_gives_every_entry_of_its_ports() {
        let db = PortDb::builtin();
        let all = db.query("20-23").expect("query");
        assert!(!all.is_empty());
        assert!(
            all.iter().all(|e| (20..=23).contains(&e.port)),
            "{:?}",
            keys(&all)
        );
        let ssh = (22, Tcp, "ssh");
        assert!(keys(&all).contains(&ssh), "{:?}", keys(&all));
        let tcp = db.query("20-23/tcp").expect("query");
        assert!(tcp.iter().all(|e| e.transport == Tcp));
        assert_eq!(tcp.len(), all.iter().filter(|e| e.transport == Tcp).count());
        // A one-port range is that port; the whole range is every entry.
        assert_eq!(db.query("443-443"), db.query("443"));
        assert_eq!(db.query("0-65535").expect("query").len(), db.len());
        // In database order: by port, then transport.
        let order: Vec<_> = all.iter().map(|e| (e.port, e.transport)).collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted);
    }

    #[test]
    fn a_name_that_names_nothing_finds_the_names_it_starts() {
        let db = PortDb::builtin();
        // No entry is called `postgres`: those whose name starts with it.
        assert_eq!(
            services(&db.query("postgres").expect("query")),
            ["postgresql", "postgres-exporter"]
        );
        assert_eq!(
            keys(&db.query("POSTGRES/tcp").expect("query"))[0],
            (5432, Tcp, "postgresql")
        );
        // A name that exists is matched exactly, not as a prefix.
        assert_eq!(
            services(&db.query("postgresql").expect("query")),
            ["postgresql"]
        );
        assert_eq!(services(&db.query("http").expect("query")), ["http"]);
        assert_eq!(db.query("zzz-no-such"), Ok(Vec::new()));
    }

    #[test]
    fn system_names_of_builtin_ports_are_aliases() {
        let mut system = tempfile::NamedTempFile::new().expect("temp file");
        system
            .write_all(
                b"postgresql\t5432/tcp\tpostgres\t# PostgreSQL Database\n\
                  domain\t\t53/udp\n\
                  www\t\t80/tcp\thttp\n",
            )
            .expect("write");
        let db = PortDb::layered(Some(system.path()), None).expect("layers load");
        // The built-in entries stay what is listed; the system's names find them.
        assert_eq!(
            keys(&db.query("postgres").expect("query")),
            [(5432, Tcp, "postgresql")]
        );
        assert_eq!(
            keys(&db.query("domain").expect("query")),
            [(53, Udp, "dns")]
        );
        assert_eq!(keys(&db.query("WWW").expect("query")), [(80, Tcp, "http")]);
        assert_eq!(
            keys(&db.query("80/tcp").expect("query")),
            keys(&PortDb::builtin().query("80/tcp").expect("query")),
            "a port's entries are unchanged"
        );
    }

    #[test]
    fn ranges_are_checked() {
        let db = PortDb::builtin();
        assert_eq!(
            db.query("1024-1"),
            Err(QueryError::BackwardRange {
                query: "1024-1".into(),
                first: 1024,
                last: 1,
            })
        );
        let message = db.query("1024-1").expect_err("bad").to_string();
        assert!(message.contains("1-1024"), "{message}");
        assert_eq!(
            db.query("1-70000/tcp"),
            Err(QueryError::PortOutOfRange {
                query: "1-70000/tcp".into(),
                number: "70000".into(),
            })
        );
        // Not both sides numbers: a name (with a dash), not a range.
        assert_eq!(db.query("1-"), Ok(Vec::new()));
        assert_eq!(
            keys(&db.query("netbios-ns/udp").expect("query")),
            [(137, Udp, "netbios-ns")]
        );
    }
}
