//! Natural order for the names the page sorts (zones and regions): runs of ASCII digits compare
//! as numbers, so `z2` comes before `z10`; the rest compares byte by byte.

use std::cmp::Ordering;

/// `a` against `b` in natural order; names equal as numbers (`z01`, `z1`) fall back to their
/// bytes, so the order is total and the same on every run.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut left, mut right) = (a.as_bytes(), b.as_bytes());
    loop {
        match (left.first(), right.first()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (x_digits, x_rest) = split_digits(left);
                let (y_digits, y_rest) = split_digits(right);
                let order = compare_numbers(x_digits, y_digits);
                if order != Ordering::Equal {
                    return order;
                }
                (left, right) = (x_rest, y_rest);
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                (left, right) = (&left[1..], &right[1..]);
            }
        }
    }
}

/// The leading run of ASCII digits of `text` and what follows it.
fn split_digits(text: &[u8]) -> (&[u8], &[u8]) {
    let end = text
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(text.len());
    text.split_at(end)
}

/// Two runs of digits as numbers of any length: leading zeros dropped, then the longer is
/// larger, then digit by digit.
fn compare_numbers(a: &[u8], b: &[u8]) -> Ordering {
    let trim = |digits: &[u8]| {
        let start = digits
            .iter()
            .position(|&d| d != b'0')
            .unwrap_or(digits.len());
        digits[start..].to_vec()
    };
    let (a, b) = (trim(a), trim(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        names.sort_by(|a, b| natural_cmp(a, b));
        names
    }

    #[test]
    fn numbers_in_names_sort_as_numbers() {
        assert_eq!(
            sorted(&["r1.z10", "r1.z2", "r1.z1", "r10.z1", "r2.z11", "r2.z3"]),
            ["r1.z1", "r1.z2", "r1.z10", "r2.z3", "r2.z11", "r10.z1"]
        );
        assert_eq!(sorted(&["b", "a10", "a9", ""]), ["", "a9", "a10", "b"]);
    }

    #[test]
    fn equal_numbers_and_huge_numbers_still_order_totally() {
        assert_eq!(sorted(&["z1", "z01", "z001"]), ["z001", "z01", "z1"]);
        assert_eq!(natural_cmp("z01a", "z1b"), Ordering::Less);
        let huge = "z123456789012345678901234567890";
        assert_eq!(natural_cmp(huge, "z99"), Ordering::Greater);
        assert_eq!(natural_cmp("eu-west.a", "eu-west.b"), Ordering::Less);
    }
}
