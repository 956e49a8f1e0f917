//! Details of the command line a user trips on: flags that only make sense
//! together.

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
