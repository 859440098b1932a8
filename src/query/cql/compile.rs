//! From CQL2 (text or JSON, parsed by the `cql2` crate) to a [`Filter`]: a
//! predicate tree whose every property is a queryable of the layer, whose
//! literals have the types their properties have, and whose geometries are
//! valid lon/lat geometries with their bounding boxes.

use super::literal::{box_geometry, geometry_literal};
use super::{CqlError, FilterLimits, QueryableType, Queryables};
use cql2::Expr;
use geo::{Geometry, Rect};

/// The language a `filter` is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterLang {
    /// CQL2 text: `start_year >= 2021 AND S_WITHIN(geometry, POLYGON(…))`.
    Cql2Text,
    /// CQL2 JSON: `{"op": ">=", "args": [{"property": "start_year"}, 2021]}`.
    Cql2Json,
}

impl FilterLang {
    /// Reads a `filter-lang` value: `cql2-text`, `cql2-json`, or the
    /// older spellings `cql-text` (sent by GDAL 3.6) and `cql-json`.
    pub fn from_param(s: &str) -> Result<FilterLang, CqlError> {
        match s {
            "cql2-text" | "cql-text" => Ok(FilterLang::Cql2Text),
            "cql2-json" | "cql-json" => Ok(FilterLang::Cql2Json),
            other => Err(CqlError::UnknownLang(other.to_string())),
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            FilterLang::Cql2Text => "cql2-text",
            FilterLang::Cql2Json => "cql2-json",
        }
    }
}

/// A checked filter over one layer's features.
#[derive(Debug, Clone)]
pub struct Filter {
    pub(super) root: Node,
}

