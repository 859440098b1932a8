//! OGC API Features through the router, in-process: the landing page,
//! conformance, the OpenAPI document, collections, items (paging, bbox,
//! equality, CQL2 text and JSON), single features, queryables, and every
//! mistake. Filtered answers are checked against brute force over the
//! catalog with geo's predicates, never against hard-coded lists.

use crate::util::{bundled, router};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use geo::{Contains, Coord, Geometry, Intersects, LineString, Polygon, Rect, Relate};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use shanshui::query::{within, Filter, FilterLang, Queryables, Target};
use shanshui::Feature;
use tower::ServiceExt;

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const BASE: &str = "http://127.0.0.1:8080";

struct Reply {
    status: StatusCode,
    content_type: String,
    link: String,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

async fn get_accept(uri: &str, accept: Option<&str>) -> Reply {
    let mut req = Request::builder().uri(uri);
    if let Some(a) = accept {
        req = req.header(header::ACCEPT, a);
    }
    let res = router()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let h = |name: header::HeaderName| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (status, content_type, link) = (res.status(), h(header::CONTENT_TYPE), h(header::LINK));
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        content_type,
        link,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

async fn get(uri: &str) -> Reply {
    get_accept(uri, None).await
}

/// A 200 JSON answer of the given media type.
async fn ok(uri: &str, media: &str) -> Value {
    let r = get(uri).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
    assert_eq!(r.content_type, media, "{uri}");
    r.json()
}

/// The error answer: status and message.
async fn error(uri: &str) -> (StatusCode, String) {
    let r = get(uri).await;
    assert_eq!(r.content_type, "application/json", "{uri}: {}", r.body);
    let v = r.json();
    assert_eq!(v["status"], r.status.as_u16(), "{uri}");
    (r.status, v["message"].as_str().unwrap().to_string())
}

async fn bad_request(uri: &str, says: &[&str]) {
    let (status, message) = error(uri).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {message}");
    for s in says {
        assert!(message.contains(s), "{uri}: `{message}` should say `{s}`");
    }
}

fn link<'a>(doc: &'a Value, rel: &str) -> Option<&'a Value> {
    doc["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == rel)
}

fn href(doc: &Value, rel: &str) -> String {
    link(doc, rel).unwrap_or_else(|| panic!("no {rel} link in {doc}"))["href"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The path and query of one of our absolute URLs.
fn local(url: &str) -> &str {
    url.strip_prefix(BASE)
        .unwrap_or_else(|| panic!("{url} is not ours"))
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn ids(doc: &Value) -> Vec<String> {
    doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

/// Every feature id the query selects, on one page, checking the counts.
async fn selected(layer: &str, query: &str) -> Vec<String> {
    let doc = ok(
        &format!("/collections/{layer}/items?limit=10000&{query}"),
        "application/geo+json",
    )
    .await;
    let found = ids(&doc);
    assert_eq!(doc["numberMatched"], found.len(), "{query}");
    assert_eq!(doc["numberReturned"], found.len(), "{query}");
    found
}

/// The ids of `layer`'s features that satisfy `pred`, in file order.
fn brute(layer: &str, pred: impl Fn(&Feature) -> bool) -> Vec<String> {
    let layer = bundled().layer(layer).unwrap();
    layer
        .in_file_order()
        .map(|i| &layer.features[i])
        .filter(|f| pred(f))
        .map(|f| f.id.to_string())
        .collect()
}

fn num(f: &Feature, key: &str) -> Option<f64> {
    f.properties
        .get(key)
        .and_then(shanshui::catalog::PropValue::as_f64)
}

fn text<'a>(f: &'a Feature, key: &str) -> Option<&'a str> {
    f.properties
        .get(key)
        .and_then(shanshui::catalog::PropValue::as_str)
}

/// Checks a CQL2 text filter and its JSON twin against brute force, and
/// that the answer is not trivially empty or everything when `nontrivial`.
async fn check_cql(layer: &str, cql_text: &str, cql_json: Value, expected: Vec<String>) {
    let by_text = selected(layer, &format!("filter={}", enc(cql_text))).await;
    assert_eq!(by_text, expected, "cql2-text {cql_text}");
    let by_json = selected(
        layer,
        &format!(
            "filter-lang=cql2-json&filter={}",
            enc(&cql_json.to_string())
        ),
    )
    .await;
    assert_eq!(by_json, expected, "cql2-json {cql_json}");
}

fn wkt_ring(ring: &LineString<f64>) -> String {
    let pts: Vec<String> = ring.coords().map(|c| format!("{} {}", c.x, c.y)).collect();
    format!("({})", pts.join(", "))
}

fn wkt_polygon_body(p: &Polygon<f64>) -> String {
    let rings: Vec<String> = std::iter::once(p.exterior())
        .chain(p.interiors())
        .map(wkt_ring)
        .collect();
    format!("({})", rings.join(", "))
}

/// WKT of a (multi)polygon, line or point.
fn wkt(g: &Geometry<f64>) -> String {
    match g {
        Geometry::Polygon(p) => format!("POLYGON{}", wkt_polygon_body(p)),
        Geometry::MultiPolygon(mp) => format!(
            "MULTIPOLYGON({})",
            mp.iter()
                .map(wkt_polygon_body)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Geometry::LineString(l) => format!("LINESTRING{}", wkt_ring(l)),
        Geometry::Point(p) => format!("POINT({} {})", p.x(), p.y()),
        other => panic!("no WKT writer for {other:?}"),
    }
}

fn geojson(g: &Geometry<f64>) -> Value {
    serde_json::to_value(geojson::Geometry::new(geojson::GeometryValue::from(g))).unwrap()
}

fn rect(w: f64, s: f64, e: f64, n: f64) -> Rect<f64> {
    Rect::new(Coord { x: w, y: s }, Coord { x: e, y: n })
}

fn zone_one() -> Geometry<f64> {
    bundled()
        .layer("reservoir_zones")
        .unwrap()
        .feature("zone-1")
        .unwrap()
        .geometry
        .clone()
}

// ---------------------------------------------------------------- landing

#[tokio::test]
async fn landing_page_is_json_for_clients() {
    for accept in [None, Some("*/*"), Some("application/json")] {
        let r = get_accept("/", accept).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.content_type, "application/json", "{accept:?}");
        let doc = r.json();
        assert!(doc["title"].as_str().unwrap().contains("Miyun"));
        assert_eq!(
            link(&doc, "service-desc").unwrap()["type"],
            "application/vnd.oai.openapi+json;version=3.0"
        );
        assert_eq!(local(&href(&doc, "service-desc")), "/api");
        assert_eq!(local(&href(&doc, "conformance")), "/conformance");
        assert_eq!(local(&href(&doc, "data")), "/collections");
        assert_eq!(local(&href(&doc, "self")), "/");
        assert_eq!(link(&doc, "alternate").unwrap()["type"], "text/html");
        let related: Vec<&str> = doc["links"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["rel"] == "related")
            .map(|l| local(l["href"].as_str().unwrap()))
            .collect();
        assert_eq!(related, ["/tiles.json", "/catalog"]);
        for l in doc["links"].as_array().unwrap() {
            assert!(l["type"].is_string() && l["title"].is_string(), "{l}");
        }
    }
    let forced = get_accept("/?f=json", Some("text/html")).await;
    assert_eq!(forced.content_type, "application/json");
}

#[tokio::test]
async fn landing_page_is_html_for_browsers() {
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    for (uri, accept) in [
        ("/", Some(browser)),
        ("/?f=html", None),
        ("/?f=html", Some("application/json")),
    ] {
        let r = get_accept(uri, accept).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.content_type, "text/html; charset=utf-8", "{uri}");
        for target in ["/collections", "/api", "/tiles.json", "/catalog"] {
            assert!(r.body.contains(&format!("{BASE}{target}\"")), "{target}");
        }
        assert!(r.body.contains("密云水库保护区"));
    }
    bad_request("/?f=xml", &["f=`xml`", "f=json", "f=html"]).await;
    bad_request("/?format=json", &["unknown parameter `format`"]).await;
}

#[tokio::test]
async fn conformance_claims_what_is_implemented() {
    let doc = ok("/conformance", "application/json").await;
    let classes: Vec<&str> = doc["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for c in [
        "ogcapi-features-1/1.0/conf/core",
        "ogcapi-features-1/1.0/conf/geojson",
        "ogcapi-features-1/1.0/conf/oas30",
        "ogcapi-features-3/1.0/conf/queryables",
        "ogcapi-features-3/1.0/conf/queryables-query-parameters",
        "ogcapi-features-3/1.0/conf/filter",
        "ogcapi-features-3/1.0/conf/features-filter",
        "cql2/1.0/conf/cql2-text",
        "cql2/1.0/conf/cql2-json",
        "cql2/1.0/conf/basic-cql2",
        "cql2/1.0/conf/advanced-comparison-operators",
        "cql2/1.0/conf/basic-spatial-functions",
        "cql2/1.0/conf/basic-spatial-functions-plus",
        "cql2/1.0/conf/spatial-functions",
    ] {
        let uri = format!("http://www.opengis.net/spec/{c}");
        assert!(classes.contains(&uri.as_str()), "{c}");
    }
    assert!(!classes.iter().any(|c| c.ends_with("/conf/html")));
    assert!(!classes
        .iter()
        .any(|c| c.contains("arithmetic") || c.contains("temporal")));
    bad_request("/conformance?f=html", &["f=json"]).await;
}

// ---------------------------------------------------------------- OpenAPI

#[tokio::test]
async fn openapi_describes_every_path_and_parameter() {
    let media = "application/vnd.oai.openapi+json;version=3.0";
    let doc = ok("/api", media).await;
    assert_eq!(ok("/api?f=json", media).await, doc);
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();
    for p in ["/", "/conformance", "/api", "/collections"] {
        assert!(paths.contains_key(p), "{p}");
    }
    for layer in bundled().layers() {
        let id = layer.id();
        for p in ["", "/queryables", "/items", "/items/{featureId}"] {
            assert!(
                paths.contains_key(&format!("/collections/{id}{p}")),
                "{id}{p}"
            );
        }
        let params = doc["paths"][format!("/collections/{id}/items")]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| match p.get("$ref") {
                Some(r) => {
                    let name = r.as_str().unwrap().rsplit('/').next().unwrap();
                    doc["components"]["parameters"][name].clone()
                }
                None => p.clone(),
            })
            .collect::<Vec<_>>();
        let names: Vec<&str> = params.iter().map(|p| p["name"].as_str().unwrap()).collect();
        for n in [
            "bbox",
            "limit",
            "offset",
            "datetime",
            "filter",
            "filter-lang",
            "filter-crs",
            "f",
        ] {
            assert!(names.contains(&n), "{id}: {n}");
        }
        for (q, _) in Queryables::of(layer).properties() {
            assert!(names.contains(&q), "{id}: queryable {q}");
        }
        let limit = params.iter().find(|p| p["name"] == "limit").unwrap();
        assert_eq!(limit["schema"]["default"], 10);
        assert_eq!(limit["schema"]["maximum"], 10000);
        let bbox = params.iter().find(|p| p["name"] == "bbox").unwrap();
        assert_eq!(bbox["style"], "form");
        assert_eq!(bbox["explode"], false);
        assert_eq!(bbox["schema"]["minItems"], 4);
    }
    // Every $ref resolves within the document.
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r);
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 20);
    for r in all {
        let pointer = r.strip_prefix('#').unwrap();
        assert!(doc.pointer(pointer).is_some(), "dangling {r}");
    }
}

