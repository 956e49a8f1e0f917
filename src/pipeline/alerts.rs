//! The pure part of `live --baseline` and `--alert`: the grammar of a
//! threshold rule, the sliding window and edge trigger that decide when a
//! rule fires, and the bounded memory of the new services and servers
//! already alerted. Nothing here reads a file, a clock or a capture: the
//! live loop hands in each interval's figures and gets back what fires.
//!
//! The grammar (also in the README, "Alerts"):
//!
//! ```text
//! RULE      := SELECTOR "," CONDITION
//! SELECTOR  := "service=" NAME ["/" TRANSPORT]
//!            | "port=" PORT ["/" TRANSPORT]
//!            | "server=" ADDRESS ":" PORT "/" TRANSPORT     (IPv6: [ADDRESS]:PORT)
//!            | "any"
//! CONDITION := ("bytes" | "packets") ">" AMOUNT ["/" WINDOW]
//! AMOUNT    := NUMBER [k | M | G | Ki | Mi | Gi] [B]        (k = 1,000; Ki = 1,024)
//! WINDOW    := NUMBER (ms | s | m | h)                      (default: one interval)
//! ```

use crate::decode::{Transport, Tunnel};
use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;
use thiserror::Error;

/// The grammar, as error messages quote it.
pub const RULE_GRAMMAR: &str = "SELECTOR,CONDITION where SELECTOR is service=NAME[/TRANSPORT], \
     port=PORT[/TRANSPORT], server=ADDRESS:PORT/TRANSPORT or any, and CONDITION is \
     bytes>AMOUNT[/WINDOW] or packets>AMOUNT[/WINDOW] (AMOUNT like 500, 10k, 10MB, 1GiB; \
     WINDOW like 10s, 1m, 1h), e.g. 'service=ssh,bytes>10MB/1m'";

/// An `--alert` rule that does not parse: names the rule, what is wrong,
/// and the grammar.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("--alert {rule:?}: {problem}; a rule is {RULE_GRAMMAR}")]
pub struct RuleError {
    /// The rule as given.
    pub rule: String,
    /// What is wrong with it.
    pub problem: String,
}

/// Which traffic a rule measures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// The service rows of this name (any case), on one transport or all.
    Service(String, Option<Transport>),
    /// The counters of this port (frames from it plus frames to it), on one
    /// transport or all.
    Port(u16, Option<Transport>),
    /// One server of the inventory, both ways.
    Server(IpAddr, u16, Transport),
    /// Every frame.
    Any,
}

/// What a rule counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// Wire bytes.
    Bytes,
    /// Frames.
    Packets,
}

impl Quantity {
    /// `bytes` or `packets`.
    pub fn name(self) -> &'static str {
        match self {
            Quantity::Bytes => "bytes",
            Quantity::Packets => "packets",
        }
    }
}

/// One `--alert` rule: the traffic it selects exceeding `threshold` within
/// `window`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertRule {
    /// The rule as given (its `rule` label and its name in messages).
    pub text: String,
    /// Which traffic.
    pub selector: Selector,
    /// Bytes or packets.
    pub quantity: Quantity,
    /// Fires when the window's sum is above this.
    pub threshold: u64,
    /// The window; `None`: one interval.
    pub window: Option<Duration>,
}

impl fmt::Display for AlertRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for AlertRule {
    type Err = RuleError;

    fn from_str(text: &str) -> Result<AlertRule, RuleError> {
        let error = |problem: String| RuleError {
            rule: text.to_string(),
            problem,
        };
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let Some((selector, condition)) = compact.split_once(',') else {
            return Err(error(
                "no condition: a selector and a condition are separated by a comma".to_string(),
            ));
        };
        if condition.contains(',') {
            return Err(error("one condition per rule (one comma)".to_string()));
        }
        let selector = parse_selector(selector).map_err(error)?;
        let (quantity, threshold, window) = parse_condition(condition).map_err(error)?;
        Ok(AlertRule {
            text: compact,
            selector,
            quantity,
            threshold,
            window,
        })
    }
}

fn transport(text: &str) -> Result<Transport, String> {
    Transport::parse(text).ok_or_else(|| format!("{text:?} is not a transport (tcp, udp, sctp)"))
}

