//! Evaluating a [`Filter`] over a layer, in CQL2's three-valued logic (a
//! comparison with a missing or null property is *unknown*, and only
//! *true* selects a feature).
//!
//! Candidates come from the R-tree: a spatial predicate other than
//! S_DISJOINT can only hold where the feature's bounding box meets the
//! literal's, so those features are all an AND with it need look at; and
//! every spatial predicate tests exact geometry (DE-9IM through geo's
//! `Relate`, the literal prepared once) only for features the R-tree found
//! near its literal — the others are disjoint without a look at their
//! geometry.

use super::compile::{CmpOp, Filter, Node, Operand, Scalar, Spatial, SpatialOp};
use super::queryables::{property, PropertyValue};
use crate::catalog::{Feature, Layer, PropValue};
use crate::query::relate::Prepared;
use crate::query::QueryError;
use geo::Intersects;
use std::cell::Cell;
use std::cmp::Ordering;

impl Filter {
    /// Positions, in file order, of the layer's features that the filter
    /// selects; stops early when the request's budget runs out
    /// ([`crate::limits`]), and fails when a spatial predicate cannot be
    /// decided (geo could not relate the geometries).
    pub fn select(&self, layer: &Layer) -> Result<Vec<usize>, QueryError> {
        let mut spatial = Vec::new();
        collect_spatial(&self.root, &mut spatial);
        let contexts: Vec<SpatialContext> = spatial
            .iter()
            .map(|s| SpatialContext::new(s, Some(layer)))
            .collect();
        let eval = Eval {
            spatial: &spatial,
            contexts: &contexts,
            failed: Cell::new(None),
        };
        // Candidates from the R-tree come in the layer's order (along a
        // curve through space), and are put in file order at the end.
        let (candidates, sort) = match eval.candidates(&self.root) {
            Some(c) => (c, true),
            None => (layer.in_file_order().collect(), false),
        };
        let mut selected = Vec::new();
        for i in candidates {
            crate::limits::check()?;
            if eval.node(&self.root, i, &layer.features[i]) == Some(true) {
                selected.push(i);
            }
            if let Some(e) = eval.failed.take() {
                return Err(e);
            }
        }
        if sort {
            selected.sort_unstable_by_key(|&i| layer.features[i].fid);
        }
        Ok(selected)
    }

    /// Whether the filter selects `feature`, tested without an index; a
    /// spatial predicate that cannot be decided counts as unknown.
    pub fn matches(&self, feature: &Feature) -> bool {
        let mut spatial = Vec::new();
        collect_spatial(&self.root, &mut spatial);
        let contexts: Vec<SpatialContext> = spatial
            .iter()
            .map(|s| SpatialContext::new(s, None))
            .collect();
        let eval = Eval {
            spatial: &spatial,
            contexts: &contexts,
            failed: Cell::new(None),
        };
        eval.node(&self.root, usize::MAX, feature) == Some(true)
    }
}

/// The spatial nodes in evaluation order; `Eval` finds each one's context
/// by its address.
fn collect_spatial<'a>(node: &'a Node, out: &mut Vec<&'a Spatial>) {
    match node {
        Node::And(nodes) | Node::Or(nodes) => nodes.iter().for_each(|n| collect_spatial(n, out)),
        Node::Not(n) => collect_spatial(n, out),
        Node::Spatial(s) => out.push(s),
        _ => {}
    }
}

/// What a spatial predicate prepares once per query: its literal, ready
/// for repeated DE-9IM tests, and which features the R-tree found near it.
struct SpatialContext {
    prepared: Prepared,
    /// By feature position; `None` when there is no index to ask.
    near: Option<Vec<bool>>,
    /// Positions of the features near it, ascending.
    near_list: Option<Vec<usize>>,
}

impl SpatialContext {
    fn new(s: &Spatial, layer: Option<&Layer>) -> SpatialContext {
        let (near, near_list) = match layer {
            Some(layer) => {
                let mut list: Vec<usize> = layer.intersecting(s.bbox).collect();
                list.sort_unstable();
                let mut bits = vec![false; layer.features.slots()];
                for &i in &list {
                    bits[i] = true;
                }
                (Some(bits), Some(list))
            }
            None => (None, None),
        };
        SpatialContext {
            prepared: Prepared::new(s.geometry.clone()),
            near,
            near_list,
        }
    }
}

