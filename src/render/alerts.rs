//! Alerts of `live --baseline` and `--alert`: one sentence for people (the
//! screen's alert line, the `ALERT` line of table and Markdown snapshots,
//! the line on standard error), and the NDJSON line of `--format json`.

use super::live::LiveStatus;
use super::units::{endpoint, format_bytes, format_count, format_duration, with_tunnel};
use super::{Format, format_timestamp};
use crate::pipeline::alerts::{Alert, Quantity};
use crate::schema::{AlertKind, AlertLine, LineKind};
use std::borrow::Cow;
use std::io::{self, Write};

/// The alert in one sentence, e.g. `new service redis (6379/tcp), not in
/// the baseline`.
pub fn alert_text(alert: &Alert) -> String {
    match alert {
        Alert::NewService {
            tunnel,
            transport,
            service,
            ports,
            failed,
        } => {
            let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
            let label = match (service, ports.is_empty(), failed) {
                (Some(name), false, _) => format!("{name} ({}/{transport})", ports.join(" ")),
                (None, false, _) => format!("{}/{transport}", ports.join(" ")),
                (_, true, true) => format!("failed attempts ({transport})"),
                (_, true, false) => format!("dynamic ports ({transport})"),
            };
            format!(
                "new service {}, not in the baseline",
                with_tunnel(label, *tunnel)
            )
        }
        Alert::NewServer {
            address,
            port,
            transport,
            service,
        } => {
            let name = service
                .as_ref()
                .map_or(String::new(), |s| format!(" ({s})"));
            format!(
                "new server {}/{transport}{name}, not in the baseline",
                endpoint(*address, *port)
            )
        }
        Alert::Threshold {
            rule,
            quantity,
            value,
            threshold,
            window,
        } => {
            let amount = |n: u64| match quantity {
                Quantity::Bytes => format_bytes(n),
                Quantity::Packets => format!("{} packets", format_count(n)),
            };
            format!(
                "{rule}: {} in the last {}, above {}",
                amount(*value),
                format_duration(window.as_secs_f64()),
                amount(*threshold)
            )
        }
    }
}

/// Writes `alert`, raised at `now_nanos`, in a snapshot stream: an NDJSON
/// line (`"type": "alert"`), an `ALERT` line (table, Markdown), or nothing
/// (CSV, whose rows have one shape; the line on standard error says it).
pub fn write_alert(
    format: Format,
    status: &LiveStatus,
    alert: &Alert,
    now_nanos: i64,
    out: &mut dyn Write,
) -> io::Result<()> {
    let stamp = format_timestamp(now_nanos);
    match format {
        Format::Json => {
            serde_json::to_writer(&mut *out, &alert_line(status, alert, stamp))?;
            writeln!(out)
        }
        Format::Csv => Ok(()),
        Format::Table => writeln!(out, "ALERT {stamp} {}", alert_text(alert)),
        Format::Markdown => writeln!(out, "**ALERT** {stamp} {}\n", alert_text(alert)),
    }
}

fn alert_line<'a>(status: &'a LiveStatus, alert: &Alert, timestamp: String) -> AlertLine<'a> {
    let mut line = AlertLine {
        line: LineKind::Alert,
        kind: AlertKind::Threshold,
        timestamp,
        interface: Cow::Borrowed(&status.interface),
        elapsed_seconds: status.elapsed_seconds,
        message: alert_text(alert),
        tunnel: None,
        transport: None,
        service: None,
        ports: Vec::new(),
        address: None,
        port: None,
        rule: None,
        quantity: None,
        value: None,
        threshold: None,
        window_seconds: None,
    };
    match alert {
        Alert::NewService {
            tunnel,
            transport,
            service,
            ports,
            failed: _,
        } => {
            line.kind = AlertKind::NewService;
            line.tunnel = *tunnel;
            line.transport = Some(*transport);
            line.service.clone_from(service);
            line.ports.clone_from(ports);
        }
        Alert::NewServer {
            address,
            port,
            transport,
            service,
        } => {
            line.kind = AlertKind::NewServer;
            line.address = Some(*address);
            line.port = Some(*port);
            line.transport = Some(*transport);
            line.service.clone_from(service);
        }
        Alert::Threshold {
            rule,
            quantity,
            value,
            threshold,
            window,
        } => {
            line.rule = Some(rule.clone());
            line.quantity = Some(Cow::Borrowed(quantity.name()));
            line.value = Some(*value);
            line.threshold = Some(*threshold);
            line.window_seconds = Some(window.as_secs_f64());
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Transport;
    use std::net::{IpAddr, Ipv4Addr};
    use std::time::Duration;

    fn status() -> LiveStatus {
        LiveStatus {
            interface: "veth0".to_string(),
            filter: None,
            elapsed_seconds: 2.5,
            stats: None,
            saved: None,
            metrics_url: None,
            local_addresses: Vec::new(),
            last_alert: None,
        }
    }

    fn written(format: Format, alert: &Alert) -> String {
        let mut out = Vec::new();
        write_alert(
            format,
            &status(),
            alert,
            1_700_000_000_000_000_000,
            &mut out,
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn each_kind_is_one_line_in_each_format() {
        let service = Alert::NewService {
            tunnel: None,
            transport: Transport::Tcp,
            service: Some("redis".to_string()),
            ports: vec![6379],
            failed: false,
        };
        let server = Alert::NewServer {
            address: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            port: 6379,
            transport: Transport::Tcp,
            service: Some("redis".to_string()),
        };
        let threshold = Alert::Threshold {
            rule: "port=53/udp,bytes>2kB/1s".to_string(),
            quantity: Quantity::Bytes,
            value: 3700,
            threshold: 2000,
            window: Duration::from_secs(1),
        };
        assert_eq!(
            written(Format::Table, &service),
            "ALERT 2023-11-14T22:13:20.000000000Z new service redis (6379/tcp), not in the baseline\n"
        );
        assert_eq!(
            alert_text(&server),
            "new server 10.0.0.2:6379/tcp (redis), not in the baseline"
        );
        assert_eq!(
            alert_text(&threshold),
            "port=53/udp,bytes>2kB/1s: 3.7 kB in the last 1.00 s, above 2.0 kB"
        );
        assert_eq!(written(Format::Csv, &threshold), "");
        assert!(written(Format::Markdown, &server).starts_with("**ALERT** "));

        let json: serde_json::Value =
            serde_json::from_str(written(Format::Json, &service).trim_end()).unwrap();
        assert_eq!(json["type"], "alert");
        assert_eq!(json["kind"], "new_service");
        assert_eq!(json["service"], "redis");
        assert_eq!(json["ports"], serde_json::json!([6379]));
        assert_eq!(json["interface"], "veth0");
        assert!(json.get("address").is_none(), "{json}");
        let json: serde_json::Value =
            serde_json::from_str(written(Format::Json, &server).trim_end()).unwrap();
        assert_eq!(
            (&json["kind"], &json["address"], &json["port"]),
            (
                &serde_json::json!("new_server"),
                &serde_json::json!("10.0.0.2"),
                &serde_json::json!(6379)
            )
        );
        let json: serde_json::Value =
            serde_json::from_str(written(Format::Json, &threshold).trim_end()).unwrap();
        assert_eq!(json["kind"], "threshold");
        assert_eq!(json["rule"], "port=53/udp,bytes>2kB/1s");
        assert_eq!(
            (json["value"].as_u64(), json["threshold"].as_u64()),
            (Some(3700), Some(2000))
        );
        assert_eq!(json["quantity"], "bytes");
        assert_eq!(json["window_seconds"], 1.0);
    }
}
