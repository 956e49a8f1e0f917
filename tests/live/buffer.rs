//! `-B/--buffer-size KIB` sizes the kernel's capture ring as tcpdump's `-B`
//! does: the ring libpcap maps into the process is that many KiB, and
//! 32 MiB without the option. Out-of-range sizes are refused.

use crate::common::netns::NetPair;
use crate::common::*;
use crate::session::*;

/// Sizes in bytes of the shared socket mappings of process `pid`: the
/// packet rings libpcap set up (`rw-s ... socket:[inode]` in its maps).
fn packet_rings(pid: u32) -> Vec<u64> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).expect("maps");
    maps.lines()
        .filter(|line| line.contains(" rw-s ") && line.contains("socket:["))
        .map(|line| {
            let range = line.split_whitespace().next().expect("range");
            let (start, end) = range.split_once('-').expect("start-end");
            let at = |hex| u64::from_str_radix(hex, 16).expect("hex address");
            at(end) - at(start)
        })
        .collect()
}

#[test]
fn buffer_size_sizes_the_kernel_ring() {
    let Some(net) = NetPair::new() else { return };
    let cases: [(&[&str], u64); 3] = [
        (&["-B", "4096"], 4 << 20),
        (&[], 32 << 20),
        (&["--buffer-size", "65536"], 64 << 20),
    ];
    for (flags, ring) in cases {
        let mut args = flags.to_vec();
        args.extend(["--filter", "udp", "--count", "1", "--duration", "15"]);
        let mut live = start_capturing(&net, &args);
        let rings = packet_rings(live.pid());
        send_udp4(&net, &[(5353, 1)]);
        let out = finish(&mut live);
        assert_eq!(rings, vec![ring], "packet rings with {flags:?}");
        assert_eq!(category(&out.summary, "udp").0, 1, "{flags:?}");
    }
}

#[test]
fn out_of_range_buffer_sizes_are_refused() {
    for size in ["0", "63", "2097152"] {
        let run = portclass(&["live", "-i", "lo", "-B", size, "--count", "1"]);
        run.assert_code(2);
        assert!(
            run.stderr
                .contains("--buffer-size must be between 64 and 2097151 KiB"),
            "{size}: {}",
            run.stderr
        );
    }
}
