//! Every limit on a request's work, hit through the router: each has a
//! default, a flag, and a clear answer when hit, while cheap requests go on
//! being answered.

use crate::util::fresh_state;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use shanshui::http::{app, defaults, ServerConfig};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower::ServiceExt;

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn message(&self) -> String {
        let v: Value = serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)));
        v["message"].as_str().unwrap().to_string()
    }
}

async fn call(router: &Router, method: Method, uri: &str, body: String) -> Reply {
    let res = router
        .clone()
        .oneshot(
            Request::builder()
                .method(method)
                .uri(uri)
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    Reply {
        status: res.status(),
        headers: res.headers().clone(),
        body: res.into_body().collect().await.unwrap().to_bytes().to_vec(),
    }
}

fn router(config: ServerConfig) -> Router {
    app(fresh_state(config))
}

#[test]
fn the_defaults_are_the_documented_ones() {
    let c = ServerConfig::default();
    assert_eq!(c.request_timeout, Some(Duration::from_secs(30)));
    assert_eq!(c.max_body_bytes, 4 << 20);
    assert_eq!(c.max_vertices, 100_000);
    assert_eq!(c.max_renders, defaults::max_renders());
    assert!(c.max_renders >= 2);
}

#[tokio::test]
async fn a_request_past_its_deadline_is_a_503_and_health_still_answers() {
    let r = router(ServerConfig {
        request_timeout: Some(Duration::ZERO),
        ..ServerConfig::default()
    });
    for uri in [
        "/tiles/0/0/0.mvt",
        "/query/near?layer=villages&lon=116.85&lat=40.4&distance=20000000",
        "/collections/villages/items?filter=name_en%20LIKE%20%27%25a%25%27",
    ] {
        let reply = call(&r, Method::GET, uri, String::new()).await;
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{uri}");
        assert!(reply.message().contains("--request-timeout"), "{uri}");
    }
    let health = call(&r, Method::GET, "/health", String::new()).await;
    assert_eq!(health.status, StatusCode::OK);
}

#[tokio::test]
async fn cold_tiles_past_the_render_cap_are_shed_and_cached_ones_served() {
    let state = fresh_state(ServerConfig {
        max_renders: 1,
        ..ServerConfig::default()
    });
    let r = app(state.clone());
    let cached = "/tiles/10/843/386.mvt";
    assert_eq!(
        call(&r, Method::GET, cached, String::new()).await.status,
        StatusCode::OK
    );
    // Someone else is rendering: the one slot is taken.
    let busy = state.tiles().renders().try_take().unwrap();
    let cold = call(&r, Method::GET, "/tiles/10/844/386.mvt", String::new()).await;
    assert_eq!(cold.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(cold.headers[header::RETRY_AFTER], "1");
    assert!(
        cold.message().contains("--max-renders"),
        "{}",
        cold.message()
    );
    assert_eq!(
        call(&r, Method::GET, cached, String::new()).await.status,
        StatusCode::OK
    );
    assert_eq!(
        call(&r, Method::GET, "/health", String::new()).await.status,
        StatusCode::OK
    );
    let small = "/query/at?lon=116.85&lat=40.37";
    assert_eq!(
        call(&r, Method::GET, small, String::new()).await.status,
        StatusCode::OK
    );
    // The slot comes back: the tile renders.
    drop(busy);
    let cold = call(&r, Method::GET, "/tiles/10/844/386.mvt", String::new()).await;
    assert_eq!(cold.status, StatusCode::OK);
}

fn ring(n: usize) -> String {
    let mut pts: Vec<String> = (0..n)
        .map(|i| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            format!("[{},{}]", 116.85 + 0.1 * a.cos(), 40.45 + 0.1 * a.sin())
        })
        .collect();
    pts.push(pts[0].clone());
    format!(
        r#"{{"type":"Polygon","coordinates":[[{}]]}}"#,
        pts.join(",")
    )
}

#[tokio::test]
async fn a_body_over_the_byte_limit_is_a_413() {
    let r = router(ServerConfig {
        max_body_bytes: 2_000,
        ..ServerConfig::default()
    });
    let small = ring(20);
    assert!(small.len() < 2_000);
    let ok = call(&r, Method::POST, "/query/within?layer=villages", small).await;
    assert_eq!(ok.status, StatusCode::OK);
    for uri in [
        "/query/within?layer=villages",
        "/query/near?layer=villages&distance=10",
    ] {
        let big = call(&r, Method::POST, uri, ring(200)).await;
        assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}");
        assert!(
            big.message().contains("--max-body-bytes"),
            "{}",
            big.message()
        );
    }
}

