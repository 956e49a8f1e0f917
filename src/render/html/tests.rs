//! The page as a whole: one balanced document in Markdown's section order,
//! data escaped, charts and tables as the view says, and under a megabyte
//! for the largest view a run can produce.

use super::time_axis::SECOND;
use super::*;
use crate::classify::NamingRule;
use crate::classify::PortDb;
use crate::decode::Tunnel;
use crate::decode::{Category, PacketInfo, Transport};
use crate::pipeline::scans::{ScanReport, ScanSettings, sample_vertical_scan};
use crate::pipeline::{Classified, Counted};
use crate::render::{CHART_BUCKETS, TABLE_BUCKETS, format_rate, format_timestamp, row_name};
use crate::schema::{
    BucketServiceView, BucketView, ConversationView, CounterView, DirectionView, HostView,
    IdentifiedView, ScanView, ScansView, ServiceView, TunnelView, UnknownPortView,
};
use crate::tally::report::ReportTally;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

const T0: i64 = 1_764_137_820_000_000_000;

fn v4(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
}

/// Counts one TCP/UDP frame the way `report` does: named by the
/// built-in database's rule.
fn count(
    tally: &mut ReportTally,
    transport: Transport,
    (src, src_port): (IpAddr, u16),
    (dst, dst_port): (IpAddr, u16),
    len: u32,
    ts: i64,
) {
    static RULE: OnceLock<NamingRule> = OnceLock::new();
    let rule = RULE.get_or_init(|| PortDb::builtin().naming_rule());
    let mut info = PacketInfo::ports(transport, src_port, dst_port);
    info.addresses = Some((src, dst));
    let classified = Classified::by_static_rule(rule, &info);
    tally.count(&Counted {
        info: &info,
        classified: &classified,
        wire_len: len,
        link_type: 1,
        ts_nanos: ts,
    });
}

/// A minute of traffic: https, http, ssh, dns, an unassigned port,
/// dynamic-to-dynamic, ICMP and a non-IP frame, with a gap in time.
fn sample_tally() -> ReportTally {
    let mut t = ReportTally::new(None);
    let client = v4(1);
    let server = v4(2);
    let v6 = IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 5));
    for s in 0..60i64 {
        if (20..30).contains(&s) {
            continue; // a gap: those buckets hold nothing
        }
        let ts = T0 + s * SECOND;
        count(
            &mut t,
            Transport::Tcp,
            (client, 51000),
            (server, 443),
            200,
            ts,
        );
        count(
            &mut t,
            Transport::Tcp,
            (server, 443),
            (client, 51000),
            1500 + s as u32 * 20,
            ts + 1,
        );
        if s % 2 == 0 {
            count(
                &mut t,
                Transport::Tcp,
                (client, 51001),
                (server, 80),
                120,
                ts + 2,
            );
            count(
                &mut t,
                Transport::Tcp,
                (server, 80),
                (client, 51001),
                900,
                ts + 3,
            );
        }
        if s % 3 == 0 {
            count(&mut t, Transport::Tcp, (v6, 50022), (v6, 22), 300, ts + 4);
            count(
                &mut t,
                Transport::Udp,
                (client, 53000),
                (server, 53),
                80,
                ts + 5,
            );
            count(
                &mut t,
                Transport::Udp,
                (server, 53),
                (client, 53000),
                160,
                ts + 6,
            );
        }
        if s % 5 == 0 {
            count(
                &mut t,
                Transport::Tcp,
                (client, 52000),
                (server, 34567),
                400,
                ts + 7,
            );
            count(
                &mut t,
                Transport::Udp,
                (client, 60000),
                (server, 61000),
                100,
                ts + 8,
            );
            let unnamed = &Classified::UNNAMED;
            t.count(&Counted {
                info: &PacketInfo::plain(Category::Icmp),
                classified: unnamed,
                wire_len: 98,
                link_type: 1,
                ts_nanos: ts + 9,
            });
            t.count(&Counted {
                info: &PacketInfo::plain(Category::NonIp),
                classified: unnamed,
                wire_len: 60,
                link_type: 1,
                ts_nanos: ts + 10,
            });
        }
    }
    t
}

