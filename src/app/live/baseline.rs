//! `live --baseline SUMMARY.json` and `--alert RULE`: at the end of each
//! interval, the interval's services and servers are looked up in the
//! baseline (services as `diff` compares them: one name on one transport;
//! servers by address, port and transport), and each rule's window is
//! moved on. What fires comes back as [`Alert`]s for the live loop to show;
//! the rules and the bounded memory are [`crate::pipeline::alerts`]'s.

use crate::classify::PortDb;
use crate::config::LiveSettings;
use crate::decode::Transport;
use crate::pipeline::alerts::{Admission, Alert, AlertRule, NewItems, RuleState, Selector};
use crate::render::{ServiceKey, ServiceName, service_key};
use crate::schema::ReadView;
use crate::summary;
use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;

/// Most new services, and most new servers, alerted in one run (each is
/// remembered, to be alerted once).
pub const ALERTS_REMEMBERED: usize = 1024;

type ServerKey = (Transport, IpAddr, u16);

/// The services and servers of the baseline.
struct Known {
    services: HashSet<ServiceKey>,
    servers: HashSet<ServerKey>,
}

/// What a live run watches for, and the alerts raised so far.
pub struct Watch {
    known: Option<Known>,
    new_services: NewItems<ServiceKey>,
    new_servers: NewItems<ServerKey>,
    rules: Vec<(AlertRule, RuleState, u64)>,
    interval: Duration,
    raised_services: u64,
    raised_servers: u64,
    /// How many alerts in all.
    pub raised: u64,
}

/// What one interval raised, and what to say once.
#[derive(Default)]
pub struct Checked {
    /// The alerts, services first, then servers, then rules.
    pub alerts: Vec<Alert>,
    /// Notices for standard error (the memory of new items is full).
    pub notices: Vec<String>,
}

impl Watch {
    /// The watch `settings` ask for (`None`: neither `--baseline` nor
    /// `--alert`), its baseline read and named with `db`; an error names
    /// the file and says what to do.
    pub fn new(
        settings: &LiveSettings,
        db: &PortDb,
        numeric: bool,
    ) -> Result<Option<Watch>, String> {
        if settings.baseline.is_none() && settings.alerts.is_empty() {
            return Ok(None);
        }
        let known = match &settings.baseline {
            None => None,
            Some(path) => {
                let loaded = summary::load(path).map_err(|e| format!("--baseline {e}"))?;
                let view = ReadView::new(&loaded.tally.base, db, numeric);
                Some(Known {
                    services: view.services.iter().map(service_key).collect(),
                    servers: view
                        .servers
                        .entries
                        .iter()
                        .map(|s| (s.transport, s.address, s.port))
                        .collect(),
                })
            }
        };
        Ok(Some(Watch {
            known,
            new_services: NewItems::new(ALERTS_REMEMBERED),
            new_servers: NewItems::new(ALERTS_REMEMBERED),
            rules: settings
                .alerts
                .iter()
                .map(|rule| (rule.clone(), RuleState::new(rule, settings.interval), 0))
                .collect(),
            interval: settings.interval,
            raised_services: 0,
            raised_servers: 0,
            raised: 0,
        }))
    }