// ---------------------------------------------------------------- collections

#[tokio::test]
async fn one_collection_per_layer() {
    let doc = ok("/collections", "application/json").await;
    assert_eq!(local(&href(&doc, "self")), "/collections");
    let collections = doc["collections"].as_array().unwrap();
    let catalog = bundled();
    assert_eq!(collections.len(), catalog.layers().len());
    for (c, layer) in collections.iter().zip(catalog.layers()) {
        let id = layer.id();
        assert_eq!(c["id"], id);
        assert_eq!(c["title"], layer.meta.title.en);
        assert_eq!(c["title_zh"], layer.meta.title.zh);
        assert_eq!(c["description"], layer.meta.description);
        assert_eq!(c["itemType"], "feature");
        assert_eq!(c["crs"], json!([CRS84]));
        let b = layer.bounds().unwrap();
        assert_eq!(
            c["extent"]["spatial"]["bbox"],
            json!([[b.min().x, b.min().y, b.max().x, b.max().y]])
        );
        assert_eq!(c["extent"]["spatial"]["crs"], CRS84);
        assert!(c["extent"].get("temporal").is_none());
        let items = link(c, "items").unwrap();
        assert_eq!(items["type"], "application/geo+json");
        assert_eq!(
            local(items["href"].as_str().unwrap()),
            format!("/collections/{id}/items")
        );
        let q = link(c, "http://www.opengis.net/def/rel/ogc/1.0/queryables").unwrap();
        assert_eq!(
            local(q["href"].as_str().unwrap()),
            format!("/collections/{id}/queryables")
        );
        assert_eq!(local(&href(c, "related")), format!("/tiles/{id}.json"));
        assert_eq!(local(&href(c, "self")), format!("/collections/{id}"));
        assert!(link(c, "alternate").is_some());
        // The collection's own page says the same.
        let own = ok(&format!("/collections/{id}"), "application/json").await;
        assert_eq!(&own, c);
    }
}

