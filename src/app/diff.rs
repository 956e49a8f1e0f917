//! `portclass diff BEFORE AFTER`: each side read into a tally (a capture
//! through the same pipeline as `read`, a JSON summary as `merge` reads
//! it back), both named from the same port database, compared, and the
//! changes rendered. The exit status says whether anything changed.

use super::report::{is_json_summary, is_stream};
use super::{AppError, EXIT_FAILED, EXIT_OK, read_inputs, report_input_status, say};
use crate::capture::{CaptureReader, Input, PacketFilter};
use crate::classify::{NamingRule, PortDb};
use crate::config::{AnalysisSettings, DiffSettings, NameSettings};
use crate::pipeline::read_opened;
use crate::render::{self, DiffSide, format_duration};
use crate::schema::{DiffView, InputStatusKind, LineKind, ReadView, SideKind};
use crate::summary::{self, looks_like_json};
use crate::tally::{InputStatus, Tally};
use serde::Deserialize;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};

/// Exit status of `diff`: something changed (1, as `diff(1)` and `cmp`
/// say it; in the other subcommands 1 means an input was partly read).
pub const EXIT_CHANGED: u8 = 1;

/// The summary schemas `diff` reads: `read`'s and `report`'s, both
/// versions (`merge` writes one of them, `live`'s summary line is
/// `read`'s).
const KNOWN_SCHEMAS: [&str; 4] = [
    "portclass.read/1",
    "portclass.read/2",
    "portclass.report/1",
    "portclass.report/2",
];

/// One side read: its tally and where it came from.
struct Loaded {
    tally: Tally,
    kind: SideKind,
    schema: Option<String>,
}

/// The fields of a JSON document that say what it is: `schema`, and a
/// live line's `type`.
#[derive(Deserialize)]
struct DocumentKind {
    schema: Option<String>,
    #[serde(rename = "type")]
    line: Option<LineKind>,
}

/// Why a summary's schema is not one `diff` reads, when it is a portclass
/// schema (any other document is left to the summary reader's message).
fn unreadable_schema(schema: &str) -> Option<String> {
    if KNOWN_SCHEMAS.contains(&schema) {
        return None;
    }
    if schema.starts_with("portclass.diff/") {
        return Some(format!(
            "a diff ({schema}), not a summary: compare the captures or the summaries of \
             read, live, report or merge (--format json) instead"
        ));
    }
    let family = ["portclass.read/", "portclass.report/"]
        .into_iter()
        .find(|family| schema.starts_with(family))?;
    Some(format!(
        "schema {schema}, which this portclass {} does not read (it reads {}1 and {}2): \
         written by a newer portclass? Compare with that version, or read the capture again \
         with this one",
        env!("CARGO_PKG_VERSION"),
        family,
        family
    ))
}

/// Parses a JSON summary's `text` (`name` is used in messages).
fn parse_summary(name: &str, text: &[u8]) -> Result<Loaded, String> {
    let kind = serde_json::from_slice::<DocumentKind>(summary::last_document(text)).ok();
    let (schema, line) = kind.map_or((None, None), |k| (k.schema, k.line));
    if schema.is_none() && line == Some(LineKind::Interval) {
        return Err(format!(
            "{name}: a live stream without its summary line (it ends with an interval): \
             live was stopped before writing it, or is still running; compare its output \
             once live has ended (Ctrl-C, SIGTERM, --duration or --count)"
        ));
    }
    if let Some(why) = schema.as_deref().and_then(unreadable_schema) {
        return Err(format!("{name}: {why}"));
    }
    let loaded = summary::parse(text, name).map_err(|e| e.to_string())?;
    let inputs = loaded.tally.base.inputs();
    if !inputs.is_empty()
        && inputs
            .iter()
            .all(|i| matches!(i.status, InputStatus::Failed(_)))
    {
        let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
        return Err(format!(
            "{name}: a summary of inputs none of which could be read ({}): nothing to compare; \
             summarise the captures again",
            names.join(", ")
        ));
    }
    Ok(Loaded {
        tally: loaded.tally.base,
        kind: SideKind::Summary,
        schema,
    })
}

