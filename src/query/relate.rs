//! DE-9IM relations between two geometries: geo's `Relate`, with one gap
//! of its graph closed.
//!
//! geo's relate (a port of JTS's pre-2024 `RelateOp`) does not node the
//! graph at *proper* crossings between the two geometries; it records that
//! one exists and raises the matrix's interior-interior cell instead. But
//! when a crossing is computed in floating point and rounds onto a line's
//! end point, that record is dropped as "at a boundary" and nothing else
//! marks the crossing, so two lines that cross are called disjoint. (Found
//! by the PostGIS step: a line ending 1.5e-16 off another line's edge, on
//! the side away from its own direction.)
//!
//! The mend: find each such crossing before relating, and put the rounded
//! point into the other line's crossed segment as a vertex, so that the
//! crossing becomes an ordinary node at the line's end. The answer is then
//! the one GEOS's RelateNG and PostGIS give (the line's end touches the
//! other's interior), and `intersects` is right. Only crossings between
//! two lines need it: against a polygon's ring, geo locates the end point
//! in the area exactly and the matrix comes out right without the node.
//! Pairs without such a crossing — all but a handful in practice — relate
//! through the prepared geometry unchanged.

use super::QueryError;
use geo::coordinate_position::CoordPos;
use geo::line_intersection::{line_intersection, LineIntersection};
use geo::relate::IntersectionMatrix;
use geo::{
    BoundingRect, Coord, Geometry, Intersects, Line, LineString, MultiLineString, MultiPolygon,
    Polygon, PreparedGeometry, Relate,
};

/// A geometry prepared for many relate tests against others.
pub struct Prepared {
    geometry: Geometry<f64>,
    /// Built on the first relate that needs it: an area against points
    /// never does.
    prepared: std::sync::OnceLock<PreparedGeometry<'static, Geometry<f64>>>,
    /// The rings' edges by horizontal band, built on the first point, and
    /// shared by every question about the same zone ([`Prepared::zone`]).
    bands: SharedBands,
}

/// The point locators of zones asked about before, by data version, layer
/// and id: a planner asks about the same few zones again and again, and
/// sorting a zone of thousands of edges into bands costs more than
/// locating a thousand points in it. Versions are hashes of the data, so
/// an entry never outlives what it was made from; the table holds at most
/// [`PREPARED_ZONES`] and starts afresh when full.
static ZONES: std::sync::Mutex<Vec<(ZoneKey, SharedBands)>> = std::sync::Mutex::new(Vec::new());

type SharedBands = std::sync::Arc<std::sync::OnceLock<Bands>>;

type ZoneKey = (String, String, String);

/// How many zones' point locators are kept.
const PREPARED_ZONES: usize = 64;

impl Prepared {
    /// The zone `target` prepared, its point locator shared with earlier
    /// questions about the same catalog feature in the same data.
    pub fn zone(catalog: &crate::catalog::Catalog, target: &super::Target) -> Prepared {
        let mut p = Prepared::new(target.geometry.clone());
        let Some((layer, id)) = &target.feature else {
            return p;
        };
        let key = (catalog.version().to_string(), layer.clone(), id.clone());
        let mut zones = ZONES
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match zones.iter().find(|(k, _)| *k == key) {
            Some((_, bands)) => p.bands = std::sync::Arc::clone(bands),
            None => {
                if zones.len() >= PREPARED_ZONES {
                    zones.clear();
                }
                zones.push((key, std::sync::Arc::clone(&p.bands)));
            }
        }
        p
    }

    /// Prepares `geometry` (its graph and segment index are built once).
    pub fn new(geometry: Geometry<f64>) -> Prepared {
        Prepared {
            prepared: std::sync::OnceLock::new(),
            bands: std::sync::Arc::default(),
            geometry,
        }
    }

    /// The DE-9IM matrix of this geometry against `other`; an error when
    /// geo cannot build the pair's topology graph (see [`crate::guard`]),
    /// which valid geometries should never cause.
    pub fn relate(&self, other: &Geometry<f64>) -> Result<IntersectionMatrix, QueryError> {
        fenced(|| self.relate_unfenced(other))
    }

    fn relate_unfenced(&self, other: &Geometry<f64>) -> IntersectionMatrix {
        if let (Some(polygons), Geometry::Point(p)) = (self.polygons(), other) {
            let bands = self.bands.get_or_init(|| Bands::new(polygons));
            static MATRICES: std::sync::LazyLock<[IntersectionMatrix; 3]> =
                std::sync::LazyLock::new(|| ["0F2FF1FF2", "FF20F1FF2", "FF2FF10F2"].map(matrix));
            return MATRICES[match bands.locate(p.0) {
                CoordPos::Inside => 0,
                CoordPos::OnBoundary => 1,
                CoordPos::Outside => 2,
            }]
            .clone();
        }
        let ours = rounded_crossings(&self.geometry, other);
        let theirs = rounded_crossings(other, &self.geometry);
        if ours.is_empty() && theirs.is_empty() {
            return self
                .prepared
                .get_or_init(|| PreparedGeometry::from(self.geometry.clone()))
                .relate(other);
        }
        node(&self.geometry, &theirs).relate(&node(other, &ours))
    }
}

