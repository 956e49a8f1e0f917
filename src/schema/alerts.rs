//! `live --baseline` and `--alert`: the NDJSON line of one alert,
//! `"type": "alert"`, written among the interval lines (just before the
//! line of the interval that raised it, with the same timestamp).

use super::LineKind;
use crate::decode::{Transport, Tunnel};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::net::IpAddr;

/// What raised an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A service not in the baseline.
    NewService,
    /// A server not in the baseline.
    NewServer,
    /// An `--alert` rule above its threshold.
    Threshold,
}

/// One alert line. The fields a kind does not have are left out.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AlertLine<'a> {
    /// `alert`.
    #[serde(rename = "type")]
    pub line: LineKind,
    /// What raised it.
    pub kind: AlertKind,
    /// The end of the interval that raised it (RFC 3339, UTC): the
    /// timestamp of that interval's line.
    pub timestamp: String,
    /// The interface captured.
    pub interface: Cow<'a, str>,
    /// Seconds since the capture started.
    pub elapsed_seconds: f64,
    /// The alert in words.
    pub message: String,
    /// The tunnel of a new service (`--decap`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tunnel: Option<Tunnel>,
    /// The transport of a new service or server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<Transport>,
    /// The service's name (a new service's, or a new server's port's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// A new service's ports in the interval that raised it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<u16>,
    /// A new server's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<IpAddr>,
    /// A new server's port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The `--alert` rule, as given (spaces removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// `bytes` or `packets`: what the rule counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Cow<'a, str>>,
    /// The rule's sum over its window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<u64>,
    /// The rule's threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<u64>,
    /// The rule's window, in seconds (whole intervals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_seconds: Option<f64>,
}
