//! shanshui: vector tiles and planners' spatial questions over GIS layers of
//! protected areas and rural projects.
//!
//! The core — [`catalog`], [`index`], [`query`] — knows nothing of HTTP;
//! the command line ([`cli`]) is a thin adapter over it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cache;
pub mod catalog;
pub mod cli;
pub mod edit;
pub mod glyphs;
pub mod guard;
pub mod http;
pub mod index;
pub mod keys;
pub mod limits;
pub mod mercator;
pub mod metrics;
pub mod query;
mod radix;
pub mod reload;
pub mod synth;
pub mod tile;
pub mod time;

pub use catalog::{Catalog, Feature, Layer, LoadError};