fn sample_view(top: usize) -> ReportView {
    let mut tally = sample_tally();
    tally.base.finish_input(
        0,
        "cap<1>&\"x\".pcap".to_string(),
        "pcapng".to_string(),
        crate::tally::InputStatus::Complete,
        None,
    );
    ReportView::new(&tally, &PortDb::builtin(), false, top)
}

fn render(view: &ReportView) -> String {
    let mut out = Vec::new();
    write_html(view, &mut out).expect("writing to a Vec");
    String::from_utf8(out).expect("the page is UTF-8")
}

/// The text of the element that starts at the first `start` after `from`,
/// up to the next `end`.
fn between<'a>(page: &'a str, start: &str, end: &str) -> &'a str {
    let from = page
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in the page"));
    let rest = &page[from..];
    let to = rest
        .find(end)
        .unwrap_or_else(|| panic!("{end} not after {start}"));
    &rest[..to]
}

#[test]
fn page_is_one_balanced_self_contained_document() {
    let page = render(&sample_view(10));
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert_eq!(page.matches("<html").count(), 1);
    assert_eq!(page.matches("</html>").count(), 1);
    assert_eq!(page.matches("<body>").count(), 1);
    assert_eq!(page.matches("<svg").count(), page.matches("</svg>").count());
    assert_eq!(
        page.matches("<table").count(),
        page.matches("</table>").count()
    );
    assert_eq!(
        page.matches("<section").count(),
        page.matches("</section>").count()
    );
    assert_eq!(
        page.matches("<g").count() - page.matches("<g>").count() + page.matches("<g>").count(),
        page.matches("</g>").count()
    );
    for attr in [
        "src=", "href=", "url(", "@import", "<script", "<link", "<img", "<iframe",
    ] {
        assert!(
            !page.contains(attr),
            "the page references something: {attr}"
        );
    }
    assert!(!page.contains("http://") && !page.contains("https://"));
    assert!(page.contains("prefers-color-scheme:dark"));
    assert!(page.contains("@media print"));
}

#[test]
fn sections_come_in_markdown_order() {
    let page = render(&sample_view(10));
    let order = [
        "id=\"overview\"",
        "id=\"transports\"",
        "chart bars",
        "class=\"services\"",
        "id=\"port-classes\"",
        "id=\"scans\"",
        "id=\"hosts\"",
        "id=\"conversations\"",
        "chart series",
        "id=\"unknown-ports\"",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|s| page.find(s).unwrap_or_else(|| panic!("{s} missing")))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
}

#[test]
fn every_top_service_is_named() {
    let view = sample_view(10);
    let page = render(&view);
    let (shown, _) = view.shown_services();
    assert!(shown.len() >= 5);
    for s in shown {
        let name = view.service_label(s.key);
        assert!(page.contains(&format!(">{name}<")), "{name} missing");
    }
    for name in ["https", "http", "ssh", "dns", "unassigned", "dynamic"] {
        assert!(page.contains(name), "{name}");
    }
}

#[test]
fn data_strings_are_escaped() {
    let mut view = sample_view(10);
    view.read.services[0].service = Some("<script>alert(\"x&y\")</script>".to_string());
    view.read.services[0].description = Some("a \"quoted\" <b>description</b>".to_string());
    let page = render(&view);
    assert!(!page.contains("<script"));
    assert!(!page.contains("<b>"));
    assert!(page.contains("&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;"));
    assert!(page.contains("title=\"a &quot;quoted&quot; &lt;b&gt;description&lt;/b&gt;\""));
    // The input name from the command line, in the title and the overview.
    assert!(page.contains("<title>Traffic report: cap&lt;1&gt;&amp;&quot;x&quot;.pcap</title>"));
    assert!(!page.contains("cap<1>"));
}

