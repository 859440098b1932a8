//! What can be wrong with a tile request.

/// A tile that cannot be made as asked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TileError {
    /// Not three parts.
    #[error("`{0}` is not a tile path; write z/x/y, e.g. 12/3377/1545")]
    Malformed(String),
    /// A part that is not a whole number.
    #[error("{name} must be a whole number 0 or more, not `{value}`")]
    NotANumber {
        /// `z`, `x` or `y`.
        name: &'static str,
        /// What was given.
        value: String,
    },
    /// Zoom beyond the highest.
    #[error("zoom {z} is above the highest zoom, {max}", max = crate::catalog::MAX_ZOOM)]
    ZoomTooHigh {
        /// The zoom asked for.
        z: u64,
    },
    /// Column or row outside the grid.
    #[error(
        "tile {z}/{x}/{y} is outside the grid: at zoom {z}, x and y must be below 2^{z} = {n}"
    )]
    OutOfGrid {
        /// Zoom.
        z: u8,
        /// Column.
        x: u32,
        /// Row.
        y: u32,
        /// 2^z.
        n: u64,
    },
    /// A layer the catalog does not have.
    #[error("no layer `{layer}`; the layers are: {known}")]
    UnknownLayer {
        /// The id asked for.
        layer: String,
        /// The ids there are.
        known: String,
    },
    /// The encoder failed: a server fault, not the client's.
    #[error("{0}")]
    Encode(String),
    /// As many tiles as allowed are being rendered already; try again.
    #[error("the server is rendering {max} tiles already (--max-renders); try again in a moment")]
    Busy {
        /// The cap on concurrent renders.
        max: usize,
    },
    /// The request's deadline passed, or its client left.
    #[error(transparent)]
    Stopped(#[from] crate::limits::Stopped),
}
