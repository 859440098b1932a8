//! The integration tests: one harness, one module per concern.

mod cli;
mod load_errors;
mod planner;
mod rtree_props;
mod seeds;
mod util;