fn parse_selector(text: &str) -> Result<Selector, String> {
    if text.eq_ignore_ascii_case("any") {
        return Ok(Selector::Any);
    }
    let Some((key, value)) = text.split_once('=') else {
        return Err(format!(
            "selector {text:?} is not service=, port=, server= or any"
        ));
    };
    let split_transport = |value: &str| -> Result<(String, Option<Transport>), String> {
        match value.rsplit_once('/') {
            Some((name, t)) => Ok((name.to_string(), Some(transport(t)?))),
            None => Ok((value.to_string(), None)),
        }
    };
    match key.to_ascii_lowercase().as_str() {
        "service" => {
            let (name, transport) = split_transport(value)?;
            if name.is_empty() {
                return Err("service= needs a name, e.g. service=ssh".to_string());
            }
            Ok(Selector::Service(name, transport))
        }
        "port" => {
            let (port, transport) = split_transport(value)?;
            let port = port
                .parse::<u16>()
                .map_err(|_| format!("port {port:?} is not a number from 0 to 65535"))?;
            Ok(Selector::Port(port, transport))
        }
        "server" => {
            let Some((endpoint, t)) = value.rsplit_once('/') else {
                return Err(
                    "server= needs its transport: server=ADDRESS:PORT/TRANSPORT".to_string()
                );
            };
            let endpoint: SocketAddr = endpoint.parse().map_err(|_| {
                format!("server {endpoint:?} is not ADDRESS:PORT (IPv6 in brackets: [fd00::1]:443)")
            })?;
            Ok(Selector::Server(
                endpoint.ip(),
                endpoint.port(),
                transport(t)?,
            ))
        }
        other => Err(format!(
            "selector {other:?} is not service=, port=, server= or any"
        )),
    }
}

fn parse_condition(text: &str) -> Result<(Quantity, u64, Option<Duration>), String> {
    let Some((quantity, limit)) = text.split_once('>') else {
        return Err(format!(
            "condition {text:?} has no '>': bytes>AMOUNT or packets>AMOUNT"
        ));
    };
    let quantity = match quantity.to_ascii_lowercase().as_str() {
        "bytes" => Quantity::Bytes,
        "packets" => Quantity::Packets,
        other => return Err(format!("{other:?} is not bytes or packets")),
    };
    let (amount, window) = match limit.split_once('/') {
        Some((amount, window)) => (amount, Some(parse_window(window)?)),
        None => (limit, None),
    };
    Ok((quantity, parse_amount(amount)?, window))
}

/// `500`, `10k`, `10kB`, `1.5MB`, `2GiB`: a count with an SI (×1,000) or
/// binary (×1,024) multiplier and an optional `B`.
pub fn parse_amount(text: &str) -> Result<u64, String> {
    let bad = || format!("amount {text:?} is not a number with an optional k, M, G, Ki, Mi or Gi");
    let digits = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let value: f64 = number.parse().map_err(|_| bad())?;
    let unit = unit.strip_suffix(['B', 'b']).unwrap_or(unit);
    let scale = match unit.to_ascii_lowercase().as_str() {
        "" => 1.0,
        "k" => 1e3,
        "m" => 1e6,
        "g" => 1e9,
        "ki" => 1024.0,
        "mi" => 1024.0 * 1024.0,
        "gi" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(bad()),
    };
    let amount = value * scale;
    if amount.is_finite() && amount < 1.8e19 {
        Ok(amount.round() as u64)
    } else {
        Err(bad())
    }
}

/// `250ms`, `10s`, `1m`, `1h`, `1.5s`.
fn parse_window(text: &str) -> Result<Duration, String> {
    let bad = || format!("window {text:?} is not a duration such as 10s, 1m or 1h");
    let digits = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let value: f64 = number.parse().map_err(|_| bad())?;
    let scale = match unit {
        "ms" => 1e-3,
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => return Err(bad()),
    };
    let seconds = value * scale;
    if seconds.is_finite() && (0.001..=31_536_000.0).contains(&seconds) {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(bad())
    }
}

/// A rule's window over the last intervals and whether it is above its
/// threshold: sliding, made of whole intervals (the window divided by the
/// interval, rounded, at least one), and edge-triggered: it fires when the
/// sum goes above the threshold, and again only after it has been at or
/// below it.
#[derive(Clone, Debug)]
pub struct RuleState {
    intervals: usize,
    amounts: VecDeque<u64>,
    sum: u64,
    above: bool,
}

impl RuleState {
    /// A state for `rule` evaluated every `interval`.
    pub fn new(rule: &AlertRule, interval: Duration) -> RuleState {
        let intervals = rule.window.map_or(1, |window| {
            let n = (window.as_secs_f64() / interval.as_secs_f64().max(1e-9)).round();
            // A window of a year at 1 ms intervals would be 3e10 entries.
            n.clamp(1.0, 1e6) as usize
        });
        RuleState {
            intervals,
            amounts: VecDeque::new(),
            sum: 0,
            above: false,
        }
    }

