//! Line parser shared by every layer: the port-db format and the
//! `/etc/services` format, detected per line.

use crate::decode::Transport;

/// What is wrong with one line of a port database or services file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineProblem {
    /// The line is not valid UTF-8 text.
    #[error("the line is not UTF-8 text")]
    NotUtf8,
    /// A port field is not a number from 0 to 65535, nor a `LOW-HIGH`
    /// range of such numbers with `LOW <= HIGH`.
    #[error("`{text}` is not a port number from 0 to 65535")]
    BadPort {
        /// The offending field.
        text: String,
    },
    /// A transport field names no known transport.
    #[error("`{text}` is not a transport: use tcp, udp or sctp")]
    UnknownTransport {
        /// The offending field.
        text: String,
    },
    /// A required field is missing.
    #[error(
        "missing the {field} field (port-db lines read `PORT<TAB>TRANSPORT<TAB>SERVICE<TAB>DESCRIPTION`, \
         services lines read `NAME PORT/PROTOCOL [ALIASES] [# COMMENT]`)"
    )]
    MissingField {
        /// Which field: `transport`, `service`, or `PORT/PROTOCOL`.
        field: &'static str,
    },
    /// The second field of a services-format line is not `PORT/PROTOCOL`.
    #[error(
        "`{text}` is not PORT/PROTOCOL such as 22/tcp (a line that starts with a name is read \
         as an /etc/services line: `NAME PORT/PROTOCOL [ALIASES] [# COMMENT]`)"
    )]
    NotPortProtocol {
        /// The offending field.
        text: String,
    },
}

/// One entry as read from a line, before it is given its [`Source`](super::Source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedEntry {
    pub(crate) port: u16,
    pub(crate) transport: Transport,
    pub(crate) service: String,
    pub(crate) aliases: Vec<String>,
    pub(crate) description: String,
}

/// Everything read from one file: the entries, and the bad lines by
/// 1-based line number.
#[derive(Debug, Default)]
pub(crate) struct ParsedFile {
    pub(crate) entries: Vec<ParsedEntry>,
    pub(crate) problems: Vec<(usize, LineProblem)>,
}

/// Protocols that `/etc/services` files list but that carry no ports we
/// count; their lines are skipped without complaint.
const IGNORED_PROTOCOLS: [&str; 2] = ["ddp", "dccp"];

/// Parses a whole file. Lines are split on `\n` (a trailing `\r` is
/// dropped) and decoded one by one, so a stray non-UTF-8 byte spoils only
/// its own line.
pub(crate) fn parse_file(bytes: &[u8]) -> ParsedFile {
    let mut parsed = ParsedFile::default();
    for (index, raw) in bytes.split(|&byte| byte == b'\n').enumerate() {
        let line_number = index + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let result = std::str::from_utf8(raw)
            .map_err(|_| LineProblem::NotUtf8)
            .and_then(parse_line);
        match result {
            Ok(entries) => parsed.entries.extend(entries),
            Err(problem) => parsed.problems.push((line_number, problem)),
        }
    }
    parsed
}

/// Parses one line in either format. Blank lines, comment lines and lines
/// for ignored protocols give no entries; a line with a port range gives
/// one entry per port (`33434-33534 udp traceroute`), and a services-format
/// line one per port and protocol (`1/tcp/udp`, `6000-6003/tcp`).
pub(crate) fn parse_line(line: &str) -> Result<Vec<ParsedEntry>, LineProblem> {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(Vec::new());
    }
    // A port-db line starts with a port or a `LOW-HIGH` range; IANA service
    // names always contain a letter (even those that start with a digit,
    // such as `3com-tsmux`), so such a leading field can only be a port.
    let first_field = trimmed.split_whitespace().next().unwrap_or_default();
    if is_port_field(first_field) {
        parse_port_db_line(trimmed)
    } else {
        parse_services_line(trimmed)
    }
}

/// Whether a field reads as a port (`443`) or a port range (`6000-6063`):
/// digits, optionally followed by one `-` and more digits.
fn is_port_field(field: &str) -> bool {
    let all_digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    match field.split_once('-') {
        None => all_digits(field),
        Some((low, high)) => all_digits(low) && all_digits(high),
    }
}

/// `PORT TRANSPORT SERVICE DESCRIPTION`: the first three fields are
/// separated by tabs or spaces, the description is the rest of the line.
/// `PORT` may be a range `LOW-HIGH`, which gives one entry per port.
fn parse_port_db_line(line: &str) -> Result<Vec<ParsedEntry>, LineProblem> {
    let (port_text, rest) = split_field(line);
    let (transport_text, rest) = split_field(rest);
    let (service_text, description) = split_field(rest);
    let ports = parse_port_range(port_text)?;
    if transport_text.is_empty() {
        return Err(LineProblem::MissingField { field: "transport" });
    }
    let transport =
        Transport::parse(transport_text).ok_or_else(|| LineProblem::UnknownTransport {
            text: transport_text.to_owned(),
        })?;
    if service_text.is_empty() {
        return Err(LineProblem::MissingField { field: "service" });
    }
    let service = service_text.to_ascii_lowercase();
    let description = if description.is_empty() {
        service.clone()
    } else {
        description.to_owned()
    };
    Ok(ports
        .map(|port| ParsedEntry {
            port,
            transport,
            service: service.clone(),
            aliases: Vec::new(),
            description: description.clone(),
        })
        .collect())
}

