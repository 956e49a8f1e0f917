//! The documents of `ports` (port database entries) and `interfaces`
//! (capture devices): lists for people and scripts, never merged.

use serde::{Deserialize, Serialize};

use crate::classify::{PortClass, Source};
use crate::decode::Transport;

/// A port database entry, as `ports` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortEntryView {
    /// The port.
    pub port: u16,
    /// `tcp`, `udp` or `sctp`.
    pub transport: Transport,
    /// Service name.
    pub service: String,
    /// Description.
    pub description: String,
    /// Layer (`builtin`, `system`, `user`).
    pub source: Source,
    /// Port class (`well-known`, `registered`, `dynamic`).
    pub class: PortClass,
}

/// One capture device, as `interfaces` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterfaceView {
    /// Device name.
    pub name: String,
    /// libpcap's description.
    pub description: Option<String>,
    /// Addresses with prefix lengths.
    pub addresses: Vec<String>,
    /// `up` or `down`, then `running`, `loopback`, `wireless`,
    /// `connected` or `disconnected` where they apply.
    pub state: Vec<InterfaceState>,
    /// Whether this is the device `live` uses without `-i`.
    pub default: bool,
}

/// One word of a device's state, as libpcap reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InterfaceState {
    /// Administratively up.
    Up,
    /// Administratively down.
    Down,
    /// Operationally running.
    Running,
    /// A loopback device.
    Loopback,
    /// A wireless device.
    Wireless,
    /// Its link is connected.
    Connected,
    /// Its link is not connected.
    Disconnected,
}

impl InterfaceState {
    /// Every state word.
    pub const ALL: [InterfaceState; 7] = [
        InterfaceState::Up,
        InterfaceState::Down,
        InterfaceState::Running,
        InterfaceState::Loopback,
        InterfaceState::Wireless,
        InterfaceState::Connected,
        InterfaceState::Disconnected,
    ];

    /// The word, as JSON writes it.
    pub fn name(self) -> &'static str {
        match self {
            InterfaceState::Up => "up",
            InterfaceState::Down => "down",
            InterfaceState::Running => "running",
            InterfaceState::Loopback => "loopback",
            InterfaceState::Wireless => "wireless",
            InterfaceState::Connected => "connected",
            InterfaceState::Disconnected => "disconnected",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_are_the_serde_names() {
        for state in InterfaceState::ALL {
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.name()));
            assert_eq!(
                serde_json::from_str::<InterfaceState>(&json).unwrap(),
                state
            );
        }
    }
}