struct Eval<'a> {
    spatial: &'a [&'a Spatial],
    contexts: &'a [SpatialContext],
    /// Why a spatial predicate could not be decided, when one could not.
    failed: Cell<Option<QueryError>>,
}

impl Eval<'_> {
    fn context(&self, s: &Spatial) -> &SpatialContext {
        let at = self
            .spatial
            .iter()
            .position(|x| std::ptr::eq(*x, s))
            .unwrap_or(0);
        &self.contexts[at]
    }

    /// The features that can possibly match, ascending; `None` for "any".
    fn candidates(&self, node: &Node) -> Option<Vec<usize>> {
        match node {
            Node::Const(false) => Some(Vec::new()),
            Node::Spatial(s) if s.op != SpatialOp::Disjoint => self.context(s).near_list.clone(),
            Node::And(nodes) => nodes
                .iter()
                .filter_map(|n| self.candidates(n))
                .reduce(|a, b| intersect(&a, &b)),
            Node::Or(nodes) => {
                let mut all = Vec::new();
                for n in nodes {
                    all.extend(self.candidates(n)?);
                }
                all.sort_unstable();
                all.dedup();
                Some(all)
            }
            _ => None,
        }
    }

    /// `Some(true)`, `Some(false)`, or `None` for unknown.
    fn node(&self, node: &Node, i: usize, f: &Feature) -> Option<bool> {
        match node {
            Node::Const(b) => Some(*b),
            Node::And(nodes) => {
                let mut unknown = false;
                for n in nodes {
                    match self.node(n, i, f) {
                        Some(false) => return Some(false),
                        None => unknown = true,
                        Some(true) => {}
                    }
                }
                (!unknown).then_some(true)
            }
            Node::Or(nodes) => {
                let mut unknown = false;
                for n in nodes {
                    match self.node(n, i, f) {
                        Some(true) => return Some(true),
                        None => unknown = true,
                        Some(false) => {}
                    }
                }
                (!unknown).then_some(false)
            }
            Node::Not(n) => self.node(n, i, f).map(|b| !b),
            Node::Compare(a, op, b) => {
                let ord = compare(&value(a, f)?, &value(b, f)?)?;
                Some(match op {
                    CmpOp::Eq => ord == Ordering::Equal,
                    CmpOp::Ne => ord != Ordering::Equal,
                    CmpOp::Lt => ord == Ordering::Less,
                    CmpOp::Le => ord != Ordering::Greater,
                    CmpOp::Gt => ord == Ordering::Greater,
                    CmpOp::Ge => ord != Ordering::Less,
                })
            }
            Node::Like(a, pattern) => match value(a, f)? {
                Scalar::Str(s) => Some(like(&s, pattern)),
                _ => None,
            },
            Node::In(a, list) => {
                let v = value(a, f)?;
                let mut unknown = false;
                for item in list {
                    match value(item, f).and_then(|x| compare(&v, &x)) {
                        Some(Ordering::Equal) => return Some(true),
                        None => unknown = true,
                        Some(_) => {}
                    }
                }
                (!unknown).then_some(false)
            }
            Node::Between(a, lo, hi) => {
                let v = value(a, f)?;
                let above = compare(&v, &value(lo, f)?)? != Ordering::Less;
                let below = compare(&v, &value(hi, f)?)? != Ordering::Greater;
                Some(above && below)
            }
            Node::IsNull(a) => Some(value(a, f).is_none()),
            Node::Spatial(s) => self.spatial(s, i, f),
        }
    }

    /// The predicate's truth for feature `f`; `None` (unknown) when geo
    /// cannot relate the two, with the reason kept in `failed`.
    fn spatial(&self, s: &Spatial, i: usize, f: &Feature) -> Option<bool> {
        let ctx = self.context(s);
        let near = match &ctx.near {
            Some(bits) => bits.get(i).copied().unwrap_or(false),
            None => f.bbox.intersects(&s.bbox),
        };
        if !near {
            return Some(s.op == SpatialOp::Disjoint);
        }
        // The literal's matrix against the feature: within and contains
        // read the other way round.
        let m = match ctx.prepared.relate(&f.geometry) {
            Ok(m) => m,
            Err(e) => {
                self.failed.set(Some(e));
                return None;
            }
        };
        Some(match s.op {
            SpatialOp::Intersects => m.is_intersects(),
            SpatialOp::Disjoint => m.is_disjoint(),
            SpatialOp::Equals => m.is_equal_topo(),
            SpatialOp::Touches => m.is_touches(),
            SpatialOp::Overlaps => m.is_overlaps(),
            SpatialOp::Crosses => m.is_crosses(),
            SpatialOp::Within => m.is_contains(),
            SpatialOp::Contains => m.is_within(),
        })
    }
}

