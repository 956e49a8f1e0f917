//! The live screen as a user sees it: `portclass live` on a terminal (a
//! tmux session) during real TCP and UDP traffic between namespaces,
//! captured with `tmux capture-pane` at 60x15, 80x24 and 200x60, and every
//! key of the footer pressed. Skipped, with a notice, without tmux or root.

use crate::common::netns::{NetPair, Side, TCP_CLIENT, TCP_SERVER, python};
use crate::common::*;
use crate::session::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A tmux session running one command, killed when dropped.
struct Tmux {
    name: String,
}

impl Tmux {
    fn start(command: &str, (width, height): (u16, u16)) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            skipped("tmux is not installed");
            return None;
        }
        let name = format!("portclass-test-{}", std::process::id());
        let started = Command::new("tmux")
            .args(["new-session", "-d", "-s", &name])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .arg(command)
            .status()
            .is_ok_and(|s| s.success());
        assert!(started, "tmux new-session failed");
        let tmux = Tmux { name };
        // Keep the pane after the program ends, to see how it ended.
        tmux.run(&["set-option", "-t", &tmux.name, "remain-on-exit", "on"]);
        Some(tmux)
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(args)
            .stderr(Stdio::null())
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> Vec<String> {
        self.run(&["capture-pane", "-p", "-t", &self.name])
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn keys(&self, keys: &str) {
        self.run(&["send-keys", "-t", &self.name, keys]);
    }

    fn resize(&self, (width, height): (u16, u16)) {
        self.run(&[
            "resize-window",
            "-t",
            &self.name,
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
    }

    /// Waits (at most 15 s: the other live tests run alongside and load
    /// both CPUs) until the screen satisfies `ok`; returns it.
    fn wait_for(&self, what: &str, ok: impl Fn(&[String]) -> bool) -> Vec<String> {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "never {what}; screen:\n{}",
                screen.join("\n")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Like [`wait_for`](Self::wait_for) for at most `limit`, `None` when
    /// the screen never satisfied `ok`.
    fn try_wait_for(&self, limit: Duration, ok: impl Fn(&[String]) -> bool) -> Option<Vec<String>> {
        let start = Instant::now();
        while start.elapsed() < limit {
            let screen = self.screen();
            if ok(&screen) {
                return Some(screen);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    fn pane_dead(&self) -> bool {
        self.run(&["display-message", "-p", "-t", &self.name, "#{pane_dead}"])
            .trim()
            == "1"
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-session", "-t", &self.name]);
    }
}

/// The screen fits: the header's first line on top, the footer on the last
/// line, no line wider than the terminal.
fn assert_fits(screen: &[String], (width, height): (u16, u16)) {
    let text = screen.join("\n");
    assert!(
        screen.len() <= usize::from(height),
        "{} lines:\n{text}",
        screen.len()
    );
    assert!(
        screen[0].starts_with("portclass live: "),
        "first line:\n{text}"
    );
    let last = screen
        .iter()
        .rev()
        .find(|l| !l.trim().is_empty())
        .expect("a line");
    assert!(last.starts_with("1-5/Tab view"), "last line:\n{text}");
    for line in screen {
        assert!(
            line.chars().count() <= usize::from(width),
            "wider than {width}: {line:?}"
        );
    }
}

#[test]
fn the_screen_fits_three_sizes_and_every_key_does_what_the_footer_says() {
    let Some(net) = NetPair::new() else { return };
    let connections = 30;
    let mut server = net.spawn(
        Side::B,
        &[python(), "-c", TCP_SERVER, "7777", &connections.to_string()],
    );
    server.wait_for_stdout("`ready`", Duration::from_secs(15), |lines| {
        lines.iter().any(|l| l == "ready")
    });
    let command = format!(
        "ip netns exec {} {} live -i {} --no-system-services --interval 0.2 --duration 60",
        net.ns(Side::B),
        bin(),
        net.ns_b
    );
    let Some(tmux) = Tmux::start(&command, (80, 24)) else {
        return;
    };
    tmux.wait_for("the screen", |s| {
        s.first().is_some_and(|l| l.starts_with("portclass live: "))
    });
    send_udp4(&net, &[(53, 20), (5353, 20)]);
    net.run_ok(
        Side::A,
        &[
            python(),
            "-c",
            TCP_CLIENT,
            &net.v4_b,
            "7777",
            &connections.to_string(),
        ],
    );
    let screen = tmux.wait_for("the services", |s| {
        s.iter().any(|l| l.contains("7777/tcp")) && s.iter().any(|l| l.contains("53/udp"))
    });
    assert_fits(&screen, (80, 24));
    // The current rate, split into what this machine received and sent.
    let head = screen[..2].join(" ");
    assert!(head.contains("(in ") && head.contains(", out "), "{head}");
    assert!(
        screen.iter().any(|l| l.contains("[1 services]")),
        "{}",
        screen.join("\n")
    );

    // Every view, by its number and by Tab.
    tmux.keys("2");
    let screen = tmux.wait_for("the hosts view", |s| {
        s.iter().any(|l| l.contains("[2 hosts]"))
    });
    for address in [&net.v4_a, &net.v4_b] {
        assert!(
            screen.iter().any(|l| l.starts_with(address.as_str())),
            "{address}:\n{}",
            screen.join("\n")
        );
    }
    tmux.keys("3");
    let screen = tmux.wait_for("the conversations view", |s| {
        s.iter().any(|l| l.contains("[3 conversations]"))
    });
    // 30 connections and the UDP ones do not fit 24 lines: "N more".
    assert!(
        screen
            .iter()
            .any(|l| l.contains(&format!("{}:7777/tcp", net.v4_b))),
        "{}",
        screen.join("\n")
    );
    assert!(
        screen.iter().any(|l| l.contains(" more")),
        "{}",
        screen.join("\n")
    );
    assert_fits(&screen, (80, 24));
    tmux.keys("4");
    let screen = tmux.wait_for("the servers view", |s| {
        s.iter().any(|l| l.contains("[4 servers]"))
    });
    assert!(
        screen
            .iter()
            .any(|l| l.starts_with(&format!("{}:7777/tcp", net.v4_b))),
        "{}",
        screen.join("\n")
    );
    assert!(
        !screen
            .iter()
            .any(|l| l.starts_with(&format!("{}:", net.v4_a))),
        "a client listed as a server:\n{}",
        screen.join("\n")
    );
    tmux.keys("5");
    tmux.wait_for("the processes view", |s| {
        s.iter().any(|l| l.contains("[5 processes]"))
            && !s.iter().any(|l| l.contains("no process information"))
    });
    tmux.keys("Tab");
    tmux.wait_for("Tab back to services", |s| {
        s.iter().any(|l| l.contains("[1 services]"))
    });
    // Enter on the highlighted service opens it: its servers, clients and
    // conversations; Esc comes back. The highlight moves with Down and Up
    // and stays on its service when the rows are sorted again.
    let highlighted = |s: &[String]| {
        s.iter()
            .find_map(|l| l.strip_prefix("▶ "))
            .and_then(|l| l.split_whitespace().find(|w| w.contains('/')))
            .map(str::to_string)
    };
    tmux.keys("Up");
    let screen = tmux.wait_for("a highlighted first row", |s| highlighted(s).is_some());
    let first = highlighted(&screen).expect("highlight");
    tmux.keys("Down");
    let screen = tmux.wait_for("the highlight one row down", |s| {
        highlighted(s).is_some_and(|h| h != first)
    });
    let second = highlighted(&screen).expect("highlight");
    tmux.keys("s");
    let screen = tmux.wait_for("the other order", |s| {
        s.iter().any(|l| l.contains("by total"))
    });
    assert_eq!(
        highlighted(&screen).as_deref(),
        Some(second.as_str()),
        "the highlight follows its service:\n{}",
        screen.join("\n")
    );
    tmux.keys("s");
    tmux.keys("Enter");
    let detail = tmux.wait_for("the service's details", |s| {
        s.iter().any(|l| l.starts_with("servers of "))
            && s.iter().any(|l| l.starts_with("clients ("))
    });
    assert!(
        detail
            .iter()
            .any(|l| l.starts_with(&format!("servers of {second}:"))),
        "Enter opens the highlighted {second}:\n{}",
        detail.join("\n")
    );
    assert!(
        detail.iter().any(|l| l.starts_with("conversations (")),
        "{}",
        detail.join("\n")
    );
    tmux.keys("Escape");
    tmux.wait_for("back to services", |s| {
        s.iter().any(|l| l.contains("[1 services]"))
    });

    // "/" filters the rows by what is typed; Esc clears it.
    tmux.keys("/");
    tmux.keys("dns");
    tmux.keys("Enter");
    tmux.wait_for("only the dns row", |s| {
        s.iter().any(|l| l.contains("53/udp")) && !s.iter().any(|l| l.contains("7777/tcp"))
    });
    tmux.keys("Escape");
    tmux.wait_for("every row again", |s| {
        s.iter().any(|l| l.contains("53/udp")) && s.iter().any(|l| l.contains("7777/tcp"))
    });
    tmux.keys("s");
    tmux.wait_for("the order by total", |s| {
        s.iter().any(|l| l.contains("by total"))
    });
    tmux.keys("?");
    tmux.wait_for("the help", |s| s.iter().any(|l| l.contains("what it does")));
    tmux.keys("1");
    tmux.wait_for("back to services", |s| {
        s.iter().any(|l| l.contains("[1 services]"))
    });

    // Other sizes: everything still fits, the "more" line stays.
    for size in [(60, 15), (200, 60)] {
        tmux.resize(size);
        // A redraw at the new size (tmux keeps the old picture, cut, until
        // then).
        let screen = tmux.wait_for("the resized screen", |s| {
            s.first().is_some_and(|l| l.starts_with("portclass live: "))
                && s.len() <= usize::from(size.1)
                && s.iter()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .is_some_and(|l| l.starts_with("1-5/Tab"))
                && s.iter().all(|l| l.chars().count() <= usize::from(size.0))
        });
        assert_fits(&screen, size);
    }
    tmux.resize((60, 15));
    // The key goes to tmux right after the resize; under the load of the
    // other live tests tmux was once seen to drop it (the screen stayed
    // on services for 15 s, redrawn at 60x15), so it is sent again if the
    // view has not changed after a while.
    let conversations_at_60x15 = |s: &[String]| {
        s.iter().any(|l| l.contains("[3 conversations]"))
            && s.first().is_some_and(|l| l.starts_with("portclass live: "))
    };
    let mut sent = 0;
    let screen = loop {
        tmux.keys("3");
        sent += 1;
        if let Some(screen) = tmux.try_wait_for(Duration::from_secs(5), conversations_at_60x15) {
            break screen;
        }
        if sent == 3 {
            break tmux.wait_for("conversations at 60x15", conversations_at_60x15);
        }
    };
    assert_fits(&screen, (60, 15));
    assert!(
        screen.iter().any(|l| l.contains(" more")),
        "{}",
        screen.join("\n")
    );

    // Space pauses the display: the elapsed time stops moving.
    tmux.keys("Space");
    let paused = tmux.wait_for("the pause", |s| s.iter().any(|l| l.contains("[paused")));
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(tmux.screen(), paused, "the display changed while paused");
    tmux.keys("Space");
    tmux.wait_for("the display to resume", |s| {
        !s.iter().any(|l| l.contains("[paused"))
    });

    // q stops the capture (and prints the summary).
    tmux.keys("q");
    let start = Instant::now();
    while !tmux.pane_dead() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "q did not stop the capture"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let screen = tmux.screen().join("\n");
    assert!(
        screen.contains("Capture statistics"),
        "no summary after q:\n{screen}"
    );
    server.wait(Duration::from_secs(10));
}