/// A predicate.
#[derive(Debug, Clone)]
pub(super) enum Node {
    /// `TRUE` / `FALSE`.
    Const(bool),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Compare(Operand, CmpOp, Operand),
    Like(Operand, String),
    In(Operand, Vec<Operand>),
    Between(Operand, Operand, Operand),
    IsNull(Operand),
    /// The feature's geometry against a literal.
    Spatial(Spatial),
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Operand {
    Property(String),
    Literal(Scalar),
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Scalar {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A spatial predicate, as "feature geometry `op` literal".
#[derive(Debug, Clone)]
pub(super) struct Spatial {
    pub(super) op: SpatialOp,
    pub(super) geometry: Geometry<f64>,
    pub(super) bbox: Rect<f64>,
}

/// The spatial functions of CQL2, feature first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SpatialOp {
    Intersects,
    Equals,
    Disjoint,
    Touches,
    Within,
    Overlaps,
    Crosses,
    Contains,
}

impl SpatialOp {
    fn parse(op: &str) -> Option<SpatialOp> {
        Some(match op {
            "s_intersects" => SpatialOp::Intersects,
            "s_equals" => SpatialOp::Equals,
            "s_disjoint" => SpatialOp::Disjoint,
            "s_touches" => SpatialOp::Touches,
            "s_within" => SpatialOp::Within,
            "s_overlaps" => SpatialOp::Overlaps,
            "s_crosses" => SpatialOp::Crosses,
            "s_contains" => SpatialOp::Contains,
            _ => return None,
        })
    }

    /// The same relation with the arguments swapped.
    fn converse(self) -> SpatialOp {
        match self {
            SpatialOp::Within => SpatialOp::Contains,
            SpatialOp::Contains => SpatialOp::Within,
            other => other,
        }
    }
}

impl Filter {
    /// Parses `text` in `lang` and checks it against the queryables; text
    /// beyond `limits` is refused before it reaches the parser.
    pub fn parse(
        text: &str,
        lang: FilterLang,
        queryables: &Queryables,
        limits: &FilterLimits,
    ) -> Result<Filter, CqlError> {
        limits.check(text, lang)?;
        let expr = match lang {
            FilterLang::Cql2Text => cql2::parse_text(text).map_err(|e| CqlError::Syntax {
                lang: lang.name(),
                message: text_error(&e.to_string()),
            })?,
            FilterLang::Cql2Json => parse_json(text)?,
        };
        let root = Compiler { queryables }.predicate(&expr)?;
        Ok(Filter { root })
    }

    /// `name = value` from a query parameter `?name=value`: a string
    /// compare, or a numeric one when the queryable is a number.
    pub fn equals(queryables: &Queryables, name: &str, value: &str) -> Result<Filter, CqlError> {
        let Some(t) = queryables.get(name) else {
            return Err(CqlError::UnknownProperty {
                name: name.to_string(),
                known: queryables.names(),
            });
        };
        let literal = match t {
            QueryableType::Integer | QueryableType::Number => match value.trim().parse::<f64>() {
                Ok(x) if x.is_finite() => Scalar::Num(x),
                _ => {
                    return Err(CqlError::Invalid(format!(
                        "parameter `{name}` is a number; `{value}` is not one"
                    )))
                }
            },
            QueryableType::Boolean => match value {
                "true" => Scalar::Bool(true),
                "false" => Scalar::Bool(false),
                _ => {
                    return Err(CqlError::Invalid(format!(
                        "parameter `{name}` is true or false, not `{value}`"
                    )))
                }
            },
            QueryableType::String | QueryableType::Mixed => Scalar::Str(value.to_string()),
        };
        Ok(Filter {
            root: Node::Compare(
                Operand::Property(name.to_string()),
                CmpOp::Eq,
                Operand::Literal(literal),
            ),
        })
    }

    /// Features whose geometry intersects `bbox` (the `bbox` parameter).
    pub fn bbox(bbox: Rect<f64>) -> Filter {
        Filter {
            root: Node::Spatial(Spatial {
                op: SpatialOp::Intersects,
                geometry: box_geometry(bbox),
                bbox,
            }),
        }
    }

    /// All of `filters` (AND); with none, every feature.
    pub fn all(filters: Vec<Filter>) -> Filter {
        let mut nodes: Vec<Node> = filters.into_iter().map(|f| f.root).collect();
        Filter {
            root: match nodes.len() {
                0 => Node::Const(true),
                1 => nodes.remove(0),
                _ => Node::And(nodes),
            },
        }
    }
}

/// The pest error of the text parser, on one line: `at line 1, column 5:
/// expected …`.
fn text_error(raw: &str) -> String {
    let position = raw
        .lines()
        .find_map(|l| l.trim().strip_prefix("-->"))
        .and_then(|p| p.trim().split_once(':'))
        .map(|(line, col)| format!("at line {line}, column {col}"));
    let what = raw
        .lines()
        .find_map(|l| l.trim().strip_prefix("= "))
        .map(str::to_string);
    match (position, what) {
        (Some(p), Some(w)) => format!("{p}: {w}"),
        _ => raw.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

/// cql2-json: JSON syntax first (with its line and column), then the
/// shape of the tree (with the path of what does not fit), then the tree.
///
/// The shape is checked here in one pass rather than by the CQL2 JSON
/// schema: the schema's validator tries its alternatives at every level,
/// and a 225-byte filter nested three deep took it seconds to refuse
/// (`tests/all/hostile.rs`).
fn parse_json(text: &str) -> Result<Expr, CqlError> {
    let syntax = |message: String| CqlError::Syntax {
        lang: "cql2-json",
        message,
    };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| syntax(format!("malformed JSON: {e}")))?;
    shape(&value, "").map_err(syntax)?;
    serde_json::from_value(value).map_err(|e| syntax(e.to_string()))
}

/// Whether `v` (at JSON pointer `at`) has the shape of a CQL2 JSON
/// expression: an operation with `op` and `args`, a property, a bbox, a
/// temporal literal, a GeoJSON geometry, or a scalar or array of them.
fn shape(v: &serde_json::Value, at: &str) -> Result<(), String> {
    use serde_json::Value;
    let here = if at.is_empty() { "/" } else { at };
    let Value::Object(m) = v else {
        if let Value::Array(items) = v {
            for (i, item) in items.iter().enumerate() {
                shape(item, &format!("{at}/{i}"))?;
            }
        }
        return Ok(());
    };
    if let Some(op) = m.get("op") {
        if !op.is_string() {
            return Err(format!(
                "at {at}/op: an operator's name is a string, not {op}"
            ));
        }
        let Some(Value::Array(args)) = m.get("args") else {
            return Err(format!(
                "at {here}: operation {op} needs its arguments as an array in `args`"
            ));
        };
        for (i, arg) in args.iter().enumerate() {
            shape(arg, &format!("{at}/args/{i}"))?;
        }
        return Ok(());
    }
    if let Some(p) = m.get("property") {
        return match p {
            Value::String(_) => Ok(()),
            _ => Err(format!(
                "at {at}/property: a property's name is a string, not {p}"
            )),
        };
    }
    if let Some(b) = m.get("bbox") {
        return match b {
            Value::Array(n) if matches!(n.len(), 4 | 6) && n.iter().all(Value::is_number) => Ok(()),
            _ => Err(format!(
                "at {at}/bbox: a bbox is an array of 4 (or 6) numbers, not {b}"
            )),
        };
    }
    for key in ["interval", "timestamp", "date"] {
        if let Some(inner) = m.get(key) {
            return shape(inner, &format!("{at}/{key}"));
        }
    }
    if m.contains_key("type") {
        return serde_json::from_value::<cql2::Geometry>(v.clone())
            .map(|_| ())
            .map_err(|e| format!("at {here}: not a GeoJSON geometry: {e}"));
    }
    Err(format!(
        "at {here}: an object in cql2-json is an operation (`op` and `args`), a `property`, a `bbox`, \
         a `date`, `timestamp` or `interval`, or a GeoJSON geometry"
    ))
}

struct Compiler<'a> {
    queryables: &'a Queryables,
}

impl Compiler<'_> {
    fn predicate(&self, expr: &Expr) -> Result<Node, CqlError> {
        match expr {
            Expr::Bool(b) => Ok(Node::Const(*b)),
            Expr::Operation { op, args } => self.operation(op, args),
            Expr::Property { property } => {
                let operand = self.property(property)?;
                if self.queryables.get(property) == Some(QueryableType::Boolean) {
                    return Ok(Node::Compare(
                        operand,
                        CmpOp::Eq,
                        Operand::Literal(Scalar::Bool(true)),
                    ));
                }
                Err(CqlError::Invalid(format!(
                    "`{property}` alone is not a condition; compare it, e.g. `{property} = 'value'`"
                )))
            }
            other => Err(CqlError::Invalid(format!(
                "the filter must be a condition (a comparison, LIKE, IN, BETWEEN, IS NULL, a spatial function, or AND/OR/NOT of those), not {}",
                describe(other)
            ))),
        }
    }

    fn operation(&self, op: &str, args: &[Box<Expr>]) -> Result<Node, CqlError> {
        let arity = |n: usize| {
            if args.len() == n {
                Ok(())
            } else {
                Err(CqlError::Invalid(format!(
                    "{} takes {n} argument(s), not {}",
                    op.to_uppercase(),
                    args.len()
                )))
            }
        };
        let cmp = match op {
            "=" => Some(CmpOp::Eq),
            "<>" => Some(CmpOp::Ne),
            "<" => Some(CmpOp::Lt),
            "<=" => Some(CmpOp::Le),
            ">" => Some(CmpOp::Gt),
            ">=" => Some(CmpOp::Ge),
            _ => None,
        };
        if let Some(cmp) = cmp {
            arity(2)?;
            let (a, b) = (self.operand(&args[0])?, self.operand(&args[1])?);
            self.check_types(&a, &b, op)?;
            return Ok(Node::Compare(a, cmp, b));
        }
        if let Some(spatial) = SpatialOp::parse(op) {
            arity(2)?;
            return self.spatial(spatial, op, &args[0], &args[1]);
        }
        match op {
            "and" | "or" => {
                let nodes = args
                    .iter()
                    .map(|a| self.predicate(a))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(if op == "and" {
                    Node::And(nodes)
                } else {
                    Node::Or(nodes)
                })
            }
            "not" => {
                arity(1)?;
                Ok(Node::Not(Box::new(self.predicate(&args[0])?)))
            }
            "like" => {
                arity(2)?;
                let value = self.operand(&args[0])?;
                let pattern =
                    match self.operand(&args[1])? {
                        Operand::Literal(Scalar::Str(p)) => p,
                        _ => return Err(CqlError::Invalid(
                            "LIKE needs a text pattern on its right, e.g. name_en LIKE 'Miyun%'"
                                .into(),
                        )),
                    };
                self.check_types(&value, &Operand::Literal(Scalar::Str(String::new())), op)?;
                Ok(Node::Like(value, pattern))
            }
            "in" => {
                arity(2)?;
                let value = self.operand(&args[0])?;
                let Expr::Array(items) = args[1].as_ref() else {
                    return Err(CqlError::Invalid(
                        "IN needs a list on its right, e.g. status IN ('planned', 'underway')"
                            .into(),
                    ));
                };
                let list = items
                    .iter()
                    .map(|i| self.operand(i))
                    .collect::<Result<Vec<_>, _>>()?;
                for item in &list {
                    self.check_types(&value, item, op)?;
                }
                Ok(Node::In(value, list))
            }
            "between" => {
                arity(3)?;
                let value = self.operand(&args[0])?;
                let (lo, hi) = (self.operand(&args[1])?, self.operand(&args[2])?);
                self.check_types(&value, &lo, op)?;
                self.check_types(&value, &hi, op)?;
                Ok(Node::Between(value, lo, hi))
            }
            "isNull" => {
                arity(1)?;
                Ok(Node::IsNull(self.operand(&args[0])?))
            }
            "casei" | "accenti" => Err(CqlError::Unsupported(format!(
                "{} (insensitive comparison)",
                op.to_uppercase()
            ))),
            "+" | "-" | "*" | "/" | "%" | "^" | "div" => {
                Err(CqlError::Unsupported(format!("arithmetic (`{op}`)")))
            }
            o if o.starts_with("t_") => Err(CqlError::Unsupported(format!(
                "{} (the layers have no temporal properties)",
                o.to_uppercase()
            ))),
            o if o.starts_with("a_") => Err(CqlError::Unsupported(format!(
                "{} (array functions)",
                o.to_uppercase()
            ))),
            o => Err(CqlError::Unsupported(format!("the function `{o}`"))),
        }
    }

    fn property(&self, name: &str) -> Result<Operand, CqlError> {
        if name == Queryables::GEOMETRY {
            return Err(CqlError::Invalid(format!(
                "`{name}` can only be used in a spatial function such as S_INTERSECTS({name}, …)"
            )));
        }
        if self.queryables.get(name).is_none() {
            return Err(CqlError::UnknownProperty {
                name: name.to_string(),
                known: self.queryables.names(),
            });
        }
        Ok(Operand::Property(name.to_string()))
    }

    fn operand(&self, expr: &Expr) -> Result<Operand, CqlError> {
        Ok(Operand::Literal(match expr {
            Expr::Property { property } => return self.property(property),
            Expr::Float(x) => Scalar::Num(*x),
            Expr::Literal(s) => Scalar::Str(s.clone()),
            Expr::Bool(b) => Scalar::Bool(*b),
            Expr::Null => Scalar::Null,
            // Instants and days compare as their ISO 8601 text.
            Expr::Date { date: inner } | Expr::Timestamp { timestamp: inner } => {
                match inner.as_ref() {
                    Expr::Literal(s) => Scalar::Str(s.clone()),
                    other => {
                        return Err(CqlError::Invalid(format!(
                            "a date needs a literal, not {}",
                            describe(other)
                        )))
                    }
                }
            }
            Expr::Geometry(_) | Expr::BBox { .. } => {
                return Err(CqlError::Invalid(
                    "a geometry can only be used in a spatial function such as S_INTERSECTS(geometry, …)"
                        .into(),
                ))
            }
            Expr::Operation { op, .. } => {
                return match op.as_str() {
                    "casei" | "accenti" => Err(CqlError::Unsupported(format!(
                        "{} (insensitive comparison)",
                        op.to_uppercase()
                    ))),
                    "+" | "-" | "*" | "/" | "%" | "^" | "div" => {
                        Err(CqlError::Unsupported(format!("arithmetic (`{op}`)")))
                    }
                    _ => Err(CqlError::Invalid(format!(
                        "`{op}` cannot be compared; compare a property with a value"
                    ))),
                }
            }
            other => {
                return Err(CqlError::Invalid(format!(
                    "{} cannot be compared",
                    describe(other)
                )))
            }
        }))
    }

    /// A numeric property compared with text, or a text property with a
    /// number, is a mistake worth naming rather than an empty answer.
    fn check_types(&self, a: &Operand, b: &Operand, op: &str) -> Result<(), CqlError> {
        let check = |p: &Operand, l: &Operand| -> Result<(), CqlError> {
            let (Operand::Property(name), Operand::Literal(lit)) = (p, l) else {
                return Ok(());
            };
            let Some(t) = self.queryables.get(name) else {
                return Ok(());
            };
            let fits = match lit {
                Scalar::Null => true,
                Scalar::Str(_) => matches!(t, QueryableType::String | QueryableType::Mixed),
                Scalar::Num(_) => t.is_numeric() || t == QueryableType::Mixed,
                Scalar::Bool(_) => matches!(t, QueryableType::Boolean | QueryableType::Mixed),
            };
            if fits {
                return Ok(());
            }
            let what = match t {
                QueryableType::Integer | QueryableType::Number => "a number",
                QueryableType::Boolean => "true or false",
                _ => "text",
            };
            let hint = match (lit, op) {
                (_, "like") => format!("LIKE needs text; `{name}` is {what}"),
                (Scalar::Str(s), _) => {
                    format!("`{name}` is {what}; compare it with {what}, not the text '{s}'")
                }
                (Scalar::Num(x), _) => {
                    format!("`{name}` is {what}; compare it with {what}, not the number {x}")
                }
                (Scalar::Bool(x), _) => format!("`{name}` is {what}, not {x}"),
                (Scalar::Null, _) => String::new(),
            };
            Err(CqlError::Invalid(hint))
        };
        check(a, b)?;
        check(b, a)
    }

    fn spatial(&self, op: SpatialOp, name: &str, a: &Expr, b: &Expr) -> Result<Node, CqlError> {
        let is_geometry_property = |e: &Expr| -> Result<bool, CqlError> {
            match e {
                Expr::Property { property } if property == Queryables::GEOMETRY => Ok(true),
                Expr::Property { property } => Err(match self.queryables.get(property) {
                    Some(_) => CqlError::Invalid(format!(
                        "{} compares geometries; `{property}` is not one (the geometry is `{}`)",
                        name.to_uppercase(),
                        Queryables::GEOMETRY
                    )),
                    None => CqlError::UnknownProperty {
                        name: property.clone(),
                        known: self.queryables.names(),
                    },
                }),
                _ => Ok(false),
            }
        };
        let (op, literal) = match (is_geometry_property(a)?, is_geometry_property(b)?) {
            (true, false) => (op, b),
            (false, true) => (op.converse(), a),
            _ => {
                return Err(CqlError::Unsupported(format!(
                    "{} without exactly one `{}` property and one geometry literal",
                    name.to_uppercase(),
                    Queryables::GEOMETRY
                )))
            }
        };
        let (geometry, bbox) = geometry_literal(literal)?;
        Ok(Node::Spatial(Spatial { op, geometry, bbox }))
    }
}

/// A short description of an expression, for messages.
pub(super) fn describe(expr: &Expr) -> String {
    match expr {
        Expr::Property { property } => format!("the property `{property}`"),
        Expr::Float(x) => format!("the number {x}"),
        Expr::Literal(s) => format!("the text '{s}'"),
        Expr::Bool(b) => format!("{b}"),
        Expr::Null => "NULL".into(),
        Expr::Array(_) => "a list".into(),
        Expr::Geometry(_) | Expr::BBox { .. } => "a geometry".into(),
        Expr::Operation { op, .. } => format!("`{op}(…)`"),
        Expr::Date { .. } | Expr::Timestamp { .. } | Expr::Interval { .. } => {
            "a date or time".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pest_errors_fold_to_one_line() {
        let raw = " --> 1:5\n  |\n1 | a = \n  |     ^---\n  |\n  = expected GEOMETRY, Identifier";
        assert_eq!(
            text_error(raw),
            "at line 1, column 5: expected GEOMETRY, Identifier"
        );
    }

    #[test]
    fn languages() {
        assert_eq!(FilterLang::from_param("cql-text"), Ok(FilterLang::Cql2Text));
        assert_eq!(
            FilterLang::from_param("cql2-json"),
            Ok(FilterLang::Cql2Json)
        );
        assert!(FilterLang::from_param("ecql").is_err());
    }
}
