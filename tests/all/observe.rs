//! `/metrics`: each figure the Prometheus exposition promises moves with
//! what the server did.

use crate::util::fresh_state;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use shanshui::http::{app, ServerConfig};
use tower::ServiceExt;

async fn get(router: &Router, uri: &str) -> (StatusCode, String) {
    let res = router
        .clone()
        .oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The value of the sample `name` (with its labels, as printed).
fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample {name} in\n{text}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn metrics_count_requests_tiles_refusals_and_the_data() {
    let state = fresh_state(ServerConfig::default());
    let r = app(state.clone());
    let tile = "/tiles/10/843/386.mvt";
    for _ in 0..3 {
        assert_eq!(get(&r, tile).await.0, StatusCode::OK);
    }
    let deep = format!("/collections/projects/items?filter={}", "(".repeat(30));
    assert_eq!(get(&r, &deep).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(get(&r, "/no/such/thing").await.0, StatusCode::NOT_FOUND);

    let res = r
        .clone()
        .oneshot(
            Request::builder()
                .uri("/metrics")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text; version=1.0.0"));
    let text =
        String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();

    let tiles =
        r#"shanshui_http_requests_total{route="/tiles/{z}/{x}/{y}",method="GET",status="200"}"#;
    assert_eq!(sample(&text, tiles), 3.0);
    let items = r#"shanshui_http_requests_total{route="/collections/{collection_id}/items",method="GET",status="400"}"#;
    assert_eq!(sample(&text, items), 1.0);
    let unmatched = r#"shanshui_http_requests_total{route="unmatched",method="GET",status="404"}"#;
    assert_eq!(sample(&text, unmatched), 1.0);
    assert_eq!(
        sample(
            &text,
            r#"shanshui_http_request_duration_seconds_count{route="/tiles/{z}/{x}/{y}"}"#
        ),
        3.0
    );
    assert_eq!(
        sample(
            &text,
            r#"shanshui_refused_requests_total{limit="max-filter-depth"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(&text, "shanshui_tile_render_duration_seconds_count"),
        1.0
    );
    assert_eq!(sample(&text, "shanshui_tile_cache_misses_total"), 1.0);
    assert_eq!(sample(&text, "shanshui_tile_cache_hits_total"), 2.0);
    assert!(sample(&text, "shanshui_tile_cache_bytes") > 0.0);
    assert_eq!(sample(&text, "shanshui_data_reloads_total"), 0.0);
    assert_eq!(sample(&text, "shanshui_data_reload_failing"), 0.0);
    let version = state.catalog().version().to_string();
    assert_eq!(
        sample(
            &text,
            &format!(r#"shanshui_data_version{{version="{version}"}}"#)
        ),
        1.0
    );
    assert!(text.trim_end().ends_with("# EOF"));
}