/// `relate` (any of geo's) run inside [`crate::guard::caught`]: a panic
/// of geo's topology graph becomes an error that says what to fix.
pub fn fenced(
    relate: impl FnOnce() -> IntersectionMatrix,
) -> Result<IntersectionMatrix, QueryError> {
    crate::guard::caught(relate).map_err(|why| {
        QueryError::BadGeometry(format!(
            "the two geometries could not be related ({why}); each polygon must be valid: \
             closed rings of four or more positions that neither cross nor touch themselves"
        ))
    })
}

impl Prepared {
    /// Where a point lies in this area; `None` when this is not an area.
    pub fn locate_point(&self, at: Coord<f64>) -> Option<CoordPos> {
        let polygons = self.polygons()?;
        Some(self.bands.get_or_init(|| Bands::new(polygons)).locate(at))
    }

    /// Where `other`, a line or an area, lies when its lines never meet
    /// this area's boundary: then each of its parts lies wholly inside the
    /// area's interior or wholly outside, one vertex tells which, and
    /// unless a ring of this area lies within `other`, the answer is
    /// `Inside` (every part inside) or `Outside` (none). `None` when they
    /// meet, when parts differ, when this is not an area or `other` is
    /// neither: only relating the two can tell.
    pub fn locate_apart(&self, other: &Geometry<f64>) -> Option<CoordPos> {
        use geo::CoordinatePosition;
        let polygons = self.polygons()?;
        let bands = self.bands.get_or_init(|| Bands::new(polygons));
        let parts: Vec<&LineString<f64>> = match other {
            Geometry::LineString(l) => vec![l],
            Geometry::MultiLineString(m) => m.0.iter().collect(),
            Geometry::Polygon(p) => vec![p.exterior()],
            Geometry::MultiPolygon(mp) => mp.0.iter().map(Polygon::exterior).collect(),
            _ => return None,
        };
        let holes = match other {
            Geometry::Polygon(p) => p.interiors().iter().collect(),
            Geometry::MultiPolygon(mp) => mp.0.iter().flat_map(Polygon::interiors).collect(),
            _ => Vec::new(),
        };
        for line in parts.iter().chain(&holes) {
            if line.0.len() < 2 || line.lines().any(|segment| bands.meets_edge(segment)) {
                return None;
            }
        }
        let mut seen = None;
        for line in parts {
            let here = bands.locate(*line.0.first()?);
            if here == CoordPos::OnBoundary || seen.is_some_and(|s| s != here) {
                return None;
            }
            seen = Some(here);
        }
        if matches!(other, Geometry::Polygon(_) | Geometry::MultiPolygon(_)) {
            let bbox = other.bounding_rect()?;
            for polygon in polygons {
                for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                    let v = *ring.0.first()?;
                    if bbox.intersects(&v) && other.coordinate_position(&v) != CoordPos::Outside {
                        return None;
                    }
                }
            }
        }
        seen
    }

    /// Where a whole box lies in this area, when the area's grid knows at
    /// once: `Inside` when every point of the box is in the area's
    /// interior, `Outside` when none is in the area. `None` when the box
    /// comes near the area's boundary or off its grid, or this is not an
    /// area: then only relating the geometry itself can tell.
    pub fn locate_box(&self, rect: geo::Rect<f64>) -> Option<CoordPos> {
        let polygons = self.polygons()?;
        self.bands
            .get_or_init(|| Bands::new(polygons))
            .grid
            .locate_box(rect)
    }

    /// The polygons of an areal geometry, for the point fast path.
    fn polygons(&self) -> Option<&[Polygon<f64>]> {
        match &self.geometry {
            Geometry::Polygon(p) => Some(std::slice::from_ref(p)),
            Geometry::MultiPolygon(mp) => Some(&mp.0),
            _ => None,
        }
    }
}

/// An area's edges sorted into horizontal bands, to locate points: the
/// whole of relate for a point is locating it, and a planner's zone is
/// asked about thousands of candidate points, so each is tested against the
/// few edges of its band instead of every ring (or a relate graph). Before
/// the bands, a grid over the area answers most points at once: a cell
/// that no edge comes near lies wholly inside or wholly outside.
///
/// The test is exact: a crossing-number count along the ray to the right of
/// the point, each edge by its end points' heights (half-open, so a vertex
/// on the ray counts once) and geo's robust orientation test; a point on an
/// edge or a vertex is on the boundary. Polygons of a valid multipolygon
/// have disjoint interiors, so a point is inside the area when it is inside
/// one polygon's shell and none of its holes.
struct Bands {
    y0: f64,
    height: f64,
    /// Per band, the edges meeting it.
    edges: Vec<Vec<BandEdge>>,
    /// Where each polygon's rings start in the numbering of all rings.
    ring_start: Vec<u32>,
    rings: usize,
    grid: Grid,
}

/// An edge from `a` to `b` of ring `ring` (numbered across all polygons;
/// a polygon's shell comes first) of polygon `polygon`.
type BandEdge = (u32, u32, Coord<f64>, Coord<f64>);

