//! The planner's question on the bundled data — "which projects fall inside
//! reservoir protection zone one?" — with the answer written down, and why
//! each project is in or out.

use crate::util::bundled;
use geo::{BooleanOps, Geometry, MultiPolygon};
use shanshui::query::{self, geodesic, Overlap, Relation, Target};

fn zone_one() -> Target {
    Target::parse(bundled(), "reservoir_zones/zone-1").unwrap()
}

fn answer(partly: bool) -> Vec<(String, Relation)> {
    query::within(bundled(), "projects", &zone_one(), partly)
        .unwrap()
        .into_iter()
        .map(|h| (h.feature.id.to_string(), h.relation.unwrap()))
        .collect()
}

/// Wholly inside zone one (the reservoir and a ~1 km band around it).
const INSIDE: &[&str] = &[
    // On land just below the Baihe main dam, inside the band.
    "p-reservoir-monitoring-platform",
    // The zone-one village sewage works sit at the village points that the
    // generator found inside the band: Beibaiyan, Xiwengzhuang, Jianyan,
    // Dongyingzi, and two Huanggezhuang committees (of different towns)
    // whose source points coincide.
    "p-sewage-110118101200",
    "p-sewage-110118101201",
    "p-sewage-110118101205",
    "p-sewage-110118101213",
    "p-sewage-110118105219",
    "p-sewage-110118107200",
];

/// Crossing zone one's edge.
const PARTLY: &[&str] = &[
    // The south-shore afforestation reaches from the band south into the
    // hills beyond it.
    "p-afforestation-south-shore",
    // National Road 101 skirts the Chao arm's east shore for a stretch,
    // then runs on through Miyun town and north to Gubeikou.
    "p-g101-greening",
    // The inlet wetlands cover the last 2.6 km of each river: the lower end
    // lies in the band, the upper end beyond it.
    "p-wetland-inlet-bai",
    "p-wetland-inlet-chao",
];

#[test]
fn projects_wholly_inside_zone_one() {
    let got: Vec<(String, Relation)> = answer(false);
    let want: Vec<(String, Relation)> = INSIDE
        .iter()
        .map(|id| (id.to_string(), Relation::Inside))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn projects_inside_or_crossing_zone_one() {
    let mut want: Vec<(String, Relation)> = INSIDE
        .iter()
        .map(|id| (id.to_string(), Relation::Inside))
        .collect();
    want.extend(PARTLY.iter().map(|id| (id.to_string(), Relation::Partly)));
    assert_eq!(answer(true), want);
}

#[test]
fn near_misses_stay_out() {
    // In zone two, within 2 km of zone one, but not in it: Jinpoluo's rural
    // complex (1.8 km south), Sunshine Valley (1.9 km south), and the
    // Bulaotun elderly-care station at the town seat north of the water.
    let ids: Vec<String> = answer(true).into_iter().map(|(id, _)| id).collect();
    for out in [
        "p-jinpoluo-complex",
        "p-sunshine-valley",
        "p-elderly-station-bulaotun",
    ] {
        assert!(
            !ids.contains(&out.to_string()),
            "{out} should be outside zone one"
        );
        let near = query::near(bundled(), "projects", &zone_one(), 4_000.0).unwrap();
        let d = near
            .iter()
            .find(|h| h.feature.id == out)
            .and_then(|h| h.distance_m)
            .unwrap_or_else(|| panic!("{out} is within 4 km"));
        assert!(d > 0.0 && d < 4_000.0, "{out}: {d}");
    }
}

#[test]
fn most_projects_lie_outside() {
    let total = bundled().layer("projects").unwrap().len();
    assert!(
        answer(true).len() * 3 < total,
        "{} of {total}",
        answer(true).len()
    );
}

#[test]
fn overlaps_add_up_with_what_lies_outside() {
    // For each polygon that crosses the edge, the part inside (as reported)
    // plus the part outside (computed here by difference) is the whole.
    let zone = match &zone_one().geometry {
        Geometry::Polygon(p) => MultiPolygon::new(vec![p.clone()]),
        Geometry::MultiPolygon(mp) => mp.clone(),
        other => panic!("zone one is a {other:?}"),
    };
    for hit in query::within(bundled(), "projects", &zone_one(), true).unwrap() {
        if let (Some(Overlap::Area { ha, fraction }), Geometry::Polygon(p)) =
            (hit.overlap, &hit.feature.geometry)
        {
            let outside = geodesic::area_m2(&Geometry::MultiPolygon(p.difference(&zone))) / 1e4;
            let whole = geodesic::area_m2(&hit.feature.geometry) / 1e4;
            assert!(
                (ha + outside - whole).abs() < 0.01,
                "{}: {ha} + {outside} != {whole}",
                hit.feature.id
            );
            assert!((fraction - ha / whole).abs() < 1e-9);
            assert!(fraction > 0.0 && fraction < 1.0, "{}", hit.feature.id);
        }
    }
}

#[test]
fn the_rules_at_a_plot_on_the_north_shore() {
    // A point inside zone one but on land: zone one and the district apply,
    // the reservoir does not, zone two (which excludes zone one) does not.
    let sewage = bundled()
        .layer("projects")
        .unwrap()
        .feature("p-sewage-110118101213")
        .unwrap();
    let Geometry::Point(p) = sewage.geometry else {
        panic!()
    };
    let hits = query::at(bundled(), p.x(), p.y(), &[], 0.0).unwrap();
    let found: Vec<(String, String)> = hits
        .iter()
        .map(|h| (h.layer.id().to_string(), h.feature.id.to_string()))
        .collect();
    assert!(found.iter().any(|(l, _)| l == "district"), "{found:?}");
    assert!(
        found.contains(&("reservoir_zones".into(), "zone-1".into())),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|(l, id)| l == "reservoir_zones" && id == "zone-2"),
        "{found:?}"
    );
    assert!(!found.iter().any(|(l, _)| l == "reservoir"), "{found:?}");
    assert!(
        found.contains(&("projects".into(), "p-sewage-110118101213".into())),
        "{found:?}"
    );
}
