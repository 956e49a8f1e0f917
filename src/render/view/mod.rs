//! The documents of [`schema`](crate::schema) built from tallies: names
//! from the port database, timestamps and descriptions for people, rows
//! sorted for display. Every renderer starts from these views.

mod diff;
mod read;
mod report;
mod scans;
mod servers;

pub(crate) use diff::{ServiceKey, ServiceName, service_key};

use crate::schema::TopView;
use crate::tally::topk::{Entry, SpaceSaving, Weights};
use std::hash::Hash;

/// The table of a top-K summary: its accuracy, each entry as `row` makes
/// it, and `totals`.
fn top_view<K: Copy + Eq + Hash + Ord, W: Weights, T, U>(
    summary: &SpaceSaving<K, W>,
    row: impl FnMut(Entry<K, W>) -> T,
    totals: U,
) -> TopView<T, U> {
    TopView {
        capacity: summary.capacity(),
        exact: summary.is_exact(),
        error_bound_bytes: summary.error_bound(),
        entries: summary.entries().into_iter().map(row).collect(),
        totals,
    }
}

pub use diff::DiffSide;
pub use report::{CHART_BUCKETS, ReportView, TABLE_BUCKETS};

/// A small report for renderers' tests.
#[cfg(test)]
pub(crate) mod sample {
    use super::ReportView;
    use crate::classify::PortDb;
    use crate::decode::{PacketInfo, Transport};
    use crate::pipeline::{Classified, Counted};
    use crate::tally::report::ReportTally;
    use std::net::{IpAddr, Ipv4Addr};

    /// The time of the first frame.
    pub const T0: i64 = 1_764_137_820_000_000_000;

    /// 10.0.0.`last`.
    pub fn v4(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
    }

    /// https, ssh and dns between two hosts, named by the built-in rule.
    pub fn report() -> ReportView {
        let db = PortDb::builtin();
        let rule = db.naming_rule();
        let mut tally = ReportTally::new(None);
        let frames = [
            (Transport::Tcp, 51000, 443, 1500),
            (Transport::Tcp, 443, 51000, 1500),
            (Transport::Tcp, 51001, 22, 300),
            (Transport::Udp, 53000, 53, 80),
        ];
        for (i, (transport, src, dst, len)) in frames.into_iter().enumerate() {
            let mut info = PacketInfo::ports(transport, src, dst);
            info.addresses = Some((v4(1), v4(2)));
            let classified = Classified::by_static_rule(&rule, &info);
            tally.count(&Counted {
                info: &info,
                classified: &classified,
                wire_len: len,
                link_type: 1,
                ts_nanos: T0 + i as i64 * 1_000_000,
            });
        }
        ReportView::new(&tally, &db, false, 10)
    }
}
