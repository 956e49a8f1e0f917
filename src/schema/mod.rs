//! schema: the typed JSON documents portclass writes and reads back, each
//! declared once. `read --format json` writes a [`ReadView`]
//! ([`READ_SCHEMA`]); `report --format json` and `merge` write a
//! [`Document`] with the report's sections ([`REPORT_SCHEMA`]); `live
//! --format json` writes [`IntervalLine`]s and a [`SummaryLine`]; `diff
//! --format json` writes a [`DiffView`] ([`DIFF_SCHEMA`]).
//!
//! Every type derives both `Serialize` and `Deserialize`: `render` builds
//! the documents from tallies and writes them, and `summary` deserialises
//! them again to turn them back into tallies for `merge` and `report`.
//! Fields that hold a domain value have its type (`Transport`, `Tunnel`,
//! `Identified`, `DecodeProblem`, `Source`, `IpAddr`, ...), which names
//! itself in JSON through its serde names; fields that only repeat another
//! for people (RFC 3339 timestamps next to nanoseconds, descriptions) are
//! written and ignored when read back.
//!
//! May import: serde, and the domain types its fields hold or convert to
//! one-to-one (`decode`, `classify`, `tally`, `pipeline`). Must not import
//! `render`, `capture` or `app`: formatting for people is render's, and
//! rebuilding tallies (sketches, top-K tables) is summary's.

mod alerts;
mod diff;
mod hostnames;
mod lists;
mod live;
#[cfg(test)]
mod names;
mod read;
mod report;
mod scans;
mod servers;

pub use alerts::{AlertKind, AlertLine};
pub use diff::{
    ChangeFigures, ChangeKind, DIFF_SCHEMA, DiffSection, DiffSettingsView, DiffSideView, DiffView,
    Measure, PortChange, ServerChange, ServiceChange, SideKind,
};
pub use hostnames::{GeoView, MAX_LOOKUPS, NameView, NamesView, ResolveView, address_label};
pub use lists::{InterfaceState, InterfaceView, PortEntryView};
pub use live::{
    CaptureStatsView, CountsView, IntervalLine, LineKind, ProcessRow, ProcessesView, SavedView,
    SummaryLine,
};
pub use read::{
    AttemptedView, CounterView, FragmentsView, IdentifiedView, InputStatusKind, InputView,
    LinkTypeView, PortView, ProblemView, ReadView, RowKey, ServiceView, TransportView, TunnelView,
};
pub use report::{
    BucketServiceView, BucketView, ConversationTotals, ConversationView, DirectionView, HostTotals,
    HostView, PeakView, PortClassView, ReportSections, TimeSeriesView, TopView, UnknownPortView,
};
pub use scans::{EvidenceView, PerKindView, ScanSettingsView, ScanView, ScansView};
pub use servers::{ClientView, ProcessView, ServerTotalsView, ServerView, ServersView};

use serde::{Deserialize, Serialize};

/// The JSON schema identifier of `read --format json`; bumped on any
/// incompatible change.
pub const READ_SCHEMA: &str = "portclass.read/2";

/// The JSON schema identifier of `report --format json` (and of `merge`
/// output of reports); it holds every field of [`READ_SCHEMA`].
pub const REPORT_SCHEMA: &str = "portclass.report/2";

/// A JSON summary: `read`'s document, or `report`'s, which is `read`'s
/// fields and the report's sections. `merge` and `report` read any of them
/// back as this; a `live` summary line reads as `read`'s document (its own
/// fields are not read back).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Document {
    /// The counts, in `read`'s fields (`schema` says which document).
    #[serde(flatten)]
    pub read: ReadView,
    /// The report's sections; absent from `read`'s and `live`'s documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<ReportSections>,
}

/// For `skip_serializing_if`: a flag written only when set.
pub(crate) fn is_false(flag: &bool) -> bool {
    !*flag
}