    /// How many intervals the window spans.
    pub fn intervals(&self) -> usize {
        self.intervals
    }

    /// Adds one interval's `amount`; `Some(sum of the window)` when the
    /// rule fires now (it was not above its threshold at the last interval).
    pub fn observe(&mut self, amount: u64, threshold: u64) -> Option<u64> {
        self.amounts.push_back(amount);
        self.sum = self.sum.saturating_add(amount);
        while self.amounts.len() > self.intervals {
            let old = self.amounts.pop_front().unwrap_or(0);
            self.sum = self.sum.saturating_sub(old);
        }
        let was = self.above;
        self.above = self.sum > threshold;
        (self.above && !was).then_some(self.sum)
    }
}

/// An alert raised at the end of an interval.
#[derive(Clone, Debug, PartialEq)]
pub enum Alert {
    /// A service the baseline does not have: the rows of one name on one
    /// transport (and tunnel), as `diff` compares services.
    NewService {
        /// The tunnel it was inside (`--decap`).
        tunnel: Option<Tunnel>,
        /// Its transport.
        transport: Transport,
        /// Its name (`None`: not named, or `--numeric`).
        service: Option<String>,
        /// The ports of its rows this interval (none for the dynamic and
        /// failed rows).
        ports: Vec<u16>,
        /// The row is the failed-attempts row (otherwise, without ports,
        /// the dynamic row).
        failed: bool,
    },
    /// A server (address, port, transport: one that answered) the
    /// baseline does not have.
    NewServer {
        /// Its address.
        address: IpAddr,
        /// Its port.
        port: u16,
        /// Its transport.
        transport: Transport,
        /// The service its port names.
        service: Option<String>,
    },
    /// A `--alert` rule went above its threshold.
    Threshold {
        /// The rule as given.
        rule: String,
        /// Bytes or packets.
        quantity: Quantity,
        /// The window's sum.
        value: u64,
        /// The rule's threshold.
        threshold: u64,
        /// The window's length: its intervals times the interval.
        window: Duration,
    },
}

impl Alert {
    /// `new_service`, `new_server` or `threshold`: the `kind` of its JSON
    /// line and of its Prometheus counter.
    pub fn kind(&self) -> &'static str {
        match self {
            Alert::NewService { .. } => "new_service",
            Alert::NewServer { .. } => "new_server",
            Alert::Threshold { .. } => "threshold",
        }
    }
}

/// The items already alerted (new services, new servers), at most
/// `capacity` of them: an item is alerted once per run; past the capacity
/// no new item is alerted, and [`NewItems::insert`] says so once.
#[derive(Clone, Debug)]
pub struct NewItems<K> {
    seen: HashSet<K>,
    capacity: usize,
    full: bool,
}

/// What [`NewItems::insert`] made of an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Seen for the first time: alert it.
    New,
    /// Alerted before.
    Known,
    /// Not remembered: the memory is full; `true` the first time.
    Full(bool),
}

impl<K: Eq + Hash> NewItems<K> {
    /// Remembers at most `capacity` items.
    pub fn new(capacity: usize) -> NewItems<K> {
        NewItems {
            seen: HashSet::new(),
            capacity,
            full: false,
        }
    }

    /// Whether `item` is to be alerted now.
    pub fn insert(&mut self, item: K) -> Admission {
        if self.seen.contains(&item) {
            return Admission::Known;
        }
        if self.seen.len() >= self.capacity {
            let first = !self.full;
            self.full = true;
            return Admission::Full(first);
        }
        self.seen.insert(item);
        Admission::New
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn rule(text: &str) -> AlertRule {
        text.parse()
            .unwrap_or_else(|e: RuleError| panic!("{text}: {e}"))
    }

    #[test]
    fn rules_parse_with_units_and_windows() {
        let r = rule("service=ssh,bytes>10MB/1m");
        assert_eq!(r.selector, Selector::Service("ssh".to_string(), None));
        assert_eq!(r.quantity, Quantity::Bytes);
        assert_eq!(r.threshold, 10_000_000);
        assert_eq!(r.window, Some(Duration::from_secs(60)));

        let r = rule("port=22/tcp, packets>1000/10s");
        assert_eq!(r.selector, Selector::Port(22, Some(Transport::Tcp)));
        assert_eq!((r.quantity, r.threshold), (Quantity::Packets, 1000));
        assert_eq!(r.text, "port=22/tcp,packets>1000/10s");

        let r = rule("server=10.0.0.5:443/tcp,bytes>1GB/1h");
        assert_eq!(
            r.selector,
            Selector::Server(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5)), 443, Transport::Tcp)
        );
        assert_eq!(r.threshold, 1_000_000_000);
        assert_eq!(r.window, Some(Duration::from_secs(3600)));