    /// Looks at one interval (`view`, named as the baseline was).
    pub fn check(&mut self, view: &ReadView) -> Checked {
        let mut checked = Checked::default();
        if let Some(known) = &self.known {
            // The interval's rows of each service not in the baseline,
            // first seen order (the view's: busiest first).
            let mut fresh: Vec<(ServiceKey, Alert)> = Vec::new();
            for row in &view.services {
                let key = service_key(row);
                if known.services.contains(&key) {
                    continue;
                }
                if let Some((_, Alert::NewService { ports, .. })) =
                    fresh.iter_mut().find(|(k, _)| *k == key)
                {
                    ports.extend(row.key.port);
                    continue;
                }
                let (tunnel, transport, ref name) = key;
                let alert = Alert::NewService {
                    tunnel,
                    transport,
                    service: match name {
                        ServiceName::Named(_) | ServiceName::Port(_) => row.service.clone(),
                        ServiceName::Dynamic | ServiceName::Failed => None,
                    },
                    ports: row.key.port.into_iter().collect(),
                    failed: row.key.failed,
                };
                fresh.push((key, alert));
            }
            for (key, mut alert) in fresh {
                if let Alert::NewService { ports, .. } = &mut alert {
                    ports.sort_unstable();
                }
                match self.new_services.insert(key) {
                    Admission::New => {
                        self.raised_services += 1;
                        checked.alerts.push(alert);
                    }
                    Admission::Known => {}
                    Admission::Full(first) => {
                        if first {
                            checked.notices.push(full_notice("services"));
                        }
                    }
                }
            }
            for server in &view.servers.entries {
                let key = (server.transport, server.address, server.port);
                if known.servers.contains(&key) {
                    continue;
                }
                match self.new_servers.insert(key) {
                    Admission::New => {
                        self.raised_servers += 1;
                        checked.alerts.push(Alert::NewServer {
                            address: server.address,
                            port: server.port,
                            transport: server.transport,
                            service: server.service.clone(),
                        });
                    }
                    Admission::Known => {}
                    Admission::Full(first) => {
                        if first {
                            checked.notices.push(full_notice("servers"));
                        }
                    }
                }
            }
        }
        for (rule, state, raised) in &mut self.rules {
            let amount = amount(view, rule);
            if let Some(value) = state.observe(amount, rule.threshold) {
                *raised += 1;
                checked.alerts.push(Alert::Threshold {
                    rule: rule.text.clone(),
                    quantity: rule.quantity,
                    value,
                    threshold: rule.threshold,
                    window: self.interval * u32::try_from(state.intervals()).unwrap_or(u32::MAX),
                });
            }
        }
        self.raised += checked.alerts.len() as u64;
        checked
    }

    /// The alerts so far by kind, for Prometheus: `(kind, rule, alerts)`;
    /// the baseline's kinds only with `--baseline`.
    pub fn counters(&self) -> Vec<(&'static str, Option<&str>, u64)> {
        let mut counts = Vec::new();
        if self.known.is_some() {
            counts.push(("new_service", None, self.raised_services));
            counts.push(("new_server", None, self.raised_servers));
        }
        for (rule, _, raised) in &self.rules {
            counts.push(("threshold", Some(rule.text.as_str()), *raised));
        }
        counts
    }
}

fn full_notice(what: &str) -> String {
    format!(
        "{ALERTS_REMEMBERED} new {what} have been alerted, as many as one run remembers: \
         further new {what} are not alerted (compare the summary with portclass diff \
         BASELINE SUMMARY for all of them)"
    )
}

