//! The directory of `--format parquet --out DIR` (read, report, merge):
//! checked before any input is read, its files written beside their final
//! names and renamed into place only when every table is complete.
//!
//! What a directory may hold: nothing (or not exist yet: it is created),
//! or only files an earlier `--format parquet` wrote (`<table>.parquet`,
//! and `<table>.parquet.portclass-partial` left by an interrupted run).
//! Those are replaced, and a table the earlier run wrote and this one does
//! not (`hosts.parquet` of a report, in a directory `read` now writes) is
//! removed, so the directory always holds one run's tables. Anything else
//! in it is refused, never overwritten.

use super::AppError;
use crate::render::parquet::{self, InputRows, InputTables, ParquetTable};
use crate::schema::{ReadView, ReportSections};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// One run's Parquet output: the per-input tables filled as inputs are
/// counted, the run's tables written at the end, then all put in place.
pub(super) struct ParquetRun {
    dir: TableDir,
    inputs: InputTables<File>,
    /// The first error writing the per-input tables (later inputs are then
    /// not written; the run fails at the end).
    error: Option<io::Error>,
}

impl ParquetRun {
    /// Checks the directory and starts the per-input tables.
    pub(super) fn start(path: &Path) -> Result<ParquetRun, AppError> {
        let mut dir = TableDir::open(path)?;
        let services = dir.create(ParquetTable::Services)?;
        let ports = dir.create(ParquetTable::Ports)?;
        let inputs =
            InputTables::new(services, ports).map_err(dir.failed(ParquetTable::Services))?;
        Ok(ParquetRun {
            dir,
            inputs,
            error: None,
        })
    }

    /// Adds one input's rows (an error is kept for [`ParquetRun::finish`]).
    pub(super) fn add(&mut self, rows: &InputRows<'_>) {
        if self.error.is_none()
            && let Err(error) = self.inputs.add(rows)
        {
            self.error = Some(error);
        }
    }

    /// Writes the run's tables (servers and inputs of `view`; hosts and
    /// conversations of `report` when given) and puts every table in place.
    pub(super) fn finish(
        mut self,
        view: &ReadView,
        report: Option<&ReportSections>,
    ) -> Result<(), AppError> {
        if let Some(error) = self.error.take() {
            return Err(self.dir.failed(ParquetTable::Services)(error));
        }
        self.inputs
            .finish()
            .map_err(self.dir.failed(ParquetTable::Services))?;
        let dir = &mut self.dir;
        write_table(dir, ParquetTable::Servers, |f| {
            parquet::write_servers(&view.servers, f)
        })?;
        write_table(dir, ParquetTable::Inputs, |f| {
            parquet::write_inputs(&view.inputs, f)
        })?;
        if let Some(report) = report {
            write_table(dir, ParquetTable::Hosts, |f| {
                parquet::write_hosts(report, f)
            })?;
            write_table(dir, ParquetTable::Conversations, |f| {
                parquet::write_conversations(report, f)
            })?;
        }
        self.dir.commit()
    }
}

/// Writes one whole table.
fn write_table(
    dir: &mut TableDir,
    table: ParquetTable,
    write: impl FnOnce(File) -> io::Result<File>,
) -> Result<(), AppError> {
    let file = dir.create(table)?;
    write(file).map_err(dir.failed(table))?;
    Ok(())
}

/// The suffix of a table being written.
const PARTIAL: &str = ".portclass-partial";

/// The output directory of one run, and the tables written to it so far.
pub(super) struct TableDir {
    dir: PathBuf,
    /// Tables written, under their partial names.
    written: Vec<ParquetTable>,
    committed: bool,
}

/// Whether `name` is a file portclass writes in a table directory.
fn is_table_file(name: &str) -> bool {
    let name = name.strip_suffix(PARTIAL).unwrap_or(name);
    ParquetTable::ALL.iter().any(|t| t.file_name() == name)
}

