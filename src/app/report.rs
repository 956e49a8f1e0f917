//! `portclass report` and `portclass merge`: captures and JSON summaries
//! combined into one report tally, rendered in the chosen format.

use super::progress::Progress;
use super::tables::ParquetRun;
use super::{
    AppError, EXIT_FAILED, EXIT_OK, Lookups, each_input, read_input, report_input_status, say,
};
use crate::capture::{CaptureReader, Input, PacketFilter, ProgressCounter};
use crate::classify::{NamingRule, PortDb};
use crate::cli::{ReportFormat, ReportTableArg};
use crate::config::AnalysisSettings;
use crate::config::{MergeSettings, NameSettings, Output, ReportSettings};
use crate::pipeline::read_opened;
use crate::render::csv::write_report as write_csv;
use crate::render::html::write_html;
use crate::render::parquet::InputRows;
use crate::render::{ReportTable, ReportView, write_json, write_markdown};
use crate::schema::ReadView;
use crate::summary::{self, SummaryError, looks_like_json};
use crate::tally::buckets::DEFAULT_WIDTH_NS as DEFAULT_BUCKET_NS;
use crate::tally::report::ReportTally;
use crate::tally::{InputError, InputStatus};
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

/// Rows per table and services charted, as `report --top` defaults to.
const DEFAULT_TOP: usize = 10;

/// One input's result: a tally, and whether it carried the report's
/// details (captures always do; a read/live summary does not).
struct Part {
    tally: ReportTally,
    details: bool,
    /// The input as named on the command line.
    origin: String,
}

/// The name a summary's or capture's rows carry in the Parquet tables:
/// its one capture's, or (a summary of several) its own.
fn rows_name(tally: &ReportTally, origin: &str) -> String {
    match tally.base.inputs() {
        [input] => input.name.clone(),
        _ => origin.to_owned(),
    }
}

/// Adds the rows of one input (a capture, or a summary) to the Parquet
/// tables: with directions when it carried the report's details.
fn add_rows(
    parquet: &mut ParquetRun,
    tally: &ReportTally,
    details: bool,
    origin: &str,
    (db, numeric): (&PortDb, bool),
) {
    let name = rows_name(tally, origin);
    let buckets = tally.base.buckets();
    if details && buckets.is_none() {
        let view = ReportView::new(tally, db, numeric, DEFAULT_TOP);
        let mut rows = InputRows::of(&name, &view.read);
        rows.directions = Some(&view.report.service_directions);
        parquet.add(&rows);
    } else {
        let view = ReadView::new(&tally.base, db, numeric);
        parquet.add(&InputRows::of(&name, &view).with_buckets(buckets));
    }
}

/// Whether a file on the command line is a JSON summary (by content).
pub(super) fn is_json_summary(path: &Path) -> bool {
    let mut head = [0u8; 64];
    match File::open(path).and_then(|mut f| f.read(&mut head)) {
        Ok(n) => looks_like_json(&head[..n]),
        Err(_) => false,
    }
}

/// A JSON summary given to a filtered report that was not counted with the
/// same filter.
#[derive(Debug, thiserror::Error)]
#[error(
    "{path}: a summary counted {}, so the filter \"{wanted}\" cannot be applied to it; give the capture itself, or a summary read with the same filter",
    match .had { Some(had) => format!("with the filter \"{had}\""), None => "without a filter".to_owned() }
)]
struct SummaryNotFiltered {
    path: String,
    wanted: String,
    had: Option<String>,
}

/// A summary's inputs were all counted with the filter `wanted`, or the
/// error saying otherwise.
fn check_summary_filter(
    tally: &ReportTally,
    wanted: Option<&PacketFilter>,
    path: String,
) -> Result<(), SummaryNotFiltered> {
    let Some(wanted) = wanted else {
        return Ok(());
    };
    let differs = tally.base.inputs().iter().find(|input| {
        input
            .filter
            .as_ref()
            .map(|(expression, _)| expression.as_str())
            != Some(wanted.expression())
    });
    match differs {
        None => Ok(()),
        Some(input) => Err(SummaryNotFiltered {
            path,
            wanted: wanted.expression().to_owned(),
            had: input
                .filter
                .as_ref()
                .map(|(expression, _)| expression.clone()),
        }),
    }
}

