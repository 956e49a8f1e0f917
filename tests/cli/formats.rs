//! Table, Markdown, CSV and `--numeric` output of `read`, each checked
//! against the JSON of the same run (the JSON itself is checked against
//! tshark in `fixtures.rs`).

use crate::common::*;
use serde_json::Value;

fn sample_path() -> String {
    fixture("sample.pcapng").to_string_lossy().into_owned()
}

fn sample_run(extra: &[&str]) -> Run {
    let path = sample_path();
    let mut args = vec!["read", "--no-system-services", path.as_str()];
    args.extend_from_slice(extra);
    let run = portclass(&args);
    run.assert_code(0);
    assert!(
        run.stderr.is_empty(),
        "{}: stderr:\n{}",
        run.command,
        run.stderr
    );
    run
}

fn sample_json(extra: &[&str]) -> Value {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    sample_run(&args).json()
}

/// The lines after the line `title`, up to the next blank line.
fn section<'a>(text: &'a str, title: &str) -> Vec<&'a str> {
    let mut lines = text.lines().skip_while(|l| l.trim_end() != title);
    assert!(lines.next().is_some(), "no section {title:?} in:\n{text}");
    lines
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty())
        .collect()
}

/// Body rows of a box-drawn table: cells of each `│ … ┆ … │` line after the
/// header rule; continuation lines of wrapped cells (empty first cell) are
/// left out.
fn box_rows(lines: &[&str]) -> Vec<Vec<String>> {
    lines
        .iter()
        .skip_while(|l| !l.starts_with('╞'))
        .filter_map(|l| l.strip_prefix('│')?.trim_end().strip_suffix('│'))
        .map(|inner| {
            inner
                .split('┆')
                .map(|c| c.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|cells| !cells[0].is_empty())
        .collect()
}

/// Body rows of a Markdown table (after the `|---|` rule).
fn markdown_rows(lines: &[&str]) -> Vec<Vec<String>> {
    let is_rule = |l: &str| l.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '));
    assert!(
        lines.iter().all(|l| l.starts_with('|')),
        "not a Markdown table: {lines:#?}"
    );
    assert!(
        lines.len() >= 2 && is_rule(lines[1]),
        "no header rule: {lines:#?}"
    );
    lines[2..]
        .iter()
        .map(|l| {
            let inner = l.trim_end().trim_start_matches('|').trim_end_matches('|');
            inner
                .split('|')
                .map(|c| c.trim().to_string())
                .collect::<Vec<_>>()
        })
        // Continuation lines of wrapped descriptions have an empty first cell.
        .filter(|cells| !cells[0].is_empty())
        .collect()
}

/// RFC 4180 records (quoted fields, `""` escapes, CRLF or LF line ends).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let (mut record, mut field) = (Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && record.is_empty(),
        "CSV does not end with a line end"
    );
    records
}

/// `80/tcp`, as the tables show a port row.
fn port_label(row: &Value) -> Option<String> {
    Some(format!(
        "{}/{}",
        row["port"].as_u64()?,
        row["transport"].as_str()?
    ))
}

#[test]
fn table_names_the_input_and_lists_services_like_the_json() {
    let json = sample_json(&[]);
    let text = sample_run(&[]).stdout_text();
    assert!(
        text.contains(&sample_path()),
        "input file not named:\n{text}"
    );
    let rows = box_rows(&section(&text, "Services by bytes"));
    let expected = services(&json);
    assert!(
        expected.len() <= 25,
        "sample has more rows than the default --top"
    );
    assert_eq!(
        rows.len(),
        expected.len(),
        "service rows in the table:\n{text}"
    );
    assert_eq!(
        rows[0][0],
        expected[0]["service"].as_str().expect("a name"),
        "top service"
    );
    for (cells, row) in rows.iter().zip(expected) {
        assert_eq!(
            cells[0],
            row["service"].as_str().expect("a name"),
            "{cells:?} vs {row}"
        );
        if let Some(label) = port_label(row) {
            assert_eq!(cells[1], label, "{cells:?} vs {row}");
        }
        assert_eq!(
            cells[2],
            grouped(u64_of(row, "packets")),
            "{cells:?} vs {row}"
        );
    }
}

#[test]
fn markdown_has_a_services_heading_and_table() {
    let json = sample_json(&[]);
    let text = sample_run(&["--format", "markdown"]).stdout_text();
    assert!(
        text.lines().any(|l| l == "## Services by bytes"),
        "no heading:\n{text}"
    );
    let rows = markdown_rows(&section(&text, "## Services by bytes"));
    let expected = services(&json);
    assert_eq!(
        rows.len(),
        expected.len(),
        "rows of the Markdown services table:\n{text}"
    );
    for (cells, row) in rows.iter().zip(expected) {
        assert_eq!(
            cells[0],
            row["service"].as_str().expect("a name"),
            "{cells:?} vs {row}"
        );
        assert_eq!(
            cells[2],
            grouped(u64_of(row, "packets")),
            "{cells:?} vs {row}"
        );
    }
}