#[test]
fn bar_chart_has_one_bar_per_shown_service_and_one_for_the_rest() {
    let view = sample_view(3);
    let page = render(&view);
    let chart = between(&page, "<svg class=\"chart bars\"", "</svg>");
    let (shown, rest) = view.shown_services();
    assert_eq!(shown.len(), 3);
    assert!(!rest.is_empty());
    assert_eq!(chart.matches("<g class=\"bar\"").count(), shown.len());
    assert_eq!(chart.matches("<g class=\"bar rest\"").count(), 1);
    assert_eq!(chart.matches("<rect ").count(), shown.len() + 1);
    for s in shown {
        let name = view.service_label(s.key);
        assert!(
            chart.contains(&format!("data-service=\"{name}\"")),
            "{name}"
        );
    }

    // With every row shown there is no rest bar.
    let view = sample_view(0);
    let page = render(&view);
    let chart = between(&page, "<svg class=\"chart bars\"", "</svg>");
    assert_eq!(
        chart.matches("<g class=\"bar\"").count(),
        view.read.services.len()
    );
    assert!(!chart.contains("bar rest"));
}

#[test]
fn time_chart_has_one_series_per_top_service() {
    let view = sample_view(4);
    let page = render(&view);
    let chart = between(&page, "<svg class=\"chart series\"", "</svg>");
    let top = &view.chart.top_services;
    assert_eq!(top.len(), 4);
    for (i, s) in top.iter().enumerate() {
        let name = view.service_label(s.key);
        assert!(
            chart.contains(&format!("data-series=\"{i}\" d=\"M")),
            "series {i} ({name}) has no area"
        );
        assert!(chart.contains(&format!("<title>{name}</title>")));
    }
    assert_eq!(
        chart.matches("<path class=\"series\"").count(),
        top.len() + 1
    );
    assert!(chart.contains("data-series=\"other\""));
    // A y axis in bits/s and time labels.
    assert!(chart.contains("kbit/s</text>"));
    assert!(chart.contains("06:17:"));
}

#[test]
fn time_chart_areas_drop_to_zero_over_missing_buckets() {
    let mut view = sample_view(4);
    let buckets = view.chart.buckets.len();
    assert!(buckets > 30);
    // Two runs of adjacent buckets, ten slots apart.
    view.chart.buckets.drain(10..20);
    let page = render(&view);
    let chart = between(&page, "<svg class=\"chart series\"", "</svg>");
    let https = between(chart, "data-series=\"0\"", "</path>");
    assert_eq!(https.matches('M').count(), 2, "{https}");
    assert_eq!(https.matches('Z').count(), 2, "{https}");
    assert!(https.starts_with("data-series=\"0\" d=\"M0,0"), "{https}");
    assert!(https.contains("V0ZM20,0"), "{https}");
}

#[test]
fn approximate_figures_are_marked() {
    let mut view = sample_view(10);
    view.report.hosts.exact = false;
    view.report.hosts.error_bound_bytes = 5000;
    view.report.hosts.entries[1].overestimate_bytes = 1200;
    let page = render(&view);
    let hosts = between(&page, "id=\"hosts\"", "</section>");
    // The row's three figures are lower bounds.
    assert_eq!(hosts.matches("≥&#8201;").count(), 3);
    assert!(hosts.contains("at least; up to 1.2 kB more"));
    assert!(hosts.contains("class=\"note warn\">Approximate:"));
    let conversations = between(&page, "id=\"conversations\"", "</section>");
    assert!(!conversations.contains("≥"));
    assert!(conversations.contains("All conversations are counted exactly."));
}

#[test]
fn numeric_views_label_services_by_port() {
    let tally = sample_tally();
    let view = ReportView::new(&tally, &PortDb::builtin(), true, 10);
    let page = render(&view);
    let chart = between(&page, "<svg class=\"chart bars\"", "</svg>");
    assert!(chart.contains("data-service=\"443/tcp\""));
    assert!(chart.contains("data-service=\"49152-65535/udp\""));
    assert!(!page.contains(">https<"));
    for s in &view.read.services {
        assert_eq!(row_name(s), view.service_label(s.key));
    }
}

