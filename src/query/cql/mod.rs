//! CQL2 filters (OGC API Features Part 3, <https://docs.ogc.org/is/21-065r2/21-065r2.html>):
//! parsed from cql2-text or cql2-json by the [`cql2`] crate, checked against
//! a layer's queryables, and evaluated here over the layer's features, with
//! spatial predicates narrowed through the layer's R-tree.

mod compile;
mod error;
mod eval;
mod guard;
mod literal;
mod queryables;

pub use compile::{Filter, FilterLang};
pub use error::CqlError;
pub use guard::FilterLimits;
pub use queryables::{QueryableType, Queryables};
