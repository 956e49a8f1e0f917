//! A BPF filter decides what is counted: of datagrams to two ports, only
//! the filtered port's appear, and the summary names the filter.

use crate::common::netns::NetPair;
use crate::common::*;
use crate::session::*;

/// Captures with `flags` (a filter that keeps only UDP to port 40123)
/// while datagrams go to three ports, and checks that only the wanted ones
/// were counted and that the summary names `expression` as the filter.
fn only_port_40123_is_counted(net: &NetPair, flags: &[&str], expression: &str) {
    let wanted = 10;
    let mut args = flags.to_vec();
    let count = wanted.to_string();
    args.extend(["--count", &count, "--duration", "15", "--no-promisc"]);
    let mut live = start_capturing(net, &args);
    // The others first: were they counted, `--count` would stop on them.
    send_udp4(net, &[(5353, 20), (40124, 20), (40123, wanted)]);
    let out = finish(&mut live);
    let summary = &out.summary;
    check_summary(summary, &net.ns_b, Some(expression));
    assert_eq!(u64_of(summary, "packets"), wanted, "packets");
    assert_eq!(
        category(summary, "udp"),
        (wanted, wanted * UDP4_FRAME),
        "transport.udp"
    );
    assert_only_category(summary, "udp");
    let ports = tool_ports(summary);
    assert_eq!(
        ports.keys().collect::<Vec<_>>(),
        ["udp/40123", &format!("udp/{SRC_PORT}")],
        "port rows"
    );
    assert_eq!(
        ports["udp/40123"],
        [0, 0, wanted, wanted * UDP4_FRAME],
        "udp/40123"
    );
    let rows = service_figures(summary);
    assert_eq!(
        rows.into_iter().collect::<Vec<_>>(),
        [("udp/40123".to_string(), (wanted, wanted * UDP4_FRAME))],
        "service rows"
    );
}

#[test]
fn only_frames_passing_the_filter_are_counted() {
    let Some(net) = NetPair::new() else { return };
    let filter = "udp dst port 40123";
    only_port_40123_is_counted(&net, &["--filter", filter], filter);
}

/// `--port` and `--host` become one kernel filter, named in the summary as
/// the expression they make.
#[test]
fn shortcuts_become_the_capture_filter() {
    let Some(net) = NetPair::new() else { return };
    let expression = format!("(host {}) and (port 40123)", net.v4_a);
    only_port_40123_is_counted(&net, &["--port", "40123", "--host", &net.v4_a], &expression);
}
