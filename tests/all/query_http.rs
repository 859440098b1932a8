//! The planner's questions over HTTP (`/query/...`): the same answers as
//! the command line, GeoJSON and CSV, paging, and every mistake.

use crate::util::{bundled, router};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use std::process::Command;
use tower::ServiceExt;

async fn call(
    method: Method,
    uri: &str,
    accept: Option<&str>,
    body: &str,
) -> (StatusCode, String, String) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(a) = accept {
        req = req.header(header::ACCEPT, a);
    }
    let res = router()
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, ct, String::from_utf8(bytes.to_vec()).unwrap())
}

async fn json(uri: &str) -> Value {
    let (status, ct, body) = call(Method::GET, uri, None, "").await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    assert_eq!(ct, "application/geo+json", "{uri}");
    serde_json::from_str(&body).unwrap()
}

fn cli(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_shanshui"))
        .args(args)
        .args(["--format", "geojson"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("SHANSHUI_DATA")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn the_same_answers_as_the_command_line() {
    let pairs: &[(&str, &[&str])] = &[
        (
            "/query/within?layer=projects&zone=reservoir_zones/zone-1&partly=true",
            &[
                "query",
                "within",
                "--layer",
                "projects",
                "--zone",
                "reservoir_zones/zone-1",
                "--partly",
            ],
        ),
        (
            "/query/at?lon=116.95&lat=40.52",
            &["query", "at", "--lon", "116.95", "--lat", "40.52"],
        ),
        (
            "/query/nearest?layer=villages&lon=116.843&lat=40.376&k=3",
            &[
                "query", "nearest", "--layer", "villages", "--lon", "116.843", "--lat", "40.376",
                "-k", "3",
            ],
        ),
        (
            "/query/near?layer=villages&of=tourism_belts/belt-north&distance=2000",
            &[
                "query",
                "near",
                "--layer",
                "villages",
                "--of",
                "tourism_belts/belt-north",
                "--distance",
                "2000",
            ],
        ),
    ];
    for (uri, args) in pairs {
        let http = json(uri).await;
        let cmd = cli(args);
        assert!(!cmd["features"].as_array().unwrap().is_empty(), "{uri}");
        assert_eq!(http["features"], cmd["features"], "{uri}");
        assert_eq!(
            http["numberMatched"],
            cmd["features"].as_array().unwrap().len()
        );
    }
}

#[tokio::test]
async fn csv_opens_in_a_spreadsheet_with_chinese_intact() {
    let uri = "/query/within?layer=projects&zone=reservoir_zones/zone-1&partly=true&f=csv";
    let (status, ct, body) = call(Method::GET, uri, None, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "text/csv; charset=utf-8");
    assert!(
        body.starts_with('\u{feff}'),
        "a UTF-8 byte-order mark for Excel"
    );
    let mut lines = body.trim_start_matches('\u{feff}').lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("layer,id,name_zh,name_en,relation"));
    assert!(body.contains("密云水库环境监测综合管理平台"));
    let by_accept = call(
        Method::GET,
        "/query/within?layer=projects&zone=reservoir_zones/zone-1&partly=true",
        Some("text/csv"),
        "",
    )
    .await;
    assert_eq!(by_accept.2, body);
}

#[tokio::test]
async fn a_posted_geometry_is_a_zone() {
    let zone = bundled()
        .layer("reservoir_zones")
        .unwrap()
        .feature("zone-1")
        .unwrap();
    let body = geojson::Geometry::new(geojson::GeometryValue::from(&zone.geometry)).to_string();
    let (status, _, posted) = call(
        Method::POST,
        "/query/within?layer=projects&partly=true",
        None,
        &body,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{posted}");
    let posted: Value = serde_json::from_str(&posted).unwrap();
    let by_ref = json("/query/within?layer=projects&zone=reservoir_zones/zone-1&partly=true").await;
    assert_eq!(posted["features"], by_ref["features"]);

    let point = r#"{"type":"Point","coordinates":[116.843,40.376]}"#;
    let (status, _, near) = call(
        Method::POST,
        "/query/near?layer=villages&distance=1500",
        None,
        point,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let near: Value = serde_json::from_str(&near).unwrap();
    let get = json("/query/near?layer=villages&lon=116.843&lat=40.376&distance=1500").await;
    assert_eq!(near["features"], get["features"]);
}

#[tokio::test]
async fn paging() {
    let all = json("/query/within?layer=projects&zone=reservoir_zones/zone-1&partly=true").await;
    let n = all["features"].as_array().unwrap().len();
    let first =
        json("/query/within?layer=projects&zone=reservoir_zones/zone-1&partly=true&limit=4").await;
    assert_eq!(first["numberMatched"], n);
    assert_eq!(first["numberReturned"], 4);
    assert_eq!(first["next_offset"], 4);
    let second = json(
        "/query/within?layer=projects&zone=reservoir_zones/zone-1&partly=true&limit=4&offset=4",
    )
    .await;
    assert_eq!(second["features"][0], all["features"][4]);
    let last = json(&format!(
        "/query/within?layer=projects&zone=reservoir_zones/zone-1&partly=true&offset={}",
        n - 1
    ))
    .await;
    assert_eq!(last["numberReturned"], 1);
    assert!(last.get("next_offset").is_none());
}

#[tokio::test]
async fn mistakes_say_what_to_fix() {
    let cases: &[(Method, &str, &str, StatusCode, &str)] = &[
        (
            Method::GET,
            "/query/within?layer=projects",
            "",
            StatusCode::BAD_REQUEST,
            "parameter `zone` is required",
        ),
        (
            Method::GET,
            "/query/within?zone=reservoir_zones/zone-1",
            "",
            StatusCode::BAD_REQUEST,
            "parameter `layer` is required",
        ),
        (
            Method::GET,
            "/query/within?layer=nope&zone=reservoir_zones/zone-1",
            "",
            StatusCode::NOT_FOUND,
            "no layer `nope`",
        ),
        (
            Method::GET,
            "/query/within?layer=projects&zone=reservoir_zones/zone-9",
            "",
            StatusCode::NOT_FOUND,
            "has no feature `zone-9`",
        ),
        (
            Method::GET,
            "/query/within?layer=projects&zone=reservoir_zones/zone-1&colour=red",
            "",
            StatusCode::BAD_REQUEST,
            "unknown parameter `colour`",
        ),
        (
            Method::GET,
            "/query/within?layer=projects&zone=reservoir_zones/zone-1&partly=maybe",
            "",
            StatusCode::BAD_REQUEST,
            "`partly` must be true or false",
        ),
        (
            Method::GET,
            "/query/within?layer=projects&zone=reservoir_zones/zone-1&f=xml",
            "",
            StatusCode::BAD_REQUEST,
            "`f` must be geojson, json or csv",
        ),
        (
            Method::GET,
            "/query/within?layer=projects&zone=reservoir_zones/zone-1&limit=0",
            "",
            StatusCode::BAD_REQUEST,
            "`limit` must be between 1 and 10000",
        ),
        (
            Method::GET,
            "/query/at?lon=abc&lat=40",
            "",
            StatusCode::BAD_REQUEST,
            "`lon` must be a number",
        ),
        (
            Method::GET,
            "/query/at?lon=200&lat=40",
            "",
            StatusCode::BAD_REQUEST,
            "longitude 200 is outside -180..180",
        ),
        (
            Method::GET,
            "/query/nearest?layer=villages&lon=117&lat=40&k=-1",
            "",
            StatusCode::BAD_REQUEST,
            "k must be a whole number",
        ),
        (
            Method::GET,
            "/query/near?layer=villages&distance=100",
            "",
            StatusCode::BAD_REQUEST,
            "say where from",
        ),
        (
            Method::GET,
            "/query/near?layer=villages&distance=100&of=x/y&lon=1&lat=2",
            "",
            StatusCode::BAD_REQUEST,
            "not both",
        ),
        (
            Method::POST,
            "/query/within?layer=projects",
            "",
            StatusCode::BAD_REQUEST,
            "send the geometry as GeoJSON",
        ),
        (
            Method::POST,
            "/query/within?layer=projects",
            "{not json",
            StatusCode::BAD_REQUEST,
            "the body is not JSON",
        ),
        (
            Method::POST,
            "/query/within?layer=projects",
            r#"{"type":"Polygon","coordinates":[[[117,40],[117.1,40.1],[117.1,40],[117,40.1],[117,40]]]}"#,
            StatusCode::BAD_REQUEST,
            "self-intersection",
        ),
        (
            Method::POST,
            "/query/within?layer=projects",
            r#"{"type":"Point","coordinates":[117,40]}"#,
            StatusCode::BAD_REQUEST,
            "a zone must be a Polygon or MultiPolygon",
        ),
    ];
    for (method, uri, body, status, message) in cases {
        let (got, ct, text) = call(method.clone(), uri, None, body).await;
        assert_eq!(got, *status, "{uri}: {text}");
        assert_eq!(ct, "application/json", "{uri}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert!(
            v["message"].as_str().unwrap().contains(message),
            "{uri}: {text}"
        );
    }
}
