//! `live --baseline SUMMARY.json` and `--alert RULE` on real traffic: a
//! baseline made by `live` itself while one TCP service runs, then a run
//! against it where a second service starts, which alone is alerted, in the
//! interval its first frames are counted (with rules on the new server,
//! which fires, and on the known service, which does not); and threshold
//! rules, one above and one below, with the rule firing again only after it
//! fell back.

use crate::common::netns::{HTTP_GET, NetPair, Side, TCP_CLIENT, TCP_SERVER, python};
use crate::common::*;
use crate::session::*;
use serde_json::Value;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Every line of a live run's NDJSON output.
fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn alerts(lines: &[Value]) -> Vec<&Value> {
    lines.iter().filter(|l| l["type"] == "alert").collect()
}

/// Starts the test's TCP server on `port` in B for `connections`, and
/// waits until it listens.
fn serve(net: &NetPair, port: u16, connections: u64) -> crate::common::netns::Background {
    let mut server = net.spawn(
        Side::B,
        &[
            python(),
            "-c",
            TCP_SERVER,
            &port.to_string(),
            &connections.to_string(),
        ],
    );
    server.wait_for_stdout("`ready`", Duration::from_secs(5), |lines| {
        lines.iter().any(|l| l == "ready")
    });
    server
}

/// `connections` connections from A to B's IPv4 address on `port`, each
/// answered.
fn connect(net: &NetPair, port: u16, connections: u64) {
    net.run_ok(
        Side::A,
        &[
            python(),
            "-c",
            TCP_CLIENT,
            &net.v4_b,
            &port.to_string(),
            &connections.to_string(),
        ],
    );
}

/// Nanoseconds since the epoch of an RFC 3339 UTC timestamp as live writes
/// them (`2026-12-02T16:49:11.123456789Z`).
fn timestamp_ns(text: &str) -> i64 {
    let (date, time) = text
        .split_once('T')
        .unwrap_or_else(|| panic!("not a timestamp: {text:?}"));
    let date: Vec<i64> = date.split('-').map(|p| p.parse().unwrap()).collect();
    let time = time
        .strip_suffix('Z')
        .unwrap_or_else(|| panic!("not a timestamp: {text:?}"));
    let (hms, fraction) = time.split_once('.').unwrap_or((time, "0"));
    let hms: Vec<i64> = hms.split(':').map(|p| p.parse().unwrap()).collect();
    let nanos: i64 = format!("{fraction:0<9}")[..9].parse().unwrap();
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y, m, d) = (date[0] - i64::from(date[1] <= 2), date[1], date[2]);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2]) * 1_000_000_000) + nanos
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// Whether an interval line counted frames of `port`/tcp in its interval.
fn counted_port(line: &Value, port: u64) -> bool {
    line["type"] == "interval"
        && line["interval"]["services"]
            .as_array()
            .is_some_and(|rows| rows.iter().any(|r| r["port"].as_u64() == Some(port)))
}