        let r = rule("server=[fd00::2]:53/UDP,packets>5");
        assert!(matches!(
            r.selector,
            Selector::Server(IpAddr::V6(_), 53, Transport::Udp)
        ));
        assert_eq!(r.window, None);

        assert_eq!(rule("any,bytes>1.5k/250ms").threshold, 1500);
        assert_eq!(rule("any,bytes>2KiB").threshold, 2048);
        assert_eq!(rule("any,bytes>1MiB").threshold, 1 << 20);
        assert_eq!(rule("any,packets>3k").threshold, 3000);
        assert_eq!(rule("any,bytes>1Gi").threshold, 1 << 30);
        assert_eq!(
            rule("service=dns/udp,bytes>1").selector,
            Selector::Service("dns".to_string(), Some(Transport::Udp))
        );
    }

    #[test]
    fn bad_rules_name_the_rule_the_problem_and_the_grammar() {
        let cases = [
            ("service=ssh", "no condition"),
            ("ssh,bytes>1", "selector \"ssh\""),
            ("host=1.2.3.4,bytes>1", "selector \"host\""),
            ("service=,bytes>1", "needs a name"),
            ("port=99999,bytes>1", "not a number from 0 to 65535"),
            ("port=22/icmp,bytes>1", "not a transport"),
            ("server=10.0.0.5:443,bytes>1", "needs its transport"),
            ("server=fd00::1:443/tcp,bytes>1", "IPv6 in brackets"),
            ("any,bytes<1", "no '>'"),
            ("any,frames>1", "\"frames\" is not bytes or packets"),
            ("any,bytes>ten", "amount \"ten\""),
            ("any,bytes>10TB", "amount \"10TB\""),
            ("any,bytes>10MB/1y", "window \"1y\""),
            ("any,bytes>10MB/0s", "window \"0s\""),
            ("any,bytes>1,packets>2", "one condition"),
        ];
        for (text, problem) in cases {
            let error = text.parse::<AlertRule>().unwrap_err();
            let message = error.to_string();
            assert!(
                message.starts_with(&format!("--alert {text:?}: ")),
                "{message}"
            );
            assert!(message.contains(problem), "{text}: {message}");
            assert!(
                message.contains("a rule is SELECTOR,CONDITION"),
                "{message}"
            );
        }
    }

    #[test]
    fn windows_are_whole_intervals() {
        let second = Duration::from_secs(1);
        let state = |text: &str, interval| RuleState::new(&rule(text), interval).intervals();
        assert_eq!(state("any,bytes>1", second), 1);
        assert_eq!(state("any,bytes>1/1m", second), 60);
        assert_eq!(state("any,bytes>1/1s", Duration::from_millis(500)), 2);
        assert_eq!(state("any,bytes>1/100ms", second), 1);
        assert_eq!(state("any,bytes>1/1h", Duration::from_millis(1)), 1_000_000);
    }

    #[test]
    fn rules_fire_on_the_rising_edge_only() {
        let r = rule("any,bytes>100/3s");
        let mut state = RuleState::new(&r, Duration::from_secs(1));
        // The sum of the last three intervals against 100.
        let amounts = [50, 40, 20, 90, 0, 0, 0, 0, 101, 500, 0];
        let fired: Vec<Option<u64>> = amounts
            .iter()
            .map(|&a| state.observe(a, r.threshold))
            .collect();
        assert_eq!(
            fired,
            [
                None,      // 50
                None,      // 90
                Some(110), // 110: rises above
                None,      // 150: still above
                None,      // 110: still above
                None,      // 90: falls
                None,      // 0
                None,      // 0
                Some(101), // rises again
                None,      // 601
                None,      // 601
            ]
        );
        // Exactly the threshold is not above it.
        let mut state = RuleState::new(&rule("any,packets>10"), Duration::from_secs(1));
        assert_eq!(state.observe(10, 10), None);
        assert_eq!(state.observe(11, 10), Some(11));
    }

    #[test]
    fn new_items_are_alerted_once_and_bounded() {
        let mut items = NewItems::new(2);
        assert_eq!(items.insert("a"), Admission::New);
        assert_eq!(items.insert("a"), Admission::Known);
        assert_eq!(items.insert("b"), Admission::New);
        assert_eq!(items.insert("c"), Admission::Full(true));
        assert_eq!(items.insert("d"), Admission::Full(false));
        assert_eq!(items.insert("b"), Admission::Known);
    }
}
