//! Details of the command line a user trips on: flags that only make sense
//! together, and help texts that must say what the code does.

use crate::common::*;

#[test]
fn report_table_alone_writes_that_table_as_csv() {
    let capture = fixture("sample.pcapng");
    let implied = portclass(&[
        "report".as_ref(),
        capture.as_os_str(),
        "--table".as_ref(),
        "hosts".as_ref(),
    ]);
    implied.assert_code(0);
    let text = implied.stdout_text();
    assert!(!text.contains("<html"), "HTML instead of CSV:\n{text}");
    let explicit = portclass(&[
        "report".as_ref(),
        capture.as_os_str(),
        "--format".as_ref(),
        "csv".as_ref(),
        "--table".as_ref(),
        "hosts".as_ref(),
    ]);
    explicit.assert_code(0);
    assert_eq!(implied.stdout, explicit.stdout);
    assert!(
        text.lines().next().is_some_and(|h| h.contains("address")),
        "the hosts table's header: {text}"
    );
}

#[test]
fn report_table_with_another_format_is_refused() {
    let capture = fixture("sample.pcapng");
    for format in ["html", "markdown", "json"] {
        let run = portclass(&[
            "report".as_ref(),
            capture.as_os_str(),
            "--format".as_ref(),
            format.as_ref(),
            "--table".as_ref(),
            "hosts".as_ref(),
        ]);
        run.assert_code(2);
        assert!(run.stdout.is_empty(), "{format}: wrote a report anyway");
        let lines = run.stderr_lines();
        assert_eq!(lines.len(), 1, "{}", run.stderr);
        assert!(
            lines[0].contains("--table") && lines[0].contains(&format!("--format {format}")),
            "{}",
            lines[0]
        );
    }
}

/// `--help` of `command`, checked to succeed, its words joined by single
/// spaces (so that no check depends on where the text wraps).
fn help(command: &str) -> String {
    let run = portclass(&[command, "--help"]);
    run.assert_code(0);
    run.stdout_text()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn each_format_is_described_as_that_subcommand_writes_it() {
    for command in ["interfaces", "ports"] {
        let text = help(command);
        assert!(
            !text.contains("services table"),
            "{command}'s CSV is not the services table:\n{text}"
        );
        assert!(text.contains("one row per"), "{text}");
    }
    assert!(help("interfaces").contains("one row per device"));
    assert!(help("ports").contains("one row per entry and port"));
    assert!(help("read").contains("The services table"));

    let live = help("live");
    assert!(
        !live.contains("One JSON document"),
        "live writes NDJSON:\n{live}"
    );
    assert!(live.contains("One JSON object per line (NDJSON)"), "{live}");
    assert!(live.contains("scope=interval"), "{live}");
}

#[test]
fn help_says_what_ports_and_report_table_accept() {
    let ports = help("ports");
    for form in ["`1-1024`", "`postgres`", "`53/udp`"] {
        assert!(ports.contains(form), "{form} missing:\n{ports}");
    }
    let report = help("report");
    assert!(report.contains("implies --format csv"), "{report}");
}
