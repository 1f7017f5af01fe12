//! Restate dumps in, one snapshot out (being written).
