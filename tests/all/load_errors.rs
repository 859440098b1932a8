//! Bad data is rejected with a message that names the file, the feature and
//! the problem — one test per kind of problem.

use crate::util::{collection, feature, square, Scratch};
use shanshui::Catalog;

fn assert_mentions(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "message lacks {p:?}:\n{msg}");
    }
}

#[test]
fn good_scratch_data_loads() {
    let s = Scratch::one_layer(
        "polygon",
        &collection(&[feature("a", &square(117.0, 40.0, 0.1))]),
    );
    let c = Catalog::load(s.path()).unwrap();
    assert_eq!(c.layer("l").unwrap().len(), 1);
}

#[test]
fn malformed_json_names_file_and_line() {
    let s = Scratch::one_layer(
        "polygon",
        "{\"type\": \"FeatureCollection\",\n \"features\": [ }",
    );
    let msg = s.error();
    assert_mentions(&msg, &["l.geojson", "malformed JSON", "line 2"]);
}

#[test]
fn not_a_feature_collection() {
    let s = Scratch::one_layer("polygon", &square(117.0, 40.0, 0.1));
    assert_mentions(
        &s.error(),
        &[
            "l.geojson",
            "not a GeoJSON FeatureCollection",
            "\"Polygon\"",
        ],
    );
}

#[test]
fn geometry_kind_the_layer_does_not_allow() {
    let point = r#"{"type":"Point","coordinates":[117.0,40.0]}"#;
    let s = Scratch::one_layer(
        "polygon",
        &collection(&[
            feature("ok", &square(117.0, 40.0, 0.1)),
            feature("p", point),
        ]),
    );
    assert_mentions(
        &s.error(),
        &[
            "l.geojson",
            "feature #1 (id \"p\")",
            "Point geometry",
            "Polygon or MultiPolygon",
        ],
    );
}

#[test]
fn projected_coordinates_are_called_projected() {
    let utm = r#"{"type":"Point","coordinates":[448251.3,4481034.9]}"#;
    let s = Scratch::one_layer("point", &collection(&[feature("v", utm)]));
    assert_mentions(
        &s.error(),
        &[
            "feature #0 (id \"v\")",
            "outside the longitude/latitude range",
            "looks projected",
            "EPSG:4326",
        ],
    );
}

#[test]
fn swapped_coordinates_are_called_swapped() {
    let swapped = r#"{"type":"Point","coordinates":[40.4,117.0]}"#;
    let s = Scratch::one_layer("point", &collection(&[feature("v", swapped)]));
    assert_mentions(&s.error(), &["look swapped"]);
}

#[test]
fn unclosed_ring() {
    let open =
        r#"{"type":"Polygon","coordinates":[[[117,40],[117.1,40],[117.1,40.1],[117,40.1]]]}"#;
    let s = Scratch::one_layer("polygon", &collection(&[feature("z", open)]));
    assert_mentions(
        &s.error(),
        &[
            "feature #0 (id \"z\")",
            "exterior ring is not closed",
            "starts at [117, 40]",
            "ends at [117, 40.1]",
        ],
    );
}

#[test]
fn ring_with_too_few_positions() {
    let tiny = r#"{"type":"Polygon","coordinates":[[[117,40],[117.1,40],[117,40]]]}"#;
    let s = Scratch::one_layer("polygon", &collection(&[feature("z", tiny)]));
    assert_mentions(
        &s.error(),
        &["exterior ring is degenerate", "has 3 positions"],
    );
}

#[test]
fn ring_with_no_area() {
    let flat = r#"{"type":"Polygon","coordinates":[[[117,40],[117.1,40],[117.2,40],[117,40]]]}"#;
    let s = Scratch::one_layer("polygon", &collection(&[feature("z", flat)]));
    assert_mentions(
        &s.error(),
        &["exterior ring is degenerate", "encloses no area"],
    );
}

#[test]
fn self_intersecting_polygon() {
    let bowtie = r#"{"type":"Polygon","coordinates":[[[117,40],[117.1,40.1],[117.1,40],[117,40.1],[117,40]]]}"#;
    let s = Scratch::one_layer("polygon", &collection(&[feature("bow", bowtie)]));
    assert_mentions(
        &s.error(),
        &[
            "feature #0 (id \"bow\")",
            "invalid polygon",
            "self-intersection",
        ],
    );
}