impl Bands {
    fn new(polygons: &[Polygon<f64>]) -> Bands {
        let rings = || {
            polygons.iter().enumerate().flat_map(|(p, polygon)| {
                std::iter::once(polygon.exterior())
                    .chain(polygon.interiors())
                    .map(move |ring| (p as u32, ring))
            })
        };
        let (mut y0, mut y1, mut n) = (f64::INFINITY, f64::NEG_INFINITY, 0usize);
        for (_, ring) in rings() {
            for c in ring.coords() {
                y0 = y0.min(c.y);
                y1 = y1.max(c.y);
            }
            n += ring.0.len();
        }
        let count = (n / 4).clamp(1, 4096);
        let height = ((y1 - y0) / count as f64).max(f64::MIN_POSITIVE);
        let mut ring_start = Vec::with_capacity(polygons.len());
        let mut total = 0u32;
        for polygon in polygons {
            ring_start.push(total);
            total += 1 + polygon.interiors().len() as u32;
        }
        let mut bands = Bands {
            y0,
            height,
            edges: vec![Vec::new(); count],
            ring_start,
            rings: total as usize,
            grid: Grid::default(),
        };
        for (r, (p, ring)) in rings().enumerate() {
            for line in ring.lines() {
                let (lo, hi) = (line.start.y.min(line.end.y), line.start.y.max(line.end.y));
                for band in bands.band(lo)..=bands.band(hi) {
                    bands.edges[band].push((p, r as u32, line.start, line.end));
                }
            }
        }
        bands.grid = Grid::new(polygons, n, |at| bands.walk(at));
        bands
    }

    fn band(&self, y: f64) -> usize {
        let i = ((y - self.y0) / self.height).floor();
        if i.is_nan() || i < 0.0 {
            0
        } else {
            (i as usize).min(self.edges.len() - 1)
        }
    }

    fn locate(&self, at: Coord<f64>) -> CoordPos {
        self.grid.locate(at).unwrap_or_else(|| self.walk(at))
    }

    /// Whether `segment` meets any edge of the area, touching included.
    fn meets_edge(&self, segment: Line<f64>) -> bool {
        let (lo, hi) = (
            segment.start.y.min(segment.end.y),
            segment.start.y.max(segment.end.y),
        );
        let bbox = segment.bounding_rect();
        (self.band(lo)..=self.band(hi)).any(|band| {
            self.edges[band].iter().any(|&(_, _, a, b)| {
                let edge = Line::new(a, b);
                edge.bounding_rect().intersects(&bbox) && line_intersection(segment, edge).is_some()
            })
        })
    }

    /// The crossing-number test against the edges of `at`'s band.
    fn walk(&self, at: Coord<f64>) -> CoordPos {
        use geo::kernels::{Kernel, Orientation};
        let Some(edges) = self.edges.get(self.band(at.y)) else {
            return CoordPos::Outside;
        };
        // Crossings to the right of `at`, per ring, as parity bits.
        let mut odd = smallvec::SmallVec::<[u64; 2]>::from_elem(0, self.rings.div_ceil(64));
        for &(_, r, a, b) in edges {
            if a == at || b == at {
                return CoordPos::OnBoundary;
            }
            if a.y == at.y && b.y == at.y {
                if (a.x <= at.x) != (b.x <= at.x) {
                    return CoordPos::OnBoundary;
                }
                continue;
            }
            if (a.y > at.y) == (b.y > at.y) {
                continue;
            }
            let side = <f64 as geo::GeoNum>::Ker::orient2d(a, b, at);
            let crosses = match side {
                Orientation::Collinear => return CoordPos::OnBoundary,
                // The edge is right of the point when the point is on its
                // left going up, or on its right going down.
                Orientation::CounterClockwise => a.y < b.y,
                Orientation::Clockwise => a.y > b.y,
            };
            if crosses {
                odd[r as usize / 64] ^= 1 << (r % 64);
            }
        }
        let bit = |r: u32| odd[r as usize / 64] >> (r % 64) & 1 == 1;
        let ends = self.ring_start.iter().skip(1).copied();
        let inside = self
            .ring_start
            .iter()
            .zip(ends.chain([self.rings as u32]))
            .any(|(&shell, end)| bit(shell) && !(shell + 1..end).any(bit));
        if inside {
            CoordPos::Inside
        } else {
            CoordPos::Outside
        }
    }
}

/// Cells over an area's bounding box, each known to lie wholly inside,
/// wholly outside, or near an edge (then the bands decide).
///
/// A cell is marked near an edge when the edge's bounding box comes within
/// a thousandth of a cell of it, so a point whose cell number rounds the
/// wrong way still lies in the edge-free region around the cell, and every
/// point of that region has the same position. Neighbouring free cells in
/// a row form one free rectangle, so one point per run is located.
#[derive(Default)]
struct Grid {
    x0: f64,
    y0: f64,
    /// The area's bounding box is from (x0, y0) to (x1, y1).
    x1: f64,
    y1: f64,
    w: f64,
    h: f64,
    nx: usize,
    ny: usize,
    cells: Vec<Cell>,
}

#[derive(Clone, Copy, PartialEq)]
enum Cell {
    Edge,
    Inside,
    Outside,
}