fn read_part(
    position: usize,
    input: &Input,
    rule: &NamingRule,
    (analysis, filter): (&AnalysisSettings, Option<&PacketFilter>),
    (bucket_ns, table_bucket_ns): (Option<u64>, Option<u64>),
    progress: Option<&ProgressCounter>,
) -> Part {
    let mut tally = ReportTally::new(bucket_ns);
    if let Some(width) = table_bucket_ns {
        tally.base.count_buckets(width);
    }
    let name = input.display_name();
    if let Input::Path(path) = input {
        if is_stream(path)
            && let Ok(file) = File::open(path)
        {
            // Looked into once, then read on from what was looked at: a
            // summary whole, a capture by the capture reader.
            let mut stream = BufReader::with_capacity(STREAM_HEAD, file);
            if stream.fill_buf().is_ok_and(looks_like_json) {
                let mut text = Vec::new();
                let loaded = match stream.read_to_end(&mut text) {
                    Ok(_) => summary::parse(&text, &name),
                    Err(source) => Err(SummaryError::Read { path: name, source }),
                };
                return summary_part(position, input, loaded, filter, tally);
            }
            let opened = CaptureReader::from_stream(stream, &name);
            read_opened(
                &mut tally,
                (position, name.clone()),
                opened,
                rule,
                analysis,
                filter,
            );
            return Part {
                tally,
                details: true,
                origin: name,
            };
        }
        if is_json_summary(path) {
            return summary_part(position, input, summary::load(path), filter, tally);
        }
    }
    read_input(
        &mut tally, position, input, rule, analysis, filter, progress,
    );
    Part {
        tally,
        details: true,
        origin: name,
    }
}

/// How much of a stream is looked at for a JSON summary's opening.
const STREAM_HEAD: usize = 64 * 1024;

/// The part of a JSON summary loaded (or the input's failure, in `empty`).
fn summary_part(
    position: usize,
    input: &Input,
    loaded: Result<summary::Summary, SummaryError>,
    filter: Option<&PacketFilter>,
    mut empty: ReportTally,
) -> Part {
    let loaded = loaded.map_err(InputError::document).and_then(|summary| {
        check_summary_filter(&summary.tally, filter, input.display_name())
            .map(|()| summary)
            .map_err(InputError::document)
    });
    match loaded {
        Ok(mut summary) => {
            summary.tally.base.renumber_inputs(position);
            Part {
                tally: summary.tally,
                details: summary.has_details,
                origin: input.display_name(),
            }
        }
        Err(error) => {
            empty
                .base
                .failed_input(position, input.display_name(), error);
            Part {
                tally: empty,
                details: true,
                origin: input.display_name(),
            }
        }
    }
}

/// Whether `path` can be read only once (a pipe, a character device), so
/// that looking at its start loses it for a second reader.
pub(super) fn is_stream(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Opens `--out` (or uses stdout) and runs `write` on it.
pub(super) fn with_output(
    out_path: Option<&Path>,
    out: &mut dyn Write,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), AppError> {
    let Some(path) = out_path else {
        write(out)?;
        out.flush()?;
        return Ok(());
    };
    let fail = |error: io::Error, outcome: &'static str| AppError::OutFile {
        path: path.display().to_string(),
        error,
        outcome,
    };
    // A regular file (or a new one) is written beside it and renamed into
    // place when complete, so a failed write (a full disk) leaves any
    // earlier report as it was and never a cut one; a device or a pipe
    // (`--out /dev/stdout`) is written directly.
    let direct = std::fs::metadata(path).is_ok_and(|m| !m.is_file());
    let partial = if direct {
        path.to_path_buf()
    } else {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".portclass-partial");
        path.with_file_name(name)
    };
    let file = File::create(&partial).map_err(|e| fail(e, "nothing was written"))?;
    let mut file = BufWriter::new(file);
    let written = write(&mut file).and_then(|()| file.flush());
    drop(file);
    match written {
        Ok(()) if direct => Ok(()),
        Ok(()) => std::fs::rename(&partial, path).map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            fail(e, "the incomplete copy was removed")
        }),
        Err(e) if direct => Err(fail(e, "what it got is incomplete")),
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(fail(
                e,
                "the incomplete copy was removed, and an earlier file of that name is unchanged",
            ))
        }
    }
}