#[test]
fn a_new_service_and_server_are_alerted_within_the_interval_and_the_baseline_ones_never() {
    let Some(net) = NetPair::new() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let baseline = dir.path().join("baseline.ndjson");

    // The baseline: connections to http-alt (8080) only.
    let mut server = serve(&net, 8080, 2);
    let mut live = start_capturing(&net, &["--filter", "tcp", "--interval", "0.2"]);
    connect(&net, 8080, 2);
    assert!(server.wait(Duration::from_secs(10)).status.success());
    live.signal("INT");
    let out = finish(&mut live);
    let known = &out.summary;
    assert!(
        service_row(known, "tcp", Some(8080)).is_some(),
        "no 8080 in the baseline: {known}"
    );
    assert!(
        known["servers"]["entries"].as_array().is_some_and(|s| s
            .iter()
            .any(|s| s["port"] == 8080 && s["address"] == net.v4_b)),
        "no server {}:8080 in the baseline: {known}",
        net.v4_b
    );
    std::fs::write(&baseline, &out.run.stdout).expect("write the baseline");

    // Against it: http-alt again, then redis (6379) starts.
    let interval = 0.5;
    let mut http = serve(&net, 8080, 2);
    let mut redis = serve(&net, 6379, 2);
    let baseline_arg = baseline.to_string_lossy().into_owned();
    // Rules on a server and on a service too: the new server's two
    // connections are well above 3 packets; the known service's never
    // reach 1,000.
    let server_rule = format!("server={}:6379/tcp,packets>3", net.v4_b);
    let service_rule = "service=http-alt,packets>1000";
    let mut live = start_capturing(
        &net,
        &[
            "--filter",
            "tcp",
            "--interval",
            &interval.to_string(),
            "--baseline",
            &baseline_arg,
            "--alert",
            &server_rule,
            "--alert",
            service_rule,
        ],
    );
    connect(&net, 8080, 2);
    // An interval with the known service counted, before the new one.
    assert!(
        live.poll_stdout(Duration::from_secs(10), |lines| {
            lines
                .iter()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .any(|l| counted_port(&l, 8080))
        }),
        "no interval line counted 8080"
    );
    let started = now_ns();
    connect(&net, 6379, 2);
    assert!(http.wait(Duration::from_secs(10)).status.success());
    assert!(redis.wait(Duration::from_secs(10)).status.success());
    let alerted = live.poll_stdout(Duration::from_secs(10), |lines| {
        lines
            .iter()
            .filter(|l| l.contains(r#""type":"alert""#))
            .count()
            >= 3
    });
    live.signal("INT");
    let out = finish(&mut live);
    let all = lines(&out.run.stdout_text());
    assert!(
        alerted,
        "three alerts expected within 10 s; output:\n{}",
        out.run.stdout_text()
    );

    let raised = alerts(&all);
    assert_eq!(raised.len(), 3, "exactly three alerts: {raised:#?}");
    let rule = raised
        .iter()
        .find(|a| a["kind"] == "threshold")
        .unwrap_or_else(|| panic!("no threshold alert: {raised:#?}"));
    assert_eq!(rule["rule"], server_rule.as_str(), "{rule}");
    assert_eq!(rule["quantity"], "packets", "{rule}");
    assert!(u64_of(rule, "value") > 3, "{rule}");
    let service = raised
        .iter()
        .find(|a| a["kind"] == "new_service")
        .unwrap_or_else(|| panic!("no new_service alert: {raised:#?}"));
    assert_eq!(service["service"], "redis", "{service}");
    assert_eq!(service["transport"], "tcp", "{service}");
    assert_eq!(service["ports"], serde_json::json!([6379]), "{service}");
    assert_eq!(service["interface"], net.ns_b, "{service}");
    let server = raised
        .iter()
        .find(|a| a["kind"] == "new_server")
        .unwrap_or_else(|| panic!("no new_server alert: {raised:#?}"));
    assert_eq!(
        (&server["address"], &server["port"], &server["transport"]),
        (
            &Value::from(net.v4_b.as_str()),
            &Value::from(6379),
            &Value::from("tcp")
        ),
        "{server}"
    );

    // Within one interval: each alert comes just before the first interval
    // line that counted what it is about (the service: a 6379 row in the
    // interval; the server: in the inventory so far), with its timestamp.
    let has_server = |l: &Value| {
        l["type"] == "interval"
            && l["servers"]["entries"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|s| s["port"] == 6379 && s["address"] == net.v4_b)
            })
    };
    let first_service = all.iter().position(|l| counted_port(l, 6379));
    let first_server = all.iter().position(has_server);
    for (alert, first) in [(service, first_service), (server, first_server)] {
        let first = first
            .unwrap_or_else(|| panic!("no interval line with {alert}:\n{}", out.run.stdout_text()));
        let at = all
            .iter()
            .position(|l| std::ptr::eq(l, *alert))
            .expect("alert among the lines");
        assert!(at < first, "alert after the interval it belongs to");
        assert!(
            all[at..first].iter().all(|l| l["type"] == "alert"),
            "an interval line between the alert and its interval"
        );
        assert_eq!(alert["timestamp"], all[first]["timestamp"], "{alert}");
        // And by the clock: no later than one interval (plus the capture's
        // read timeout and a generous margin) after the connections began.
        let late = timestamp_ns(alert["timestamp"].as_str().unwrap_or_default()) - started;
        assert!(
            late < ((interval + 1.0) * 1e9) as i64,
            "alert {} s after the traffic started",
            late as f64 / 1e9
        );
    }
    let stderr = &out.run.stderr;
    assert!(
        stderr.contains("portclass: ALERT new service redis (6379/tcp), not in the baseline"),
        "{stderr}"
    );
    assert!(!stderr.contains("8080"), "{stderr}");
}