impl Grid {
    /// About 64 cells per vertex, at most 2^18 cells in all.
    fn new(
        polygons: &[Polygon<f64>],
        vertices: usize,
        walk: impl Fn(Coord<f64>) -> CoordPos,
    ) -> Grid {
        let Some(rect) = MultiPolygon::new(polygons.to_vec()).bounding_rect() else {
            return Grid::default();
        };
        let (width, height) = (rect.width(), rect.height());
        if !(width > 0.0 && height > 0.0 && width.is_finite() && height.is_finite()) {
            return Grid::default();
        }
        let cells = (vertices * 64).clamp(64, 1 << 18) as f64;
        let nx = ((cells * width / height).sqrt().round() as usize).clamp(1, 4096);
        let ny = ((cells / nx as f64).round() as usize).clamp(1, 4096);
        let mut grid = Grid {
            x0: rect.min().x,
            y0: rect.min().y,
            x1: rect.max().x,
            y1: rect.max().y,
            w: width / nx as f64,
            h: height / ny as f64,
            nx,
            ny,
            cells: vec![Cell::Outside; nx * ny],
        };
        let mut free = vec![true; nx * ny];
        let span = |lo: f64, hi: f64, origin: f64, size: f64, n: usize| {
            let slack = size * 1e-3;
            let first = ((lo - origin - slack) / size).floor().max(0.0) as usize;
            let last = (((hi - origin + slack) / size).floor().max(0.0) as usize).min(n - 1);
            first.min(n - 1)..=last
        };
        for polygon in polygons {
            for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                for line in ring.lines() {
                    let (x_lo, x_hi) = (line.start.x.min(line.end.x), line.start.x.max(line.end.x));
                    let (y_lo, y_hi) = (line.start.y.min(line.end.y), line.start.y.max(line.end.y));
                    for j in span(y_lo, y_hi, grid.y0, grid.h, ny) {
                        for i in span(x_lo, x_hi, grid.x0, grid.w, nx) {
                            free[j * nx + i] = false;
                        }
                    }
                }
            }
        }
        for j in 0..ny {
            let mut run: Option<Cell> = None;
            for i in 0..nx {
                let k = j * nx + i;
                if !free[k] {
                    grid.cells[k] = Cell::Edge;
                    run = None;
                    continue;
                }
                let cell = *run.get_or_insert_with(|| {
                    let centre = Coord {
                        x: grid.x0 + (i as f64 + 0.5) * grid.w,
                        y: grid.y0 + (j as f64 + 0.5) * grid.h,
                    };
                    match walk(centre) {
                        CoordPos::Inside => Cell::Inside,
                        CoordPos::Outside => Cell::Outside,
                        // Not in a free cell; answer by the bands.
                        CoordPos::OnBoundary => Cell::Edge,
                    }
                });
                grid.cells[k] = cell;
            }
        }
        grid
    }

    /// The position shared by every point of `rect`, when all the cells
    /// it meets are free: together they are one free rectangle.
    fn locate_box(&self, rect: geo::Rect<f64>) -> Option<CoordPos> {
        let (min, max) = (rect.min(), rect.max());
        if self.nx > 0 && (max.x < self.x0 || max.y < self.y0 || min.x > self.x1 || min.y > self.y1)
        {
            return Some(CoordPos::Outside);
        }
        let (lo, hi) = (self.cell_of(rect.min())?, self.cell_of(rect.max())?);
        let mut seen = None;
        for j in lo.1..=hi.1 {
            for cell in &self.cells[j * self.nx + lo.0..=j * self.nx + hi.0] {
                match (cell, seen) {
                    (Cell::Edge, _) => return None,
                    (_, None) => seen = Some(*cell),
                    // Free cells of one block cannot differ; be safe.
                    (_, Some(other)) if other != *cell => return None,
                    _ => {}
                }
            }
        }
        match seen? {
            Cell::Inside => Some(CoordPos::Inside),
            Cell::Outside => Some(CoordPos::Outside),
            Cell::Edge => None,
        }
    }

    /// The cell holding `at`, `None` off the grid.
    fn cell_of(&self, at: Coord<f64>) -> Option<(usize, usize)> {
        let i = (at.x - self.x0) / self.w;
        let j = (at.y - self.y0) / self.h;
        // Also false for NaN, and for an empty grid (its cell size is 0).
        if !(i >= 0.0 && j >= 0.0 && i < self.nx as f64 && j < self.ny as f64) {
            return None;
        }
        Some((i as usize, j as usize))
    }

    /// `None` when the point lies in a cell near an edge. Off the grid is
    /// outside the area's bounding box, hence outside.
    fn locate(&self, at: Coord<f64>) -> Option<CoordPos> {
        if self.nx > 0 && (at.x < self.x0 || at.y < self.y0 || at.x > self.x1 || at.y > self.y1) {
            return Some(CoordPos::Outside);
        }
        let (i, j) = self.cell_of(at)?;
        match self.cells.get(j * self.nx + i)? {
            Cell::Edge => None,
            Cell::Inside => Some(CoordPos::Inside),
            Cell::Outside => Some(CoordPos::Outside),
        }
    }
}

fn matrix(cells: &str) -> IntersectionMatrix {
    cells
        .parse()
        .unwrap_or_else(|_| unreachable!("a literal DE-9IM matrix"))
}