/// `NAME PORT/PROTOCOL [ALIAS...] [# COMMENT]`, as in services(5). Also
/// accepts the merged forms of Wireshark's services file: several protocols
/// (`1/tcp/udp`) and a port range (`6000-6063/tcp`).
fn parse_services_line(line: &str) -> Result<Vec<ParsedEntry>, LineProblem> {
    let (fields, comment) = match line.split_once('#') {
        Some((fields, comment)) => (fields, comment.trim()),
        None => (line, ""),
    };
    let mut words = fields.split_whitespace();
    let name = words.next().unwrap_or_default().to_ascii_lowercase();
    let port_protocol = words.next().ok_or(LineProblem::MissingField {
        field: "PORT/PROTOCOL",
    })?;
    let aliases: Vec<String> = words.map(str::to_ascii_lowercase).collect();

    let mut parts = port_protocol.split('/');
    let port_text = parts.next().unwrap_or_default();
    let protocols: Vec<&str> = parts.collect();
    if protocols.is_empty() || protocols.iter().any(|protocol| protocol.is_empty()) {
        return Err(LineProblem::NotPortProtocol {
            text: port_protocol.to_owned(),
        });
    }
    let ports = parse_port_range(port_text)?;
    let mut transports = Vec::with_capacity(protocols.len());
    for protocol in protocols {
        match Transport::parse(protocol) {
            Some(transport) => transports.push(transport),
            None if IGNORED_PROTOCOLS.contains(&protocol.to_ascii_lowercase().as_str()) => {}
            None => {
                return Err(LineProblem::UnknownTransport {
                    text: protocol.to_owned(),
                });
            }
        }
    }

    let description = if !comment.is_empty() {
        comment.to_owned()
    } else if !aliases.is_empty() {
        aliases.join(", ")
    } else {
        name.clone()
    };
    let mut entries = Vec::new();
    for port in ports {
        for &transport in &transports {
            entries.push(ParsedEntry {
                port,
                transport,
                service: name.clone(),
                aliases: aliases.clone(),
                description: description.clone(),
            });
        }
    }
    Ok(entries)
}

/// Splits off the first whitespace-delimited field; returns it and the
/// trimmed rest (both empty at the end of the line).
fn split_field(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.find(char::is_whitespace) {
        Some(end) => (&text[..end], text[end..].trim()),
        None => (text, ""),
    }
}

fn parse_port(text: &str) -> Result<u16, LineProblem> {
    // `u16::from_str` would accept a leading `+`; a port is digits only.
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(LineProblem::BadPort {
            text: text.to_owned(),
        });
    }
    text.parse().map_err(|_| LineProblem::BadPort {
        text: text.to_owned(),
    })
}