impl TableDir {
    /// Checks (and creates) `dir`, before any input is read.
    pub(super) fn open(dir: &Path) -> Result<TableDir, AppError> {
        let problem = |message: String| AppError::OutDir {
            path: dir.display().to_string(),
            message,
        };
        if dir.exists() && !dir.is_dir() {
            return Err(problem(
                "not a directory; --format parquet writes a directory of files (one per \
                 table): give a new or empty directory"
                    .to_owned(),
            ));
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| problem(format!("cannot create the directory: {e}")))?;
        let entries = std::fs::read_dir(dir)
            .map_err(|e| problem(format!("cannot list the directory: {e}")))?;
        let mut foreign = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| problem(format!("cannot list the directory: {e}")))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = is_table_file(&name) && entry.file_type().is_ok_and(|t| t.is_file());
            if !ours {
                foreign.push(name);
            }
        }
        if !foreign.is_empty() {
            foreign.sort();
            let shown: Vec<&str> = foreign.iter().take(5).map(String::as_str).collect();
            let more = if foreign.len() > 5 { ", ..." } else { "" };
            return Err(problem(format!(
                "holds files portclass did not write ({}{more}), which --format parquet would \
                 mix with its tables; give a new or empty directory, or one an earlier \
                 --format parquet wrote (its tables are replaced)",
                shown.join(", ")
            )));
        }
        Ok(TableDir {
            dir: dir.to_path_buf(),
            written: Vec::new(),
            committed: false,
        })
    }

    fn final_path(&self, table: ParquetTable) -> PathBuf {
        self.dir.join(table.file_name())
    }

    fn partial_path(&self, table: ParquetTable) -> PathBuf {
        self.dir.join(format!("{}{PARTIAL}", table.file_name()))
    }

    /// Creates the file of `table`, under its partial name.
    pub(super) fn create(&mut self, table: ParquetTable) -> Result<File, AppError> {
        let path = self.partial_path(table);
        let file = File::create(&path).map_err(|error| AppError::OutFile {
            path: path.display().to_string(),
            error,
            outcome: "no table was replaced",
        })?;
        self.written.push(table);
        Ok(file)
    }

    /// The error of writing `table`, for the caller's `map_err`.
    pub(super) fn failed(&self, table: ParquetTable) -> impl FnOnce(io::Error) -> AppError {
        let path = self.final_path(table).display().to_string();
        move |error| AppError::OutFile {
            path,
            error,
            outcome: "no table was replaced (the incomplete files were removed)",
        }
    }

    /// Renames every table written into place and removes the tables of
    /// an earlier run that this one did not write.
    pub(super) fn commit(mut self) -> Result<(), AppError> {
        for table in ParquetTable::ALL {
            let path = self.final_path(table);
            let result = if self.written.contains(&table) {
                std::fs::rename(self.partial_path(table), &path)
            } else {
                match std::fs::remove_file(&path) {
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                    other => other,
                }
            };
            result.map_err(|error| AppError::OutFile {
                path: path.display().to_string(),
                error,
                outcome: "the directory may mix this run's tables with an earlier run's",
            })?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for TableDir {
    /// A run that failed leaves no partial files behind.
    fn drop(&mut self) {
        if !self.committed {
            for &table in &self.written {
                let _ = std::fs::remove_file(self.partial_path(table));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_table_files_are_ours() {
        assert!(is_table_file("services.parquet"));
        assert!(is_table_file("hosts.parquet.portclass-partial"));
        assert!(!is_table_file("notes.txt"));
        assert!(!is_table_file("services.parquet.bak"));
    }

    #[test]
    fn a_directory_with_other_files_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::write(dir.path().join("notes.txt"), "mine").expect("written");
        let refused = TableDir::open(dir.path()).err().expect("refused");
        assert!(refused.to_string().contains("notes.txt"), "{refused}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("notes.txt")).expect("kept"),
            "mine"
        );
    }

    #[test]
    fn commit_replaces_and_removes_earlier_tables() {
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::write(dir.path().join("hosts.parquet"), "old").expect("written");
        std::fs::write(dir.path().join("services.parquet"), "old").expect("written");
        let mut tables = TableDir::open(dir.path()).expect("ours");
        drop(tables.create(ParquetTable::Services).expect("created"));
        tables.commit().expect("committed");
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("listed")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["services.parquet"]);
        assert_eq!(
            std::fs::read(dir.path().join("services.parquet")).expect("read"),
            b""
        );
    }

    #[test]
    fn a_failed_run_leaves_the_earlier_tables() {
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::write(dir.path().join("services.parquet"), "old").expect("written");
        let mut tables = TableDir::open(dir.path()).expect("ours");
        drop(tables.create(ParquetTable::Services).expect("created"));
        drop(tables);
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("listed")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["services.parquet"]);
    }
}
