//! Edits to the layers that take them: one writer validates each edit,
//! checks `If-Match`, appends it to the layer's journal and makes it
//! durable, then swaps in a catalog that holds it; compaction folds the
//! journal back into the layer file; the history and the monthly report
//! are read from the journals.

pub mod compact;
pub mod history;
pub mod journal;
pub mod report;
mod writer;

pub use compact::compact_folder;
pub use journal::{Journal, JournalError, Op, Record};
pub use writer::{data_root, if_match_holds, Applied, Change, Edit, EditError, Writer};
