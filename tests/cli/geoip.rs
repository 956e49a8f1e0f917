//! `--geoip`: country and network owner of hosts and servers from
//! MaxMind-format databases the test builds (tests/geoip/make-test-mmdb.py,
//! with mmdb-writer from PyPI: `.ci/run` installs it into a venv and names
//! its python in PORTCLASS_PYTHON). Skipped with a notice without it.

use crate::common::{fixture, portclass, python_helper, read_json};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// Builds the test databases in `dir`: 10.77.6.0/24 in NL, 10.77.6.0/25
/// in AS64500; nothing for IPv6. `None` (after a notice) without
/// mmdb-writer.
fn databases(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let spec = dir.join("spec.json");
    let networks = json!({
        "country": {"10.77.6.0/24": "NL"},
        "asn": {"10.77.6.0/25": [64500, "Portclass Test Net"]},
    });
    std::fs::write(&spec, networks.to_string()).unwrap();
    python_helper(
        "geoip/make-test-mmdb.py",
        &[spec.as_path(), dir],
        "mmdb-writer",
    )?;
    Some((dir.join("test-country.mmdb"), dir.join("test-asn.mmdb")))
}

/// What a host or server entry says of its place.
fn geo(entry: &Value) -> (Option<&str>, Option<u64>, Option<&str>) {
    let geo = &entry["geo"];
    (
        geo["country"].as_str(),
        geo["asn"].as_u64(),
        geo["as_org"].as_str(),
    )
}

/// The place the test databases give `address`.
fn expected(address: &str) -> (Option<&'static str>, Option<u64>, Option<&'static str>) {
    match address.parse::<std::net::IpAddr>().unwrap() {
        std::net::IpAddr::V4(v4) if v4.octets()[..3] == [10, 77, 6] => {
            if v4.octets()[3] < 128 {
                (Some("NL"), Some(64500), Some("Portclass Test Net"))
            } else {
                (Some("NL"), None, None)
            }
        }
        _ => (None, None, None),
    }
}

#[test]
fn servers_and_hosts_get_their_country_and_network() {
    let dir = tempfile::tempdir().unwrap();
    let Some((country, asn)) = databases(dir.path()) else {
        return;
    };
    let capture = fixture("names.pcapng");
    let flags = [
        "--geoip",
        country.to_str().unwrap(),
        "--geoip",
        asn.to_str().unwrap(),
    ];
    let read = read_json(&[&capture], &flags).assert_code(0).json();
    let servers = read["servers"]["entries"].as_array().unwrap();
    assert!(
        servers
            .iter()
            .any(|s| s["address"].as_str().unwrap().contains(':'))
    );
    for server in servers {
        let address = server["address"].as_str().unwrap();
        assert_eq!(geo(server), expected(address), "server {address}");
        if expected(address).0.is_none() {
            assert!(server.get("geo").is_none(), "{server}");
        }
    }
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "report".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        capture.as_os_str(),
    ];
    args.extend(flags.iter().map(std::ffi::OsStr::new));
    let report = portclass(&args).assert_code(0).json();
    let hosts = report["report"]["hosts"]["entries"].as_array().unwrap();
    assert!(!hosts.is_empty());
    for host in hosts {
        let address = host["address"].as_str().unwrap();
        assert_eq!(geo(host), expected(address), "host {address}");
    }
    // Both ends of every conversation.
    let conversations = report["report"]["conversations"]["entries"]
        .as_array()
        .unwrap();
    assert!(!conversations.is_empty());
    for c in conversations {
        for end in ["client", "server"] {
            let address = c[end].as_str().unwrap();
            let place = &c[format!("{end}_geo")];
            let found = (
                place["country"].as_str(),
                place["asn"].as_u64(),
                place["as_org"].as_str(),
            );
            assert_eq!(found, expected(address), "conversation {end} {address}");
        }
    }
    // The table shows the place beside the name.
    let mut args: Vec<&std::ffi::OsStr> = vec!["read".as_ref(), capture.as_os_str()];
    args.extend(flags.iter().map(std::ffi::OsStr::new));
    let table = portclass(&args).assert_code(0).stdout_text();
    assert!(
        table.contains("10.77.6.20:443/tcp (www.portclass.test; NL, AS64500 Portclass Test Net)"),
        "{table}"
    );
    // CSV hosts carry the three fields.
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "report".as_ref(),
        "--table".as_ref(),
        "hosts".as_ref(),
        capture.as_os_str(),
    ];
    args.extend(flags.iter().map(std::ffi::OsStr::new));
    let csv = portclass(&args).assert_code(0).stdout_text();
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with("country,asn,as_org"), "{header}");
    assert!(
        csv.lines()
            .any(|l| l.starts_with("10.77.6.2,") && l.ends_with(",NL,64500,Portclass Test Net")),
        "{csv}"
    );
    // CSV conversations carry them for both ends.
    args[2] = "conversations".as_ref();
    let csv = portclass(&args).assert_code(0).stdout_text();
    let header = csv.lines().next().unwrap();
    assert!(
        header.ends_with(
            "client_country,client_asn,client_as_org,server_country,server_asn,server_as_org"
        ),
        "{header}"
    );
    let echo = csv
        .lines()
        .find(|l| l.contains(",10.77.6.50,7,"))
        .unwrap_or_else(|| panic!("no echo conversation: {csv}"));
    assert!(
        echo.ends_with(",NL,64500,Portclass Test Net,NL,64500,Portclass Test Net"),
        "{echo}"
    );
}

#[test]
fn a_file_that_is_no_database_stops_the_run_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("GeoLite2-Country.mmdb");
    std::fs::write(&bogus, "not a database").unwrap();
    let run = read_json(
        &[fixture("names.pcapng")],
        &["--geoip", bogus.to_str().unwrap()],
    );
    run.assert_code(2);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains(&format!(
            "--geoip {}: not a MaxMind DB file",
            bogus.display()
        )),
        "{}",
        run.stderr
    );
}
