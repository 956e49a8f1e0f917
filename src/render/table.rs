//! The one table builder of the text formats: a terminal table drawn by
//! comfy-table, or a GitHub-flavoured Markdown table of its own (cells
//! escaped, numbers right-aligned with `---:`). Every table of `read`,
//! `report`, `live`, `ports` and `interfaces` in those formats comes from
//! here; the live screen fits its own (see `screen`).

use comfy_table::{
    CellAlignment, ColumnConstraint, ContentArrangement, Table as Comfy, Width, presets,
};
use std::fmt;

/// Which kind of text output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Box-drawn tables, sized to the terminal when there is one.
    Terminal,
    /// GitHub-flavoured Markdown tables under `##` headings.
    Markdown,
}

/// A table being built: a header, which columns hold numbers (right
/// aligned), and rows of text. Displayed in its style.
#[derive(Clone, Debug)]
pub struct Table {
    style: Style,
    header: Vec<String>,
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
    /// (column, most characters) on a terminal.
    limits: Vec<(usize, u16)>,
}

impl Table {
    /// An empty table of `header`'s columns, those at `right_aligned`
    /// holding numbers.
    pub fn new(style: Style, header: &[&str], right_aligned: &[usize]) -> Table {
        Table {
            style,
            header: header.iter().map(|h| h.to_string()).collect(),
            right: (0..header.len())
                .map(|i| right_aligned.contains(&i))
                .collect(),
            rows: Vec::new(),
            limits: Vec::new(),
        }
    }

    /// Adds a row (missing cells are empty).
    pub fn add_row<T: Into<String>>(&mut self, cells: impl IntoIterator<Item = T>) -> &mut Table {
        self.rows.push(cells.into_iter().map(Into::into).collect());
        self
    }

    /// On a terminal, wraps `column` at `width` characters.
    pub fn limit_column(&mut self, column: usize, width: u16) -> &mut Table {
        self.limits.push((column, width));
        self
    }

    /// Whether it has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn terminal(&self) -> Comfy {
        let mut table = Comfy::new();
        table
            .load_style(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(self.header.clone());
        for row in &self.rows {
            table.add_row(row.clone());
        }
        for (i, right) in self.right.iter().enumerate() {
            if let (true, Some(column)) = (*right, table.column_mut(i)) {
                column.set_cell_alignment(CellAlignment::Right);
            }
        }
        for &(i, width) in &self.limits {
            if let Some(column) = table.column_mut(i) {
                column.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(width)));
            }
        }
        table
    }

    /// The Markdown table, lines joined by line breaks (none at the end).
    fn markdown(&self) -> String {
        let columns = self.header.len();
        let line = |row: &[String]| {
            let cells: Vec<String> = (0..columns)
                .map(|i| markdown_cell(row.get(i).map_or("", String::as_str)))
                .collect();
            format!("| {} |", cells.join(" | "))
        };
        let rule: Vec<&str> = self
            .right
            .iter()
            .map(|right| if *right { "---:" } else { "---" })
            .collect();
        let mut lines = vec![line(&self.header), format!("|{}|", rule.join("|"))];
        lines.extend(self.rows.iter().map(|row| line(row)));
        lines.join("\n")
    }
}

/// One Markdown cell: `|` and `\` escaped, line breaks (which would end the
/// table) as spaces. Cells hold text from captures and summary files.
pub fn markdown_cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace("\r\n", " ")
        .replace(['\n', '\r'], " ")
}

impl fmt::Display for Table {
    /// The table, without a final line break.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.style {
            Style::Terminal => write!(f, "{}", self.terminal()),
            Style::Markdown => f.write_str(&self.markdown()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_cells_and_right_aligns_numbers() {
        let mut table = Table::new(Style::Markdown, &["service", "bytes"], &[1]);
        table.add_row(["a|b", "1,024"]);
        table.add_row(["two\nlines", "7"]);
        assert_eq!(
            table.to_string(),
            "| service | bytes |\n\
             |---|---:|\n\
             | a\\|b | 1,024 |\n\
             | two lines | 7 |"
        );
    }

    #[test]
    fn a_terminal_table_has_its_header_and_rows() {
        let mut table = Table::new(Style::Terminal, &["service", "bytes"], &[1]);
        table.add_row(["ssh", "10"]);
        let text = table.to_string();
        assert!(text.contains("service") && text.contains("ssh") && text.contains("10"));
        assert!(!table.is_empty());
    }
}