/// What a stream that can be read only once (standard input, a pipe such
/// as `<(portclass read -f json ...)`) holds: its first bytes are looked at
/// without losing them.
enum Stream {
    /// A JSON summary, read whole.
    Summary(Vec<u8>),
    /// Anything else, left unread.
    Other,
}

/// Looks at the start of `stream` and, when it is a JSON summary, reads
/// it all; `name` is used in messages.
fn read_stream(stream: &mut dyn BufRead, name: &str) -> Result<Stream, String> {
    let cannot = |e: io::Error| format!("{name}: cannot read it: {e}");
    if !looks_like_json(stream.fill_buf().map_err(cannot)?) {
        return Ok(Stream::Other);
    }
    let mut text = Vec::new();
    stream.read_to_end(&mut text).map_err(cannot)?;
    Ok(Stream::Summary(text))
}

/// Reads one side: a JSON summary (by content), else a capture. A capture
/// that could not be read at all is an error (said on `err` with the
/// reader's own message); one read up to damage is read as far as it goes.
fn load_side(
    input: &Input,
    rule: &NamingRule,
    analysis: &AnalysisSettings,
    filter: Option<&PacketFilter>,
) -> Result<Loaded, String> {
    let name = input.display_name();
    let parse_summary = |name: &str, text: &[u8]| {
        let loaded = parse_summary(name, text)?;
        same_filter(name, &loaded.tally, filter)?;
        Ok(loaded)
    };
    match input {
        // Standard input's own buffer keeps what is looked at for the
        // capture reader, which reads through it too.
        Input::Stdin => {
            if let Stream::Summary(text) = read_stream(&mut io::stdin().lock(), &name)? {
                return parse_summary(&name, &text);
            }
        }
        Input::Path(path) if is_stream(path) => {
            let file = File::open(path).map_err(|e| format!("{name}: cannot open it: {e}"))?;
            let mut stream = BufReader::new(file);
            if let Stream::Summary(text) = read_stream(&mut stream, &name)? {
                return parse_summary(&name, &text);
            }
            // A capture: read on from what was looked at.
            let mut tally = Tally::new();
            tally.set_decap(analysis.decap);
            let opened = CaptureReader::from_stream(stream, &name);
            read_opened(&mut tally, (0, name), opened, rule, analysis, filter);
            return Ok(Loaded {
                tally,
                kind: SideKind::Capture,
                schema: None,
            });
        }
        Input::Path(path) if is_json_summary(path) => {
            let text = std::fs::read(path).map_err(|e| format!("{name}: cannot read it: {e}"))?;
            return parse_summary(&name, &text);
        }
        Input::Path(_) => {}
    }
    let tally = read_inputs(std::slice::from_ref(input), rule, analysis, filter, 1);
    Ok(Loaded {
        tally,
        kind: SideKind::Capture,
        schema: None,
    })
}

/// A summary compared with filtered captures must have been counted with
/// the same filter (it cannot be filtered after the fact).
fn same_filter(name: &str, tally: &Tally, filter: Option<&PacketFilter>) -> Result<(), String> {
    let Some(filter) = filter else {
        return Ok(());
    };
    let wanted = Some(filter.expression());
    match tally
        .inputs()
        .iter()
        .find(|input| input.filter.as_ref().map(|(e, _)| e.as_str()) != wanted)
    {
        None => Ok(()),
        Some(input) => Err(format!(
            "{name}: a summary counted {}, so the filter \"{}\" cannot be applied to it; \
             give the capture itself, or a summary read with the same filter",
            match &input.filter {
                Some((had, _)) => format!("with the filter \"{had}\""),
                None => "without a filter".to_owned(),
            },
            filter.expression()
        )),
    }
}