#[test]
fn summaries_without_details_say_so() {
    let mut view = sample_view(10);
    view.report.details_available = false;
    let page = render(&view);
    for id in ["hosts", "conversations", "timeseries"] {
        let section = between(&page, &format!("<section id=\"{id}\">"), "</section>");
        assert!(section.contains("Not available:"), "{id}");
        assert!(!section.contains("<table"), "{id}");
    }
    assert!(!page.contains("chart series"));
    let services = between(&page, "class=\"services\"", "</table>");
    assert!(services.contains("<td class=\"n\">n/a</td>"));
    assert_eq!(
        page.matches("<section").count(),
        page.matches("</section>").count()
    );
}

/// Ten minutes with one busy second: the chart's 4 s bars and the
/// table's 32 s rows average the peak down, so the chart draws the
/// peak's rate and window, its axis reaches it, and the row holding it
/// is marked and says why it is lower.
#[test]
fn a_peak_inside_wider_buckets_is_drawn_and_marked() {
    let mut t = ReportTally::new(None);
    let (client, server) = (v4(1), v4(2));
    for s in 0..600i64 {
        let (frames, len) = if s == 437 { (50, 1500) } else { (2, 100) };
        for i in 0..frames {
            let ts = T0 + s * SECOND + i * 1_000_000;
            count(
                &mut t,
                Transport::Tcp,
                (server, 443),
                (client, 51000),
                len,
                ts,
            );
        }
    }
    let view = ReportView::new(&t, &PortDb::builtin(), false, 10);
    let peak = view.report.peak.clone().expect("a peak");
    assert_eq!(
        (peak.start_ns, peak.bucket_ns, peak.bytes),
        (T0 + 437 * SECOND, SECOND as u64, 75_000)
    );
    assert_eq!(
        (view.chart.bucket_ns, view.table.bucket_ns),
        (4 * SECOND as u64, 32 * SECOND as u64)
    );
    let page = render(&view);
    let rate = format_rate(peak.bits_per_second);
    assert_eq!(rate, "600.0 kbit/s");
    let chart = between(&page, "<svg class=\"chart series\"", "</svg>");
    assert!(
        chart.contains(&format!(
            "peak {rate}: busiest 1 s, from 2025-11-26 06:24:17.000</text>"
        )),
        "{chart}"
    );
    // The y axis: ticks up to at least the peak, though no bar reaches it.
    assert!(chart.contains(">600.0 kbit/s</text>"), "{chart}");
    assert_eq!(page.matches("<tr class=\"peak\">").count(), 1);
    assert!(page.contains("<tr class=\"peak\"><td>06:24:00.000 (peak)</td>"));
    assert!(page.contains(&format!(
        "The peak, {rate} over the busiest 1 s from 2025-11-26 06:24:17.000, lies in the marked bucket, whose average is lower."
    )));
}

#[test]
fn output_is_deterministic() {
    assert_eq!(render(&sample_view(10)), render(&sample_view(10)));
}

#[test]
fn empty_report_renders() {
    let view = ReportView::new(&ReportTally::new(None), &PortDb::builtin(), false, 10);
    let page = render(&view);
    assert!(page.contains("No TCP, UDP or SCTP traffic."));
    assert!(page.ends_with("</html>\n"));
}

