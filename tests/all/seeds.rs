//! The bundled data checked against the facts of the seed document
//! (`seeds/miyun.toml`): the reserves and their official areas, the four
//! tourism belts, every project the plan names, and honest provenance on
//! every feature.

use crate::util::bundled;
use shanshui::query::geodesic;
use std::collections::BTreeSet;
use toml::Value;

fn seeds() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/miyun.toml");
    toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn float(v: &Value) -> f64 {
    v.as_float()
        .or_else(|| v.as_integer().map(|i| i as f64))
        .unwrap()
}

#[test]
fn the_three_reserves_have_their_official_areas() {
    let s = seeds();
    let reserves = &s["nature_reserves"];
    let list = reserves["reserve"].as_array().unwrap();
    assert_eq!(list.len() as i64, reserves["count"].as_integer().unwrap());
    let layer = bundled().layer("nature_reserves").unwrap();
    assert_eq!(layer.len(), list.len());

    let mut sum = 0.0;
    for r in list {
        let id = r["id"].as_str().unwrap();
        let official = float(&r["area_ha"]);
        sum += official;
        let f = layer
            .feature(id)
            .unwrap_or_else(|| panic!("no reserve {id}"));
        let stated = f.properties["area_ha"].as_f64().unwrap();
        assert_eq!(stated, official, "{id}: area_ha property");
        let measured = geodesic::area_m2(&f.geometry) / 10_000.0;
        let err = (measured - official).abs() / official;
        assert!(
            err < 0.01,
            "{id}: geodesic {measured:.1} ha vs official {official} ha"
        );
    }
    // The seed's own figure: 10,773.4 ha in all.
    let total = float(&reserves["total_area_ha"]);
    assert_eq!(total, 10_773.4);
    assert!((sum - total).abs() < 1e-6, "{sum} vs {total}");
}

#[test]
fn four_tourism_belts_one_per_direction() {
    let s = seeds();
    let directions: Vec<&str> = s["tourism"]["belt_directions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        directions.len() as i64,
        s["tourism"]["belts"].as_integer().unwrap()
    );
    let layer = bundled().layer("tourism_belts").unwrap();
    assert_eq!(layer.len(), directions.len());
    for d in directions {
        let f = layer
            .feature(&format!("belt-{d}"))
            .unwrap_or_else(|| panic!("no belt-{d}"));
        assert!(
            geodesic::length_m(&f.geometry) > 10_000.0,
            "belt-{d} is too short"
        );
    }
}

#[test]
fn every_project_the_plan_names_is_in_the_projects_layer() {
    let s = seeds();
    let layer = bundled().layer("projects").unwrap();
    assert!(layer.len() >= 40, "{} projects", layer.len());
    let present: BTreeSet<&str> = layer
        .iter()
        .filter_map(|f| f.str_property("seed_key"))
        .collect();
    for p in s["named_projects"].as_array().unwrap() {
        let key = p["key"].as_str().unwrap();
        assert!(present.contains(key), "no project with seed_key {key}");
        let category = p["category"].as_str().unwrap();
        for f in layer
            .iter()
            .filter(|f| f.str_property("seed_key") == Some(key))
        {
            assert_eq!(f.str_property("category"), Some(category), "{}", f.id);
        }
    }
}

#[test]
fn projects_carry_the_plan_attributes() {
    let areas = ["economy", "politics", "culture", "society", "ecology"];
    let statuses = ["planned", "under_construction", "completed", "existing"];
    for f in bundled().layer("projects").unwrap().iter() {
        assert!(
            areas.contains(&f.str_property("category").unwrap_or("")),
            "{}",
            f.id
        );
        assert!(
            statuses.contains(&f.str_property("status").unwrap_or("")),
            "{}",
            f.id
        );
        assert!(
            f.str_property("lead_unit").is_some_and(|s| !s.is_empty()),
            "{}",
            f.id
        );
        let year = f
            .properties
            .get("start_year")
            .and_then(|v| v.as_i64())
            .unwrap_or(0);
        assert!((2000..=2035).contains(&year), "{}: start_year {year}", f.id);
    }
}

#[test]
fn all_village_points_and_the_seed_named_extras() {
    let layer = bundled().layer("villages").unwrap();
    let from_source = layer
        .iter()
        .filter(|f| f.str_property("accuracy") == Some("source"))
        .count();
    assert!(from_source >= 170, "{from_source} source points");
    for id in ["v-jinpoluo", "v-gubei-water-town", "v-ganyu-gully"] {
        let f = layer.feature(id).unwrap_or_else(|| panic!("no {id}"));
        assert_eq!(f.str_property("accuracy"), Some("approximate"), "{id}");
    }
}

#[test]
fn every_feature_says_where_it_came_from_and_how_exact_it_is() {
    for layer in bundled().layers() {
        for f in layer.iter() {
            let what = format!("{}/{}", layer.id(), f.id);
            assert!(
                f.str_property("source").is_some_and(|s| !s.is_empty()),
                "{what}: no source"
            );
            let accuracy = f.str_property("accuracy").unwrap_or("");
            assert!(
                ["source", "approximate", "illustrative"].contains(&accuracy),
                "{what}: accuracy {accuracy:?}"
            );
            if accuracy != "source" {
                assert!(
                    f.str_property("note").is_some_and(|s| !s.is_empty()),
                    "{what}: no note"
                );
            }
            assert!(
                f.str_property("name_zh").is_some() && f.str_property("name_en").is_some(),
                "{what}"
            );
        }
    }
    // What no public source has is never passed off as surveyed.
    for layer in ["reservoir_zones", "nature_reserves", "tourism_belts"] {
        for f in bundled().layer(layer).unwrap().iter() {
            assert_eq!(
                f.str_property("accuracy"),
                Some("illustrative"),
                "{layer}/{}",
                f.id
            );
        }
    }
    for f in bundled().layer("projects").unwrap().iter() {
        assert_ne!(
            f.str_property("accuracy"),
            Some("source"),
            "projects/{}",
            f.id
        );
    }
}
