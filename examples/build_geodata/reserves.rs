//! The three municipal nature reserves: lobed outlines at their known
//! setting, clipped to the district, kept off the water and off each other,
//! and scaled until their geodesic area matches the official figure.

use anyhow::{bail, Result};
use geo::{BooleanOps, MultiPolygon};

use crate::feature::{Accuracy, Feature};
use crate::frame::Frame;
use crate::places::{ReserveSpec, RESERVES, RESERVE_AREA_TOLERANCE};
use crate::shapes::{area_ha, minus_all, tidy_mp, Lobed};
use crate::sources::Sources;
use crate::zones::Zones;

/// Vertices of the unclipped outline.
const OUTLINE_VERTICES: usize = 120;

/// A built reserve.
pub struct Reserve {
    pub spec: &'static ReserveSpec,
    pub shape: MultiPolygon,
    pub area_ha: f64,
    pub official_ha: f64,
}

/// Build the reserves in the order of [`RESERVES`].
pub fn build(src: &Sources, frame: &Frame, zones: &Zones) -> Result<Vec<Reserve>> {
    let mut built: Vec<Reserve> = Vec::new();
    for spec in RESERVES {
        let facts = src.reserve(spec.facts_prefix)?;
        let target = facts.area_ha;
        // Radius of a circle of the official area, as the starting scale.
        let r0 = (target * 10_000.0 / std::f64::consts::PI).sqrt();
        let lobed = Lobed {
            centre: spec.centre,
            radius_m: r0,
            aspect: spec.aspect,
            rotation_deg: spec.rotation_deg,
            lobes: spec.lobes,
        };
        let others: Vec<&MultiPolygon> = built.iter().map(|r| &r.shape).collect();
        let shape_at = |scale: f64| -> MultiPolygon {
            let raw = MultiPolygon(vec![lobed.polygon(frame, scale, OUTLINE_VERTICES)]);
            let clipped = raw.intersection(&zones.district);
            let mut cut = vec![&zones.reservoir];
            cut.extend(others.iter().copied());
            tidy_mp(&minus_all(&clipped, &cut))
        };
        // Bracket the scale, then bisect on the geodesic area.
        let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
        while area_ha(&shape_at(hi)) < target {
            hi *= 1.5;
            if hi > 10.0 {
                bail!("{}: cannot reach {target} ha inside the district", spec.id);
            }
        }
        let mut best = shape_at(hi);
        for _ in 0..80 {
            let mid = 0.5 * (lo + hi);
            let shape = shape_at(mid);
            let a = area_ha(&shape);
            if (a / target - 1.0).abs() <= RESERVE_AREA_TOLERANCE {
                best = shape;
                break;
            }
            if a < target {
                lo = mid;
            } else {
                hi = mid;
                best = shape;
            }
        }
        let area = area_ha(&best);
        built.push(Reserve {
            spec,
            shape: best,
            area_ha: area,
            official_ha: target,
        });
    }
    Ok(built)
}

/// The `nature_reserves` layer.
pub fn features(src: &Sources, reserves: &[Reserve]) -> Result<Vec<Feature>> {
    reserves
        .iter()
        .map(|r| {
            let facts = src.reserve(r.spec.facts_prefix)?;
            let note = format!(
                "Outline is NOT the legal boundary (none is published). Drawn by examples/build_geodata \
                 as a smooth lobed shape (constant RESERVES, id {}) centred in its known setting: {}; \
                 clipped to the district, kept off the reservoir and the other reserves, and scaled until \
                 its geodesic area ({:.1} ha) is within {}% of the official {} ha.",
                r.spec.id,
                r.spec.setting,
                r.area_ha,
                RESERVE_AREA_TOLERANCE * 100.0,
                r.official_ha
            );
            let name_zh = facts.name_zh.replace(" (北京部分)", "（北京部分）");
            Ok(Feature::new(
                r.shape.clone(),
                r.spec.id,
                &name_zh,
                &facts.name_en,
                "official figures: sources/miyun_reserves_reservoir_facts.json (Beijing municipal \
                 nature-reserve list); outline drawn by examples/build_geodata",
                Accuracy::Illustrative,
                &note,
            )
            .with("area_ha", r.official_ha)
            .with("level", "municipal")
            .with("established", facts.established.as_str())
            .with("approval", facts.approval.as_str())
            .with("protects", facts.protects.as_str())
            .with("type", facts.kind.as_str()))
        })
        .collect()
}