#[tokio::test]
async fn unknown_collections_and_features_are_404() {
    for uri in [
        "/collections/nowhere",
        "/collections/nowhere/items",
        "/collections/nowhere/queryables",
        "/collections/nowhere/items/x",
    ] {
        let (status, message) = error(uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert!(message.contains("no collection `nowhere`"), "{message}");
        assert!(message.contains("reservoir_zones"), "{message}");
    }
    let (status, message) = error("/collections/projects/items/no-such-project").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        message.contains("no feature `no-such-project`"),
        "{message}"
    );
}

// ---------------------------------------------------------------- items

#[tokio::test]
async fn items_page_with_counts_links_and_timestamp() {
    let r = get("/collections/villages/items").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type, "application/geo+json");
    let doc = r.json();
    assert_eq!(doc["type"], "FeatureCollection");
    let villages = bundled().layer("villages").unwrap();
    assert_eq!(doc["numberMatched"], villages.len());
    assert_eq!(doc["numberReturned"], 10);
    // In file order.
    let first: Vec<String> = villages
        .in_file_order()
        .take(10)
        .map(|i| villages.features[i].id.to_string())
        .collect();
    assert_eq!(ids(&doc), first);
    let ts = doc["timeStamp"].as_str().unwrap();
    assert!(
        ts.len() == 20 && ts.ends_with('Z') && ts.as_bytes()[10] == b'T',
        "{ts}"
    );
    assert_eq!(link(&doc, "self").unwrap()["type"], "application/geo+json");
    assert_eq!(link(&doc, "alternate").unwrap()["type"], "application/json");
    assert_eq!(local(&href(&doc, "collection")), "/collections/villages");
    assert!(link(&doc, "prev").is_none());
    assert!(href(&doc, "next").contains("offset=10"));
    for l in doc["links"].as_array().unwrap() {
        assert!(l["type"].is_string(), "{l}");
    }
    // The links again, in a Link header.
    assert!(
        r.link
            .contains("rel=\"self\"; type=\"application/geo+json\""),
        "{}",
        r.link
    );
    assert!(r.link.contains("rel=\"next\""), "{}", r.link);
    assert!(r
        .link
        .contains("rel=\"http://www.opengis.net/def/rel/ogc/1.0/queryables\""));
    // A feature as GeoJSON: string id, geometry, properties.
    let f = &doc["features"][0];
    let first_village = &villages.features[villages.in_file_order().next().unwrap()];
    assert_eq!(f["type"], "Feature");
    assert_eq!(f["id"], first_village.id.as_str());
    assert_eq!(f["geometry"]["type"], "Point");
    assert_eq!(
        f["properties"]["name_zh"],
        first_village.properties["name_zh"]
    );
    // f=json: the same page as application/json.
    let plain = ok("/collections/villages/items?f=json", "application/json").await;
    assert_eq!(ids(&plain), first);
    assert_eq!(
        link(&plain, "alternate").unwrap()["type"],
        "application/geo+json"
    );
    assert!(href(&plain, "next").contains("f=json"));
}

#[tokio::test]
async fn paging_walks_every_feature_once_in_file_order() {
    let all: Vec<String> = brute("villages", |_| true);
    let mut seen = Vec::new();
    let mut uri = "/collections/villages/items?limit=50".to_string();
    let mut pages = 0;
    loop {
        let doc = ok(&uri, "application/geo+json").await;
        assert_eq!(doc["numberMatched"], all.len());
        seen.extend(ids(&doc));
        pages += 1;
        if pages > 1 {
            assert!(link(&doc, "prev").is_some(), "{uri}");
        }
        match link(&doc, "next") {
            Some(next) => uri = local(next["href"].as_str().unwrap()).to_string(),
            None => break,
        }
    }
    assert_eq!(pages, 4);
    assert_eq!(seen, all);
    // prev goes back one page.
    let doc = ok(
        "/collections/villages/items?limit=50&offset=100",
        "application/geo+json",
    )
    .await;
    let prev = ok(local(&href(&doc, "prev")), "application/geo+json").await;
    assert_eq!(ids(&prev), all[50..100]);
    // Past the end: nothing, with a way back.
    let doc = ok(
        "/collections/villages/items?offset=500",
        "application/geo+json",
    )
    .await;
    assert_eq!(doc["numberReturned"], 0);
    assert_eq!(doc["numberMatched"], all.len());
    assert!(link(&doc, "next").is_none() && link(&doc, "prev").is_some());
    // A limit above the maximum is served as the maximum: everything here.
    let doc = ok(
        "/collections/villages/items?limit=20000",
        "application/geo+json",
    )
    .await;
    assert_eq!(doc["numberReturned"], all.len());
    assert!(link(&doc, "next").is_none());
    assert!(href(&doc, "self").contains("limit=10000"));
    // Filters ride along on the next link.
    let doc = ok(
        "/collections/villages/items?limit=5&level=town",
        "application/geo+json",
    )
    .await;
    assert!(href(&doc, "next").contains("level=town"));
}