/// The most chart buckets, each holding 100 services, with a gap after
/// each when `gaps`; the table's buckets the first of them.
fn fill_time_series(view: &mut ReportView, gaps: bool) {
    let ts = &mut view.chart;
    ts.bucket_ns = SECOND as u64;
    ts.bucket_seconds = 1.0;
    ts.top_services = view.read.services[..view.top.clamp(25, 100)]
        .iter()
        .map(|s| BucketServiceView {
            key: s.key,
            bytes: s.bytes,
        })
        .collect();
    let step = if gaps { 2 } else { 1 };
    ts.buckets = (0..CHART_BUCKETS as i64)
        .map(|i| {
            let services: Vec<BucketServiceView> = view.read.services[..100]
                .iter()
                .enumerate()
                .map(|(k, s)| BucketServiceView {
                    key: s.key,
                    bytes: 1_000_000 + (i as u64 * 7_919 + k as u64 * 104_729) % 9_000_000,
                })
                .collect();
            let bytes = services.iter().map(|s| s.bytes).sum::<u64>() + 12_345;
            BucketView {
                start: format_timestamp(T0 + i * step * SECOND),
                start_ns: T0 + i * step * SECOND,
                packets: 1000,
                bytes,
                services,
                other_bytes: 0,
            }
        })
        .collect();
    view.table = view.chart.clone();
    view.table.buckets.truncate(TABLE_BUCKETS);
}

/// The largest view a run can produce: every port of every transport,
/// full top-K tables of IPv6 addresses, the most buckets, each holding
/// many services.
fn huge_view(top: usize, gaps: bool) -> ReportView {
    let mut view = sample_view(top);
    let services = view.read.services[0].clone();
    let direction = view.report.service_directions[0].clone();
    let host = view.report.hosts.entries[0].clone();
    let conversation = view.report.conversations.entries[0].clone();
    view.read.services.clear();
    view.report.service_directions.clear();
    view.report.unknown_ports.clear();
    for (t, transport) in Transport::ALL.into_iter().enumerate() {
        for port in 0..=u16::MAX {
            let bytes = 1_000_000_000 - u64::from(port) * 3 - t as u64;
            let key = crate::schema::RowKey::port(transport, port);
            view.read.services.push(ServiceView {
                key,
                service: Some("unassigned-service-name".to_string()),
                description: Some("a description of some length, as they come".to_string()),
                bytes,
                ..services.clone()
            });
            view.report.service_directions.push(DirectionView {
                key,
                ..direction.clone()
            });
            view.report.unknown_ports.push(UnknownPortView {
                transport,
                port,
                servers: 1,
                packets: 123_456_789,
                bytes,
            });
        }
    }
    let address = |i: usize| -> IpAddr {
        format!("fd00:1234:5678:9abc:def0:1234:{:x}:{:x}", i / 7, i)
            .parse()
            .expect("an IPv6 address")
    };
    view.report.hosts.entries = (0..4096)
        .map(|i| HostView {
            address: address(i),
            overestimate_bytes: 1_234_567,
            ..host.clone()
        })
        .collect();
    view.report.conversations.entries = (0..4096)
        .map(|i| ConversationView {
            client: address(i),
            server: address(i + 1),
            service: Some("unassigned-service-name".to_string()),
            overestimate_bytes: 1_234_567,
            ..conversation.clone()
        })
        .collect();
    fill_time_series(&mut view, gaps);
    // The most findings a report keeps, with the longest evidence.
    let mut scans = no_scans();
    let hosts: Vec<String> = (0..8).map(|i| address(i).to_string()).collect();
    let finding = ScanView {
        kind: crate::pipeline::scans::ScanKind::Horizontal,
        target_host: None,
        target_port: Some(65535),
        evidence_text: format!(
            "first {}, last {}; open {} (+4,000 more)",
            address(9),
            address(10),
            hosts.join(", ")
        ),
        ..scan_finding()
    };
    scans.findings = vec![finding; crate::pipeline::scans::MAX_FINDINGS];
    view.read.scans = Some(scans);
    view.read.decap = true;
    for s in &mut view.read.services {
        s.key.tunnel = Some(Tunnel::Geneve);
    }
    view
}

#[test]
fn large_views_stay_under_a_megabyte() {
    for top in [0, 25, 100] {
        for gaps in [false, true] {
            let page = render(&huge_view(top, gaps));
            assert!(
                page.len() < 1_000_000,
                "--top {top}, gaps {gaps}: {} bytes",
                page.len()
            );
            if top == 0 {
                assert!(page.contains("more; --format csv lists all"));
                assert!(page.contains("(900 more; --format json lists all)"));
            }
        }
    }
}

