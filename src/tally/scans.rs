//! Port-scan detection (being written).
