//! `portclass interfaces` inside a namespace lists exactly what is there:
//! the veth with its addresses, and loopback.

use crate::common::netns::{NetPair, Side};
use crate::common::*;
use crate::session::STOP_TIMEOUT;

#[test]
fn lists_the_veth_with_its_addresses_and_loopback() {
    let Some(net) = NetPair::new() else { return };
    let run = net
        .spawn(Side::B, &[bin(), "interfaces"])
        .wait(STOP_TIMEOUT)
        .into_run();
    run.assert_code(0);
    let text = run.stdout_text();
    for needle in [
        net.ns_b.as_str(),
        net.v4_b.as_str(),
        net.v6_b.as_str(),
        "lo",
        "127.0.0.1",
    ] {
        assert!(text.contains(needle), "no {needle:?} in:\n{text}");
    }
    // The other namespace's veth is not here.
    assert!(!text.contains(&net.ns_a), "{} listed in:\n{text}", net.ns_a);
}