/// A scan section with nothing found, with the default settings.
fn no_scans() -> ScansView {
    let mut report = ScanReport::new(ScanSettings::default());
    report.probes = 1234;
    ScansView::new(&report)
}

/// A vertical scan of 10.0.0.2 by 10.0.0.9.
fn scan_finding() -> ScanView {
    ScanView::new(&sample_vertical_scan(v4(9), v4(2), T0, T0 + 4 * SECOND))
}

#[test]
fn a_scan_finding_is_one_row_with_its_evidence_escaped() {
    let mut view = sample_view(10);
    let mut scans = no_scans();
    scans.findings.push(ScanView {
        evidence_text: "ports 1-1000; open <script>x&y</script>".to_string(),
        ..scan_finding()
    });
    view.read.scans = Some(scans);
    let page = render(&view);
    let section = between(&page, "<section id=\"scans\">", "</section>");
    let body = between(section, "<tbody>", "</tbody>");
    assert_eq!(body.matches("<tr>").count(), 1, "{section}");
    assert!(body.contains("<td>vertical</td><td>tcp</td>"), "{body}");
    assert!(body.contains("<code>10.0.0.9</code>"), "{body}");
    assert!(body.contains("<code>10.0.0.2</code>"), "{body}");
    assert!(body.contains(">1,000 ports</td>"), "{body}");
    assert!(body.contains("<td class=\"n\">997</td>"), "{body}");
    assert!(body.contains(">4.00 s</td>"), "{body}");
    assert!(body.contains("open &lt;script&gt;x&amp;y&lt;/script&gt;</td>"));
    assert!(!page.contains("<script"));
    assert!(section.contains("Looked for a source whose failed probes"));
    assert!(!section.contains("No port scans found"));
    assert!(!section.contains("warn"), "no caveat: {section}");
    // The overview points at it.
    let overview = between(&page, "id=\"overview\"", "</section>");
    assert!(overview.contains("<span class=\"bad\">1 found</span>"));
}

#[test]
fn scan_figures_that_are_lower_bounds_are_marked_and_caveats_noted() {
    let mut view = sample_view(10);
    let mut scans = no_scans();
    scans.findings.push(ScanView {
        kind: crate::pipeline::scans::ScanKind::Horizontal,
        target_host: None,
        target_port: Some(22),
        distinct: 4096,
        distinct_exact: false,
        evidence_text: "first 10.0.0.1, last 10.0.16.1; none open".to_string(),
        ..scan_finding()
    });
    scans.findings.push(scan_finding());
    scans.untracked_probes.vertical = 5;
    scans.dropped_findings = 2;
    view.read.scans = Some(scans);
    let page = render(&view);
    let section = between(&page, "<section id=\"scans\">", "</section>");
    let body = between(section, "<tbody>", "</tbody>");
    assert_eq!(body.matches("<tr>").count(), 2, "{section}");
    let first = between(body, "<tr>", "</tr>");
    assert!(first.contains("<code>port 22/tcp</code>"), "{first}");
    // probed, open, closed and unanswered of the first row.
    assert_eq!(first.matches("≥&#8201;").count(), 4, "{first}");
    assert!(first.contains("≥&#8201;4,096 hosts</td>"), "{first}");
    let second = between(&body[first.len()..], "<tr>", "</tr>");
    assert!(!second.contains('≥'), "{second}");
    assert!(section.contains(
        "<p class=\"note warn\">Note: 5 probes were not tracked: the scan tables were full.</p>"
    ));
    assert!(section.contains("Note: 2 more scans found and not listed."));
    let overview = between(&page, "id=\"overview\"", "</section>");
    assert!(overview.contains(">4 found</span>"), "{overview}");
}