/// Runs `portclass report`.
pub fn run_report(
    settings: &ReportSettings,
    names: &NameSettings,
    db: &PortDb,
    lookups: &mut Lookups,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, AppError> {
    let rule = db.naming_rule();
    let filter = super::packet_filter(&settings.filter, db)?;
    // The directory is checked before anything is read.
    let (format, path) = match &settings.output {
        Output::Stream(format, path) => (Some(*format), path.as_deref()),
        Output::Parquet(_) => (None, None),
    };
    let mut parquet = match &settings.output {
        Output::Parquet(dir) => Some(ParquetRun::start(dir)?),
        Output::Stream(..) => None,
    };
    let mut total = ReportTally::new(settings.bucket_ns);
    let table_bucket_ns = parquet
        .is_some()
        .then(|| settings.bucket_ns.unwrap_or(DEFAULT_BUCKET_NS));
    let mut details = true;
    let progress = Progress::start(&settings.inputs);
    let counter = progress.as_ref().map(Progress::counter);
    each_input(
        &settings.inputs,
        settings.threads,
        |position, input| {
            read_part(
                position,
                input,
                &rule,
                (&settings.analysis, filter.as_ref()),
                (settings.bucket_ns, table_bucket_ns),
                counter,
            )
        },
        |mut part| {
            details &= part.details;
            if let Some(parquet) = &mut parquet {
                let input = (db, names.numeric);
                add_rows(parquet, &part.tally, part.details, &part.origin, input);
                // The buckets are each input's own rows: the total needs none.
                part.tally.base.take_buckets();
            }
            total += part.tally;
        },
    );
    drop(progress);
    total.base.sort_inputs();
    let exit = report_input_status(&total.base, err)?;
    if total
        .base
        .inputs()
        .iter()
        .all(|i| matches!(i.status, InputStatus::Failed(_)))
    {
        return Ok(exit);
    }
    let mut view = ReportView::new(&total, db, names.numeric, settings.top);
    view.report.details_available = details;
    lookups.add_to(&mut view, true);
    let Some(format) = format else {
        if let Some(parquet) = parquet {
            parquet.finish(&view.read, Some(&view.report))?;
        }
        return Ok(exit);
    };
    match format {
        ReportFormat::Parquet => Ok(()),
        ReportFormat::Json => {
            let document = view.into_document();
            with_output(path, out, |w| write_json(&document, w))
        }
        ReportFormat::Html => with_output(path, out, |w| write_html(&view, w)),
        ReportFormat::Markdown => with_output(path, out, |w| write_markdown(&view, w)),
        ReportFormat::Csv => {
            let table = match settings.table {
                ReportTableArg::Services => ReportTable::Services,
                ReportTableArg::Hosts => ReportTable::Hosts,
                ReportTableArg::Conversations => ReportTable::Conversations,
                ReportTableArg::Timeseries => ReportTable::Timeseries,
            };
            with_output(path, out, |w| write_csv(&view, table, w))
        }
    }?;
    if let Some(path) = path {
        say(err, format_args!("report written to {}", path.display()))?;
    }
    Ok(exit)
}

/// Runs `portclass merge`: the merged summary has exactly the counts of
/// reading all the inputs' captures together; it is a report when every
/// input is one, else `read`'s shape.
pub fn run_merge(
    settings: &MergeSettings,
    names: &NameSettings,
    db: &PortDb,
    lookups: &mut Lookups,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, AppError> {
    let mut total: Option<ReportTally> = None;
    let mut details = true;
    let mut offset = 0;
    let mut parquet = match &settings.output {
        Output::Parquet(dir) => Some(ParquetRun::start(dir)?),
        Output::Stream(..) => None,
    };
    for path in &settings.inputs {
        match summary::load(path) {
            Ok(mut summary) => {
                summary.tally.base.renumber_inputs(offset);
                offset += summary.tally.base.inputs().len().max(1);
                details &= summary.has_details;
                if let Some(parquet) = &mut parquet {
                    let origin = path.display().to_string();
                    let input = (db, names.numeric);
                    add_rows(parquet, &summary.tally, summary.has_details, &origin, input);
                }
                match &mut total {
                    Some(t) => *t += summary.tally,
                    None => total = Some(summary.tally),
                }
            }
            Err(error) => {
                say(err, error)?;
                return Ok(EXIT_FAILED);
            }
        }
    }
    let Some(mut total) = total else {
        return Ok(EXIT_FAILED);
    };
    total.base.sort_inputs();
    let path = match &settings.output {
        Output::Stream((), path) => path.as_deref(),
        Output::Parquet(_) => None,
    };
    if details {
        let mut view = ReportView::new(&total, db, names.numeric, DEFAULT_TOP);
        lookups.add_to(&mut view, true);
        match parquet {
            Some(parquet) => parquet.finish(&view.read, Some(&view.report))?,
            None => {
                let document = view.into_document();
                with_output(path, out, |w| write_json(&document, w))?;
            }
        }
    } else {
        let mut view = ReadView::new(&total.base, db, names.numeric);
        lookups.add_to(&mut view, true);
        match parquet {
            Some(parquet) => parquet.finish(&view, None)?,
            None => with_output(path, out, |w| write_json(&view, w))?,
        }
    }
    Ok(EXIT_OK)
}
