//! The planner's questions, answered from the catalog: which features lie
//! within a zone, what is at a point, what is nearest, what is near. Every
//! question narrows its candidates through the layer's R-tree, then tests
//! exact geometry; measures are geodesic, on the WGS84 ellipsoid.

mod at;
pub mod cql;
pub mod distance;
mod error;
pub mod geodesic;
mod hit;
mod nearest;
pub mod output;
mod relate;
mod target;
mod within;

pub use at::at;
pub use cql::{CqlError, Filter, FilterLang, FilterLimits, QueryableType, Queryables};
pub use error::QueryError;
pub use hit::{Hit, Overlap, Relation};
pub use nearest::{near, nearest, MAX_DISTANCE_M, MAX_K};
pub use target::{check_lon_lat, Target};
pub use within::within;