/// Where a vertex goes into a geometry: its `line`-th line string (in the
/// order of [`lines`]), after vertex `segment`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Cut {
    line: usize,
    segment: usize,
    at: Coord<f64>,
}

/// The crossings between an end segment of one of `ends_of`'s open lines
/// and a segment of one of `other`'s lines (not its polygons' rings) that
/// floating point rounds onto that line's end point: the cuts that put
/// those points into `other`.
fn rounded_crossings(ends_of: &Geometry<f64>, other: &Geometry<f64>) -> Vec<Cut> {
    let mut cuts = Vec::new();
    // Most pairs (a zone and a point, a zone and a line) stop here, before
    // anything is copied: one side has no open line, or the other no line
    // that is not a ring.
    let ends = open_lines(ends_of);
    if ends.is_empty() || !has_plain_lines(other) {
        return cuts;
    }
    let other_lines = lines(other);
    let Some(other_box) = other.bounding_rect() else {
        return cuts;
    };
    for line in ends {
        for (end, next) in end_segments(line) {
            let s = Line::new(end, next);
            if !s.bounding_rect().intersects(&other_box) {
                continue;
            }
            for (k, (t_line, ring)) in other_lines.iter().enumerate() {
                if *ring {
                    continue;
                }
                for (i, t) in t_line.lines().enumerate() {
                    if !s.bounding_rect().intersects(&t.bounding_rect()) {
                        continue;
                    }
                    if let Some(LineIntersection::SinglePoint {
                        intersection,
                        is_proper: true,
                    }) = line_intersection(s, t)
                    {
                        if intersection == end {
                            cuts.push(Cut {
                                line: k,
                                segment: i,
                                at: end,
                            });
                        }
                    }
                }
            }
        }
    }
    cuts
}

/// A line's two ends, each with the nearest vertex that differs from it
/// (none for a line of one repeated point).
fn end_segments(line: &LineString<f64>) -> Vec<(Coord<f64>, Coord<f64>)> {
    let c = &line.0;
    let mut out = Vec::with_capacity(2);
    if let (Some(&first), Some(&last)) = (c.first(), c.last()) {
        if let Some(&next) = c.iter().find(|&&p| p != first) {
            out.push((first, next));
        }
        if let Some(&prev) = c.iter().rev().find(|&&p| p != last) {
            out.push((last, prev));
        }
    }
    out
}

/// The line strings of a geometry whose ends are ends: lines, not rings.
fn open_lines(g: &Geometry<f64>) -> Vec<&LineString<f64>> {
    let mut out = Vec::new();
    match g {
        Geometry::LineString(l) => out.push(l),
        Geometry::MultiLineString(m) => out.extend(m.iter()),
        Geometry::GeometryCollection(c) => c.iter().for_each(|g| out.extend(open_lines(g))),
        _ => {}
    }
    out.retain(|l| !l.is_closed());
    out
}

/// Whether a geometry has a line string that is not a polygon's ring.
fn has_plain_lines(g: &Geometry<f64>) -> bool {
    match g {
        Geometry::Line(_) | Geometry::LineString(_) | Geometry::MultiLineString(_) => true,
        Geometry::GeometryCollection(c) => c.iter().any(has_plain_lines),
        _ => false,
    }
}

/// Every line string of a geometry, each with whether it is a polygon's
/// ring, in a fixed order: the one [`node`] rebuilds in.
fn lines(g: &Geometry<f64>) -> Vec<(LineString<f64>, bool)> {
    let mut out = Vec::new();
    each_line(g, &mut |l, ring| out.push((l.clone(), ring)));
    out
}

fn each_line(g: &Geometry<f64>, f: &mut impl FnMut(&LineString<f64>, bool)) {
    match g {
        Geometry::Point(_) | Geometry::MultiPoint(_) => {}
        Geometry::Line(l) => f(&LineString::from(*l), false),
        Geometry::LineString(l) => f(l, false),
        Geometry::MultiLineString(m) => m.iter().for_each(|l| f(l, false)),
        Geometry::Polygon(p) => polygon_lines(p, f),
        Geometry::MultiPolygon(m) => m.iter().for_each(|p| polygon_lines(p, f)),
        Geometry::Rect(r) => polygon_lines(&r.to_polygon(), f),
        Geometry::Triangle(t) => polygon_lines(&t.to_polygon(), f),
        Geometry::GeometryCollection(c) => c.iter().for_each(|g| each_line(g, f)),
    }
}

fn polygon_lines(p: &Polygon<f64>, f: &mut impl FnMut(&LineString<f64>, bool)) {
    f(p.exterior(), true);
    p.interiors().iter().for_each(|l| f(l, true));
}

