//! The `portclass` binary: parse, validate, run, and turn the result into an
//! exit status. A closed output pipe (`| head`) ends quietly with status 0.

use clap::Parser;
use portclass::app::{self, AppError, EXIT_FAILED, EXIT_OK, say};
use portclass::cli::Cli;
use portclass::config::Settings;
use std::io::{self, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut err = io::stderr();
    let settings = match Settings::from_cli(cli) {
        Ok(settings) => settings,
        Err(error) => {
            let _ = say(&mut err, error);
            return ExitCode::from(EXIT_FAILED);
        }
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let status = match app::run(&settings, &mut out, &mut err) {
        Ok(status) => status,
        Err(AppError::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(error) => {
            let _ = say(&mut err, &error);
            // Standard output failed already: said once is enough.
            if matches!(error, AppError::Output(_)) {
                return ExitCode::from(EXIT_FAILED);
            }
            EXIT_FAILED
        }
    };
    // A pipe closed while the buffer drains is as quiet as one closed earlier.
    match out.flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            let _ = say(&mut err, AppError::Output(e));
            ExitCode::from(EXIT_FAILED)
        }
        _ => ExitCode::from(status),
    }
}
