//! Live reload through the HTTP surface: a watched folder's good edits are
//! picked up, broken ones leave the last good data serving and show at
//! `/health`, and no tile answers from a mix of two versions.

use crate::util::{collection, feature, square, Scratch};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use shanshui::http::{app, AppState, ServerConfig};
use shanshui::reload::LiveCatalog;
use shanshui::tile::TileOptions;
use shanshui::Catalog;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

async fn get(router: &Router, path: &str) -> (StatusCode, Option<String>, Vec<u8>) {
    let res = router
        .clone()
        .oneshot(Request::builder().uri(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let etag = res
        .headers()
        .get(header::ETAG)
        .map(|v| v.to_str().unwrap().to_string());
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, etag, body)
}

async fn json(router: &Router, path: &str) -> Value {
    let (status, _, body) = get(router, path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    serde_json::from_slice(&body).unwrap()
}

fn squares(n: usize) -> String {
    collection(
        &(0..n)
            .map(|i| feature(&format!("f{i}"), &square(116.0 + i as f64 * 0.2, 40.0, 0.1)))
            .collect::<Vec<_>>(),
    )
}

fn served(scratch: &Scratch) -> (Arc<LiveCatalog>, Router) {
    crate::util::serve_folder(scratch.path())
}

/// Polls `/health` until `done` holds of it (a bounded wait for the
/// watcher, not a timing assertion: the bound is generous).
async fn health_until(router: &Router, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let h = json(router, "/health").await;
        if done(&h) {
            return h;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "waited 30 s for {what}: {h}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn watched_edits_are_picked_up_and_broken_ones_refused() {
    let scratch = Scratch::one_layer("polygon", &squares(1));
    let (live, router) = served(&scratch);
    let _watch = live.watch(Duration::from_millis(50)).unwrap();
    let first = json(&router, "/health").await;
    assert_eq!(first["status"], "ok");
    assert_eq!(first["features"], 1);
    assert!(first["last_reload_error"].is_null());

    // A good edit, written the way editors do: truncate, write in parts.
    let file = scratch.path().join("l.geojson");
    let text = squares(3);
    std::fs::write(&file, "").unwrap();
    std::fs::write(&file, &text[..text.len() / 2]).unwrap();
    std::fs::write(&file, &text).unwrap();
    let h = health_until(&router, "the good edit", |h| h["features"] == 3).await;
    assert_eq!(h["status"], "ok");
    assert_ne!(h["version"], first["version"]);
    let items = json(&router, "/collections/l/items").await;
    assert_eq!(items["numberMatched"], 3);
    let good = h["version"].clone();

    // A broken edit: invalid JSON. The old data goes on serving.
    std::fs::write(&file, "{\"type\":\"FeatureCollection\",\"features\":[").unwrap();
    let h = health_until(&router, "the refusal", |h| h["status"] == "degraded").await;
    assert_eq!(h["version"], good);
    assert_eq!(h["features"], 3);
    let message = h["last_reload_error"]["message"].as_str().unwrap();
    assert!(message.contains("l.geojson"), "{message}");
    assert!(h["last_reload_error"]["at"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    assert_eq!(
        json(&router, "/collections/l/items").await["numberMatched"],
        3
    );

    // An invalid geometry (a self-intersecting ring): refused the same way.
    let bow = r#"{"type":"Polygon","coordinates":[[[116,40],[116.1,40.1],[116.1,40],[116,40.1],[116,40]]]}"#;
    std::fs::write(&file, collection(&[feature("bow", bow)])).unwrap();
    let h = health_until(&router, "the second refusal", |h| {
        h["reload_failures"].as_u64().unwrap() >= 2
    })
    .await;
    assert_eq!(h["version"], good);

    // A bad manifest: refused too.
    let manifest = scratch.path().join("layers.toml");
    let toml = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        toml.replace("geometry = \"polygon\"", "geometry = \"blob\""),
    )
    .unwrap();
    let h = health_until(&router, "the manifest refusal", |h| {
        h["last_reload_error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("layers.toml"))
    })
    .await;
    assert_eq!(h["version"], good);

    // Fixed, by a rename over the file as many editors save: picked up.
    std::fs::write(&manifest, &toml).unwrap();
    let tmp = scratch.path().join("l.geojson.tmp");
    std::fs::write(&tmp, squares(5)).unwrap();
    std::fs::rename(&tmp, &file).unwrap();
    let h = health_until(&router, "the fix", |h| h["features"] == 5).await;
    assert_eq!(h["status"], "ok");
    assert_eq!(
        json(&router, "/collections/l/items").await["numberMatched"],
        5
    );
}

#[tokio::test]
async fn a_missing_file_is_refused_and_the_old_data_kept() {
    let scratch = Scratch::one_layer("polygon", &squares(2));
    let (live, router) = served(&scratch);
    let good = json(&router, "/health").await["version"].clone();
    std::fs::remove_file(scratch.path().join("l.geojson")).unwrap();
    let err = live.reload().unwrap_err().to_string();
    assert!(err.contains("l.geojson"), "{err}");
    let h = json(&router, "/health").await;
    assert_eq!(
        (h["version"].clone(), h["status"].clone()),
        (good, "degraded".into())
    );
    assert_eq!(
        json(&router, "/collections/l/items").await["numberMatched"],
        2
    );
}

/// Tiles requested while the data flips between two versions: each answer
/// is one version's tile, whole, with that version's tag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_tile_mixes_two_versions() {
    let first = Catalog::load(Scratch::one_layer("polygon", &squares(2)).path()).unwrap();
    let tile = "/tiles/6/52/24.mvt";
    let state = AppState::new(
        first,
        ServerConfig::default(),
        TileOptions::default(),
        16 << 20,
    );
    // Each version's whole tile, by its tag.
    let mut want = std::collections::HashMap::new();
    let router = app(state.clone());
    for n in [2, 4, 2] {
        let c = Catalog::load(Scratch::one_layer("polygon", &squares(n)).path()).unwrap();
        state.replace_catalog(c);
        let (status, etag, body) = get(&router, tile).await;
        assert_eq!(status, StatusCode::OK);
        want.insert(etag.unwrap(), body);
    }
    assert_eq!(want.len(), 2, "two versions, two tiles");

    let flipper = {
        let state = state.clone();
        std::thread::spawn(move || {
            for i in 0..200 {
                let n = if i % 2 == 0 { 4 } else { 2 };
                let scratch = Scratch::one_layer("polygon", &squares(n));
                state.replace_catalog(Catalog::load(scratch.path()).unwrap());
            }
        })
    };
    let mut seen = 0;
    while !flipper.is_finished() || seen < 50 {
        let (status, etag, body) = get(&router, tile).await;
        assert_eq!(status, StatusCode::OK);
        let etag = etag.unwrap();
        assert_eq!(
            want.get(&etag),
            Some(&body),
            "tile {etag} is not one version's whole tile"
        );
        seen += 1;
    }
    flipper.join().unwrap();
}
