//! What can be wrong with a filter: said so the asker knows what to fix.

/// A filter that cannot be evaluated as written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CqlError {
    /// A `filter-lang` we do not speak.
    #[error("unknown filter-lang `{0}`; use cql2-text (the default) or cql2-json")]
    UnknownLang(String),
    /// The text is not CQL2: the parser's word, with the position.
    #[error("`filter` is not valid {lang}: {message}")]
    Syntax {
        /// `cql2-text` or `cql2-json`.
        lang: &'static str,
        /// What the parser expected, and where.
        message: String,
    },
    /// A filter longer than the server accepts.
    #[error("`filter` is {bytes} bytes long; this server accepts at most {max} (serve --max-filter-bytes)")]
    TooLong {
        /// Its length.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// A filter nested deeper than the server accepts.
    #[error("`filter` nests {depth} levels deep; this server accepts at most {max} in {lang} (serve --max-filter-depth); check for unclosed parentheses, or flatten the grouping")]
    TooDeep {
        /// `cql2-text` or `cql2-json`.
        lang: &'static str,
        /// How deep it nests.
        depth: usize,
        /// The limit for its language.
        max: usize,
    },
    /// A property that is not one of the collection's queryables.
    #[error("`{name}` is not a queryable of this collection; the queryables are: {known}")]
    UnknownProperty {
        /// The name used.
        name: String,
        /// The queryables, comma-separated.
        known: String,
    },
    /// A geometry literal that is malformed or invalid.
    #[error("invalid geometry in `filter`: {0}")]
    BadGeometry(String),
    /// A CQL2 feature this server does not implement.
    #[error("{0} is not supported; supported are comparisons (=, <>, <, <=, >, >=), AND/OR/NOT, LIKE, IN, BETWEEN, IS NULL and the spatial functions S_INTERSECTS, S_EQUALS, S_DISJOINT, S_TOUCHES, S_WITHIN, S_OVERLAPS, S_CROSSES, S_CONTAINS")]
    Unsupported(String),
    /// Well-formed CQL2 that makes no sense here: a type mismatch, a
    /// property where a predicate belongs, a value of the wrong kind.
    #[error("{0}")]
    Invalid(String),
}
