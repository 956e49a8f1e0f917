//! Tests that every domain enum's JSON name (its serde name) is the name
//! tables print (its `name()`), and that the documents hold them so.

use crate::classify::{PortClass, Source};
use crate::decode::{Category, DecodeProblem, Transport, Tunnel};
use crate::pipeline::Identified;
use crate::pipeline::scans::ScanKind;
use crate::schema::{CounterView, InputStatusKind, TransportView};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Fails unless every value serialises as its `name()` and reads back.
fn check<T>(values: &[T], name: impl Fn(&T) -> &'static str)
where
    T: Serialize + for<'de> Deserialize<'de> + PartialEq + fmt::Debug,
{
    for value in values {
        let json = serde_json::to_string(value).expect("serialise");
        assert_eq!(json, format!("\"{}\"", name(value)), "{value:?}");
        let back: T = serde_json::from_str(&json).expect("read back");
        assert_eq!(&back, value);
    }
}

#[test]
fn serde_names_are_the_names_tables_show() {
    check(&Transport::ALL, |t| t.name());
    check(&Tunnel::ALL, |t| t.name());
    check(&Category::ALL, |c| c.name());
    check(&DecodeProblem::ALL, |p| p.name());
    check(&Source::ALL, |s| s.name());
    check(&PortClass::ALL, |c| c.name());
    check(&Identified::ALL, |i| i.name());
    check(&ScanKind::ALL, |k| k.name());
    check(&InputStatusKind::ALL, |s| s.name());
}

#[test]
fn an_unknown_name_is_refused_saying_what_was_expected() {
    let error = serde_json::from_str::<Identified>("\"guess\"")
        .map(|_| ())
        .expect_err("not a method");
    assert!(error.to_string().contains("port_database"), "{error}");
    assert!(serde_json::from_str::<Transport>("\"icmp\"").is_err());
}

#[test]
fn the_transport_object_has_one_key_per_category_in_order() {
    let json = serde_json::to_string(&TransportView::default()).expect("serialise");
    let keys: Vec<String> = Category::ALL
        .iter()
        .map(|c| format!("\"{}\":{{\"packets\":0,\"bytes\":0}}", c.name()))
        .collect();
    assert_eq!(json, format!("{{{}}}", keys.join(",")));
    let mut view = TransportView::default();
    for (i, category) in Category::ALL.into_iter().enumerate() {
        *view.get_mut(category) = CounterView {
            packets: i as u64,
            bytes: 0,
        };
    }
    for (i, (category, counter)) in view.rows().into_iter().enumerate() {
        assert_eq!(category, Category::ALL[i]);
        assert_eq!(counter.packets, i as u64);
    }
}