#[test]
fn no_scan_found_says_what_was_looked_for() {
    let mut view = sample_view(10);
    view.read.scans = Some(no_scans());
    let page = render(&view);
    let section = between(&page, "<section id=\"scans\">", "</section>");
    assert!(
        section.contains(
            "<p>No port scans found (1,234 probes seen; looked for a source whose failed probes \
             (refused or unanswered) reach 15 ports of one host (vertical) or 25 hosts on one \
             port (horizontal) within 5 min).</p>"
        ),
        "{section}"
    );
    assert!(!section.contains("<table"));
    let overview = between(&page, "id=\"overview\"", "</section>");
    assert!(overview.contains("<td>none found (1,234 probes seen)</td>"));
}

#[test]
fn scan_detection_off_is_said() {
    let mut view = sample_view(10);
    view.read.scans = None;
    let page = render(&view);
    let section = between(&page, "<section id=\"scans\">", "</section>");
    assert!(section.contains("scan detection was off (--no-scans)"));
    assert!(!section.contains("No port scans found"));
    assert!(!section.contains("<table"));
    let overview = between(&page, "id=\"overview\"", "</section>");
    assert!(overview.contains("not looked for (--no-scans)"));
}

#[test]
fn every_service_row_says_how_its_port_was_identified() {
    let mut view = sample_view(0);
    // A row named by handshakes and the database both.
    view.read.services[1].identified = IdentifiedView {
        handshake: 9,
        port_database: 1,
        heuristic: 0,
        related: 0,
    };
    let page = render(&view);
    let table = between(&page, "<table class=\"services\"", "</table>");
    assert!(table.contains("<th scope=\"col\">identified by</th></tr>"));
    assert!(!table.contains(">tunnel</th>"));
    let rows = table.matches("<tr>").count() - 1;
    assert_eq!(rows, view.read.services.len());
    assert_eq!(
        table
            .matches("<td class=\"t\" title=\"packets named by")
            .count(),
        rows
    );
    assert!(
        table.contains(">handshake 90%, port db 10%</td></tr>"),
        "{table}"
    );
    // The static rule named the sample: the database or the heuristic.
    assert!(table.contains(">port db</td></tr>"));
    assert!(table.contains(">heuristic</td></tr>"));
}

#[test]
fn decap_adds_a_tunnel_column_and_a_tunnels_table() {
    let plain = render(&sample_view(3));
    assert!(!plain.contains("id=\"tunnels\""));

    let mut view = sample_view(3);
    view.read.decap = true;
    view.read.services[0].key.tunnel = Some(Tunnel::Vxlan);
    view.read.tunnels = vec![TunnelView {
        tunnel: Tunnel::Vxlan,
        packets: 5,
        bytes: 700,
    }];
    let page = render(&view);
    let table = between(&page, "<table class=\"services\"", "</table>");
    assert!(
        table.contains("<thead><tr><th scope=\"col\">tunnel</th><th scope=\"col\">service</th>")
    );
    let first = between(table, "<tbody>\n<tr>", "</tr>");
    assert!(
        first.starts_with("<tbody>\n<tr><td>vxlan</td><td>"),
        "{first}"
    );
    // The name without the tunnel: it has a column of its own.
    assert!(first.contains(">https</span></td>"), "{first}");
    assert_eq!(table.matches("<td class=\"m\">-</td>").count(), 2);
    // The "more" row spans the tunnel and service columns.
    assert!(table.contains("<tr class=\"rest\"><td colspan=\"2\">("));
    // The bar chart, without a tunnel column, names it.
    let chart = between(&page, "<svg class=\"chart bars\"", "</svg>");
    assert!(chart.contains("data-service=\"https (vxlan)\""));
    let tunnels = between(&page, "<section id=\"tunnels\">", "</section>");
    assert!(tunnels.contains("<tr><td>vxlan</td><td class=\"n\">5</td><td class=\"n\">700 B</td>"));
    // Between the services and the port classes.
    let at = |s: &str| page.find(s).unwrap_or_else(|| panic!("{s}"));
    assert!(at("id=\"services\"") < at("id=\"tunnels\""));
    assert!(at("id=\"tunnels\"") < at("id=\"port-classes\""));

    // Under --decap, no tunnel seen is said.
    view.read.tunnels.clear();
    let page = render(&view);
    let tunnels = between(&page, "<section id=\"tunnels\">", "</section>");
    assert!(tunnels.contains("<p>None: no frame came through a tunnel"));
}

