//! `portclass completions SHELL` and `portclass man`: the scripts complete
//! in a real shell, and the manual page renders with the system's roff.
//! Each check of a tool this machine lacks is skipped with a notice.

use crate::common::*;
use std::process::Command;

/// Every subcommand: each script completes them, the page describes them.
const SUBCOMMANDS: [&str; 9] = [
    "read",
    "report",
    "merge",
    "diff",
    "live",
    "interfaces",
    "ports",
    "completions",
    "man",
];

/// Whether `program` runs here (`--version` exits).
fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `command` (a shell or groff), failing the test unless it succeeds.
fn ran(command: &mut Command) -> std::process::Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn generated(args: &[&str]) -> String {
    let run = portclass(args);
    run.assert_code(0);
    assert_eq!(run.stderr, "", "{}", run.command);
    run.stdout_text()
}

/// What bash offers after `words` (the last one being completed), with the
/// script sourced into a shell that has no other completion set up.
fn bash_completes(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'\n\
         COMP_WORDS=({})\n\
         COMP_CWORD={}\n\
         COMP_LINE=\"${{COMP_WORDS[*]}}\"\n\
         COMP_POINT=${{#COMP_LINE}}\n\
         _portclass portclass \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script.display(),
        quoted.join(" "),
        words.len() - 1,
    );
    let output = ran(Command::new("bash").args(["--norc", "--noprofile", "-c", &program]));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_subcommands_options_and_values() {
    if !installed("bash") {
        return skipped("bash is not installed");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let script = write_file(
        dir.path(),
        "portclass.bash",
        generated(&["completions", "bash"]).as_bytes(),
    );
    assert_eq!(
        bash_completes(&script, &["portclass", "re"]),
        ["read", "report"]
    );
    assert_eq!(
        bash_completes(&script, &["portclass", "ports", "-f", ""]),
        ["table", "json", "csv", "markdown"]
    );
    assert_eq!(
        bash_completes(&script, &["portclass", "report", "--tab"]),
        ["--table"]
    );
    assert_eq!(
        bash_completes(&script, &["portclass", "diff", "--by", ""]),
        ["bytes", "packets"]
    );
    assert_eq!(
        bash_completes(&script, &["portclass", "completions", ""])
            .into_iter()
            .filter(|w| !w.starts_with('-'))
            .collect::<Vec<_>>(),
        ["bash", "zsh", "fish"]
    );
}

#[test]
fn zsh_and_fish_scripts_name_every_subcommand_and_parse() {
    for (shell, check) in [("zsh", "-n"), ("fish", "--no-execute")] {
        let script = generated(&["completions", shell]);
        for subcommand in SUBCOMMANDS {
            assert!(script.contains(subcommand), "{shell}: {subcommand} missing");
        }
        if !installed(shell) {
            skipped(format_args!(
                "{shell} is not installed: its script's syntax not checked"
            ));
            continue;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let file = write_file(dir.path(), "portclass", script.as_bytes());
        ran(Command::new(shell).arg(check).arg(&file));
    }
}

#[test]
fn the_man_page_renders_with_every_subcommand() {
    let page = generated(&["man"]);
    assert!(
        page.starts_with(".ie") || page.starts_with(".TH"),
        "roff: {page:.200}"
    );
    if !installed("groff") {
        return skipped("groff is not installed: the man page is not rendered");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_file(dir.path(), "portclass.1", page.as_bytes());
    // -ww: every warning; -z: no output, only the diagnostics.
    let check = ran(Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(&file));
    assert_eq!(String::from_utf8_lossy(&check.stderr), "", "groff warnings");
    let rendered = ran(Command::new("groff")
        .args(["-man", "-Tutf8", "-P-cbou"])
        .arg(&file));
    let text = String::from_utf8_lossy(&rendered.stdout);
    for section in ["NAME", "SYNOPSIS", "OPTIONS", "COMMANDS", "EXIT STATUS"] {
        assert!(text.contains(section), "{section} missing:\n{text}");
    }
    for command in SUBCOMMANDS {
        assert!(
            text.contains(&format!("portclass {command}")),
            "portclass {command} missing:\n{text}"
        );
    }
    for option in [
        "--scan-window",
        "--table",
        "--metrics-max-series",
        "--port-db",
        "--factor",
        "--all-ports",
    ] {
        assert!(text.contains(option), "{option} missing");
    }
    // The shared options are listed once, not under every subcommand.
    assert_eq!(text.matches("--no-system-services").count(), 2, "{text}");
}