#[tokio::test]
async fn bbox_selects_what_intersects_it() {
    let boxes = [
        (116.8, 40.3, 117.1, 40.6),
        (116.9, 40.45, 117.0, 40.55),
        (117.2, 40.6, 117.5, 40.8),
        (0.0, 0.0, 1.0, 1.0),
    ];
    for layer in ["projects", "villages", "tourism_belts", "nature_reserves"] {
        for (w, s, e, n) in boxes {
            let r = Geometry::Polygon(rect(w, s, e, n).to_polygon());
            let expected = brute(layer, |f| f.geometry.intersects(&r));
            let found = selected(layer, &format!("bbox={w},{s},{e},{n}")).await;
            assert_eq!(found, expected, "{layer} {w},{s},{e},{n}");
        }
    }
    // A box flat as a point or a line is that point or line.
    let v = &bundled().layer("villages").unwrap().features[7];
    let Geometry::Point(pt) = v.geometry else {
        panic!("villages are points")
    };
    let (x, y) = (pt.x(), pt.y());
    let found = selected("villages", &format!("bbox={x},{y},{x},{y}")).await;
    assert!(found.contains(&v.id.to_string()), "{found:?}");
    assert_eq!(found, brute("villages", |f| f.geometry.intersects(&pt)));
    let line = Geometry::LineString(LineString::from(vec![(116.5, 40.5), (117.5, 40.5)]));
    assert_eq!(
        selected("tourism_belts", "bbox=116.5,40.5,117.5,40.5").await,
        brute("tourism_belts", |f| f.geometry.intersects(&line))
    );
    // Six numbers: the heights are ignored.
    let four = selected("projects", "bbox=116.8,40.3,117.1,40.6").await;
    assert!(!four.is_empty());
    assert_eq!(
        selected("projects", "bbox=116.8,40.3,-10,117.1,40.6,100").await,
        four
    );
}

#[tokio::test]
async fn bad_bboxes_say_what_to_fix() {
    let p = "/collections/projects/items?bbox=";
    bad_request(&format!("{p}1,2,3"), &["bbox", "4 numbers", "not 3"]).await;
    bad_request(&format!("{p}1,2,3,x"), &["bbox", "4 numbers"]).await;
    bad_request(&format!("{p}1,2,3,NaN"), &["finite"]).await;
    bad_request(&format!("{p}190,0,191,1"), &["longitude 190", "-180..180"]).await;
    bad_request(&format!("{p}0,-91,1,1"), &["latitude -91", "-90..90"]).await;
    bad_request(&format!("{p}10,0,5,1"), &["minlon 10 exceeds maxlon 5"]).await;
    bad_request(&format!("{p}0,5,1,4"), &["minlat 5 exceeds maxlat 4"]).await;
}

#[tokio::test]
async fn bad_parameters_say_what_to_fix() {
    let p = "/collections/projects/items";
    bad_request(
        &format!("{p}?ooga=booga"),
        &["unknown parameter `ooga`", "bbox", "start_year"],
    )
    .await;
    bad_request(
        &format!("{p}?limit=unlimited"),
        &["`limit`", "`unlimited`", "at most 10000"],
    )
    .await;
    bad_request(&format!("{p}?limit=0"), &["`limit`", "1 or more"]).await;
    bad_request(&format!("{p}?limit=-5"), &["`limit`"]).await;
    bad_request(&format!("{p}?offset=-1"), &["`offset`", "0 or more"]).await;
    bad_request(
        &format!("{p}?limit=5&limit=6"),
        &["`limit` is given more than once"],
    )
    .await;
    bad_request(&format!("{p}?f=xml"), &["f=`xml`", "f=geojson"]).await;
    bad_request(
        &format!("{p}?datetime=yesterday"),
        &["datetime=yesterday", "RFC 3339"],
    )
    .await;
    bad_request(&format!("{p}?datetime=../.."), &["datetime"]).await;
    bad_request(
        &format!("{p}?filter-lang=ecql&filter=a%3D1"),
        &["filter-lang `ecql`", "cql2-text"],
    )
    .await;
    bad_request(
        &format!("{p}?filter-crs=EPSG:3857&filter=TRUE"),
        &["filter-crs", "CRS84"],
    )
    .await;
    bad_request(
        &format!("{p}?start_year=soon"),
        &["`start_year` is a number", "`soon`"],
    )
    .await;
    bad_request("/collections?f=html", &["f=json"]).await;
    bad_request("/collections/projects?x=1", &["unknown parameter `x`"]).await;
    bad_request("/collections/projects/queryables?f=xml", &["f=json"]).await;
    bad_request(
        "/collections/projects/items/p-g101-greening?f=kml",
        &["f=geojson"],
    )
    .await;
    // A valid datetime matches every feature (the layers have no times).
    for d in ["2024-05-01", "2020-01-01T00:00:00Z/..", "../2024-12-31"] {
        let n = selected("projects", &format!("datetime={}", enc(d)))
            .await
            .len();
        assert_eq!(n, 55, "{d}");
    }
    assert_eq!(
        selected(
            "projects",
            &format!("filter-crs={}&filter=TRUE", enc(CRS84))
        )
        .await
        .len(),
        55
    );
}

