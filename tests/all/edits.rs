//! Edits through OGC API Features Part 4, in process: every method, status
//! and header; what is refused changes nothing; what is acknowledged is on
//! disk, in the served data, its tiles and its queries, and survives a
//! reload, a torn journal and compaction.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use shanshui::keys::Keys;
use shanshui::reload::LiveCatalog;
use shanshui::Catalog;
use std::path::Path;
use std::sync::Arc;
use tower::ServiceExt;

/// A dataset with an editable `projects` layer (field rules as the
/// bundled one's), a `strict` one that wants If-Match and takes the
/// client's ids, and a read-only
/// `zones` layer; two keys: `wang` for every editable layer, `li` for
/// `strict` only.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub wang: String,
    pub li: String,
}

const MANIFEST: &str = r#"[dataset]
id = "t"
title = { zh = "测试", en = "Test" }

[[layers]]
id = "zones"
title = { zh = "区", en = "Zones" }
file = "zones.geojson"
geometry = "polygon"
id_property = "id"

[[layers]]
id = "projects"
title = { zh = "项目", en = "Projects" }
file = "projects.geojson"
geometry = "any"
id_property = "id"
minzoom = 0
maxzoom = 16

[layers.edit]
COMPACT

[layers.fields]
name_zh = { type = "string", required = true }
category = { type = "string", required = true, one_of = ["economy", "politics", "culture", "society", "ecology"] }
status = { type = "string", required = true, one_of = ["planned", "under_construction", "completed"] }
progress = { type = "number", min = 0, max = 100 }
source = { type = "string", required = true }

[[layers]]
id = "strict"
title = { zh = "严", en = "Strict" }
file = "strict.geojson"
geometry = "point"
id_property = "id"

[layers.edit]
require_if_match = true
client_ids = true
"#;

impl Fixture {
    pub fn new() -> Fixture {
        Fixture::with_compaction(None)
    }

    /// With the projects' journal folded past `bytes`.
    pub fn with_compaction(bytes: Option<u64>) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let compact = bytes.map_or(String::new(), |b| format!("compact_after_bytes = {b}"));
        std::fs::write(
            dir.path().join("layers.toml"),
            MANIFEST.replace("COMPACT", &compact),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("zones.geojson"),
            r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"zone-1","name_zh":"一级区","name_en":"Zone one"},"geometry":{"type":"Polygon","coordinates":[[[116.0,40.0],[117.0,40.0],[117.0,41.0],[116.0,41.0],[116.0,40.0]]]}},
{"type":"Feature","properties":{"id":"zone-2","name_zh":"二级区","name_en":"Zone two"},"geometry":{"type":"Polygon","coordinates":[[[117.0,40.0],[118.0,40.0],[118.0,41.0],[117.0,41.0],[117.0,40.0]]]}}]}"#,
        )
        .unwrap();
        let project = |id: &str, x: f64, status: &str| json!({"type": "Feature", "properties": {"id": id, "name_zh": format!("项目{id}"), "category": "ecology", "status": status, "progress": 10, "source": "test", "lead_unit": "区水务局"}, "geometry": {"type": "Point", "coordinates": [x, 40.5]}});
        let projects = json!({"type": "FeatureCollection", "features": [
            project("p-1", 116.5, "planned"),
            project("p-2", 116.6, "under_construction"),
            project("p-3", 117.5, "planned"),
        ]});
        std::fs::write(dir.path().join("projects.geojson"), projects.to_string()).unwrap();
        std::fs::write(
            dir.path().join("strict.geojson"),
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"s-1"},"geometry":{"type":"Point","coordinates":[116.5,40.5]}}]}"#,
        )
        .unwrap();
        let keys = Keys::of_data(dir.path());
        let wang = keys.add("wang", &[]).unwrap();
        let li = keys.add("li", &["strict".into()]).unwrap();
        Fixture { dir, wang, li }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A server over the fixture's folder, as `serve` makes it.
    pub fn serve(&self) -> (Arc<LiveCatalog>, Router) {
        crate::util::serve_folder(self.path())
    }

    pub fn journal(&self) -> Vec<u8> {
        std::fs::read(self.path().join("projects.geojson.journal")).unwrap_or_default()
    }
}

/// A project of the fixture's file, as the file holds it.
fn base_project(id: &str, x: f64, status: &str) -> Value {
    json!({"type": "Feature", "properties": {"id": id, "name_zh": format!("项目{id}"), "category": "ecology", "status": status, "progress": 10, "source": "test", "lead_unit": "区水务局"}, "geometry": {"type": "Point", "coordinates": [x, 40.5]}})
}

/// One answer: status, headers, body as JSON (`Null` when empty).
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

