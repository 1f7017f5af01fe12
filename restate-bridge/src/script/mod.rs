//! A plan as a `restatectl` script, and its replay (being written).
