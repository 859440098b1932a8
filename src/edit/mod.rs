//! Edits to the layers that take them: one writer validates each edit,
//! checks `If-Match`, appends it to the layer's journal and makes it
//! durable, then swaps in a catalog that holds it; compaction folds the
//! journal back into the layer file; the history and the monthly report
//! are read from the journals.

pub mod journal;

pub use journal::{Journal, JournalError, Op, Record};
