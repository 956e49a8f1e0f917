//! CSV (RFC 4180): the services table of `read`, the entries of `ports`.

use super::{PortEntryView, ReadView, ServiceView};
use std::io::{self, Write};

/// Quotes a field when it holds a comma, quote or line break.
pub(super) fn field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

pub(super) fn row(out: &mut dyn Write, fields: &[String]) -> io::Result<()> {
    let line: Vec<String> = fields.iter().map(|f| field(f)).collect();
    write!(out, "{}\r\n", line.join(","))
}

/// The trailing columns of every services CSV (read's and the report's):
/// tunnel and how the row's port was identified.
pub(super) const SERVICE_ANALYSIS_HEADER: [&str; 6] = [
    "tunnel",
    "identified_by",
    "handshake_packets",
    "port_database_packets",
    "heuristic_packets",
    "related_packets",
];

/// The fields of [`SERVICE_ANALYSIS_HEADER`] for one service row.
pub(super) fn service_analysis_fields(s: &ServiceView) -> [String; 6] {
    [
        s.tunnel.unwrap_or("").to_string(),
        s.identified_by.to_string(),
        s.identified.handshake.to_string(),
        s.identified.port_database.to_string(),
        s.identified.heuristic.to_string(),
        s.identified.related.to_string(),
    ]
}

/// One row per service, largest first: the same rows as the JSON `services`.
pub fn write_services(view: &ReadView, out: &mut dyn Write) -> io::Result<()> {
    row(
        out,
        &[
            "transport",
            "port",
            "service",
            "source",
            "packets",
            "bytes",
            "share",
            "description",
        ]
        .into_iter()
        .chain(SERVICE_ANALYSIS_HEADER)
        .map(String::from)
        .collect::<Vec<_>>(),
    )?;
    for s in &view.services {
        let fields: Vec<String> = [
            s.transport.to_string(),
            match s.port {
                Some(p) => p.to_string(),
                None if s.failed => "any".to_string(),
                None => "49152-65535".to_string(),
            },
            s.service.clone().unwrap_or_default(),
            s.source.unwrap_or("").to_string(),
            s.packets.to_string(),
            s.bytes.to_string(),
            format!("{:.6}", s.share),
            s.description.clone().unwrap_or_default(),
        ]
        .into_iter()
        .chain(service_analysis_fields(s))
        .collect();
        row(out, &fields)?;
    }
    Ok(())
}

/// One row per port database entry.
pub fn write_ports(entries: &[PortEntryView], out: &mut dyn Write) -> io::Result<()> {
    row(
        out,
        &[
            "port",
            "transport",
            "service",
            "class",
            "source",
            "description",
        ]
        .map(String::from),
    )?;
    for e in entries {
        row(
            out,
            &[
                e.port.to_string(),
                e.transport.to_string(),
                e.service.clone(),
                e.class.to_string(),
                e.source.to_string(),
                e.description.clone(),
            ],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(field("ssh"), "ssh");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