/// A port `443` or an inclusive range `6000-6063`; a bad range is
/// reported whole (`9-3`, `1-70000`), not by its bad half.
fn parse_port_range(text: &str) -> Result<std::ops::RangeInclusive<u16>, LineProblem> {
    match text.split_once('-') {
        None => parse_port(text).map(|port| port..=port),
        Some((low, high)) => {
            let bad_range = || LineProblem::BadPort {
                text: text.to_owned(),
            };
            let low = parse_port(low).map_err(|_| bad_range())?;
            let high = parse_port(high).map_err(|_| bad_range())?;
            if low > high {
                return Err(bad_range());
            }
            Ok(low..=high)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(port: u16, transport: Transport, service: &str, description: &str) -> ParsedEntry {
        ParsedEntry {
            port,
            transport,
            service: service.to_owned(),
            aliases: Vec::new(),
            description: description.to_owned(),
        }
    }

    #[test]
    fn port_db_line_keeps_the_description_after_the_third_field() {
        assert_eq!(
            parse_line("22\ttcp\tssh\tSSH (Secure Shell) - used for secure logins"),
            Ok(vec![entry(
                22,
                Transport::Tcp,
                "ssh",
                "SSH (Secure Shell) - used for secure logins"
            )])
        );
        // Spaces work as separators too, and the description may hold '#'.
        assert_eq!(
            parse_line("  8080   TCP  MyApp  Build server #3 "),
            Ok(vec![entry(
                8080,
                Transport::Tcp,
                "myapp",
                "Build server #3"
            )])
        );
        // No description: the service name stands in.
        assert_eq!(
            parse_line("9999\tsctp\tfoo"),
            Ok(vec![entry(9999, Transport::Sctp, "foo", "foo")])
        );
    }

    #[test]
    fn port_db_line_with_a_range_gives_one_entry_per_port() {
        let entries =
            parse_line("33434-33436\tudp\ttraceroute\tTraceroute probes").expect("valid line");
        assert_eq!(
            entries,
            [33434, 33435, 33436].map(|port| entry(
                port,
                Transport::Udp,
                "traceroute",
                "Traceroute probes"
            ))
        );
        // A one-port range is that port; the ends are inclusive up to 65535.
        assert_eq!(
            parse_line("7-7 tcp echo"),
            Ok(vec![entry(7, Transport::Tcp, "echo", "echo")])
        );
        let top = parse_line("65534-65535 sctp x").expect("valid line");
        assert_eq!(
            top.iter().map(|e| e.port).collect::<Vec<_>>(),
            [65534, 65535]
        );
        // A name that starts with digits is still a services-format line.
        assert_eq!(
            parse_line("3com-tsmux 106/tcp"),
            Ok(vec![entry(106, Transport::Tcp, "3com-tsmux", "3com-tsmux")])
        );
    }

    #[test]
    fn services_line_description_is_comment_then_aliases_then_name() {
        let with_comment = parse_line("ssh\t\t22/tcp\t\t\t# SSH Remote Login Protocol");
        assert_eq!(
            with_comment,
            Ok(vec![entry(
                22,
                Transport::Tcp,
                "ssh",
                "SSH Remote Login Protocol"
            )])
        );
        let with_aliases = parse_line("discard 9/udp sink null").expect("valid line");
        assert_eq!(with_aliases.len(), 1);
        assert_eq!(with_aliases[0].description, "sink, null");
        assert_eq!(with_aliases[0].aliases, ["sink", "null"]);
        assert_eq!(
            parse_line("echo 7/tcp"),
            Ok(vec![entry(7, Transport::Tcp, "echo", "echo")])
        );
    }

    #[test]
    fn services_line_merged_protocols_and_ranges_expand() {
        let entries = parse_line("x11 6000-6001/tcp/udp # X Window System").expect("valid line");
        let keys: Vec<(u16, Transport)> = entries.iter().map(|e| (e.port, e.transport)).collect();
        assert_eq!(
            keys,
            [
                (6000, Transport::Tcp),
                (6000, Transport::Udp),
                (6001, Transport::Tcp),
                (6001, Transport::Udp)
            ]
        );
        // Protocols we do not count are dropped, the rest kept.
        let entries = parse_line("syslog-tls 6514/tcp/udp/dccp").expect("valid line");
        assert_eq!(entries.len(), 2);
        assert_eq!(
            parse_line("rtmp 1/ddp # Routing Table Maintenance"),
            Ok(vec![])
        );
    }

    #[test]
    fn blank_and_comment_lines_give_nothing() {
        for line in ["", "   ", "# comment", "   # indented comment", "\t"] {
            assert_eq!(parse_line(line), Ok(vec![]), "{line:?}");
        }
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        let cases: [(&str, LineProblem); 13] = [
            (
                "70000 tcp foo",
                LineProblem::BadPort {
                    text: "70000".into(),
                },
            ),
            (
                "80 tcpx http",
                LineProblem::UnknownTransport {
                    text: "tcpx".into(),
                },
            ),
            ("80", LineProblem::MissingField { field: "transport" }),
            ("80 tcp", LineProblem::MissingField { field: "service" }),
            (
                "http",
                LineProblem::MissingField {
                    field: "PORT/PROTOCOL",
                },
            ),
            (
                "http 80",
                LineProblem::NotPortProtocol { text: "80".into() },
            ),
            (
                "http 80/",
                LineProblem::NotPortProtocol { text: "80/".into() },
            ),
            ("http +80/tcp", LineProblem::BadPort { text: "+80".into() }),
            ("x 9-3/tcp", LineProblem::BadPort { text: "9-3".into() }),
            ("9-3 tcp x", LineProblem::BadPort { text: "9-3".into() }),
            (
                "1-70000 udp x",
                LineProblem::BadPort {
                    text: "1-70000".into(),
                },
            ),
            (
                "x 1-70000/udp",
                LineProblem::BadPort {
                    text: "1-70000".into(),
                },
            ),
            (
                "33434-33534 udp",
                LineProblem::MissingField { field: "service" },
            ),
        ];
        for (line, problem) in cases {
            assert_eq!(parse_line(line), Err(problem), "{line:?}");
        }
        assert_eq!(
            parse_line("http 80/foo"),
            Err(LineProblem::UnknownTransport { text: "foo".into() })
        );
    }

    #[test]
    fn file_problems_carry_one_based_line_numbers() {
        let parsed =
            parse_file(b"# header\r\n22 tcp ssh Secure Shell\r\nbogus\n\xff\xfe 1 tcp x\n");
        assert_eq!(parsed.entries.len(), 1);
        assert_eq!(parsed.entries[0].description, "Secure Shell");
        assert_eq!(
            parsed.problems,
            [
                (
                    3,
                    LineProblem::MissingField {
                        field: "PORT/PROTOCOL"
                    }
                ),
                (4, LineProblem::NotUtf8)
            ]
        );
    }
}
