//! The capture facts of each input a tally counted, and how far it was read.

use super::Counter;

/// How far an input was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputStatus {
    /// Read to the end.
    Complete,
    /// Read up to an error; what came before it is counted.
    Partial(String),
    /// Could not be read at all.
    Failed(String),
}

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
        }
    }
}