/// Says on `err` which inputs a summary records as not read completely:
/// its counts cover only what was read then.
fn warn_recorded_inputs(name: &str, view: &ReadView, err: &mut dyn Write) -> std::io::Result<()> {
    for input in &view.inputs {
        if input.status == InputStatusKind::Complete {
            continue;
        }
        let error = input.error.as_deref().unwrap_or("no message recorded");
        say(
            err,
            format_args!(
                "warning: {name}: the summary records input {} as {} ({error}); \
                 its counts cover only what was read",
                input.name, input.status
            ),
        )?;
    }
    Ok(())
}

/// Runs `portclass diff`: 0 when nothing changed, 1 when something did, 2
/// when a side could not be read (completely).
pub fn run_diff(
    settings: &DiffSettings,
    names: &NameSettings,
    db: &PortDb,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, AppError> {
    let rule = db.naming_rule();
    let filter = super::packet_filter(&settings.filter, db)?;
    let sides = [&settings.before, &settings.after].map(|input| {
        (
            input,
            load_side(input, &rule, &settings.analysis, filter.as_ref()),
        )
    });
    let mut exit = EXIT_OK;
    let mut loaded = Vec::with_capacity(2);
    for (input, side) in sides {
        match side {
            Err(message) => {
                say(err, message)?;
                exit = EXIT_FAILED;
            }
            Ok(side) if side.kind == SideKind::Capture => {
                // The reader's messages: a capture not read at all, or
                // only up to damage, which makes the comparison
                // incomplete.
                if report_input_status(&side.tally, err)? != EXIT_OK {
                    exit = EXIT_FAILED;
                }
                let unread = side
                    .tally
                    .inputs()
                    .iter()
                    .any(|i| matches!(i.status, InputStatus::Failed(_)));
                if !unread {
                    loaded.push((input, side));
                }
            }
            Ok(side) => loaded.push((input, side)),
        }
    }
    let mut loaded = loaded.into_iter();
    let (Some((before_input, before)), Some((after_input, after))) = (loaded.next(), loaded.next())
    else {
        // A side that could not be read was said above.
        return Ok(EXIT_FAILED);
    };
    let before_view = ReadView::new(&before.tally, db, names.numeric);
    let after_view = ReadView::new(&after.tally, db, names.numeric);
    for (input, side, view) in [
        (before_input, &before, &before_view),
        (after_input, &after, &after_view),
    ] {
        if side.kind == SideKind::Summary {
            warn_recorded_inputs(&input.display_name(), view, err)?;
        }
    }
    if before_view.decap != after_view.decap {
        let (with, without) = if before_view.decap {
            ("BEFORE", "AFTER")
        } else {
            ("AFTER", "BEFORE")
        };
        say(
            err,
            format_args!(
                "warning: {with} was read with --decap and {without} without: frames inside \
                 tunnels are counted by other ports on each side"
            ),
        )?;
    }
    let (b, a) = (before_view.duration_seconds, after_view.duration_seconds);
    if b > 0.0 && a > 0.0 && b.max(a) >= settings.compare.factor * b.min(a) {
        say(
            err,
            format_args!(
                "warning: BEFORE spans {} and AFTER {}: totals are compared, not rates, so \
                 traffic may seem to grow or shrink by the difference alone",
                format_duration(b),
                format_duration(a)
            ),
        )?;
    }
    let side = |input: &Input, from: &Loaded, view| DiffSide {
        view,
        name: input.display_name(),
        kind: from.kind,
        schema: from.schema.clone(),
    };
    let diff = DiffView::new(
        &side(before_input, &before, &before_view),
        &side(after_input, &after, &after_view),
        settings.compare,
        db,
        names.numeric,
    );
    render::write_diff(&diff, settings.format, out)?;
    out.flush()?;
    let changed = if diff.changes > 0 {
        EXIT_CHANGED
    } else {
        EXIT_OK
    };
    Ok(exit.max(changed))
}
