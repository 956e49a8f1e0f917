//! The render kit's labels and units, one spelling each: port labels,
//! counts with thousands separators, shares as percentages, decimal byte
//! sizes, bit rates, addresses with ports, RFC 3339 timestamps.

use crate::decode::Tunnel;
use crate::pipeline::Identified;
use crate::pipeline::names::NameSource;
use crate::schema::{RowKey, ServiceView};
use std::net::IpAddr;

/// The port of a service row: the number, `any` on a failed row (its
/// attempts went to any port), the dynamic range on the dynamic row.
pub fn port_text(key: RowKey) -> String {
    match key.port {
        Some(p) => p.to_string(),
        None if key.failed => "any".to_string(),
        None => "49152-65535".to_string(),
    }
}

/// The port column of a service row: `443/tcp`, `49152-65535/udp` for the
/// dynamic row, `any/tcp` for the failed-attempts row (the tunnel is not
/// part of it).
pub fn port_label(key: RowKey) -> String {
    format!("{}/{}", port_text(key), key.transport)
}

/// The name of a service row without its tunnel (`https`, `443/tcp` with
/// `--numeric`, `49152-65535/udp`), for tables that show the tunnel in a column
/// of its own.
pub fn row_name(s: &ServiceView) -> String {
    s.service.clone().unwrap_or_else(|| port_label(s.key))
}

/// A label with the tunnel it came through: `https (vxlan)`.
pub fn with_tunnel(label: String, tunnel: Option<Tunnel>) -> String {
    match tunnel {
        Some(t) => format!("{label} ({t})"),
        None => label,
    }
}

/// A row of a counter table: a name and its frames, bytes and share of
/// all bytes.
pub fn counter_cells(name: impl ToString, packets: u64, bytes: u64, share: f64) -> Vec<String> {
    vec![
        name.to_string(),
        format_count(packets),
        format_bytes(bytes),
        format_share(share),
    ]
}

/// The first cells of the row that sums the service rows not shown:
/// `(12 more)`, no port, their frames, bytes and share.
pub fn more_cells(rest: &[ServiceView]) -> Vec<String> {
    let mut cells = counter_cells(
        format!("({} more)", rest.len()),
        rest.iter().map(|s| s.packets).sum(),
        rest.iter().map(|s| s.bytes).sum(),
        rest.iter().map(|s| s.share).sum(),
    );
    cells.insert(1, String::new());
    cells
}

/// How a port was identified, in words: `handshake`, `port database`,
/// `heuristic`, `related`.
pub fn identified_words(method: Identified) -> String {
    method.name().replace('_', " ")
}

/// A share of 0..1 as a percentage with one decimal: `12.3%`.
pub fn format_share(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// An address as it goes before `:port`: IPv6 in brackets.
pub fn bracket(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// An address and a port: `10.0.0.1:443`, `[2001:db8::1]:443`.
pub fn endpoint(address: IpAddr, port: u16) -> String {
    format!("{}:{port}", bracket(address))
}

/// An address (or endpoint) with the name learnt for it, when there is
/// one: `10.0.3.17 (web.portclass.test)`, `10.0.3.17:443/tcp
/// (web.portclass.test)`.
pub fn named(address: impl std::fmt::Display, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("{address} ({name})"),
        None => address.to_string(),
    }
}

/// How a name was learnt, for people: `DNS answer`, `TLS SNI`, ...
pub fn name_source_label(source: NameSource) -> &'static str {
    match source {
        NameSource::Dns => "DNS answer",
        NameSource::TlsSni => "TLS SNI",
        NameSource::QuicSni => "QUIC SNI",
        NameSource::HttpHost => "HTTP Host",
        NameSource::DnsPtr => "DNS PTR",
        NameSource::Rdns => "reverse lookup",
    }
}

/// A duration for people: `17.8 ms`, `4.25 s`, `12.5 min`, `3.0 h`, `2.5 days`.
pub fn format_duration(seconds: f64) -> String {
    if seconds < 1.0 {
        format!("{:.1} ms", seconds * 1e3)
    } else if seconds < 120.0 {
        format!("{seconds:.2} s")
    } else if seconds < 7200.0 {
        format!("{:.1} min", seconds / 60.0)
    } else if seconds < 172_800.0 {
        format!("{:.1} h", seconds / 3600.0)
    } else {
        format!("{:.1} days", seconds / 86_400.0)
    }
}

/// `1234567` → `1,234,567`.
pub fn format_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn scaled(value: f64, units: &[&str]) -> String {
    let mut v = value;
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < units.len() {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{v:.0} {}", units[0])
    } else {
        format!("{v:.1} {}", units[unit])
    }
}

/// Decimal byte sizes, as tshark and capinfos print them: `1.5 MB`.
pub fn format_bytes(bytes: u64) -> String {
    scaled(bytes as f64, &["B", "kB", "MB", "GB", "TB", "PB", "EB"])
}

/// Bits per second: `12.3 Mbit/s`.
pub fn format_rate(bits_per_second: f64) -> String {
    scaled(
        bits_per_second,
        &["bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"],
    )
}

/// Nanoseconds since the Unix epoch as RFC 3339 UTC with nanoseconds:
/// `2026-11-26T06:17:00.123456789Z`.
pub fn format_timestamp(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let nanos = ns.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let day_secs = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
        day_secs / 3600,
        day_secs % 3600 / 60,
        day_secs % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_separators() {
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(1000), "1,000");
        assert_eq!(format_count(1_234_567), "1,234,567");
        assert_eq!(format_count(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn bytes_and_rates_scale() {
        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(999), "999 B");
        assert_eq!(format_bytes(1500), "1.5 kB");
        assert_eq!(format_bytes(2_555_366), "2.6 MB");
        assert_eq!(format_rate(12_300_000.0), "12.3 Mbit/s");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(format_duration(0.0178), "17.8 ms");
        assert_eq!(format_duration(4.0), "4.00 s");
        assert_eq!(format_duration(750.0), "12.5 min");
        assert_eq!(format_duration(10_800.0), "3.0 h");
        assert_eq!(format_duration(216_000.0), "2.5 days");
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00.000000000Z");
        // 2000-02-29 (a leap day) 12:34:56.5
        assert_eq!(
            format_timestamp(951_827_696_500_000_000),
            "2000-02-29T12:34:56.500000000Z"
        );
        assert_eq!(format_timestamp(-1), "1969-12-31T23:59:59.999999999Z");
        assert_eq!(
            format_timestamp(1_764_137_820_123_456_789),
            "2025-11-26T06:17:00.123456789Z"
        );
    }
}