/// An operand's value for a feature; `None` when null or missing.
fn value(o: &Operand, f: &Feature) -> Option<Scalar> {
    match o {
        Operand::Literal(Scalar::Null) => None,
        Operand::Literal(s) => Some(s.clone()),
        Operand::Property(name) => match property(f, name)? {
            PropertyValue::Id(id) => Some(Scalar::Str(id.to_string())),
            PropertyValue::Json(v) => match v {
                PropValue::Null => None,
                PropValue::Bool(b) => Some(Scalar::Bool(*b)),
                PropValue::Text(s) => Some(Scalar::Str(s.to_string())),
                PropValue::Nested(other) => Some(Scalar::Str(other.to_string())),
                number => number.as_f64().map(Scalar::Num),
            },
        },
    }
}

/// Numbers numerically, text by code point, booleans false < true; values
/// of different types do not compare (unknown).
fn compare(a: &Scalar, b: &Scalar) -> Option<Ordering> {
    match (a, b) {
        (Scalar::Num(x), Scalar::Num(y)) => x.partial_cmp(y),
        (Scalar::Str(x), Scalar::Str(y)) => Some(x.cmp(y)),
        (Scalar::Bool(x), Scalar::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// CQL2 LIKE: `%` any run of characters, `_` any one, `\` escapes the
/// next character. Case-sensitive.
pub(super) fn like(text: &str, pattern: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Any,
        One,
        Char(char),
    }
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        toks.push(match c {
            '%' => Tok::Any,
            '_' => Tok::One,
            '\\' => Tok::Char(chars.next().unwrap_or('\\')),
            c => Tok::Char(c),
        });
    }
    let text: Vec<char> = text.chars().collect();
    // Greedy match with backtracking to the last `%`: linear in practice.
    let (mut t, mut p) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match toks.get(p) {
            Some(Tok::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Tok::One) => {
                t += 1;
                p += 1;
            }
            Some(Tok::Char(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    toks[p..].iter().all(|k| *k == Tok::Any)
}

/// Two ascending lists' common items.
fn intersect(a: &[usize], b: &[usize]) -> Vec<usize> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
            Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_and_escapes() {
        assert!(like("Miyun Reservoir", "Miyun%"));
        assert!(like("Miyun Reservoir", "%Reservoir"));
        assert!(like("Miyun Reservoir", "%yun%erv%"));
        assert!(like("abc", "a_c"));
        assert!(!like("abbc", "a_c"));
        assert!(like("", "%"));
        assert!(!like("", "_"));
        assert!(like("100%", "100\\%"));
        assert!(!like("1000", "100\\%"));
        assert!(like("a_b", "a\\_b"));
        assert!(!like("axb", "a\\_b"));
        assert!(like("密云水库", "密云%"));
        assert!(!like("miyun", "Miyun%"));
        assert!(like("aaa", "%a%a%a%"));
        assert!(!like("aa", "%a%a%a%"));
    }

    #[test]
    fn intersection_of_sorted_lists() {
        assert_eq!(intersect(&[1, 3, 5, 7], &[2, 3, 7, 9]), vec![3, 7]);
        assert!(intersect(&[], &[1]).is_empty());
    }
}