#[tokio::test]
async fn equality_filters_on_queryables() {
    assert_eq!(
        selected("projects", "status=planned").await,
        brute("projects", |f| text(f, "status") == Some("planned"))
    );
    let y2020 = brute("projects", |f| num(f, "start_year") == Some(2020.0));
    assert!(!y2020.is_empty());
    assert_eq!(selected("projects", "start_year=2020").await, y2020);
    assert_eq!(selected("projects", "start_year=2020.0").await, y2020);
    assert_eq!(
        selected(
            "projects",
            "status=under_construction&start_year=2021&category=economy"
        )
        .await,
        brute("projects", |f| text(f, "status")
            == Some("under_construction")
            && num(f, "start_year") == Some(2021.0)
            && text(f, "category") == Some("economy"))
    );
    assert_eq!(selected("reservoir_zones", "level=1").await, ["zone-1"]);
    assert_eq!(
        selected("projects", "status=nothing-like-this").await,
        Vec::<String>::new()
    );
    assert_eq!(
        selected("villages", &format!("town={}", enc("密云镇"))).await,
        brute("villages", |f| text(f, "town") == Some("密云镇"))
    );
    assert_eq!(
        selected("villages", "id=zone-1").await,
        Vec::<String>::new()
    );
}

// ---------------------------------------------------------------- feature, queryables

#[tokio::test]
async fn a_single_feature_with_its_links() {
    let r = get("/collections/projects/items/p-g101-greening").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type, "application/geo+json");
    let doc = r.json();
    let f = bundled()
        .layer("projects")
        .unwrap()
        .feature("p-g101-greening")
        .unwrap();
    assert_eq!(doc["type"], "Feature");
    assert_eq!(doc["id"], "p-g101-greening");
    assert_eq!(doc["properties"], Value::Object(f.properties.to_map()));
    assert_eq!(doc["geometry"], geojson(&f.geometry));
    assert_eq!(
        local(&href(&doc, "self")),
        "/collections/projects/items/p-g101-greening"
    );
    assert_eq!(local(&href(&doc, "collection")), "/collections/projects");
    assert_eq!(link(&doc, "alternate").unwrap()["type"], "application/json");
    assert!(r.link.contains("rel=\"collection\""));
    let plain = ok(
        "/collections/projects/items/p-g101-greening?f=json",
        "application/json",
    )
    .await;
    assert_eq!(plain["id"], "p-g101-greening");
    // Every feature of the first page has its own page.
    let page = ok("/collections/reservoir_zones/items", "application/geo+json").await;
    for id in ids(&page) {
        let one = ok(
            &format!("/collections/reservoir_zones/items/{id}"),
            "application/geo+json",
        )
        .await;
        assert_eq!(one["id"], id);
    }
}