#[test]
fn degenerate_line() {
    let line = r#"{"type":"LineString","coordinates":[[117,40],[117,40]]}"#;
    let s = Scratch::one_layer("line", &collection(&[feature("r", line)]));
    assert_mentions(
        &s.error(),
        &["feature #0 (id \"r\")", "fewer than two distinct positions"],
    );
}

#[test]
fn duplicate_ids() {
    let s = Scratch::one_layer(
        "polygon",
        &collection(&[
            feature("a", &square(117.0, 40.0, 0.1)),
            feature("b", &square(117.2, 40.0, 0.1)),
            feature("a", &square(117.4, 40.0, 0.1)),
        ]),
    );
    assert_mentions(
        &s.error(),
        &["feature #2 (id \"a\")", "also used by feature #0"],
    );
}

#[test]
fn missing_id() {
    let f = format!(
        r#"{{"type":"Feature","properties":{{}},"geometry":{}}}"#,
        square(117.0, 40.0, 0.1)
    );
    let s = Scratch::one_layer("polygon", &collection(&[f]));
    assert_mentions(&s.error(), &["feature #0", "has no id", "property `id`"]);
}

#[test]
fn missing_file_named_by_the_manifest() {
    let s = Scratch::one_layer("polygon", &collection(&[]));
    std::fs::remove_file(s.path().join("l.geojson")).unwrap();
    assert_mentions(
        &s.error(),
        &[
            "l.geojson",
            "layer `l` names this file, but it does not exist",
        ],
    );
}

#[test]
fn missing_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let msg = Catalog::load(dir.path()).unwrap_err().to_string();
    assert_mentions(&msg, &["layers.toml", "cannot read the manifest"]);
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let open =
        r#"{"type":"Polygon","coordinates":[[[117,40],[117.1,40],[117.1,40.1],[117,40.1]]]}"#;
    let utm = r#"{"type":"Polygon","coordinates":[[[448251,4481034],[448351,4481034],[448351,4481134],[448251,4481034]]]}"#;
    let s = Scratch::one_layer(
        "polygon",
        &collection(&[
            feature("a", open),
            feature("b", &square(117.0, 40.0, 0.1)),
            feature("c", utm),
        ]),
    );
    let msg = s.error();
    assert_mentions(&msg, &["2 problems", "(id \"a\")", "(id \"c\")"]);
    assert!(!msg.contains("(id \"b\")"), "{msg}");
}

#[test]
fn the_files_are_never_touched() {
    let text = collection(&[feature("a", r#"{"type":"Point","coordinates":[1e6,1e6]}"#)]);
    let s = Scratch::one_layer("point", &text);
    let _ = s.error();
    assert_eq!(
        std::fs::read_to_string(s.path().join("l.geojson")).unwrap(),
        text
    );
}

#[test]
fn features_that_are_not_an_array_and_tops_that_are_not_objects() {
    for (text, says) in [
        (
            r#"{"type":"FeatureCollection","features":{"a":1}}"#,
            "`features` must be an array",
        ),
        (
            r#"{"features":[],"type":"FeatureCollection","name":"l"} x"#,
            "malformed JSON",
        ),
        (r#"[{"type":"Feature"}]"#, "top-level `type` is missing"),
        (r#""FeatureCollection""#, "top-level `type` is missing"),
    ] {
        let s = Scratch::one_layer("polygon", text);
        assert_mentions(&s.error(), &["l.geojson", says]);
    }
}

#[test]
fn a_wrong_top_level_type_is_the_one_problem_reported() {
    // The features stream past before `type` is read; their own problems
    // are not reported once the file is not a FeatureCollection at all.
    let s = Scratch::one_layer(
        "polygon",
        r#"{"features":[{"type":"Feature","properties":{},"geometry":null}],"type":"GeometryCollection"}"#,
    );
    let msg = s.error();
    assert_mentions(
        &msg,
        &["not a GeoJSON FeatureCollection", "\"GeometryCollection\""],
    );
    assert!(!msg.contains("geometry"), "{msg}");
}