#[tokio::test]
async fn a_geometry_over_the_vertex_limit_is_a_413() {
    let r = router(ServerConfig {
        max_vertices: 50,
        ..ServerConfig::default()
    });
    let ok = call(&r, Method::POST, "/query/within?layer=villages", ring(40)).await;
    assert_eq!(ok.status, StatusCode::OK);
    let big = call(&r, Method::POST, "/query/within?layer=villages", ring(60)).await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
    let m = big.message();
    assert!(
        m.contains("61 vertices") && m.contains("--max-vertices"),
        "{m}"
    );
}

#[tokio::test]
async fn features_per_response_are_capped() {
    let r = router(ServerConfig::default());
    let over = call(
        &r,
        Method::GET,
        "/query/at?lon=116.85&lat=40.37&limit=10001",
        String::new(),
    )
    .await;
    assert_eq!(over.status, StatusCode::BAD_REQUEST);
    assert!(over.message().contains("10000"), "{}", over.message());

    let r = router(ServerConfig {
        max_features: 5,
        ..ServerConfig::default()
    });
    let uri = "/query/within?layer=villages&zone=nature_reserves/yunmengshan&limit=6";
    let over = call(&r, Method::GET, uri, String::new()).await;
    assert_eq!(over.status, StatusCode::BAD_REQUEST);
    assert!(
        over.message().contains("--max-features"),
        "{}",
        over.message()
    );
    // OGC API Features clamps instead, as its standard says, and its
    // OpenAPI document says the ceiling.
    let items = call(
        &r,
        Method::GET,
        "/collections/villages/items?limit=99",
        String::new(),
    )
    .await;
    assert_eq!(items.status, StatusCode::OK);
    let v: Value = serde_json::from_slice(&items.body).unwrap();
    assert_eq!(v["numberReturned"], 5);
    assert!(v["numberMatched"].as_u64().unwrap() > 5);
    let api = call(&r, Method::GET, "/api", String::new()).await;
    let doc: Value = serde_json::from_slice(&api.body).unwrap();
    let limit = doc["paths"]["/collections/villages/items"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap()
        .clone();
    assert_eq!(limit["schema"]["maximum"], 5);
}

#[tokio::test]
async fn a_cold_tile_waits_for_a_render_thread_and_then_renders() {
    let state = fresh_state(ServerConfig {
        max_renders: 0,
        ..ServerConfig::default()
    });
    let r = app(state.clone());
    // Every render thread is busy until `release` is dropped.
    let (release, held) = std::sync::mpsc::channel::<()>();
    let held = Arc::new(Mutex::new(held));
    let busy: Vec<_> = (0..state.renderers().threads())
        .map(|_| {
            let (state, held) = (state.clone(), Arc::clone(&held));
            tokio::spawn(async move {
                state
                    .renderers()
                    .run(None, move || {
                        let _ = held.lock().unwrap().recv();
                        Ok(())
                    })
                    .await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let waiting = tokio::spawn({
        let r = r.clone();
        async move { call(&r, Method::GET, "/tiles/11/1688/773.mvt", String::new()).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "rendered without a turn");
    // Cached tiles and health go on meanwhile.
    assert_eq!(
        call(&r, Method::GET, "/health", String::new()).await.status,
        StatusCode::OK
    );
    drop(release);
    for b in busy {
        b.await.unwrap().unwrap();
    }
    let reply = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reply.status, StatusCode::OK);
}
