//! Tables fitted to the output width (80 columns and up): columns are
//! shown by priority while they fit, a column is never narrower than its
//! header's longest word (headers break between words only), numbers and
//! codes keep their full width, and text columns take the room that is
//! left, wrapping between words.

use comfy_table::{
    Attribute, Cell, CellAlignment, Color, ColumnConstraint, ContentArrangement, LineStyle, Table,
    TableStyle, Width,
};

/// No borders; a rule under the header. Columns are two spaces apart.
pub const STYLE: TableStyle = TableStyle::new().header_separator(LineStyle::none().fill('─'));

/// A wrapping column is at least as wide as its longest word, up to this.
const MAX_WORD: u16 = 32;

/// Spaces around each column's text (one on each side).
pub const PADDING: u16 = 2;

/// How a column takes its width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// As wide as its widest cell (numbers, codes, names that must stay whole).
    Whole,
    /// Text that wraps between words; at least this wide, more when there is
    /// room.
    Wrap(u16),
}

/// A column of a [`Fitted`] table.
#[derive(Debug, Clone)]
pub struct Col {
    pub header: &'static str,
    /// Higher is kept longer when the width runs out.
    pub priority: u8,
    pub kind: Kind,
    pub align: CellAlignment,
    /// Left out when every cell is empty or `0`: it says nothing.
    pub drop_if_blank: bool,
}

impl Col {
    pub fn whole(header: &'static str, priority: u8) -> Self {
        Col {
            header,
            priority,
            kind: Kind::Whole,
            align: CellAlignment::Left,
            drop_if_blank: false,
        }
    }

    /// A right-aligned count.
    pub fn count(header: &'static str, priority: u8) -> Self {
        Col {
            align: CellAlignment::Right,
            ..Col::whole(header, priority)
        }
    }

    pub fn wrap(header: &'static str, priority: u8, min: u16) -> Self {
        Col {
            kind: Kind::Wrap(min),
            ..Col::whole(header, priority)
        }
    }

    pub fn blank_dropped(mut self) -> Self {
        self.drop_if_blank = true;
        self
    }
}

/// A table's text and what it could not show.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub text: String,
    /// Headers of the columns left out for want of width.
    pub hidden: Vec<&'static str>,
}

/// A table built row by row, laid out for a width when rendered.
#[derive(Debug, Clone)]
pub struct Fitted {
    cols: Vec<Col>,
    rows: Vec<Vec<(String, Option<Color>)>>,
}

/// Display width of a cell's widest line (characters).
pub fn text_width(s: &str) -> u16 {
    s.lines()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
        .min(u16::MAX as usize) as u16
}

fn longest_word(s: &str) -> u16 {
    s.split_whitespace()
        .map(|w| w.chars().count() as u16)
        .max()
        .unwrap_or(0)
}

impl Fitted {
    pub fn new(cols: Vec<Col>) -> Self {
        Fitted {
            cols,
            rows: Vec::new(),
        }
    }

    /// Adds a row: one cell per column, with an optional colour.
    pub fn row(&mut self, cells: Vec<(String, Option<Color>)>) {
        debug_assert_eq!(cells.len(), self.cols.len());
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Each column's narrowest width (padding included); `None` for a
    /// column that says nothing.
    fn min_widths(&self) -> Vec<Option<u16>> {
        self.cols
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let cells = self.rows.iter().map(|r| r[i].0.as_str());
                if c.drop_if_blank && cells.clone().all(|s| s.is_empty() || s == "0") {
                    return None;
                }
                let content = cells.clone().map(text_width).max().unwrap_or(0);
                let body = match c.kind {
                    Kind::Whole => content,
                    // Words stay whole (up to a point: paths, URIs).
                    Kind::Wrap(min) => content
                        .min(min)
                        .max(cells.map(longest_word).max().unwrap_or(0).min(MAX_WORD)),
                };
                Some(body.max(longest_word(c.header)) + PADDING)
            })
            .collect()
    }

    /// Which columns are shown at `width`: by priority, each while it
    /// fits.
    fn visible(&self, width: u16) -> Vec<bool> {
        let mins = self.min_widths();
        let mut order: Vec<usize> = (0..self.cols.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(self.cols[i].priority));
        let mut used = 0u16;
        let mut shown = vec![false; self.cols.len()];
        for i in order {
            if let Some(w) = mins[i]
                && used + w <= width
            {
                used += w;
                shown[i] = true;
            }
        }
        shown
    }

    /// The shown columns' widths (padding included): their minimum, and
    /// what is left shared by the wrapping columns in proportion to what
    /// more their text could use.
    fn widths(&self, shown: &[bool], mins: &[Option<u16>], width: u16) -> Vec<u16> {
        let mut widths: Vec<u16> = mins
            .iter()
            .zip(shown)
            .map(|(m, s)| if *s { m.unwrap_or(0) } else { 0 })
            .collect();
        let wants: Vec<u16> = (0..self.cols.len())
            .map(|i| match self.cols[i].kind {
                Kind::Wrap(_) if shown[i] => {
                    let most = self
                        .rows
                        .iter()
                        .map(|r| text_width(&r[i].0))
                        .max()
                        .unwrap_or(0)
                        + PADDING;
                    most.saturating_sub(widths[i])
                }
                _ => 0,
            })
            .collect();
        let total: u32 = wants.iter().map(|w| u32::from(*w)).sum();
        let used: u16 = widths.iter().sum();
        let give = u32::from(width.saturating_sub(used)).min(total);
        for (w, want) in widths.iter_mut().zip(&wants) {
            *w += (u32::from(*want) * give).checked_div(total).unwrap_or(0) as u16;
        }
        widths
    }

    /// The table at `width` columns (no line wider), trailing spaces
    /// trimmed, coloured when `color`.
    pub fn render(&self, width: u16, color: bool) -> Rendered {
        let shown = self.visible(width);
        let mins = self.min_widths();
        let mut t = Table::new();
        if color {
            t.enforce_styling();
        } else {
            t.force_no_tty();
        }
        t.load_style(STYLE)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(width);
        t.set_header(self.cols.iter().map(|c| {
            let cell = Cell::new(c.header).set_alignment(c.align);
            if color {
                cell.add_attribute(Attribute::Bold)
            } else {
                cell
            }
        }));
        for r in &self.rows {
            t.add_row(r.iter().zip(&self.cols).map(|((text, fg), c)| {
                let cell = Cell::new(text).set_alignment(c.align);
                match (color, fg) {
                    (true, Some(fg)) => cell.fg(*fg),
                    _ => cell,
                }
            }));
        }
        let widths = self.widths(&shown, &mins, width);
        let mut hidden = Vec::new();
        for (i, c) in self.cols.iter().enumerate() {
            let constraint = match (shown[i], mins[i]) {
                (true, Some(_)) => ColumnConstraint::Absolute(Width::Fixed(widths[i])),
                _ => {
                    if mins[i].is_some() {
                        hidden.push(c.header);
                    }
                    ColumnConstraint::Hidden
                }
            };
            if let Some(col) = t.column_mut(i) {
                col.set_constraint(constraint);
            }
        }
        Rendered {
            text: t.trim_fmt(),
            hidden,
        }
    }
}

