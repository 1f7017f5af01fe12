//! How a view shows a long table: every row up to [`SHORT_TABLE_ROWS`] rows; beyond that only
//! the rows that stand out, with a line saying how many were left out, unless `--all`.

use clap::Args;

/// The most rows a table shows without leaving any out.
pub const SHORT_TABLE_ROWS: usize = 50;

/// Whether a long table shows every row.
#[derive(Debug, Clone, Copy, Args)]
pub struct ShowOptions {
    /// Show every row in the table; without it, a table of more than 50 rows shows only the rows
    /// that stand out (JSON always has every row).
    #[arg(long)]
    pub all: bool,
}

/// The rows a table shows, and how many it left out.
#[derive(Debug)]
pub struct Shown<'a, T> {
    /// The rows to print, in their order.
    pub rows: Vec<&'a T>,
    /// The rows left out because they do not stand out.
    pub left_out: usize,
}

impl ShowOptions {
    /// The rows of `rows` a table shows: all of them with `--all` or when there are at most
    /// [`SHORT_TABLE_ROWS`], otherwise those `stands_out` picks.
    pub fn shown<'a, T>(&self, rows: &'a [T], stands_out: impl Fn(&T) -> bool) -> Shown<'a, T> {
        if self.all || rows.len() <= SHORT_TABLE_ROWS {
            return Shown {
                rows: rows.iter().collect(),
                left_out: 0,
            };
        }
        let shown: Vec<&T> = rows.iter().filter(|row| stands_out(row)).collect();
        Shown {
            left_out: rows.len() - shown.len(),
            rows: shown,
        }
    }
}

/// The line under a table that left `left_out` of its `total` rows out (`what`: `node`); empty
/// when it left none.
pub fn left_out_line(left_out: usize, total: usize, what: &str) -> String {
    match left_out {
        0 => String::new(),
        n => format!(
            "\n{n} of {total} {what}(s) left out: nothing stands out about them; --all shows every {what}\n"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_table_keeps_the_rows_that_stand_out_unless_all() {
        let rows: Vec<u32> = (0..60).collect();
        let odd = |n: &u32| n % 2 == 1;
        let shown = ShowOptions { all: false }.shown(&rows, odd);
        assert_eq!((shown.rows.len(), shown.left_out), (30, 30));
        assert_eq!(*shown.rows[0], 1);
        let every = ShowOptions { all: true }.shown(&rows, odd);
        assert_eq!((every.rows.len(), every.left_out), (60, 0));
        let short = ShowOptions { all: false }.shown(&rows[..SHORT_TABLE_ROWS], odd);
        assert_eq!(short.rows.len(), SHORT_TABLE_ROWS);
        assert_eq!(left_out_line(0, 60, "node"), "");
        assert_eq!(
            left_out_line(30, 60, "node"),
            "\n30 of 60 node(s) left out: nothing stands out about them; --all shows every node\n"
        );
    }
}