/// `g` with each cut's point put in as a vertex of its segment (several
/// on one segment in order along it).
fn node(g: &Geometry<f64>, cuts: &[Cut]) -> Geometry<f64> {
    if cuts.is_empty() {
        return g.clone();
    }
    let mut k = 0;
    rebuild(g, &mut |l: &LineString<f64>| {
        let mut here: Vec<&Cut> = cuts.iter().filter(|c| c.line == k).collect();
        k += 1;
        if here.is_empty() {
            return l.clone();
        }
        here.sort_by(|a, b| {
            let from = |c: &Cut| {
                let s = l.0[c.segment];
                (c.at.x - s.x).hypot(c.at.y - s.y)
            };
            (a.segment, from(a))
                .partial_cmp(&(b.segment, from(b)))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let mut out = Vec::with_capacity(l.0.len() + here.len());
        let mut next = here.into_iter().peekable();
        for (i, &c) in l.0.iter().enumerate() {
            out.push(c);
            while let Some(cut) = next.next_if(|cut| cut.segment == i) {
                if out.last() != Some(&cut.at) {
                    out.push(cut.at);
                }
            }
        }
        LineString::new(out)
    })
}

/// `g` rebuilt with each line string (in [`lines`]'s order) mapped by `f`.
fn rebuild(
    g: &Geometry<f64>,
    f: &mut impl FnMut(&LineString<f64>) -> LineString<f64>,
) -> Geometry<f64> {
    let polygon = |p: &Polygon<f64>, f: &mut dyn FnMut(&LineString<f64>) -> LineString<f64>| {
        let exterior = f(p.exterior());
        let interiors = p.interiors().iter().map(&mut *f).collect();
        Polygon::new(exterior, interiors)
    };
    match g {
        Geometry::Point(_) | Geometry::MultiPoint(_) => g.clone(),
        Geometry::Line(l) => Geometry::LineString(f(&LineString::from(*l))),
        Geometry::LineString(l) => Geometry::LineString(f(l)),
        Geometry::MultiLineString(m) => {
            Geometry::MultiLineString(MultiLineString::new(m.iter().map(f).collect()))
        }
        Geometry::Polygon(p) => Geometry::Polygon(polygon(p, f)),
        Geometry::MultiPolygon(m) => {
            Geometry::MultiPolygon(MultiPolygon::new(m.iter().map(|p| polygon(p, f)).collect()))
        }
        Geometry::Rect(r) => Geometry::Polygon(polygon(&r.to_polygon(), f)),
        Geometry::Triangle(t) => Geometry::Polygon(polygon(&t.to_polygon(), f)),
        Geometry::GeometryCollection(c) => {
            Geometry::GeometryCollection(c.iter().map(|g| rebuild(g, f)).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{line_string, polygon};

    #[test]
    fn a_point_is_located_as_the_full_relate_would() {
        // A shell with a hole, and a second polygon touching the first at a
        // vertex; points on a grid that hits vertices, edges (straight and
        // slanted), the hole, the touching vertex and the outside.
        let a = polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 8.0, y: 0.0), (x: 8.0, y: 8.0), (x: 4.0, y: 10.0), (x: 0.0, y: 8.0)],
            interiors: [[(x: 2.0, y: 2.0), (x: 4.0, y: 2.0), (x: 4.0, y: 4.0), (x: 2.0, y: 4.0)]],
        );
        let b = polygon![(x: 8.0, y: 8.0), (x: 12.0, y: 8.0), (x: 12.0, y: 12.0)];
        for zone in [
            Geometry::Polygon(a.clone()),
            Geometry::MultiPolygon(MultiPolygon::new(vec![a, b])),
        ] {
            let prepared = Prepared::new(zone.clone());
            let mut seen = std::collections::BTreeSet::new();
            for i in -2..=26 {
                for j in -2..=26 {
                    let p =
                        Geometry::Point(geo::Point::new(f64::from(i) * 0.5, f64::from(j) * 0.5));
                    let fast = prepared.relate(&p).unwrap();
                    let full = zone.relate(&p);
                    assert_eq!(
                        format!("{fast:?}"),
                        format!("{full:?}"),
                        "{p:?} against {zone:?}"
                    );
                    seen.insert(format!("{fast:?}"));
                }
            }
            // Inside, on the boundary and outside all came up.
            assert_eq!(seen.len(), 3, "{seen:?}");
        }
    }

    /// A pseudo-random number in [0, 1), from a fixed seed.
    fn unit_from(mut seed: u64) -> impl FnMut() -> f64 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// A 60-point star ring around (116.9, 40.5), at lon/lat scale.
    fn star(r: f64, spread: f64, unit: &mut dyn FnMut() -> f64) -> LineString<f64> {
        let mut pts: Vec<(f64, f64)> = (0..60)
            .map(|i| {
                let t = f64::from(i) / 60.0 * std::f64::consts::TAU;
                let rr = r * (1.0 - spread * unit());
                (116.9 + rr * t.cos(), 40.5 + rr * t.sin())
            })
            .collect();
        pts.push(pts[0]);
        LineString::from(pts)
    }

    #[test]
    fn points_against_an_irregular_zone_agree_with_the_full_relate() {
        // A 60-point star with a star-shaped hole, at lon/lat scale, and
        // random points, its vertices and its edges' midpoints.
        let mut unit = unit_from(0x9e37_79b9_7f4a_7c15);
        let shell = star(0.2, 0.5, &mut unit);
        let hole = star(0.05, 0.3, &mut unit);
        let zone = Geometry::Polygon(Polygon::new(shell.clone(), vec![hole.clone()]));
        let prepared = Prepared::new(zone.clone());
        let mut gridded = 0;
        let bands = Bands::new(std::slice::from_ref(&Polygon::new(
            shell.clone(),
            vec![hole.clone()],
        )));
        let mut points: Vec<Coord<f64>> = (0..3000)
            .map(|_| Coord {
                x: 116.65 + 0.5 * unit(),
                y: 40.25 + 0.5 * unit(),
            })
            .collect();
        for ring in [&shell, &hole] {
            points.extend(ring.coords().copied());
            points.extend(ring.lines().map(|l| (l.start + l.end) / 2.0));
        }
        let mut boundary = 0;
        for c in points {
            let p = Geometry::Point(geo::Point(c));
            let fast = format!("{:?}", prepared.relate(&p).unwrap());
            assert_eq!(fast, format!("{:?}", zone.relate(&p)), "{c:?}");
            boundary += usize::from(fast.contains("FF20F1"));
            gridded += usize::from(bands.grid.locate(c).is_some());
        }
        // Most random points are answered by the grid, not the bands.
        assert!(gridded >= 2000, "{gridded} of 3000 from the grid");
        assert!(
            boundary >= 120,
            "the vertices are on the boundary: {boundary}"
        );
    }

    #[test]
    fn boxes_and_lines_apart_agree_with_the_full_relate() {
        // The star zone with a hole, and small random triangles, squares
        // with holes and zigzag lines all over and around it, some of them
        // crossing its edges; and shapes that hold the whole zone.
        let mut unit = unit_from(0x2545_f491_4f6c_dd1d);
        let shell = star(0.2, 0.5, &mut unit);
        let hole = star(0.05, 0.3, &mut unit);
        let zone = Geometry::Polygon(Polygon::new(shell, vec![hole]));
        let prepared = Prepared::new(zone.clone());
        let square = |x: f64, y: f64, r: f64| {
            LineString::from(vec![
                (x - r, y - r),
                (x + r, y - r),
                (x + r, y + r),
                (x - r, y + r),
                (x - r, y - r),
            ])
        };
        let mut shapes = vec![
            Geometry::Polygon(Polygon::new(square(116.9, 40.5, 1.0), vec![])),
            Geometry::Polygon(Polygon::new(
                square(116.9, 40.5, 1.0),
                vec![square(116.9, 40.5, 0.5)],
            )),
            Geometry::Polygon(Polygon::new(square(116.9, 40.5, 0.03), vec![])),
        ];
        for _ in 0..1500 {
            let (x, y) = (116.6 + 0.6 * unit(), 40.2 + 0.6 * unit());
            let r = 0.001 + 0.03 * unit();
            shapes.push(match shapes.len() % 3 {
                0 => Geometry::Polygon(polygon![(x: x, y: y), (x: x + r, y: y), (x: x, y: y + r)]),
                1 => Geometry::Polygon(Polygon::new(square(x, y, r), vec![square(x, y, r / 3.0)])),
                _ => Geometry::LineString(LineString::from(
                    (0..5)
                        .map(|k| (x + r * f64::from(k), y + r * f64::from(k % 2)))
                        .collect::<Vec<_>>(),
                )),
            });
        }
        let (mut apart, mut boxed) = (0, 0);
        for shape in &shapes {
            let full = zone.relate(shape);
            let bbox = shape.bounding_rect().unwrap();
            for (how, answer) in [
                ("apart", prepared.locate_apart(shape)),
                ("box", prepared.locate_box(bbox)),
            ] {
                match answer {
                    Some(CoordPos::Inside) => {
                        assert!(full.is_contains(), "{how}: {shape:?} {full:?}")
                    }
                    Some(CoordPos::Outside) => {
                        assert!(full.is_disjoint(), "{how}: {shape:?} {full:?}")
                    }
                    Some(CoordPos::OnBoundary) => panic!("{how}: a shape is not on the boundary"),
                    None => continue,
                }
                *if how == "apart" {
                    &mut apart
                } else {
                    &mut boxed
                } += 1;
            }
        }
        // A shape holding the zone is left to the full relate; one whose
        // hole holds it is apart from it.
        assert_eq!(prepared.locate_apart(&shapes[0]), None);
        assert_eq!(prepared.locate_apart(&shapes[1]), Some(CoordPos::Outside));
        assert!(
            apart >= 1000 && boxed >= 500,
            "apart {apart}, by box {boxed} of {}",
            shapes.len()
        );
    }

    /// The PostGIS step's case (seed 4040796614): the line starts 1.5e-16
    /// (as a cross product) to the right of the edge
    /// (116.939 40.413)-(116.965 40.427) of `p-g101-greening` and heads
    /// left, so it crosses that edge; the crossing rounds onto its start.
    fn crossing_at_a_rounded_end() -> (Geometry<f64>, Geometry<f64>) {
        let edge = line_string![(x: 116.915, y: 40.406), (x: 116.939, y: 40.413), (x: 116.965, y: 40.427), (x: 116.99, y: 40.447)];
        let line = line_string![
            (x: 116.945_500_000_000_01, y: 40.4165),
            (x: 116.706_042_750_000_01, y: 40.562217),
            (x: 117.056_024_754_420_48, y: 40.787_240_386_543_274),
        ];
        (Geometry::LineString(line), Geometry::LineString(edge))
    }

    #[test]
    fn geo_alone_calls_the_crossing_disjoint() {
        // The gap this module closes; if geo mends it, this fails and the
        // module can go.
        let (line, edge) = crossing_at_a_rounded_end();
        assert!(line.relate(&edge).is_disjoint());
    }

    #[test]
    fn a_crossing_rounded_onto_a_line_end_touches_there() {
        let (line, edge) = crossing_at_a_rounded_end();
        // GEOS 3.13's RelateNG and PostGIS give these two matrices.
        let m = Prepared::new(line.clone()).relate(&edge).unwrap();
        assert!(m.is_intersects() && m.is_touches(), "{m:?}");
        assert_eq!(format!("{m:?}"), "IntersectionMatrix(FF10F0102)");
        let m = Prepared::new(edge).relate(&line).unwrap();
        assert_eq!(format!("{m:?}"), "IntersectionMatrix(F01FF0102)");
    }

    #[test]
    fn the_same_crossing_of_a_polygon_edge_is_left_to_geo() {
        let (line, _) = crossing_at_a_rounded_end();
        // The line's start lies (by 1e-16) inside the southern zone's edge
        // and outside the northern one's; the rest of the line lies outside
        // the first and partly inside the second. geo's matrices are the
        // exact ones (the end point is located in the area exactly), and
        // no cut is made.
        let south = Geometry::Polygon(polygon![
            (x: 116.939, y: 40.413), (x: 116.965, y: 40.427), (x: 116.965, y: 40.3), (x: 116.939, y: 40.3),
        ]);
        let north = Geometry::Polygon(polygon![
            (x: 116.939, y: 40.413), (x: 116.965, y: 40.427), (x: 116.965, y: 40.9), (x: 116.5, y: 40.9),
        ]);
        for (zone, want) in [(&south, "1020F1102"), (&north, "1F20F1102")] {
            assert!(rounded_crossings(&line, zone).is_empty());
            assert_eq!(
                format!("{:?}", Prepared::new(zone.clone()).relate(&line).unwrap()),
                format!("IntersectionMatrix({want})")
            );
        }
    }

    #[test]
    fn ordinary_pairs_are_geos_answer_unchanged() {
        let a = Geometry::LineString(line_string![(x: 0.0, y: 0.0), (x: 2.0, y: 2.0)]);
        let b = Geometry::LineString(line_string![(x: 0.0, y: 2.0), (x: 2.0, y: 0.0)]);
        let c = Geometry::LineString(line_string![(x: 1.0, y: 1.0), (x: 3.0, y: 0.0)]);
        let zone = Geometry::Polygon(
            polygon![(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0), (x: 0.0, y: 4.0)],
        );
        for (x, y) in [(&a, &b), (&a, &c), (&b, &c), (&zone, &a), (&c, &zone)] {
            assert_eq!(Prepared::new(x.clone()).relate(y), Ok(x.relate(y)));
            assert!(rounded_crossings(x, y).is_empty());
        }
    }

    #[test]
    fn node_puts_cuts_in_order_along_their_segments() {
        let ring =
            Geometry::Polygon(polygon![(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0)]);
        let cut = |segment, x, y| Cut {
            line: 0,
            segment,
            at: Coord { x, y },
        };
        let out = node(
            &ring,
            &[cut(0, 3.0, 0.0), cut(0, 1.0, 0.0), cut(1, 4.0, 2.0)],
        );
        let Geometry::Polygon(p) = out else {
            panic!("{out:?}")
        };
        let xy: Vec<(f64, f64)> = p.exterior().coords().map(|c| (c.x, c.y)).collect();
        assert_eq!(
            xy,
            [
                (0.0, 0.0),
                (1.0, 0.0),
                (3.0, 0.0),
                (4.0, 0.0),
                (4.0, 2.0),
                (4.0, 4.0),
                (0.0, 0.0)
            ]
        );
    }

    /// A pair the hostile-input hunt found: geo's relate panics on it in an
    /// unoptimised build ("topology position conflict"). The panic must
    /// come back as an error that says what to fix, never unwind further.
    #[test]
    fn a_pair_geo_cannot_relate_is_an_error_not_a_panic() {
        let spiked = Geometry::Polygon(polygon![
            (x: 5e-324, y: -5e-324),
            (x: 0.1, y: -5e-324),
            (x: 0.1, y: 0.1),
            (x: 0.05, y: 50.0),
            (x: 5e-324, y: 0.1),
        ]);
        let two = Geometry::LineString(line_string![
            (x: 99.10502681272268, y: -80.99211068046917),
            (x: 0.0, y: 0.0),
        ]);
        for (a, b) in [(&spiked, &two), (&two, &spiked)] {
            match Prepared::new(a.clone()).relate(b) {
                Ok(m) => assert_ne!(m.is_intersects(), m.is_disjoint(), "{m:?}"),
                Err(e) => {
                    let text = e.to_string();
                    assert!(text.contains("could not be related"), "{text}");
                    assert!(text.contains("must be valid"), "{text}");
                }
            }
        }
    }
}