/// What `rule` counts of the interval `view`.
fn amount(view: &ReadView, rule: &AlertRule) -> u64 {
    use crate::pipeline::alerts::Quantity;
    let pick = |packets: u64, bytes: u64| match rule.quantity {
        Quantity::Packets => packets,
        Quantity::Bytes => bytes,
    };
    let on =
        |wanted: Option<Transport>, transport: Transport| wanted.is_none_or(|t| t == transport);
    match &rule.selector {
        Selector::Any => pick(view.packets, view.bytes),
        Selector::Service(name, transport) => view
            .services
            .iter()
            .filter(|s| {
                on(*transport, s.key.transport)
                    && s.service
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .fold(0u64, |sum, s| sum.saturating_add(pick(s.packets, s.bytes))),
        Selector::Port(port, transport) => view
            .ports
            .iter()
            .filter(|p| p.port == *port && on(*transport, p.transport))
            .fold(0u64, |sum, p| {
                sum.saturating_add(pick(
                    p.src_packets.saturating_add(p.dst_packets),
                    p.src_bytes.saturating_add(p.dst_bytes),
                ))
            }),
        Selector::Server(address, port, transport) => view
            .servers
            .entries
            .iter()
            .filter(|s| s.address == *address && s.port == *port && s.transport == *transport)
            .fold(0u64, |sum, s| {
                sum.saturating_add(pick(
                    s.to_server_packets.saturating_add(s.from_server_packets),
                    s.to_server_bytes.saturating_add(s.from_server_bytes),
                ))
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Naming;
    use crate::pipeline::{Identified, Resolved, ServiceHit};
    use crate::tally::Tally;

    /// A view of datagrams to each `(port, packets)`, 100 bytes each.
    fn view(db: &PortDb, ports: &[(u16, u64)]) -> ReadView {
        let mut tally = Tally::new();
        for &(port, packets) in ports {
            tally.resolve(&Resolved::Attributed {
                hit: ServiceHit {
                    tunnel: None,
                    transport: Transport::Udp,
                    naming: Naming::Port(port),
                    identified: Identified::PortDatabase,
                    to_server: true,
                },
                packets,
                bytes: packets * 100,
            });
        }
        ReadView::new(&tally, db, false)
    }

    fn watch(db: &PortDb, baseline: &[(u16, u64)], rules: &[&str], capacity: usize) -> Watch {
        let known = view(db, baseline);
        Watch {
            known: Some(Known {
                services: known.services.iter().map(service_key).collect(),
                servers: HashSet::new(),
            }),
            new_services: NewItems::new(capacity),
            new_servers: NewItems::new(capacity),
            rules: rules
                .iter()
                .map(|text| {
                    let rule: AlertRule = text.parse().unwrap();
                    let state = RuleState::new(&rule, Duration::from_secs(1));
                    (rule, state, 0)
                })
                .collect(),
            interval: Duration::from_secs(1),
            raised_services: 0,
            raised_servers: 0,
            raised: 0,
        }
    }

    fn new_services(alerts: &[Alert]) -> Vec<(Option<String>, Vec<u16>)> {
        alerts
            .iter()
            .filter_map(|a| match a {
                Alert::NewService { service, ports, .. } => Some((service.clone(), ports.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn services_not_in_the_baseline_are_alerted_once_each() {
        let db = PortDb::builtin();
        let mut watch = watch(&db, &[(53, 3)], &["service=mdns,packets>5"], 1024);
        let now = view(&db, &[(53, 10), (5353, 10), (40123, 1)]);
        let checked = watch.check(&now);
        assert_eq!(
            new_services(&checked.alerts),
            [
                (Some("mdns".to_string()), vec![5353]),
                (Some("unassigned".to_string()), vec![40123]),
            ]
        );
        // And the rule: 10 mdns packets, above 5.
        assert!(matches!(
            checked.alerts.last(),
            Some(Alert::Threshold {
                value: 10,
                threshold: 5,
                ..
            })
        ));
        assert_eq!(watch.raised, 3);
        // The same again: known now, and the rule still above.
        assert!(watch.check(&now).alerts.is_empty());
        // An unnamed port is a service of its own.
        let checked = watch.check(&view(&db, &[(40124, 1)]));
        assert_eq!(
            new_services(&checked.alerts),
            [(Some("unassigned".to_string()), vec![40124])]
        );
        assert_eq!(
            watch.counters(),
            [
                ("new_service", None, 3),
                ("new_server", None, 0),
                ("threshold", Some("service=mdns,packets>5"), 1),
            ]
        );
    }

    #[test]
    fn past_the_memory_new_services_are_said_once_not_alerted() {
        let db = PortDb::builtin();
        let mut watch = watch(&db, &[], &[], 1);
        let checked = watch.check(&view(&db, &[(53, 1), (5353, 1), (40123, 1)]));
        assert_eq!(checked.alerts.len(), 1);
        assert_eq!(checked.notices.len(), 1, "{:?}", checked.notices);
        assert!(checked.notices[0].starts_with("1024 new services have been alerted"));
        let checked = watch.check(&view(&db, &[(40124, 1)]));
        assert!(checked.alerts.is_empty() && checked.notices.is_empty());
    }
}