#[test]
fn threshold_rules_fire_above_and_not_below_and_again_after_falling() {
    let Some(net) = NetPair::new() else { return };
    // Above: 40 datagrams (2,960 bytes) to 40123; below: 10 (740 bytes) to
    // 40124; both rules 2 kB within 1 s (two intervals).
    let above = "port=40123/udp,bytes>2kB/1s";
    let below = "port=40124/udp, bytes > 2kB/1s";
    let mut live = start_capturing(
        &net,
        &[
            "--filter",
            "udp",
            "--interval",
            "0.5",
            "--alert",
            above,
            "--alert",
            below,
            "--metrics",
            "127.0.0.1:0",
        ],
    );
    let count_alerts = |lines: &[String]| {
        lines
            .iter()
            .filter(|l| l.contains(r#""type":"alert""#))
            .count()
    };
    send_udp4(&net, &[(40123, 40), (40124, 10)]);
    assert!(
        live.poll_stdout(Duration::from_secs(10), |lines| count_alerts(lines) >= 1),
        "no alert within 10 s"
    );
    // Four interval lines after the alert: the window (two intervals) has
    // passed with no traffic, and the rule fell back.
    let seen = live.stdout_lines().len();
    assert!(
        live.poll_stdout(Duration::from_secs(10), |lines| lines.len() >= seen + 4),
        "no interval lines after the alert"
    );
    send_udp4(&net, &[(40123, 40)]);
    assert!(
        live.poll_stdout(Duration::from_secs(10), |lines| count_alerts(lines) >= 2),
        "no second alert within 10 s of the second burst"
    );

    // The counter, scraped from inside the namespace.
    let url = live
        .stderr_so_far()
        .lines()
        .find_map(|l| l.strip_prefix("portclass: serving Prometheus metrics at "))
        .unwrap_or_else(|| panic!("no metrics address on stderr"))
        .to_string();
    let want = format!(
        "portclass_alerts_total{{interface=\"{}\",kind=\"threshold\",rule=\"{above}\"}} 2",
        net.ns_b
    );
    let zero = format!(
        "portclass_alerts_total{{interface=\"{}\",kind=\"threshold\",rule=\"port=40124/udp,bytes>2kB/1s\"}} 0",
        net.ns_b
    );
    let start = Instant::now();
    let scraped = loop {
        let got = net.run(Side::B, &[python(), "-c", HTTP_GET, &url], STOP_TIMEOUT);
        let text = got.stdout_text();
        if text.lines().any(|l| l == want) {
            break text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "no {want:?} in 5 s; last scrape:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        scraped.lines().any(|l| l == zero),
        "{zero:?} in:\n{scraped}"
    );

    live.signal("INT");
    let out = finish(&mut live);
    let all = lines(&out.run.stdout_text());
    let raised = alerts(&all);
    assert_eq!(
        raised.len(),
        2,
        "two alerts, both of the rule above: {raised:#?}"
    );
    for alert in &raised {
        assert_eq!(alert["kind"], "threshold", "{alert}");
        assert_eq!(alert["rule"], above, "{alert}");
        assert_eq!(alert["quantity"], "bytes", "{alert}");
        assert_eq!(alert["threshold"], 2000, "{alert}");
        assert_eq!(alert["window_seconds"], 1.0, "{alert}");
        // Above the threshold, and no more than the burst (which may
        // straddle two intervals, the rule firing at the first).
        let value = u64_of(alert, "value");
        assert!(
            value > 2000 && value <= 40 * UDP4_FRAME,
            "the window's sum: {alert}"
        );
    }
    let said = format!("portclass: ALERT {above}: ");
    assert_eq!(
        out.run.stderr.matches(&said).count(),
        2,
        "{said:?} twice in:\n{}",
        out.run.stderr
    );
}

/// A baseline that cannot be read, or a rule that does not parse, stops
/// the run before any capture opens (no root needed): the message names the
/// flag, the file or rule, and what to do; exit status 2.
#[test]
fn bad_baselines_and_rules_stop_the_run_before_it_captures() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing.json");
    let not_summary = write_file(dir.path(), "other.json", br#"{"hello": 1}"#);
    let diff = dir.path().join("diff.json");
    let run = portclass(&[
        "diff".as_ref(),
        "-f".as_ref(),
        "json".as_ref(),
        fixture("diff-before.pcapng").as_os_str(),
        fixture("diff-after.pcapng").as_os_str(),
    ]);
    std::fs::write(&diff, &run.stdout).expect("write the diff");
    // No such device: a run that got as far as capturing would say so.
    let device = "pcnodevice0";
    for (file, problem) in [
        (&missing, "cannot read"),
        (&not_summary, "not a portclass JSON summary"),
        (&diff, "not a portclass JSON summary"),
    ] {
        let run = portclass(&[
            "live".as_ref(),
            "-i".as_ref(),
            device.as_ref(),
            "--baseline".as_ref(),
            file.as_os_str(),
        ]);
        run.assert_code(2);
        let said = format!("portclass: --baseline {}: {problem}", file.display());
        assert!(
            run.stderr.starts_with(&said),
            "{said:?} in:\n{}",
            run.stderr
        );
        assert!(!run.stderr.contains(device), "{}", run.stderr);
        assert!(run.stdout.is_empty());
    }
    let run = portclass(&["live", "-i", device, "--alert", "port=22,bytes>10XB"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains(r#"--alert "port=22,bytes>10XB": amount "10XB""#)
            && run.stderr.contains("a rule is SELECTOR,CONDITION"),
        "{}",
        run.stderr
    );
}

/// On a terminal (a tmux session), the newest alert is a line under the
/// header, and standard error says how many there were when the screen
/// closes. Skipped, with a notice, without tmux or root.
#[test]
fn the_screen_shows_the_newest_alert() {
    let Some(net) = NetPair::new() else { return };
    if !crate::common::netns::have_program("tmux") {
        skipped("tmux is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let baseline = dir.path().join("baseline.ndjson");
    // Unanswered datagrams are named by their port (not counted as failed
    // attempts), so that each port is a service of its own.
    let mut live = start_capturing(&net, &["--filter", "udp", "--count", "5", "--no-handshake"]);
    send_udp4(&net, &[(5353, 5)]);
    let out = finish(&mut live);
    assert!(
        service_row(&out.summary, "udp", Some(5353)).is_some(),
        "{}",
        out.summary["services"]
    );
    std::fs::write(&baseline, &out.run.stdout).expect("write the baseline");

    let session = format!("portclass-alert-{}", std::process::id());
    let tmux = |args: &[&str]| {
        let out = std::process::Command::new("tmux")
            .args(args)
            .stderr(std::process::Stdio::null())
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let command = format!(
        "ip netns exec {} {} live -i {} --no-system-services --filter udp --no-handshake \
         --interval 0.2 --duration 30 --baseline {}",
        net.ns_b,
        bin(),
        net.ns_b,
        baseline.display()
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "80",
        "-y",
        "24",
        &command,
    ]);
    /// Kills the session however the test ends.
    struct Session<'a>(&'a str);
    impl Drop for Session<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("tmux")
                .args(["kill-session", "-t", self.0])
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
    let _session = Session(&session);
    tmux(&["set-option", "-t", &session, "remain-on-exit", "on"]);
    let wait_for = |what: &str, ok: &dyn Fn(&str) -> bool| {
        let start = Instant::now();
        loop {
            let screen = tmux(&["capture-pane", "-p", "-t", &session]);
            if ok(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "never {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait_for("the screen", &|s| s.starts_with("portclass live: "));
    send_udp4(&net, &[(5353, 5), (53, 5)]);
    let screen = wait_for("the alert", &|s| s.contains("ALERT ("));
    // Two alerts in the interval, the service's then its server's (with
    // --no-handshake the port names the server): the newest shows.
    let last = format!("new server {}:53/udp (dns), not in the baseline", net.v4_b);
    let alert = format!("ALERT (2 so far): {last}");
    assert!(
        screen.lines().any(|l| l == alert),
        "{alert:?} in:\n{screen}"
    );
    assert!(
        !screen
            .lines()
            .any(|l| l.starts_with("ALERT") && l.contains("5353")),
        "{screen}"
    );
    tmux(&["send-keys", "-t", &session, "q"]);
    wait_for("the end", &|_| {
        tmux(&["display-message", "-p", "-t", &session, "#{pane_dead}"]).trim() == "1"
    });
    // All of it, wrapped lines joined: the summary follows the line.
    let done = tmux(&["capture-pane", "-p", "-J", "-S", "-", "-t", &session]);
    let said = format!("portclass: alerts during the run: 2; the last: {last}");
    assert!(done.lines().any(|l| l == said), "{said:?} in:\n{done}");
}
