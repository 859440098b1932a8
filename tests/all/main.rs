//! The integration tests: one harness, one module per concern.

mod budget;
mod cli;
mod edits;
mod exactness;
mod hostile;
mod http;
mod limits;
mod load_errors;
mod observe;
mod ogc;
mod overlay;
mod planner;
mod query_http;
mod reload;
mod rtree_props;
mod seeds;
mod tiles;
mod util;
mod viewer;