#[test]
fn time_series_keep_tunnels_apart() {
    let mut view = sample_view(4);
    // https inside a GRE tunnel too, with bytes of its own in each bucket.
    let mut inner = view.read.services[0].clone();
    inner.key.tunnel = Some(Tunnel::Gre);
    inner.bytes = 1;
    view.read.services.push(inner);
    let mut series = view.chart.top_services[0];
    series.key.tunnel = Some(Tunnel::Gre);
    view.chart.top_services.push(series);
    for b in &mut view.chart.buckets {
        b.services.push(BucketServiceView { bytes: 7, ..series });
        b.bytes += 7;
    }
    let page = render(&view);
    let chart = between(&page, "<svg class=\"chart series\"", "</svg>");
    assert!(chart.contains("<title>https (gre)</title>"), "{chart}");
    assert!(chart.contains("<title>https</title>"), "{chart}");
    // Each bucket's tooltip gives the tunnel's own rate, not https's.
    let hover = between(chart, "<g class=\"hover\">", "</g>");
    let rate = format_rate(7.0 * 8.0 / view.chart.bucket_seconds);
    assert_eq!(
        hover.matches(&format!("\nhttps (gre): {rate}")).count(),
        view.chart.buckets.len(),
        "{hover}"
    );
    // Its own colour: not that of https outside the tunnel.
    let legend = between(&page, "<ul class=\"legend\">", "</ul>");
    assert!(legend.contains(">https (gre)</li>"));
    assert_eq!(
        legend.matches("style=\"fill:var(--c0)\"").count(),
        1,
        "{legend}"
    );
}

#[test]
fn fragments_attributed_are_said_under_the_services() {
    let page = render(&sample_view(10));
    assert!(!page.contains("non-first fragment"));
    let mut view = sample_view(10);
    view.read.transport.fragment = CounterView {
        packets: 3,
        bytes: 3000,
    };
    view.read.fragments.attributed = CounterView {
        packets: 2,
        bytes: 2500,
    };
    view.read.fragments.unattributed = CounterView {
        packets: 1,
        bytes: 500,
    };
    let page = render(&view);
    let services = between(&page, "<section id=\"services\">", "</section>");
    assert!(services.contains(
        "<p class=\"note\">3 non-first fragments: 2 (2.5 kB) attributed to the service of their first fragment \
         and counted in its row; 1 (500 B) unattributed (their first fragment was not seen or carried no ports).</p>"
    ), "{services}");
}

#[test]
fn widths_read_well() {
    assert_eq!(format_width(0.25), "250 ms");
    assert_eq!(format_width(0.0078125), "7.8125 ms");
    assert_eq!(format_width(1.0), "1 s");
    assert_eq!(format_width(90.0), "90 s");
    assert_eq!(format_width(300.0), "5 min");
    assert_eq!(format_width(3600.0), "60 min");
    assert_eq!(format_width(7200.0), "2 h");
    assert_eq!(format_width(0.000_05), "50 µs");
}

#[test]
fn coordinates_are_short() {
    assert_eq!(Px::of(12.04).to_string(), "12");
    assert_eq!(Px::of(-3.25).to_string(), "-3.3");
    assert_eq!(Px::of(0.5).to_string(), "0.5");
    assert_eq!(html! { (Px::of(-0.04)) }.into_string(), "0");
}

/// Writes the sample page for a look: `PORTCLASS_HTML_SAMPLE=path cargo test`.
#[test]
fn sample_page_for_a_look() {
    if let Some(path) = std::env::var_os("PORTCLASS_HTML_SAMPLE") {
        let page = render(&sample_view(10));
        std::fs::write(path, page).expect("writing the sample page");
    }
}
