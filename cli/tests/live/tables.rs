//! restatectl's human tables (`nodes list --extra`, `partitions placement show`,
//! `partitions leadership show`) read by column: the header's names, separated by two or more
//! spaces, give each column's start; every row is cut at those starts.

use std::collections::BTreeMap;

/// The rows of the table whose header begins with `first` in `text`, each a map from column
/// name to its trimmed value.
pub fn rows(text: &str, first: &str) -> Vec<BTreeMap<String, String>> {
    let mut lines = text
        .lines()
        .skip_while(|l| !l.trim_start().starts_with(first));
    let header: Vec<char> = lines
        .next()
        .unwrap_or_else(|| panic!("no table headed {first} in:\n{text}"))
        .chars()
        .collect();
    let mut columns: Vec<(usize, String)> = Vec::new();
    let mut i = 0;
    while i < header.len() {
        if header[i] == ' ' {
            i += 1;
            continue;
        }
        let start = i;
        while i < header.len() && !(header[i] == ' ' && header.get(i + 1).is_none_or(|c| *c == ' '))
        {
            i += 1;
        }
        columns.push((start, header[start..i].iter().collect()));
    }
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let chars: Vec<char> = line.chars().collect();
            columns
                .iter()
                .enumerate()
                .map(|(k, (start, name))| {
                    let end = columns
                        .get(k + 1)
                        .map_or(chars.len(), |c| c.0)
                        .min(chars.len());
                    let value: String = chars[(*start).min(end)..end].iter().collect();
                    (name.clone(), value.trim().to_string())
                })
                .collect()
        })
        .collect()
}

/// Node ids in `[N3, N2] (v3)` or `N4`; none for `-`.
pub fn node_ids(cell: &str) -> Vec<u32> {
    let list = cell.split(" (v").next().unwrap_or("");
    list.trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .filter_map(|id| id.trim().strip_prefix('N')?.parse().ok())
        .collect()
}