/// Word-wraps a paragraph to `width` columns (a word longer than the width
/// stays whole on its own line).
pub fn wrap_text(text: &str, width: u16) -> String {
    let width = usize::from(width.max(20));
    let mut out = String::new();
    for (n, para) in text.lines().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let mut line_len = 0usize;
        for word in para.split(' ').filter(|w| !w.is_empty()) {
            let w = word.chars().count();
            if line_len > 0 && line_len + 1 + w > width {
                out.push('\n');
                line_len = 0;
            } else if line_len > 0 {
                out.push(' ');
                line_len += 1;
            }
            out.push_str(word);
            line_len += w;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widest(s: &str) -> usize {
        s.lines().map(|l| l.chars().count()).max().unwrap_or(0)
    }

    #[test]
    fn fitted_keeps_headers_whole_and_fits() {
        let mut f = Fitted::new(vec![
            Col::whole("INSTANCE", 9),
            Col::count("CERT OK", 8),
            Col::count("INCOMPLETE", 7),
            Col::wrap("WHAT TO CHECK", 6, 20),
            Col::whole("ENDED", 1).blank_dropped(),
            Col::whole("CRC MODE", 0),
        ]);
        for i in 0..3 {
            f.row(vec![
                (format!("5652#{i}"), None),
                ("126".into(), None),
                ("3".into(), None),
                (
                    "renegotiation refused (TLS 1.3 / HTTP/2): netsh http ... clientcertnegotiation=enable"
                        .into(),
                    None,
                ),
                (String::new(), None),
                ("chained".into(), None),
            ]);
        }
        for width in [80u16, 100, 120, 45] {
            let r = f.render(width, false);
            assert!(widest(&r.text) <= width as usize, "{width}:\n{}", r.text);
            assert!(r.text.contains("INSTANCE"), "{}", r.text);
            assert!(
                !r.text.contains("ENDED"),
                "blank column dropped:\n{}",
                r.text
            );
            assert!(!r.hidden.contains(&"ENDED"));
            for word in ["INSTANCE", "CERT", "INCOMPLETE", "WHAT", "CHECK"] {
                assert!(
                    r.text.split_whitespace().any(|w| w == word)
                        || r.hidden.iter().any(|h| h.contains(word)),
                    "{word} broken at {width}:\n{}",
                    r.text
                );
            }
        }
        // The long hint's longest word does not fit beside the rest: left
        // out, and said.
        let narrow = f.render(45, false);
        assert_eq!(narrow.hidden, ["WHAT TO CHECK"]);
        assert!(f.render(120, false).hidden.is_empty());
    }

    #[test]
    fn wrap_text_breaks_between_words() {
        let t = wrap_text(
            "598 requests in 5 worker-process instances (5 processes, 5 starts seen): 378 with a client certificate",
            40,
        );
        assert!(widest(&t) <= 40, "{t}");
        assert_eq!(t.split_whitespace().count(), 16);
        assert_eq!(wrap_text("a b\nc", 40), "a b\nc");
    }
}