/// Sends `method path` with `headers` and a JSON `body`.
pub async fn send(
    router: &Router,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Answer {
    let mut req = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let body = body.map_or(Body::empty(), |b| Body::from(b.to_string()));
    let res = router
        .clone()
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    Answer {
        status,
        headers,
        body,
    }
}

const GEOJSON: (&str, &str) = ("content-type", "application/geo+json");
const PATCH: (&str, &str) = ("content-type", "application/merge-patch+json");

fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

fn new_project(name: &str, x: f64) -> Value {
    json!({"type": "Feature", "properties": {"name_zh": name, "category": "economy", "status": "planned", "progress": 0}, "geometry": {"type": "Point", "coordinates": [x, 40.5]}})
}

async fn get(router: &Router, path: &str) -> Answer {
    send(router, Method::GET, path, &[], None).await
}

#[tokio::test]
async fn options_lists_the_methods_each_resource_takes() {
    let f = Fixture::new();
    let (_, router) = f.serve();
    let allow = |a: &Answer| a.header(header::ALLOW).unwrap_or("").to_string();
    let a = send(
        &router,
        Method::OPTIONS,
        "/collections/projects/items",
        &[],
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert_eq!(allow(&a), "GET, HEAD, POST, OPTIONS");
    let a = send(
        &router,
        Method::OPTIONS,
        "/collections/projects/items/p-1",
        &[],
        None,
    )
    .await;
    assert_eq!(allow(&a), "GET, HEAD, PUT, PATCH, DELETE, OPTIONS");
    let a = send(
        &router,
        Method::OPTIONS,
        "/collections/zones/items",
        &[],
        None,
    )
    .await;
    assert_eq!(allow(&a), "GET, HEAD, OPTIONS");
    let a = send(
        &router,
        Method::OPTIONS,
        "/collections/projects/items/nope",
        &[],
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    // A CORS preflight is still answered as one, Authorization allowed.
    let a = send(
        &router,
        Method::OPTIONS,
        "/collections/projects/items/p-1",
        &[
            ("origin", "http://maps.example"),
            ("access-control-request-method", "PATCH"),
            ("access-control-request-headers", "authorization,if-match"),
        ],
        None,
    )
    .await;
    assert!(a.status.is_success());
    assert!(a
        .header(header::ACCESS_CONTROL_ALLOW_METHODS)
        .unwrap()
        .contains("PATCH"));
    assert!(a
        .header(header::ACCESS_CONTROL_ALLOW_HEADERS)
        .unwrap()
        .contains("authorization"));
    // The conformance classes of Part 4.
    let c = get(&router, "/conformance").await.body;
    let classes = c["conformsTo"].to_string();
    for class in [
        "create-replace-delete",
        "conf/update",
        "conf/features",
        "optimistic-locking-etags",
    ] {
        assert!(classes.contains(class), "{class}");
    }
}

#[tokio::test]
async fn a_post_creates_a_feature_at_the_location_it_answers() {
    let f = Fixture::new();
    let (_, router) = f.serve();
    let key = bearer(&f.wang);
    let a = send(
        &router,
        Method::POST,
        "/collections/projects/items",
        &[GEOJSON, ("authorization", &key)],
        Some(new_project("新项目", 116.7)),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let location = a.header(header::LOCATION).unwrap().to_string();
    let etag = a.header(header::ETAG).unwrap().to_string();
    let id = location.rsplit('/').next().unwrap().to_string();
    assert!(
        location.ends_with(&format!("/collections/projects/items/{id}")),
        "{location}"
    );
    assert_eq!(a.body["properties"]["id"], id.as_str());
    // Where it came from, said for the client that did not.
    assert_eq!(
        a.body["properties"]["source"],
        "entered through the edit API with key `wang`"
    );
    assert_eq!(a.body["properties"]["accuracy"], "as entered");
    let path = location
        .split_once("/collections")
        .map(|(_, p)| format!("/collections{p}"))
        .unwrap();
    let read = get(&router, &path).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.header(header::ETAG), Some(etag.as_str()));
    assert_eq!(read.body["properties"]["name_zh"], "新项目");
    let items = get(&router, "/collections/projects/items").await.body;
    assert_eq!(items["numberMatched"], 4);
    // A second create gets another id.
    let b = send(
        &router,
        Method::POST,
        "/collections/projects/items",
        &[GEOJSON, ("authorization", &key)],
        Some(new_project("又一个", 116.8)),
    )
    .await;
    assert_eq!(b.status, StatusCode::CREATED);
    assert_ne!(b.header(header::LOCATION).unwrap(), location);
    // Counted at /health and /metrics.
    assert_eq!(get(&router, "/health").await.body["edits"], 2);
    let metrics = get(&router, "/metrics").await.body;
    assert!(
        metrics
            .as_str()
            .unwrap()
            .lines()
            .any(|l| l == "shanshui_data_edits_total 2"),
        "{metrics}"
    );
    // The journal holds both, with the key's name.
    let journal = String::from_utf8(f.journal()).unwrap();
    assert_eq!(journal.lines().count(), 2);
    assert!(journal
        .lines()
        .all(|l| l.contains("\"key\":\"wang\"") && l.contains("\"op\":\"create\"")));
}

#[tokio::test]
async fn writes_need_a_key_with_rights_on_the_layer() {
    let f = Fixture::new();
    let (_, router) = f.serve();
    let body = Some(new_project("无钥匙", 116.7));
    let a = send(
        &router,
        Method::POST,
        "/collections/projects/items",
        &[GEOJSON],
        body.clone(),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a
        .header(header::WWW_AUTHENTICATE)
        .unwrap()
        .starts_with("Bearer"));
    assert!(a.body["message"]
        .as_str()
        .unwrap()
        .contains("shanshui key add"));
    // The key with its last digit changed (to another digit).
    let last = if f.wang.ends_with('0') { '1' } else { '0' };
    let wrong = bearer(&format!("{}{last}", &f.wang[..f.wang.len() - 1]));
    let a = send(
        &router,
        Method::POST,
        "/collections/projects/items",
        &[GEOJSON, ("authorization", &wrong)],
        body.clone(),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let li = bearer(&f.li);
    let a = send(
        &router,
        Method::POST,
        "/collections/projects/items",
        &[GEOJSON, ("authorization", &li)],
        body.clone(),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.body["message"].as_str().unwrap().contains("`li`"));
    let a = send(
        &router,
        Method::DELETE,
        "/collections/projects/items/p-1",
        &[("authorization", &li)],
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // A read-only layer takes no writes, whatever the key.
    let a = send(
        &router,
        Method::DELETE,
        "/collections/zones/items/zone-1",
        &[("authorization", &bearer(&f.wang))],
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(a.header(header::ALLOW), Some("GET, HEAD, OPTIONS"));
    // Nothing was written, and reading needs no key.
    assert!(f.journal().is_empty());
    assert_eq!(
        get(&router, "/collections/projects/items/p-1").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn put_replaces_and_patch_merges_with_null_removing() {
    let f = Fixture::new();
    let (_, router) = f.serve();
    let key = bearer(&f.wang);
    let auth = ("authorization", key.as_str());
    let mut replacement = new_project("替换", 116.55);
    replacement["properties"]["id"] = json!("p-1");
    replacement["properties"]["source"] = json!("survey 2026");
    let a = send(
        &router,
        Method::PUT,
        "/collections/projects/items/p-1",
        &[GEOJSON, auth],
        Some(replacement),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["properties"]["name_zh"], "替换");
    assert!(
        a.body["properties"].get("lead_unit").is_none(),
        "PUT replaces whole"
    );
    assert_eq!(a.body["geometry"]["coordinates"], json!([116.55, 40.5]));

    let patch =
        json!({"properties": {"lead_unit": null, "progress": 55, "status": "under_construction"}});
    let a = send(
        &router,
        Method::PATCH,
        "/collections/projects/items/p-2",
        &[PATCH, auth],
        Some(patch),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let p = &a.body["properties"];
    assert!(p.get("lead_unit").is_none(), "null removes: {p}");
    assert_eq!(p["progress"], 55);
    assert_eq!(p["status"], "under_construction");
    assert_eq!(p["name_zh"], "项目p-2", "what the patch leaves out stays");
    // A moved point.
    let a = send(
        &router,
        Method::PATCH,
        "/collections/projects/items/p-2",
        &[PATCH, auth],
        Some(json!({"geometry": {"type": "Point", "coordinates": [116.65, 40.55]}})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let read = get(&router, "/collections/projects/items/p-2").await;
    assert_eq!(read.body["geometry"]["coordinates"], json!([116.65, 40.55]));
    assert_eq!(read.body["properties"]["progress"], 55);
    assert_eq!(read.header(header::ETAG), a.header(header::ETAG));

    // Wrong media types, a changed id, a patch that is not an object.
    let a = send(
        &router,
        Method::PATCH,
        "/collections/projects/items/p-2",
        &[GEOJSON, auth],
        Some(json!({"properties": {}})),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(a.body["message"].as_str().unwrap().contains("merge-patch"));
    let a = send(
        &router,
        Method::PUT,
        "/collections/projects/items/p-2",
        &[("content-type", "text/plain"), auth],
        Some(new_project("x", 116.6)),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let a = send(
        &router,
        Method::PATCH,
        "/collections/projects/items/p-2",
        &[PATCH, auth],
        Some(json!({"properties": {"id": "p-9"}})),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body["message"]
        .as_str()
        .unwrap()
        .contains("cannot change"));
    let a = send(
        &router,
        Method::PATCH,
        "/collections/projects/items/p-2",
        &[PATCH, auth],
        Some(json!([1])),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let a = send(
        &router,
        Method::PATCH,
        "/collections/projects/items/nope",
        &[PATCH, auth],
        Some(json!({})),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(String::from_utf8(f.journal()).unwrap().lines().count(), 3);
}

#[tokio::test]
async fn a_bad_edit_is_422_naming_each_field_and_changes_nothing() {
    let f = Fixture::new();
    let (_, router) = f.serve();
    let key = bearer(&f.wang);
    let auth = ("authorization", key.as_str());
    let before = get(&router, "/collections/projects/items/p-1").await;
    let patch = json!({"properties": {"category": "fun", "progress": 140, "status": null}});
    let a = send(
        &router,
        Method::PATCH,
        "/collections/projects/items/p-1",
        &[PATCH, auth],
        Some(patch),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problems: Vec<String> = a.body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems
        .iter()
        .any(|p| p.contains("`category`") && p.contains("\"fun\"") && p.contains("ecology")));
    assert!(problems
        .iter()
        .any(|p| p.contains("`progress`") && p.contains("0 to 100")));
    assert!(problems
        .iter()
        .any(|p| p.contains("`status`") && p.contains("missing")));
    // A geometry of the wrong kind, out of range, or broken.
    let mut line = new_project("线", 116.6);
    line["geometry"] = json!({"type": "Point", "coordinates": [216.6, 40.5]});
    let a = send(
        &router,
        Method::POST,
        "/collections/projects/items",
        &[GEOJSON, auth],
        Some(line),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body["message"]
        .as_str()
        .unwrap()
        .contains("longitude/latitude"));
    let mut bowtie = new_project("蝴蝶", 116.6);
    bowtie["geometry"] = json!({"type": "Polygon", "coordinates": [[[116.0, 40.0], [116.1, 40.1], [116.1, 40.0], [116.0, 40.1], [116.0, 40.0]]]});
    let a = send(
        &router,
        Method::POST,
        "/collections/projects/items",
        &[GEOJSON, auth],
        Some(bowtie),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let a = send(&router, Method::POST, "/collections/strict/items", &[GEOJSON, ("authorization", &bearer(&f.li))], Some(json!({"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[116.0, 40.0], [116.1, 40.1]]}}))).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        a.body["message"].as_str().unwrap().contains("holds Point"),
        "{}",
        a.body
    );
    // Not a feature, not JSON.
    let a = send(
        &router,
        Method::POST,
        "/collections/projects/items",
        &[GEOJSON, auth],
        Some(json!({"type": "FeatureCollection", "features": []})),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let a = send(
        &router,
        Method::POST,
        "/collections/projects/items",
        &[GEOJSON, auth],
        Some(Value::String("{".into())),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    // Nothing changed.
    assert!(f.journal().is_empty());
    let after = get(&router, "/collections/projects/items/p-1").await;
    assert_eq!(after.header(header::ETAG), before.header(header::ETAG));
    assert_eq!(
        get(&router, "/collections/projects/items").await.body["numberMatched"],
        3
    );
}

#[tokio::test]
async fn if_match_that_no_longer_holds_is_412_with_the_version_now() {
    let f = Fixture::new();
    let (_, router) = f.serve();
    let key = bearer(&f.wang);
    let auth = ("authorization", key.as_str());
    let read = get(&router, "/collections/projects/items/p-1").await;
    let first = read.header(header::ETAG).unwrap().to_string();
    assert!(
        first.starts_with('"') && first.ends_with('"'),
        "a strong ETag: {first}"
    );
    // A conditional read of the same version is 304.
    let a = send(
        &router,
        Method::GET,
        "/collections/projects/items/p-1",
        &[("if-none-match", &first)],
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_MODIFIED);
    let a = send(
        &router,
        Method::PATCH,
        "/collections/projects/items/p-1",
        &[PATCH, auth, ("if-match", &first)],
        Some(json!({"properties": {"progress": 20}})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let second = a.header(header::ETAG).unwrap().to_string();
    assert_ne!(second, first);
    // The other planner still holds the first version.
    let a = send(
        &router,
        Method::PATCH,
        "/collections/projects/items/p-1",
        &[PATCH, auth, ("if-match", &first)],
        Some(json!({"properties": {"progress": 90}})),
    )
    .await;
    assert_eq!(a.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(a.header(header::ETAG), Some(second.as_str()));
    assert_eq!(a.body["current"]["properties"]["progress"], 20);
    assert!(a.body["message"]
        .as_str()
        .unwrap()
        .contains("read it again"));
    let a = send(
        &router,
        Method::DELETE,
        "/collections/projects/items/p-1",
        &[auth, ("if-match", &first)],
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::PRECONDITION_FAILED);
    // A weak tag never matches; a list with the right one, or `*`, does.
    let weak = format!("W/{second}");
    let a = send(
        &router,
        Method::PATCH,
        "/collections/projects/items/p-1",
        &[PATCH, auth, ("if-match", &weak)],
        Some(json!({"properties": {"progress": 90}})),
    )
    .await;
    assert_eq!(a.status, StatusCode::PRECONDITION_FAILED);
    let list = format!("\"nope\", {second}");
    let a = send(
        &router,
        Method::PATCH,
        "/collections/projects/items/p-1",
        &[PATCH, auth, ("if-match", &list)],
        Some(json!({"properties": {"progress": 30}})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let a = send(
        &router,
        Method::PATCH,
        "/collections/projects/items/p-1",
        &[PATCH, auth, ("if-match", "*")],
        Some(json!({"properties": {"progress": 40}})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        get(&router, "/collections/projects/items/p-1").await.body["properties"]["progress"],
        40
    );
    assert_eq!(String::from_utf8(f.journal()).unwrap().lines().count(), 3);
}

#[tokio::test]
async fn a_layer_that_requires_if_match_answers_428_without_it() {
    let f = Fixture::new();
    let (_, router) = f.serve();
    let key = bearer(&f.li);
    let auth = ("authorization", key.as_str());
    let a = send(
        &router,
        Method::PATCH,
        "/collections/strict/items/s-1",
        &[PATCH, auth],
        Some(json!({"properties": {"note": "x"}})),
    )
    .await;
    assert_eq!(a.status, StatusCode::PRECONDITION_REQUIRED);
    assert!(a.body["message"].as_str().unwrap().contains("If-Match"));
    let a = send(
        &router,
        Method::DELETE,
        "/collections/strict/items/s-1",
        &[auth],
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::PRECONDITION_REQUIRED);
    let etag = get(&router, "/collections/strict/items/s-1")
        .await
        .header(header::ETAG)
        .unwrap()
        .to_string();
    let a = send(
        &router,
        Method::PATCH,
        "/collections/strict/items/s-1",
        &[PATCH, auth, ("if-match", &etag)],
        Some(json!({"properties": {"note": "x"}})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    // A create has no version to match: taken without.
    let a = send(&router, Method::POST, "/collections/strict/items", &[GEOJSON, auth], Some(json!({"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [116.1, 40.1]}}))).await;
    assert_eq!(a.status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_delete_is_204_and_the_feature_gone_everywhere() {
    let f = Fixture::new();
    let (_, router) = f.serve();
    let key = bearer(&f.wang);
    let within = "/query/within?layer=projects&zone=zones/zone-1";
    let ids = |v: &Value| -> Vec<String> {
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&get(&router, within).await.body), ["p-1", "p-2"]);
    let a = send(
        &router,
        Method::DELETE,
        "/collections/projects/items/p-1",
        &[("authorization", &key)],
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert_eq!(a.body, Value::Null);
    assert_eq!(
        get(&router, "/collections/projects/items/p-1").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(ids(&get(&router, within).await.body), ["p-2"]);
    let a = send(
        &router,
        Method::DELETE,
        "/collections/projects/items/p-1",
        &[("authorization", &key)],
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

/// The tile over a point, and the features of layer `projects` a
/// decoder we did not write reads from it.
async fn tile_ids(router: &Router, z: u8, lon: f64, lat: f64) -> (Option<String>, Vec<String>) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let lat_r = lat.to_radians();
    let y = ((1.0 - lat_r.tan().asinh() / std::f64::consts::PI) / 2.0 * n).floor() as u32;
    let res = router
        .clone()
        .oneshot(
            Request::builder()
                .uri(format!("/tiles/projects/{z}/{x}/{y}.mvt"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let etag = res
        .headers()
        .get(header::ETAG)
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    if bytes.is_empty() {
        return (etag, Vec::new());
    }
    let reader = mvt_reader::Reader::new(bytes).unwrap();
    let mut ids = Vec::new();
    for (i, _) in reader.get_layer_names().unwrap().iter().enumerate() {
        for f in reader.get_features(i).unwrap() {
            if let Some(props) = f.properties {
                if let Some(mvt_reader::feature::Value::String(id)) = props.get("id") {
                    ids.push(id.clone());
                }
            }
        }
    }
    ids.sort();
    (etag, ids)
}

#[tokio::test]
async fn an_edit_shows_in_tiles_and_queries_at_once() {
    let f = Fixture::new();
    let (_, router) = f.serve();
    let key = bearer(&f.wang);
    let (etag, ids) = tile_ids(&router, 12, 116.5, 40.5).await;
    assert_eq!(ids, ["p-1"]);
    let a = send(
        &router,
        Method::PATCH,
        "/collections/projects/items/p-2",
        &[PATCH, ("authorization", &key)],
        Some(json!({"geometry": {"type": "Point", "coordinates": [116.5001, 40.5001]}})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let (etag_after, ids) = tile_ids(&router, 12, 116.5, 40.5).await;
    assert_eq!(ids, ["p-1", "p-2"]);
    assert_ne!(etag, etag_after, "the tile's ETag changes with its data");
    let near = get(
        &router,
        "/query/nearest?layer=projects&lon=116.5001&lat=40.5001&k=1",
    )
    .await;
    assert_eq!(
        near.body["features"][0]["properties"]["id"], "p-2",
        "{}",
        near.body
    );
}

#[tokio::test]
async fn what_is_acknowledged_is_what_loads_from_disk() {
    let f = Fixture::new();
    let (live, router) = f.serve();
    let key = bearer(&f.wang);
    let auth = ("authorization", key.as_str());
    for (i, x) in [116.1, 116.2, 116.3].iter().enumerate() {
        let a = send(
            &router,
            Method::POST,
            "/collections/projects/items",
            &[GEOJSON, auth],
            Some(new_project(&format!("新{i}"), *x)),
        )
        .await;
        assert_eq!(a.status, StatusCode::CREATED);
    }
    send(
        &router,
        Method::PATCH,
        "/collections/projects/items/p-3",
        &[PATCH, auth],
        Some(json!({"properties": {"status": "completed", "progress": 100}})),
    )
    .await;
    send(
        &router,
        Method::DELETE,
        "/collections/projects/items/p-1",
        &[auth],
        None,
    )
    .await;
    let served = etags(&live.catalog());
    let loaded = etags(&Catalog::load(f.path()).unwrap());
    assert_eq!(served, loaded);
    assert_eq!(served.len(), 5);
    // A torn record at the end (power cut mid-write) is dropped on load.
    let mut journal = f.journal();
    let whole = journal.len();
    let last = journal[..whole - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap()
        + 1;
    let torn = journal[last..whole - 10].to_vec();
    journal.extend_from_slice(&torn);
    std::fs::write(f.path().join("projects.geojson.journal"), &journal).unwrap();
    assert_eq!(etags(&Catalog::load(f.path()).unwrap()), served);
    // A second server on the same data is refused as a writer while the
    // first holds the journal.
    let (_, second) = f.serve();
    let a = send(
        &second,
        Method::PATCH,
        "/collections/projects/items/p-2",
        &[PATCH, auth],
        Some(json!({"properties": {"progress": 60}})),
    )
    .await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        a.body["message"].as_str().unwrap().contains("one writer"),
        "{}",
        a.body
    );
    drop((live, router, second));
    // A server started on it cuts the torn bytes before its next record.
    let (_, again) = f.serve();
    let a = send(
        &again,
        Method::PATCH,
        "/collections/projects/items/p-2",
        &[PATCH, auth],
        Some(json!({"properties": {"progress": 70}})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let text = String::from_utf8(f.journal()).unwrap();
    assert_eq!(text.lines().count(), 6);
    let seqs: Vec<u64> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(&l[9..]).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6]);
    assert_eq!(
        Catalog::load(f.path())
            .unwrap()
            .layer("projects")
            .unwrap()
            .feature("p-2")
            .unwrap()
            .properties
            .get("progress")
            .unwrap()
            .as_f64(),
        Some(70.0)
    );
}

fn etags(catalog: &Catalog) -> std::collections::BTreeMap<String, String> {
    let layer = catalog.layer("projects").unwrap();
    layer.iter().map(|f| (f.id.to_string(), f.etag())).collect()
}

#[tokio::test]
async fn compaction_folds_the_journal_into_the_file_and_keeps_the_history() {
    let f = Fixture::with_compaction(Some(2_000));
    let (live, router) = f.serve();
    let key = bearer(&f.wang);
    let auth = ("authorization", key.as_str());
    for p in 0..=10 {
        let a = send(
            &router,
            Method::PATCH,
            "/collections/projects/items/p-2",
            &[PATCH, auth],
            Some(json!({"properties": {"progress": p * 10}})),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK);
    }
    let journal = f.journal();
    let history = std::fs::read_to_string(f.path().join("projects.geojson.history")).unwrap();
    assert!(
        journal.len() <= 2_000 + 1_000,
        "the journal was folded: {} bytes",
        journal.len()
    );
    let seqs = |text: &str| -> Vec<u64> {
        text.lines()
            .map(|l| {
                serde_json::from_str::<Value>(&l[9..]).unwrap()["seq"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    };
    let mut all = seqs(&history);
    all.extend(seqs(std::str::from_utf8(&journal).unwrap()));
    assert_eq!(
        all,
        (1..=11).collect::<Vec<u64>>(),
        "every edit once, in order, in the history or the journal"
    );
    let file = std::fs::read_to_string(f.path().join("projects.geojson")).unwrap();
    assert!(file.contains("\"progress\":"), "{file}");
    assert_eq!(
        etags(&Catalog::load(f.path()).unwrap()),
        etags(&live.catalog())
    );
    // `shanshui compact` folds the rest, and refuses while a writer holds the journal.
    let held = shanshui::edit::compact_folder(f.path())
        .unwrap_err()
        .to_string();
    assert!(
        held.contains("another process") || held.contains("one writer"),
        "{held}"
    );
    drop(router);
    drop(live);
    let done = shanshui::edit::compact_folder(f.path()).unwrap();
    assert!(f.journal().is_empty());
    assert!(done.iter().all(|(l, _)| l == "projects"));
    let history = std::fs::read_to_string(f.path().join("projects.geojson.history")).unwrap();
    assert_eq!(seqs(&history), (1..=11).collect::<Vec<u64>>());
    assert_eq!(
        Catalog::load(f.path())
            .unwrap()
            .layer("projects")
            .unwrap()
            .feature("p-2")
            .unwrap()
            .properties
            .get("progress")
            .unwrap()
            .as_f64(),
        Some(100.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_many_planners_with_one_version_exactly_one_wins_each_round() {
    let f = Fixture::new();
    let (_, router) = f.serve();
    let key = bearer(&f.wang);
    for round in 0..10 {
        let etag = get(&router, "/collections/projects/items/p-1")
            .await
            .header(header::ETAG)
            .unwrap()
            .to_string();
        let tasks: Vec<_> = (0..8)
            .map(|planner| {
                let (router, key, etag) = (router.clone(), key.clone(), etag.clone());
                tokio::spawn(async move {
                    // Each a change no one else makes: an edit that changes nothing
                    // keeps the ETag (it names the content), and would let the
                    // next planner win too, rightly.
                    let patch = json!({"properties": {"note": format!("round {round}, planner {planner}")}});
                    send(
                        &router,
                        Method::PATCH,
                        "/collections/projects/items/p-1",
                        &[PATCH, ("authorization", &key), ("if-match", &etag)],
                        Some(patch),
                    )
                    .await
                    .status
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        let won = statuses.iter().filter(|s| **s == StatusCode::OK).count();
        let lost = statuses
            .iter()
            .filter(|s| **s == StatusCode::PRECONDITION_FAILED)
            .count();
        assert_eq!((won, lost), (1, 7), "round {round}: {statuses:?}");
    }
    assert_eq!(String::from_utf8(f.journal()).unwrap().lines().count(), 10);
}

#[tokio::test]
async fn history_lists_each_version_with_its_key_and_changes() {
    let f = Fixture::new();
    let (_, router) = f.serve();
    let key = bearer(&f.wang);
    let auth = ("authorization", key.as_str());
    // An untouched feature: one version, as loaded.
    let h = get(&router, "/collections/projects/items/p-3/history").await;
    assert_eq!(h.status, StatusCode::OK);
    assert_eq!(h.body["versions"].as_array().unwrap().len(), 1);
    assert_eq!(h.body["versions"][0]["op"], "loaded");
    send(
        &router,
        Method::PATCH,
        "/collections/projects/items/p-2",
        &[PATCH, auth],
        Some(json!({"properties": {"progress": 40}})),
    )
    .await;
    send(&router, Method::PATCH, "/collections/projects/items/p-2", &[PATCH, auth], Some(json!({"geometry": {"type": "Point", "coordinates": [116.61, 40.5]}, "properties": {"lead_unit": null}}))).await;
    send(
        &router,
        Method::DELETE,
        "/collections/projects/items/p-2",
        &[auth],
        None,
    )
    .await;
    let h = get(&router, "/collections/projects/items/p-2/history").await;
    assert_eq!(
        h.status,
        StatusCode::OK,
        "a deleted feature keeps its history"
    );
    let v = h.body["versions"].as_array().unwrap();
    let ops: Vec<&str> = v.iter().map(|v| v["op"].as_str().unwrap()).collect();
    assert_eq!(ops, ["loaded", "update", "update", "delete"]);
    assert_eq!(v[0]["feature"]["properties"]["progress"], 10);
    assert_eq!(v[1]["changed"], json!(["progress"]));
    assert_eq!(v[2]["changed"], json!(["geometry", "lead_unit"]));
    assert!(v[3]["feature"].is_null());
    assert!(v[1..]
        .iter()
        .all(|v| v["key"] == "wang" && v["time"].as_str().unwrap().ends_with('Z')));
    let seqs: Vec<u64> = v[1..].iter().map(|v| v["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(
        get(&router, "/collections/projects/items/never/history")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn as_of_answers_as_the_data_stood_then() {
    let f = Fixture::new();
    let (_, router) = f.serve();
    let key = bearer(&f.wang);
    let auth = ("authorization", key.as_str());
    let before = shanshui::time::rfc3339_millis(std::time::SystemTime::now());
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    send(&router, Method::PATCH, "/collections/projects/items/p-1", &[PATCH, auth], Some(json!({"properties": {"progress": 50}, "geometry": {"type": "Point", "coordinates": [117.6, 40.5]}}))).await;
    let a = send(
        &router,
        Method::POST,
        "/collections/projects/items",
        &[GEOJSON, auth],
        Some(new_project("后来的", 116.7)),
    )
    .await;
    let new_id = a.body["properties"]["id"].as_str().unwrap().to_string();
    send(
        &router,
        Method::DELETE,
        "/collections/projects/items/p-3",
        &[auth],
        None,
    )
    .await;
    let ids = |v: &Value| -> Vec<String> {
        let mut ids: Vec<String> = v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let q = |t: &str| format!("as-of={}", t.replace('+', "%2B"));
    let then = get(
        &router,
        &format!("/collections/projects/items?{}", q(&before)),
    )
    .await;
    assert_eq!(then.status, StatusCode::OK, "{}", then.body);
    assert_eq!(ids(&then.body), ["p-1", "p-2", "p-3"]);
    let p1 = get(
        &router,
        &format!("/collections/projects/items/p-1?{}", q(&before)),
    )
    .await;
    assert_eq!(p1.body["properties"]["progress"], 10);
    let now = get(&router, "/collections/projects/items").await;
    assert_eq!(ids(&now.body), {
        let mut v = vec!["p-1".to_string(), "p-2".into(), new_id.clone()];
        v.sort();
        v
    });
    // The planner's questions too: p-1 was inside zone one then, not now.
    let within = "/query/within?layer=projects&zone=zones/zone-1";
    assert_eq!(
        ids(&get(&router, &format!("{within}&{}", q(&before))).await.body),
        ["p-1", "p-2"]
    );
    assert_eq!(ids(&get(&router, within).await.body), {
        let mut v = vec!["p-2".to_string(), new_id];
        v.sort();
        v
    });
    // A date is its midnight (UTC): long before these edits.
    assert_eq!(
        ids(
            &get(&router, "/collections/projects/items?as-of=2000-01-01")
                .await
                .body
        ),
        ["p-1", "p-2", "p-3"]
    );
    let bad = get(&router, "/collections/projects/items?as-of=yesterday").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body["message"].as_str().unwrap().contains("RFC 3339"));
    let bad = get(&router, &format!("{within}&as-of=2026-13-01")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

/// A record of a hand-made journal.
fn record(
    seq: u64,
    time: &str,
    key: &str,
    op: &str,
    id: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> String {
    let op = match op {
        "create" => shanshui::edit::Op::Create,
        "update" => shanshui::edit::Op::Update,
        _ => shanshui::edit::Op::Delete,
    };
    let r = shanshui::edit::Record {
        seq,
        time: time.into(),
        key: key.into(),
        op,
        id: id.into(),
        prev: before.as_ref().map(shanshui::catalog::etag_of),
        before,
        feature: after,
    };
    String::from_utf8(r.to_line()).unwrap()
}

/// `f` with `set` merged into its properties and, when given, moved to
/// (x, 40.5).
fn with(f: &Value, set: Value, x: Option<f64>) -> Value {
    let mut f = f.clone();
    for (k, v) in set.as_object().unwrap() {
        f["properties"][k] = v.clone();
    }
    if let Some(x) = x {
        f["geometry"]["coordinates"] = json!([x, 40.5]);
    }
    f
}

#[tokio::test]
async fn the_monthly_report_answers_a_hand_made_journal() {
    let f = Fixture::new();
    // The report's set-up, and a fourth project outside both zones.
    let manifest = std::fs::read_to_string(f.path().join("layers.toml")).unwrap();
    std::fs::write(
        f.path().join("layers.toml"),
        format!("{manifest}\n[dataset.report]\nlayer = \"projects\"\nzones = [\"zones\"]\nwatch = \"zones/zone-1\"\nfinished = [\"completed\"]\n"),
    )
    .unwrap();
    let p1 = base_project("p-1", 116.5, "planned");
    let p2 = base_project("p-2", 116.6, "under_construction");
    let p3 = base_project("p-3", 117.5, "planned");
    let mut p4 = base_project("p-4", 118.5, "planned");
    p4["properties"]["category"] = json!("society");
    std::fs::write(
        f.path().join("projects.geojson"),
        json!({"type": "FeatureCollection", "features": [p1, p2, p3, p4]}).to_string(),
    )
    .unwrap();
    let p1_oct = with(&p1, json!({"progress": 20}), None);
    let new_a = json!({"type": "Feature", "properties": {"id": "projects-2", "name_zh": "新建A", "name_en": "New A", "category": "economy", "status": "planned", "source": "test"}, "geometry": {"type": "Point", "coordinates": [117.2, 40.5]}});
    let temp = json!({"type": "Feature", "properties": {"id": "projects-6", "name_zh": "临时", "category": "economy", "status": "planned", "source": "test"}, "geometry": {"type": "Point", "coordinates": [116.2, 40.5]}});
    let p2_done = with(&p2, json!({"status": "completed", "progress": 100}), None);
    let p1_moved = with(&p1_oct, json!({}), Some(117.6));
    let p3_moved = with(&p3, json!({"status": "under_construction"}), Some(116.4));
    let p1_unit = with(&p1_moved, json!({"lead_unit": "区园林绿化局"}), None);
    let journal = [
        record(
            1,
            "2026-10-20T08:00:00.000Z",
            "wang",
            "update",
            "p-1",
            Some(p1.clone()),
            Some(p1_oct.clone()),
        ),
        record(
            2,
            "2026-11-02T01:00:00.000Z",
            "wang",
            "create",
            "projects-2",
            None,
            Some(new_a),
        ),
        record(
            3,
            "2026-11-05T02:00:00.000Z",
            "li",
            "update",
            "p-2",
            Some(p2.clone()),
            Some(p2_done.clone()),
        ),
        record(
            4,
            "2026-11-10T03:00:00.000Z",
            "wang",
            "update",
            "p-1",
            Some(p1_oct),
            Some(p1_moved.clone()),
        ),
        record(
            5,
            "2026-11-12T04:00:00.000Z",
            "wang",
            "update",
            "p-3",
            Some(p3),
            Some(p3_moved),
        ),
        record(
            6,
            "2026-11-20T05:00:00.000Z",
            "wang",
            "create",
            "projects-6",
            None,
            Some(temp.clone()),
        ),
        record(
            7,
            "2026-11-21T06:00:00.000Z",
            "wang",
            "delete",
            "projects-6",
            Some(temp),
            None,
        ),
        record(
            8,
            "2026-11-25T07:00:00.000Z",
            "li",
            "delete",
            "p-4",
            Some(p4),
            None,
        ),
        record(
            9,
            "2026-11-30T23:59:59.999Z",
            "li",
            "update",
            "p-1",
            Some(p1_moved),
            Some(p1_unit.clone()),
        ),
        record(
            10,
            "2026-12-01T00:00:00.000Z",
            "wang",
            "update",
            "p-2",
            Some(p2_done.clone()),
            Some(with(&p2_done, json!({"progress": 99}), None)),
        ),
    ]
    .concat();
    std::fs::write(f.path().join("projects.geojson.journal"), journal).unwrap();
    let (_, router) = f.serve();
    let r = get(&router, "/report?month=2026-11").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = r.body;
    assert_eq!(
        r["edits"], 8,
        "records 2 to 9; October's and December's left out"
    );
    let counts = |added, changed, moved, finished, removed| json!({"added": added, "changed": changed, "moved": moved, "finished": finished, "removed": removed});
    assert_eq!(r["totals"], counts(1, 3, 2, 1, 1));
    let ids: Vec<&str> = r["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["p-1", "p-2", "p-3", "p-4", "projects-2"],
        "made and removed in the month: not there"
    );
    assert_eq!(r["by_category"]["ecology"], counts(0, 3, 2, 1, 0));
    assert_eq!(r["by_category"]["economy"], counts(1, 0, 0, 0, 0));
    assert_eq!(r["by_category"]["society"], counts(0, 0, 0, 0, 1));
    assert_eq!(r["by_status"]["completed"], counts(0, 1, 0, 1, 0));
    assert_eq!(r["by_status"]["planned"], counts(1, 1, 1, 0, 0));
    assert_eq!(r["by_status"]["under_construction"], counts(0, 1, 1, 0, 0));
    assert_eq!(r["by_status"]["(removed)"], counts(0, 0, 0, 0, 1));
    assert_eq!(r["by_lead_unit"]["区园林绿化局"], counts(0, 1, 1, 0, 0));
    assert_eq!(r["by_zone"][0]["zone"], "zones/zone-1");
    assert_eq!(
        r["by_zone"][0]["counts"],
        counts(0, 2, 1, 1, 0),
        "p-2 finished, p-3 moved in"
    );
    assert_eq!(
        r["by_zone"][1]["counts"],
        counts(1, 1, 1, 0, 0),
        "A added, p-1 moved in"
    );
    assert_eq!(r["outside_all_zones"], counts(0, 0, 0, 0, 1), "p-4 removed");
    assert_eq!(r["watched"]["moved_into"], json!([["p-3", "项目p-3", ""]]));
    assert_eq!(r["watched"]["moved_out"], json!([["p-1", "项目p-1", ""]]));
    let p1 = &r["projects"][0];
    assert_eq!(
        p1["fields"],
        json!(["geometry", "lead_unit"]),
        "progress changed in October only"
    );
    assert_eq!(p1["keys"], json!(["li", "wang"]));
    assert_eq!(p1["last_edit"], "2026-11-30T23:59:59.999Z");
    // October: p-1's progress only.
    let oct = get(&router, "/report?month=2026-10").await.body;
    assert_eq!(oct["totals"], counts(0, 1, 0, 0, 0));
    // CSV for a spreadsheet, read back with a CSV reader we did not write.
    let csv = send(
        &router,
        Method::GET,
        "/report?month=2026-11&f=csv",
        &[],
        None,
    )
    .await;
    assert!(csv
        .header(header::CONTENT_TYPE)
        .unwrap()
        .starts_with("text/csv"));
    let text = csv
        .body
        .as_str()
        .unwrap()
        .trim_start_matches('\u{feff}')
        .to_string();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5);
    let head = reader.headers().unwrap().clone();
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    assert_eq!(&rows[1][col("status_before")], "under_construction");
    assert_eq!(&rows[1][col("status")], "completed");
    assert_eq!(&rows[1][col("finished")], "1");
    assert_eq!(&rows[0][col("zones")], "二级区");
    // The command line answers the same.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_shanshui"))
        .args([
            "--data",
            f.path().to_str().unwrap(),
            "report",
            "--month",
            "2026-11",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cli["totals"], r["totals"]);
    assert_eq!(cli["watched"], r["watched"]);
    let text = std::process::Command::new(env!("CARGO_BIN_EXE_shanshui"))
        .args([
            "--data",
            f.path().to_str().unwrap(),
            "report",
            "--month",
            "2026-11",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("moved into 一级区") && text.contains("p-3  项目p-3"),
        "{text}"
    );
    // Bad months are refused plainly.
    assert_eq!(
        get(&router, "/report?month=2026-13").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn a_client_id_taken_is_409_and_a_free_one_is_used() {
    let f = Fixture::new();
    let (_, router) = f.serve();
    let key = bearer(&f.li);
    let auth = ("authorization", key.as_str());
    let point = |id: &str| json!({"type": "Feature", "properties": {"id": id}, "geometry": {"type": "Point", "coordinates": [116.2, 40.2]}});
    let a = send(
        &router,
        Method::POST,
        "/collections/strict/items",
        &[GEOJSON, auth],
        Some(point("s-1")),
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert!(
        a.body["message"].as_str().unwrap().contains("PUT"),
        "{}",
        a.body
    );
    let a = send(
        &router,
        Method::POST,
        "/collections/strict/items",
        &[GEOJSON, auth],
        Some(point("s-9")),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert!(a
        .header(header::LOCATION)
        .unwrap()
        .ends_with("/collections/strict/items/s-9"));
    // Where the server assigns ids, a client's id is not used.
    let mut body = new_project("自带编号", 116.3);
    body["properties"]["id"] = json!("p-1");
    let a = send(
        &router,
        Method::POST,
        "/collections/projects/items",
        &[GEOJSON, ("authorization", &bearer(&f.wang))],
        Some(body),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_ne!(a.body["properties"]["id"], "p-1");
    assert_eq!(
        get(&router, "/collections/projects/items/p-1").await.body["properties"]["name_zh"],
        "项目p-1"
    );
}

#[tokio::test]
async fn guessing_keys_is_throttled_with_retry_after_while_a_good_key_works() {
    let f = Fixture::new();
    let (_, router) = f.serve();
    let good = bearer(&f.wang);
    let patch = json!({"properties": {"progress": 30}});
    let a = send(
        &router,
        Method::PATCH,
        "/collections/projects/items/p-1",
        &[PATCH, ("authorization", &good)],
        Some(patch.clone()),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let mut statuses = Vec::new();
    for i in 0..30 {
        let guess = format!("Bearer shs_{i:08x}_{:064}", i);
        let a = send(
            &router,
            Method::PATCH,
            "/collections/projects/items/p-1",
            &[PATCH, ("authorization", &guess)],
            Some(patch.clone()),
        )
        .await;
        if a.status == StatusCode::TOO_MANY_REQUESTS {
            let wait: u64 = a.header(header::RETRY_AFTER).unwrap().parse().unwrap();
            assert!(wait >= 1, "{wait}");
        }
        statuses.push(a.status.as_u16());
    }
    assert_eq!(statuses[0], 401);
    assert!(
        statuses.iter().filter(|s| **s == 429).count() >= 5,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    let a = send(
        &router,
        Method::PATCH,
        "/collections/projects/items/p-1",
        &[PATCH, ("authorization", &good)],
        Some(json!({"properties": {"progress": 31}})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "a key in use keeps working");
}