#[test]
fn csv_has_one_row_per_json_service_in_order() {
    let json = sample_json(&[]);
    let text = sample_run(&["--format", "csv"]).stdout_text();
    let records = parse_csv(&text);
    assert_eq!(
        records[0].join(","),
        "transport,port,service,source,packets,bytes,share,description,tunnel,identified_by,handshake_packets,port_database_packets,heuristic_packets,related_packets"
    );
    let expected = services(&json);
    assert_eq!(records.len() - 1, expected.len(), "CSV rows:\n{text}");
    for (record, row) in records[1..].iter().zip(expected) {
        let ctx = format!("{record:?} vs {row}");
        assert_eq!(record.len(), 14, "{ctx}");
        assert_eq!(
            record[0],
            row["transport"].as_str().expect("transport"),
            "{ctx}"
        );
        match row["port"].as_u64() {
            Some(port) => assert_eq!(record[1], port.to_string(), "{ctx}"),
            None => assert!(
                record[1].parse::<u64>().is_err(),
                "dynamic row with a port: {ctx}"
            ),
        }
        assert_eq!(
            record[2],
            row["service"].as_str().expect("service"),
            "{ctx}"
        );
        assert_eq!(record[3], row["source"].as_str().unwrap_or(""), "{ctx}");
        assert_eq!(record[4], u64_of(row, "packets").to_string(), "{ctx}");
        assert_eq!(record[5], u64_of(row, "bytes").to_string(), "{ctx}");
        let share: f64 = record[6].parse().expect("share is a number");
        let json_share = row["share"].as_f64().expect("share");
        assert!((share - json_share).abs() < 1e-6, "{ctx}");
        assert_eq!(
            record[7],
            row["description"].as_str().unwrap_or(""),
            "{ctx}"
        );
        assert_eq!(record[8], row["tunnel"].as_str().unwrap_or(""), "{ctx}");
        assert_eq!(
            record[9],
            row["identified_by"].as_str().expect("identified_by"),
            "{ctx}"
        );
        for (i, method) in ["handshake", "port_database", "heuristic"]
            .iter()
            .enumerate()
        {
            assert_eq!(
                record[10 + i],
                u64_of(&row["identified"], method).to_string(),
                "{ctx}"
            );
        }
    }
}

#[test]
fn top_limits_the_table_and_sums_the_rest() {
    let json = sample_json(&[]);
    let all = services(&json);
    assert!(all.len() > 3, "sample has too few services for this test");
    let text = sample_run(&["--top", "2"]).stdout_text();
    let rows = box_rows(&section(&text, "Services by bytes"));
    assert_eq!(rows.len(), 3, "two rows and the rest line:\n{text}");
    for (cells, row) in rows.iter().zip(&all[..2]) {
        assert_eq!(cells[0], row["service"].as_str().expect("a name"));
    }
    let rest = &all[2..];
    let rest_packets: u64 = rest.iter().map(|r| u64_of(r, "packets")).sum();
    assert_eq!(rows[2][0], format!("({} more)", rest.len()), "{text}");
    assert_eq!(
        rows[2][2],
        grouped(rest_packets),
        "packets of the rest line:\n{text}"
    );
}

#[test]
fn numeric_drops_names_but_not_counts() {
    let named = sample_json(&[]);
    let numeric = sample_json(&["--numeric"]);
    assert_eq!(
        service_figures(&numeric),
        service_figures(&named),
        "--numeric changed the counts"
    );
    for row in services(&numeric) {
        assert_eq!(row["service"], Value::Null, "{row}");
        assert_eq!(row["source"], Value::Null, "{row}");
    }

    let text = sample_run(&["-n", "--top", "0"]).stdout_text();
    let rows = box_rows(&section(&text, "Services by bytes"));
    assert_eq!(
        rows.len(),
        services(&numeric).len(),
        "rows with --top 0:\n{text}"
    );
    for (cells, row) in rows.iter().zip(services(&numeric)) {
        // The service column shows the port (or the dynamic range) instead.
        assert_eq!(cells[0], cells[1], "{cells:?}");
        assert!(
            cells[0].starts_with(|c: char| c.is_ascii_digit()),
            "{cells:?}"
        );
        if let Some(label) = port_label(row) {
            assert_eq!(cells[0], label, "{cells:?} vs {row}");
        }
    }
    for row in services(&named) {
        let name = row["service"].as_str().expect("a name");
        assert!(
            !rows.iter().any(|cells| cells.contains(&name.to_string())),
            "{name} shown with -n"
        );
    }
}

#[test]
fn markdown_services_table_has_one_line_per_service() {
    let json = sample_json(&[]);
    let text = sample_run(&["--format", "markdown"]).stdout_text();
    let lines = section(&text, "## Services by bytes");
    // Every line after the header and its rule is one service, whole.
    let body = &lines[2..];
    assert_eq!(
        body.len(),
        services(&json).len(),
        "lines of the Markdown services table:\n{text}"
    );
    for (line, row) in body.iter().zip(services(&json)) {
        let description = row["description"].as_str().unwrap_or("");
        assert!(
            line.contains(description),
            "description of {} cut: {line}",
            service_key(row)
        );
    }
}