#[tokio::test]
async fn queryables_are_a_json_schema_of_the_data() {
    let doc = ok(
        "/collections/projects/queryables",
        "application/schema+json",
    )
    .await;
    assert_eq!(
        doc["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(
        doc["$id"],
        format!("{BASE}/collections/projects/queryables")
    );
    assert_eq!(doc["type"], "object");
    assert_eq!(doc["additionalProperties"], false);
    let props = doc["properties"].as_object().unwrap();
    assert_eq!(props["start_year"]["type"], "integer");
    assert_eq!(props["status"]["type"], "string");
    assert_eq!(props["name_zh"]["type"], "string");
    assert_eq!(props["geometry"]["format"], "geometry-any");
    // Every property any feature has is a queryable.
    for f in bundled().layer("projects").unwrap().iter() {
        for k in f.properties.keys() {
            assert!(props.contains_key(k), "{k}");
        }
    }
    let villages = ok(
        "/collections/villages/queryables",
        "application/schema+json",
    )
    .await;
    assert_eq!(
        villages["properties"]["geometry"]["format"],
        "geometry-point"
    );
    let zones = ok(
        "/collections/reservoir_zones/queryables",
        "application/schema+json",
    )
    .await;
    assert_eq!(zones["properties"]["level"]["type"], "integer");
    assert_eq!(
        zones["properties"]["geometry"]["format"],
        "geometry-polygon"
    );
}

// ---------------------------------------------------------------- CQL2

#[tokio::test]
async fn cql2_comparisons() {
    let p = |o: &str| json!({"property": o});
    type Cmp = fn(f64, f64) -> bool;
    let cases: [(&str, &str, Cmp); 6] = [
        ("=", "=", |a, b| a == b),
        ("<>", "<>", |a, b| a != b),
        ("<", "<", |a, b| a < b),
        ("<=", "<=", |a, b| a <= b),
        (">", ">", |a, b| a > b),
        (">=", ">=", |a, b| a >= b),
    ];
    for (text_op, json_op, cmp) in cases {
        let expected = brute("projects", |f| {
            num(f, "start_year").is_some_and(|y| cmp(y, 2021.0))
        });
        check_cql(
            "projects",
            &format!("start_year {text_op} 2021"),
            json!({"op": json_op, "args": [p("start_year"), 2021]}),
            expected,
        )
        .await;
        // Text compares by code point.
        let expected = brute("projects", |f| {
            text(f, "status").is_some_and(|s| {
                let o = s.cmp("planned");
                cmp(o as i8 as f64, 0.0)
            })
        });
        check_cql(
            "projects",
            &format!("status {text_op} 'planned'"),
            json!({"op": json_op, "args": [p("status"), "planned"]}),
            expected,
        )
        .await;
    }
    // A literal on the left reads the same.
    assert_eq!(
        selected("projects", &format!("filter={}", enc("2021 < start_year"))).await,
        brute("projects", |f| num(f, "start_year")
            .is_some_and(|y| y > 2021.0))
    );
}

#[tokio::test]
async fn cql2_logic() {
    let p = |o: &str| json!({"property": o});
    let econ = |f: &Feature| text(f, "category") == Some("economy");
    let recent = |f: &Feature| num(f, "start_year").is_some_and(|y| y >= 2021.0);
    check_cql(
        "projects",
        "category = 'economy' AND start_year >= 2021",
        json!({"op": "and", "args": [
            {"op": "=", "args": [p("category"), "economy"]},
            {"op": ">=", "args": [p("start_year"), 2021]}]}),
        brute("projects", |f| econ(f) && recent(f)),
    )
    .await;
    check_cql(
        "projects",
        "category = 'economy' OR start_year >= 2021",
        json!({"op": "or", "args": [
            {"op": "=", "args": [p("category"), "economy"]},
            {"op": ">=", "args": [p("start_year"), 2021]}]}),
        brute("projects", |f| econ(f) || recent(f)),
    )
    .await;
    check_cql(
        "projects",
        "NOT (category = 'economy')",
        json!({"op": "not", "args": [{"op": "=", "args": [p("category"), "economy"]}]}),
        brute("projects", |f| !econ(f)),
    )
    .await;
    check_cql(
        "projects",
        "(category = 'economy' OR category = 'ecology') AND NOT start_year < 2021",
        json!({"op": "and", "args": [
            {"op": "or", "args": [
                {"op": "=", "args": [p("category"), "economy"]},
                {"op": "=", "args": [p("category"), "ecology"]}]},
            {"op": "not", "args": [{"op": "<", "args": [p("start_year"), 2021]}]}]}),
        brute("projects", |f| {
            (econ(f) || text(f, "category") == Some("ecology")) && recent(f)
        }),
    )
    .await;
    check_cql("projects", "TRUE", json!(true), brute("projects", |_| true)).await;
    check_cql("projects", "FALSE", json!(false), vec![]).await;
}

#[tokio::test]
async fn cql2_like_in_between_is_null() {
    let p = |o: &str| json!({"property": o});
    check_cql(
        "projects",
        "name_en LIKE 'Village sewage%'",
        json!({"op": "like", "args": [p("name_en"), "Village sewage%"]}),
        brute("projects", |f| {
            text(f, "name_en").is_some_and(|s| s.starts_with("Village sewage"))
        }),
    )
    .await;
    check_cql(
        "projects",
        "name_zh LIKE '%密云水库%'",
        json!({"op": "like", "args": [p("name_zh"), "%密云水库%"]}),
        brute("projects", |f| {
            text(f, "name_zh").is_some_and(|s| s.contains("密云水库"))
        }),
    )
    .await;
    // `_` is one character: ids `zone-1` and `zone-2` but not `zone-10`.
    check_cql(
        "reservoir_zones",
        "id LIKE 'zone-_'",
        json!({"op": "like", "args": [p("id"), "zone-_"]}),
        brute("reservoir_zones", |f| {
            f.id.len() == 6 && f.id.starts_with("zone-")
        }),
    )
    .await;
    check_cql(
        "projects",
        "status IN ('planned', 'completed')",
        json!({"op": "in", "args": [p("status"), ["planned", "completed"]]}),
        brute("projects", |f| {
            matches!(text(f, "status"), Some("planned" | "completed"))
        }),
    )
    .await;
    check_cql(
        "projects",
        "start_year IN (2006, 2010, 2023)",
        json!({"op": "in", "args": [p("start_year"), [2006, 2010, 2023]]}),
        brute("projects", |f| {
            num(f, "start_year").is_some_and(|y| [2006.0, 2010.0, 2023.0].contains(&y))
        }),
    )
    .await;
    check_cql(
        "projects",
        "start_year NOT IN (2021, 2022)",
        json!({"op": "not", "args": [{"op": "in", "args": [p("start_year"), [2021, 2022]]}]}),
        brute("projects", |f| {
            num(f, "start_year").is_some_and(|y| y != 2021.0 && y != 2022.0)
        }),
    )
    .await;
    check_cql(
        "projects",
        "start_year BETWEEN 2017 AND 2020",
        json!({"op": "between", "args": [p("start_year"), 2017, 2020]}),
        brute("projects", |f| {
            num(f, "start_year").is_some_and(|y| (2017.0..=2020.0).contains(&y))
        }),
    )
    .await;
    // Three villages have no `code`.
    let no_code = brute("villages", |f| {
        f.properties
            .get("code")
            .is_none_or(shanshui::catalog::PropValue::is_null)
    });
    assert_eq!(no_code.len(), 3);
    check_cql(
        "villages",
        "code IS NULL",
        json!({"op": "isNull", "args": [p("code")]}),
        no_code.clone(),
    )
    .await;
    check_cql(
        "villages",
        "code IS NOT NULL",
        json!({"op": "not", "args": [{"op": "isNull", "args": [p("code")]}]}),
        brute("villages", |f| !no_code.contains(&f.id.to_string())),
    )
    .await;
    // A comparison with a missing value is unknown: neither it nor its
    // negation selects the feature.
    let with_code = selected(
        "villages",
        &format!("filter={}", enc("code = '110118001000'")),
    )
    .await;
    let without = selected(
        "villages",
        &format!("filter={}", enc("NOT (code = '110118001000')")),
    )
    .await;
    assert_eq!(with_code.len() + without.len(), 176);
}

/// Brute force of a spatial function: feature geometry `op` literal, by
/// geo's DE-9IM predicates.
fn spatial_truth(op: &str, feature: &Geometry<f64>, literal: &Geometry<f64>) -> bool {
    let m = feature.relate(literal);
    match op {
        "S_INTERSECTS" => m.is_intersects(),
        "S_DISJOINT" => m.is_disjoint(),
        "S_WITHIN" => m.is_within(),
        "S_CONTAINS" => m.is_contains(),
        "S_EQUALS" => m.is_equal_topo(),
        "S_TOUCHES" => m.is_touches(),
        "S_OVERLAPS" => m.is_overlaps(),
        "S_CROSSES" => m.is_crosses(),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn cql2_spatial_functions_against_geo() {
    let catalog = bundled();
    let feature = |layer: &str, id: &str| {
        catalog
            .layer(layer)
            .unwrap()
            .feature(id)
            .unwrap()
            .geometry
            .clone()
    };
    let village = catalog.layer("villages").unwrap().features[0]
        .geometry
        .clone();
    let literals: Vec<(&str, Geometry<f64>)> = vec![
        ("zone one", zone_one()),
        (
            "a box over the reservoir",
            Geometry::Polygon(rect(116.85, 40.45, 117.05, 40.6).to_polygon()),
        ),
        ("Yunmengshan", feature("nature_reserves", "yunmengshan")),
        ("a village point", village),
        ("the north belt", feature("tourism_belts", "belt-north")),
        (
            "a line across the district",
            Geometry::LineString(LineString::from(vec![(116.7, 40.3), (117.3, 40.7)])),
        ),
    ];
    let ops = [
        "S_INTERSECTS",
        "S_DISJOINT",
        "S_WITHIN",
        "S_CONTAINS",
        "S_EQUALS",
        "S_TOUCHES",
        "S_OVERLAPS",
        "S_CROSSES",
    ];
    let layers = [
        "projects",
        "villages",
        "tourism_belts",
        "nature_reserves",
        "reservoir_zones",
    ];
    let mut nonempty = std::collections::BTreeSet::new();
    for (what, literal) in &literals {
        for op in ops {
            for layer in layers {
                let expected = brute(layer, |f| spatial_truth(op, &f.geometry, literal));
                if !expected.is_empty() {
                    nonempty.insert(op);
                }
                let text = format!("{op}(geometry, {})", wkt(literal));
                let json = json!({"op": op.to_lowercase(), "args": [{"property": "geometry"}, geojson(literal)]});
                let by_text = selected(layer, &format!("filter={}", enc(&text))).await;
                assert_eq!(by_text, expected, "{op} {what} on {layer} (text)");
                let by_json = selected(
                    layer,
                    &format!("filter-lang=cql2-json&filter={}", enc(&json.to_string())),
                )
                .await;
                assert_eq!(by_json, expected, "{op} {what} on {layer} (json)");
            }
        }
    }
    // Each function selects something somewhere, so none passes vacuously.
    assert_eq!(nonempty.len(), ops.len(), "{nonempty:?}");
}

#[tokio::test]
async fn cql2_boxes_envelopes_and_argument_order() {
    let (w, s, e, n) = (116.85, 40.45, 117.05, 40.6);
    let r = Geometry::Polygon(rect(w, s, e, n).to_polygon());
    let inside = brute("projects", |f| r.contains(&f.geometry));
    assert!(!inside.is_empty());
    for filter in [
        format!("S_WITHIN(geometry, BBOX({w}, {s}, {e}, {n}))"),
        format!("S_WITHIN(geometry, ENVELOPE({w}, {e}, {n}, {s}))"),
        // With the literal first, S_CONTAINS is the converse.
        format!("S_CONTAINS(BBOX({w}, {s}, {e}, {n}), geometry)"),
    ] {
        assert_eq!(
            selected("projects", &format!("filter={}", enc(&filter))).await,
            inside,
            "{filter}"
        );
    }
    let json =
        json!({"op": "s_within", "args": [{"property": "geometry"}, {"bbox": [w, s, e, n]}]});
    assert_eq!(
        selected(
            "projects",
            &format!("filter-lang=cql2-json&filter={}", enc(&json.to_string()))
        )
        .await,
        inside
    );
    // GDAL 3.6 says cql-text.
    assert_eq!(
        selected(
            "projects",
            &format!(
                "filter-lang=cql-text&filter={}",
                enc(&format!("S_WITHIN(geometry, BBOX({w},{s},{e},{n}))"))
            )
        )
        .await,
        inside
    );
}

#[tokio::test]
async fn the_planners_question_through_ogc_api() {
    // Which projects fall inside reservoir protection zone one?
    let catalog = bundled();
    let zone = Target::parse(catalog, "reservoir_zones/zone-1").unwrap();
    let mut expected: Vec<String> = within(catalog, "projects", &zone, false)
        .unwrap()
        .iter()
        .map(|h| h.feature.id.to_string())
        .collect();
    assert!(expected.len() >= 7);
    let filter = format!("S_WITHIN(geometry, {})", wkt(&zone_one()));
    let mut found = selected("projects", &format!("filter={}", enc(&filter))).await;
    expected.sort();
    found.sort();
    assert_eq!(found, expected);
}

#[tokio::test]
async fn bbox_equality_and_filter_combine_with_and() {
    let b = Geometry::Polygon(rect(116.8, 40.3, 117.1, 40.6).to_polygon());
    let expected = brute("projects", |f| {
        f.geometry.intersects(&b)
            && text(f, "status") == Some("under_construction")
            && num(f, "start_year").is_some_and(|y| y >= 2021.0)
    });
    assert!(!expected.is_empty());
    let found = selected(
        "projects",
        &format!(
            "bbox=116.8,40.3,117.1,40.6&status=under_construction&filter={}",
            enc("start_year >= 2021")
        ),
    )
    .await;
    assert_eq!(found, expected);
}

#[tokio::test]
async fn filter_select_agrees_with_testing_every_feature() {
    // The R-tree planner against index-free evaluation, across layers.
    let catalog = bundled();
    let filters = [
        format!("S_INTERSECTS(geometry, {})", wkt(&zone_one())),
        format!("S_DISJOINT(geometry, {})", wkt(&zone_one())),
        format!("NOT S_WITHIN(geometry, {}) OR id = 'zone-1'", wkt(&zone_one())),
        "S_INTERSECTS(geometry, BBOX(116.9, 40.4, 117.0, 40.5)) OR S_CONTAINS(geometry, POINT(116.95 40.52))".to_string(),
        "S_TOUCHES(geometry, BBOX(116.9, 40.4, 117.0, 40.5)) AND NOT (id = 'x')".to_string(),
    ];
    for layer in catalog.layers() {
        let q = Queryables::of(layer);
        for text in &filters {
            let filter =
                Filter::parse(text, FilterLang::Cql2Text, &q, &Default::default()).unwrap();
            let by_index = filter.select(layer).unwrap();
            let by_scan: Vec<usize> = layer
                .in_file_order()
                .filter(|&i| filter.matches(&layer.features[i]))
                .collect();
            assert_eq!(by_index, by_scan, "{} {text}", layer.id());
        }
    }
}

#[tokio::test]
async fn broken_filters_say_what_is_wrong() {
    let items = "/collections/projects/items";
    let t = |cql: &str| format!("{items}?filter={}", enc(cql));
    let j = |cql: &str| format!("{items}?filter-lang=cql2-json&filter={}", enc(cql));
    bad_request(
        &t("start_year >="),
        &["not valid cql2-text", "line 1, column 14", "expected"],
    )
    .await;
    bad_request(
        &t("start_year = 2021 AND"),
        &["not valid cql2-text", "column 22"],
    )
    .await;
    bad_request(
        &t("ooga = 'booga'"),
        &["`ooga` is not a queryable", "start_year", "geometry"],
    )
    .await;
    bad_request(
        &t("this_is_not_a_queryable"),
        &["`this_is_not_a_queryable` is not a queryable"],
    )
    .await;
    bad_request(&t("name_en"), &["`name_en` alone is not a condition"]).await;
    bad_request(
        &t("start_year = '2021'"),
        &["`start_year` is a number", "'2021'"],
    )
    .await;
    bad_request(&t("name_en = 5"), &["`name_en` is text", "number 5"]).await;
    bad_request(&t("start_year LIKE '20%'"), &["LIKE needs text"]).await;
    bad_request(
        &t("geometry = 'x'"),
        &["`geometry` can only be used in a spatial function"],
    )
    .await;
    bad_request(
        &t("S_WITHIN(name_en, POINT(117 40))"),
        &["`name_en` is not one"],
    )
    .await;
    bad_request(
        &t("S_WITHIN(nothing, POINT(117 40))"),
        &["`nothing` is not a queryable"],
    )
    .await;
    bad_request(
        &t("S_WITHIN(geometry, POLYGON((117 40, 118 40)))"),
        &["invalid geometry", "ring"],
    )
    .await;
    bad_request(
        &t("S_WITHIN(geometry, POLYGON((117 40, 118 41, 118 40, 117 41, 117 40)))"),
        &["invalid geometry"],
    )
    .await;
    bad_request(
        &t("S_INTERSECTS(geometry, POINT(200 40))"),
        &["invalid geometry", "200"],
    )
    .await;
    bad_request(
        &t("S_INTERSECTS(geometry, BBOX(10, 5, 0, 6))"),
        &["BBOX", "west 10 must not exceed east 0"],
    )
    .await;
    bad_request(
        &t("S_INTERSECTS(geometry, BBOX(0, 0, 1))"),
        &["BBOX takes 4 numbers"],
    )
    .await;
    bad_request(&t("CASEI(name_en) = 'x'"), &["CASEI", "not supported"]).await;
    bad_request(
        &t("start_year + 1 = 2022"),
        &["arithmetic", "not supported"],
    )
    .await;
    bad_request(
        &t("T_BEFORE(start_year, TIMESTAMP('2020-01-01T00:00:00Z'))"),
        &["T_BEFORE", "not supported"],
    )
    .await;
    bad_request(
        &j("{\"op\": \"=\", \"args\": [1]"),
        &["not valid cql2-json", "malformed JSON"],
    )
    .await;
    bad_request(
        &j("{\"op\": \"=\", \"args\": [1]}"),
        &["= takes 2 argument(s), not 1"],
    )
    .await;
    bad_request(
        &j("{\"op\": \"=\", \"args\": [{\"ooga\": 1}, 1]}"),
        &[
            "not valid cql2-json",
            "at /args/0",
            "an operation (`op` and `args`)",
        ],
    )
    .await;
    bad_request(
        &j("{\"op\": \"not\", \"args\": {\"op\": \"=\"}}"),
        &["not valid cql2-json", "needs its arguments as an array"],
    )
    .await;
    bad_request(
        &j("{\"op\": \"s_intersects\", \"args\": [{\"property\": \"geometry\"}, {\"bbox\": [1, 2]}]}"),
        &["at /args/1/bbox", "4 (or 6) numbers"],
    )
    .await;
    bad_request(
        &j("{\"op\": \"=\", \"args\": [{\"property\": \"ooga\"}, 1]}"),
        &["`ooga` is not a queryable"],
    )
    .await;
    bad_request(&j("[1, 2]"), &["must be a condition", "not a list"]).await;
}

/// Twenty unclosed parentheses once took the parser 4.3 s to refuse, each
/// more doubling it: now they are refused before parsing, with the limit.
#[tokio::test]
async fn filters_too_deep_or_too_long_are_refused_before_parsing() {
    let items = "/collections/projects/items";
    let t = |cql: &str| format!("{items}?filter={}", enc(cql));
    let j = |cql: &str| format!("{items}?filter-lang=cql2-json&filter={}", enc(cql));
    for n in [11, 20, 30, 200] {
        bad_request(
            &t(&"(".repeat(n)),
            &[
                &format!("nests {n} levels"),
                "at most 10",
                "--max-filter-depth",
            ],
        )
        .await;
    }
    bad_request(
        &j(&format!("{}1{}", "[".repeat(40), "]".repeat(40))),
        &["nests 40 levels", "at most 24 in cql2-json"],
    )
    .await;
    let long = format!("name_en = '{}'", "x".repeat(40_000));
    bad_request(
        &t(&long),
        &["bytes long", "at most 32768", "--max-filter-bytes"],
    )
    .await;
    // Deep enough for a multipolygon inside grouping, and still answered.
    let nested = format!(
        "{}S_INTERSECTS(geometry, MULTIPOLYGON(((116 40, 118 40, 118 41, 116 41, 116 40)))){}",
        "(".repeat(5),
        ")".repeat(5)
    );
    assert_eq!(get(&t(&nested)).await.status, StatusCode::OK);

    // The limits are the server's to set.
    let state = crate::util::fresh_state(shanshui::http::ServerConfig {
        filter_limits: shanshui::query::FilterLimits {
            max_bytes: 64,
            max_depth: 2,
        },
        ..Default::default()
    });
    let app = shanshui::http::app(state);
    for (cql, says) in [
        ("(((start_year = 2021)))", "at most 2"),
        (
            "name_en = 'a name long enough to go well past the sixty-four bytes allowed'",
            "at most 64",
        ),
    ] {
        let res = app
            .clone()
            .oneshot(Request::get(t(cql)).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{cql}");
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert!(String::from_utf8_lossy(&body).contains(says), "{cql}");
    }
}
