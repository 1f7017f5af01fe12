//! A snapshot as the dumps Restate prints (being written).
