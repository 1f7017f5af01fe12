//! The bridge's integration tests, one module per area, in one test binary (one link of the
//! host, which the fixtures' snapshot format comes from, instead of one per file).

mod import_fixtures;
mod round_trip;
