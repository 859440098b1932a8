//! The rules a layer's properties keep (`[layers.fields]` in the
//! manifest): each field's type, whether it must be there, the values it
//! may take and its range. Checked for every feature of the file when it
//! loads and for every edit, so that the two can never disagree.

use super::error::ProblemKind;
use super::properties::{PropValue, Properties};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The type a field's values have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// A string.
    String,
    /// Any number.
    Number,
    /// A whole number.
    Integer,
    /// `true` or `false`.
    Boolean,
}

impl std::fmt::Display for FieldType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FieldType::String => "a string",
            FieldType::Number => "a number",
            FieldType::Integer => "a whole number",
            FieldType::Boolean => "true or false",
        })
    }
}

/// One field's rule.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct FieldRule {
    /// The values' type.
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// Whether every feature must have it (and not `null`).
    #[serde(default)]
    pub required: bool,
    /// The only values a string field may take, when given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub one_of: Vec<String>,
    /// The least value of a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The greatest value of a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// What the field holds, for people (the API's schema shows it).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

impl FieldRule {
    /// Whether the rule itself makes sense; says why not.
    pub fn check_rule(&self) -> Result<(), String> {
        let numeric = matches!(self.kind, FieldType::Number | FieldType::Integer);
        if !self.one_of.is_empty() && self.kind != FieldType::String {
            return Err("`one_of` lists strings, so `type` must be \"string\"".into());
        }
        if (self.min.is_some() || self.max.is_some()) && !numeric {
            return Err(
                "`min` and `max` bound numbers: `type` must be \"number\" or \"integer\"".into(),
            );
        }
        if let (Some(lo), Some(hi)) = (self.min, self.max) {
            if lo > hi {
                return Err(format!("`min` {lo} is above `max` {hi}"));
            }
        }
        Ok(())
    }

    /// Why `value` breaks the rule, if it does.
    fn breach(&self, value: &PropValue) -> Option<String> {
        let kind_ok = match (self.kind, value) {
            (FieldType::String, PropValue::Text(_)) => true,
            (FieldType::Number, v) => v.as_f64().is_some(),
            (FieldType::Integer, PropValue::Int(_) | PropValue::UInt(_)) => true,
            (FieldType::Integer, PropValue::Float(f)) => f.fract() == 0.0,
            (FieldType::Boolean, PropValue::Bool(_)) => true,
            _ => false,
        };
        if !kind_ok {
            return Some(format!("is {value}, but must be {}", self.kind));
        }
        if let (Some(text), false) = (value.as_str(), self.one_of.is_empty()) {
            if !self.one_of.iter().any(|v| v == text) {
                return Some(format!(
                    "is \"{text}\", which is not one of the layer's values: {}",
                    self.one_of.join(", ")
                ));
            }
        }
        if let Some(v) = value.as_f64() {
            match (self.min, self.max) {
                (Some(lo), _) if v < lo => return Some(out_of(v, self.min, self.max)),
                (_, Some(hi)) if v > hi => return Some(out_of(v, self.min, self.max)),
                _ => {}
            }
        }
        None
    }
}

fn out_of(v: f64, lo: Option<f64>, hi: Option<f64>) -> String {
    match (lo, hi) {
        (Some(lo), Some(hi)) => format!("is {v}, outside {lo} to {hi}"),
        (Some(lo), None) => format!("is {v}, below the least value {lo}"),
        (_, Some(hi)) => format!("is {v}, above the greatest value {hi}"),
        (None, None) => format!("is {v}"),
    }
}

/// Every way `properties` break `fields`, one problem a field.
pub fn check(fields: &BTreeMap<String, FieldRule>, properties: &Properties) -> Vec<ProblemKind> {
    let mut problems = Vec::new();
    for (name, rule) in fields {
        let why = match properties.get(name) {
            None | Some(PropValue::Null) if rule.required => Some(format!(
                "is missing, and every feature of the layer needs it ({})",
                rule.kind
            )),
            None | Some(PropValue::Null) => None,
            Some(value) => rule.breach(value),
        };
        if let Some(why) = why {
            problems.push(ProblemKind::Field {
                name: name.clone(),
                why,
            });
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> BTreeMap<String, FieldRule> {
        toml::from_str(
            r#"
status = { type = "string", required = true, one_of = ["planned", "completed"] }
progress = { type = "number", min = 0, max = 100 }
start_year = { type = "integer" }
"#,
        )
        .unwrap()
    }

    fn props(json: serde_json::Value) -> Properties {
        let serde_json::Value::Object(map) = json else {
            panic!("an object")
        };
        Properties::from(map)
    }

    fn problems(json: serde_json::Value) -> Vec<String> {
        check(&rules(), &props(json))
            .into_iter()
            .map(|p| p.to_string())
            .collect()
    }

    #[test]
    fn good_properties_pass() {
        let p = serde_json::json!({"status": "planned", "progress": 40.5, "start_year": 2021, "other": [1]});
        assert_eq!(problems(p), Vec::<String>::new());
        // Optional fields may be missing or null.
        assert!(problems(serde_json::json!({"status": "completed", "progress": null})).is_empty());
    }

    #[test]
    fn each_breach_names_its_field_and_what_is_allowed() {
        let p = problems(serde_json::json!({"progress": 140, "start_year": 2021.5}));
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(
            p[0].contains("`progress`") && p[0].contains("outside 0 to 100"),
            "{p:?}"
        );
        assert!(
            p[1].contains("`start_year`") && p[1].contains("whole number"),
            "{p:?}"
        );
        assert!(
            p[2].contains("`status`") && p[2].contains("missing"),
            "{p:?}"
        );
        let p = problems(serde_json::json!({"status": "done", "progress": "half"}));
        assert!(
            p[0].contains("`progress`") && p[0].contains("must be a number"),
            "{p:?}"
        );
        assert!(
            p[1].contains("\"done\"") && p[1].contains("planned, completed"),
            "{p:?}"
        );
        let p = problems(serde_json::json!({"status": "planned", "progress": -1}));
        assert_eq!(p.len(), 1, "{p:?}");
    }

    #[test]
    fn a_rule_that_cannot_hold_is_refused() {
        let bad: BTreeMap<String, FieldRule> = toml::from_str(
            "a = { type = \"number\", one_of = [\"x\"] }\nb = { type = \"string\", min = 1 }\nc = { type = \"number\", min = 5, max = 1 }",
        )
        .unwrap();
        for (name, rule) in &bad {
            assert!(rule.check_rule().is_err(), "{name}");
        }
        assert!(rules().values().all(|r| r.check_rule().is_ok()));
    }
}
