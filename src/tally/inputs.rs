//! The capture facts of each input a tally counted, and how far it was read.

use std::sync::Arc;

use super::Counter;
use crate::capture::CaptureError;

/// How far an input was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputStatus {
    /// Read to the end.
    Complete,
    /// Read up to an error; what came before it is counted.
    Partial(InputError),
    /// Could not be read at all.
    Failed(InputError),
}

impl InputStatus {
    /// The error that stopped the input, if any.
    pub fn error(&self) -> Option<&InputError> {
        match self {
            InputStatus::Complete => None,
            InputStatus::Partial(error) | InputStatus::Failed(error) => Some(error),
        }
    }
}

/// Why an input stopped: the typed error of this run's reader, kept as it is
/// up to where it is printed or written, or the message of an error a
/// document read back recorded (a summary keeps only the message).
#[derive(Clone, Debug, thiserror::Error)]
pub enum InputError {
    /// A capture file or interface that could not be read.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// A summary document given to `report` or `merge` that could not be
    /// read (shared so that the status stays cheap to clone).
    #[error(transparent)]
    Document(Arc<dyn std::error::Error + Send + Sync>),
    /// The message an input's status carried in a summary read back.
    #[error("{0}")]
    Recorded(String),
}

impl InputError {
    /// An error of a summary document.
    pub fn document(error: impl std::error::Error + Send + Sync + 'static) -> InputError {
        InputError::Document(Arc::new(error))
    }
}

/// Two errors are the same when they say the same: a summary written and
/// read back keeps only the message.
impl PartialEq for InputError {
    fn eq(&self, other: &InputError) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for InputError {}

/// The capture facts of one input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputFacts {
    /// Its position among the inputs of the run (0-based).
    pub position: usize,
    /// The input as named on the command line (`<stdin>` for `-`).
    pub name: String,
    /// The file format, as the capture reader describes it.
    pub format: String,
    /// Link types and their frame counts, in order of first appearance.
    pub link_types: Vec<(u16, u64)>,
    /// Frames and bytes read from this input.
    pub total: Counter,
    /// Earliest and latest frame timestamps (ns since the epoch).
    pub time_span: Option<(i64, i64)>,
    /// How far it was read.
    pub status: InputStatus,
    /// The capture filter the frames were chosen by (`--filter`), and how
    /// many frames of the input it turned away (not in `total`; unknown for
    /// a live capture, filtered in the kernel).
    pub filter: Option<(String, Option<u64>)>,
}

impl InputFacts {
    /// Facts of an input not read yet.
    pub fn new(position: usize, name: String) -> InputFacts {
        InputFacts {
            position,
            name,
            format: String::new(),
            link_types: Vec::new(),
            total: Counter::default(),
            time_span: None,
            status: InputStatus::Complete,
            filter: None,
        }
    }
}
