//! What can be wrong with a dataset on disk, said so that the person who
//! maintains the data knows which file, which feature and what to fix.

use std::fmt;
use std::path::PathBuf;

/// Loading a dataset failed; holds every problem found, not only the first.
#[derive(Debug, thiserror::Error)]
pub struct LoadError {
    /// The problems, in the order the files were read.
    pub problems: Vec<Problem>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "the data has {n} problem{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

impl From<Problem> for LoadError {
    fn from(p: Problem) -> Self {
        LoadError { problems: vec![p] }
    }
}

/// One problem, located in a file and, where it applies, a feature.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The file at fault.
    pub path: PathBuf,
    /// The feature at fault: its position in the file, and its id when known.
    pub feature: Option<FeatureLabel>,
    /// What is wrong.
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.path.display())?;
        if let Some(feature) = &self.feature {
            write!(f, "{feature}: ")?;
        }
        write!(f, "{}", self.kind)
    }
}

/// Where a feature sits in its file, for messages: `feature #3 (id "zone-1")`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureLabel {
    /// Zero-based position in the `features` array.
    pub index: usize,
    /// The feature's id, when it has one.
    pub id: Option<String>,
}

impl fmt::Display for FeatureLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "feature #{}", self.index)?;
        if let Some(id) = &self.id {
            write!(f, " (id \"{id}\")")?;
        }
        Ok(())
    }
}

/// The kinds of problem, each with the hint a data maintainer needs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProblemKind {
    /// The manifest could not be read.
    #[error("cannot read the manifest: {0}")]
    ManifestUnreadable(String),
    /// The manifest is not valid TOML or breaks a rule of its own.
    #[error("invalid manifest: {0}")]
    Manifest(String),
    /// A file the manifest names is not there.
    #[error("layer `{layer}` names this file, but it does not exist; fix `file` in layers.toml or add the file")]
    MissingFile {
        /// The layer whose `file` it is.
        layer: String,
    },
    /// A layer file could not be read.
    #[error("cannot read: {0}")]
    Unreadable(String),
    /// The file is not JSON.
    #[error("malformed JSON: {0}")]
    Json(String),
    /// The file is JSON but not a GeoJSON FeatureCollection.
    #[error("not a GeoJSON FeatureCollection: {0}")]
    NotFeatureCollection(String),
    /// A feature is not valid GeoJSON.
    #[error("not a valid GeoJSON feature: {0}")]
    BadFeature(String),
    /// A feature has no geometry.
    #[error("has no geometry; every feature of a layer needs one")]
    NoGeometry,
    /// A geometry of a kind the layer does not hold.
    #[error("has a {found} geometry, but layer `{layer}` holds {expected} geometries (layers.toml `geometry = \"{kind}\"`)")]
    WrongGeometry {
        /// The layer.
        layer: String,
        /// The GeoJSON type found.
        found: String,
        /// The GeoJSON types allowed.
        expected: &'static str,
        /// The manifest's kind.
        kind: String,
    },
    /// A coordinate outside longitude/latitude.
    #[error("coordinate [{x}, {y}] is outside the longitude/latitude range{hint}")]
    OutOfRange {
        /// First value (longitude if the file is right).
        x: f64,
        /// Second value (latitude if the file is right).
        y: f64,
        /// What the numbers suggest.
        hint: String,
    },
    /// A coordinate that is NaN or infinite, or has too few values.
    #[error("has a coordinate that is not two finite numbers: {0}")]
    BadCoordinate(String),
    /// A ring whose last position is not its first.
    #[error("{ring} is not closed: it starts at [{first}] and ends at [{last}]; repeat the first position at the end")]
    UnclosedRing {
        /// Which ring.
        ring: String,
        /// Its first position.
        first: String,
        /// Its last position.
        last: String,
    },
    /// A ring with too few distinct positions or no area.
    #[error("{ring} is degenerate: {why}")]
    DegenerateRing {
        /// Which ring.
        ring: String,
        /// What makes it so.
        why: String,
    },
    /// A line with fewer than two distinct positions.
    #[error("{line} has fewer than two distinct positions")]
    DegenerateLine {
        /// Which line.
        line: String,
    },
    /// A polygon that is not valid in the sense of OGC Simple Features.
    #[error("invalid polygon: {0}")]
    InvalidPolygon(String),
    /// No id where one is needed.
    #[error("has no id: {0}")]
    MissingId(String),
    /// A property that breaks the layer's rule for its field.
    #[error("property `{name}` {why} (layers.toml `[layers.fields]`)")]
    Field {
        /// The field.
        name: String,
        /// What is wrong with it.
        why: String,
    },
    /// A damaged record in the middle of a layer's edit journal.
    #[error("{0}")]
    Journal(String),
    /// An id used twice in one layer.
    #[error("id \"{id}\" is also used by feature #{first}; ids must be unique within a layer")]
    DuplicateId {
        /// The id.
        id: String,
        /// The first feature with it.
        first: usize,
    },
}
