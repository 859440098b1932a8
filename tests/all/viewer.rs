//! The web map's server side, in-process: the MapLibre style and its URLs,
//! the glyph PBFs (decoded with prost from a message definition written
//! here, after MapLibre's glyphs.proto), the label points, the viewer page
//! and its assets, and every bad request.

use crate::util::{bundled, router};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use geo::Intersects;
use http_body_util::BodyExt;
use prost::Message;
use serde_json::Value;
use shanshui::http::{app, ServerConfig};
use std::collections::BTreeSet;
use tower::ServiceExt;

const HOST: &str = "maps.example.org:8123";
const BASE: &str = "http://maps.example.org:8123";

/// MapLibre's `glyphs` message, as a client reads it.
#[derive(Clone, PartialEq, Message)]
struct GlyphsPbf {
    #[prost(message, repeated, tag = "1")]
    stacks: Vec<FontstackPbf>,
}

#[derive(Clone, PartialEq, Message)]
struct FontstackPbf {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(string, optional, tag = "2")]
    range: Option<String>,
    #[prost(message, repeated, tag = "3")]
    glyphs: Vec<GlyphPbf>,
}

#[derive(Clone, PartialEq, Message)]
struct GlyphPbf {
    #[prost(uint32, optional, tag = "1")]
    id: Option<u32>,
    #[prost(bytes = "vec", optional, tag = "2")]
    bitmap: Option<Vec<u8>>,
    #[prost(uint32, optional, tag = "3")]
    width: Option<u32>,
    #[prost(uint32, optional, tag = "4")]
    height: Option<u32>,
    #[prost(sint32, optional, tag = "5")]
    left: Option<i32>,
    #[prost(sint32, optional, tag = "6")]
    top: Option<i32>,
    #[prost(uint32, optional, tag = "7")]
    advance: Option<u32>,
}

fn router_with(config: ServerConfig) -> Router {
    app(crate::util::fresh_state(config))
}

struct Reply {
    status: StatusCode,
    content_type: String,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

async fn get_from(router: Router, path: &str) -> Reply {
    let req = Request::builder()
        .uri(path)
        .header(header::HOST, HOST)
        .body(Body::empty())
        .unwrap();
    let res = router.oneshot(req).await.unwrap();
    let status = res.status();
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Reply {
        status,
        content_type,
        body,
    }
}

async fn get(path: &str) -> Reply {
    get_from(router(), path).await
}

/// A fontstack as a URL path segment.
fn encoded(fontstack: &str) -> String {
    fontstack.replace(' ', "%20").replace(',', "%2C")
}

/// Every fontstack a style's `text-font` names (literal arrays).
fn fontstacks(style: &Value) -> BTreeSet<String> {
    style["layers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["layout"]["text-font"].as_array())
        .map(|fonts| {
            fonts
                .iter()
                .map(|f| f.as_str().expect("text-font is a literal list"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect()
}

#[tokio::test]
async fn the_style_is_maplibre_v8_and_every_url_points_at_the_requests_host() {
    let r = get("/styles/miyun.json").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type.starts_with("application/json"));
    let style = r.json();
    assert_eq!(style["version"], 8);
    let glyphs = style["glyphs"].as_str().unwrap();
    assert_eq!(glyphs, format!("{BASE}/fonts/{{fontstack}}/{{range}}.pbf"));
    let sources = style["sources"].as_object().unwrap();
    assert_eq!(sources["shanshui"]["type"], "vector");
    assert_eq!(sources["shanshui"]["url"], format!("{BASE}/tiles.json"));
    for (name, source) in sources {
        for key in ["url", "data"] {
            if let Some(url) = source[key].as_str() {
                assert!(url.starts_with(&format!("{BASE}/")), "{name}.{key}: {url}");
            }
        }
    }
    assert!(
        style.get("sprite").is_none(),
        "no sprite: points are circles"
    );

    // The URLs answer, on this server.
    for path in ["/tiles.json", "/styles/labels.geojson"] {
        assert_eq!(get(path).await.status, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn a_public_url_wins_over_the_host() {
    let router = router_with(ServerConfig {
        public_url: Some("https://maps.example.org/shanshui/".into()),
        ..ServerConfig::default()
    });
    let style = get_from(router.clone(), "/styles/miyun.json").await.json();
    assert_eq!(
        style["sources"]["shanshui"]["url"],
        "https://maps.example.org/shanshui/tiles.json"
    );
    assert!(style["glyphs"]
        .as_str()
        .unwrap()
        .starts_with("https://maps.example.org/shanshui/fonts/"));
    let page = get_from(router, "/map").await.text();
    assert!(page.contains("https://maps.example.org/shanshui/styles/miyun.json"));
}

#[tokio::test]
async fn every_style_layer_draws_a_real_layer_with_served_fonts() {
    let style = get("/styles/miyun.json").await.json();
    let catalog = get("/catalog").await.json();
    let layers: BTreeSet<&str> = catalog["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    let sources = style["sources"].as_object().unwrap();
    let mut drawn = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for l in style["layers"].as_array().unwrap() {
        let id = l["id"].as_str().unwrap();
        assert!(ids.insert(id), "duplicate layer id {id}");
        if l["type"] == "background" {
            continue;
        }
        let source = l["source"].as_str().unwrap();
        assert!(sources.contains_key(source), "{id}: no source {source}");
        match sources[source]["type"].as_str().unwrap() {
            "vector" => {
                let sl = l["source-layer"].as_str().unwrap();
                assert!(layers.contains(sl), "{id}: `{sl}` is not a catalog layer");
                drawn.insert(sl);
            }
            // The label points: filtered by a catalog layer's id.
            "geojson" => {
                let f = l["filter"].to_string();
                assert!(
                    layers.iter().any(|c| f.contains(&format!("\"{c}\""))),
                    "{id}: filter {f} names no catalog layer"
                );
            }
            other => panic!("{id}: unexpected source type {other}"),
        }
    }
    assert_eq!(drawn, layers, "every catalog layer is drawn");

    // Every fontstack the style names is served.
    let stacks = fontstacks(&style);
    assert!(stacks.contains("Noto Sans Regular"), "{stacks:?}");
    for stack in &stacks {
        let r = get(&format!("/fonts/{}/0-255.pbf", encoded(stack))).await;
        assert_eq!(r.status, StatusCode::OK, "{stack}");
    }

    // The viewer's legend and click targets name real layers.
    for group in style["metadata"]["shanshui:legend"].as_array().unwrap() {
        assert!(layers.contains(group["layer"].as_str().unwrap()), "{group}");
    }
    for id in style["metadata"]["shanshui:interactive"]
        .as_array()
        .unwrap()
    {
        assert!(ids.contains(id.as_str().unwrap()), "{id}");
    }
}

#[tokio::test]
async fn glyph_pbfs_decode_and_cover_their_range() {
    for (stack, range, start, must) in [
        (
            "Noto Sans Regular",
            "0-255",
            0u32,
            (0x20..=0x7E).chain(0xA0..=0xFF).collect::<Vec<u32>>(),
        ),
        ("Noto Sans Bold", "0-255", 0, (0x20..=0x7E).collect()),
        (
            "Noto Sans Regular",
            "8192-8447",
            8192,
            vec![0x2013, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2026],
        ),
    ] {
        let r = get(&format!("/fonts/{}/{range}.pbf", encoded(stack))).await;
        assert_eq!(r.status, StatusCode::OK, "{stack} {range}");
        assert_eq!(r.content_type, "application/x-protobuf");
        let pbf = GlyphsPbf::decode(r.body.as_slice()).expect("a glyphs message");
        assert_eq!(pbf.stacks.len(), 1);
        let fs = &pbf.stacks[0];
        assert_eq!(fs.name.as_deref(), Some(stack));
        assert_eq!(fs.range.as_deref(), Some(range));
        let ids: BTreeSet<u32> = fs.glyphs.iter().map(|g| g.id.unwrap()).collect();
        assert_eq!(ids.len(), fs.glyphs.len(), "each glyph once");
        assert!(ids.iter().all(|&id| (start..start + 256).contains(&id)));
        for c in must {
            assert!(ids.contains(&c), "{stack} {range} lacks U+{c:04X}");
        }
        for g in &fs.glyphs {
            let (w, h) = (g.width.unwrap(), g.height.unwrap());
            assert!(g.left.is_some() && g.top.is_some() && g.advance.is_some());
            match &g.bitmap {
                // 24 px glyphs with a 3 px buffer.
                Some(b) => {
                    assert_eq!(b.len() as u32, (w + 6) * (h + 6), "U+{:04X}", g.id.unwrap());
                    assert!(w <= 48 && h <= 48);
                }
                None => assert!(w == 0 || h == 0),
            }
        }
        // An inked glyph has an inside (above the 192 edge) and an outside.
        let a = fs
            .glyphs
            .iter()
            .find(|g| matches!(g.id, Some(65) | Some(0x2014)));
        if let Some(Some(b)) = a.map(|g| &g.bitmap) {
            assert!(b.iter().any(|&v| v > 192) && b.iter().any(|&v| v < 100));
        }
    }
}

#[tokio::test]
async fn ranges_the_fonts_lack_answer_an_empty_valid_pbf() {
    // CJK (MapLibre draws those locally), the private use area, and a
    // supplementary plane.
    for range in ["19968-20223", "57344-57599", "131072-131327"] {
        let r = get(&format!("/fonts/Noto%20Sans%20Regular/{range}.pbf")).await;
        assert_eq!(r.status, StatusCode::OK, "{range}");
        let pbf = GlyphsPbf::decode(r.body.as_slice()).unwrap();
        assert_eq!(pbf.stacks[0].range.as_deref(), Some(range));
        assert!(pbf.stacks[0].glyphs.is_empty(), "{range}");
    }
    // A stack of two fonts: each glyph from the first that has it.
    let r = get("/fonts/Noto%20Sans%20Bold%2CNoto%20Sans%20Regular/0-255.pbf").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!GlyphsPbf::decode(r.body.as_slice()).unwrap().stacks[0]
        .glyphs
        .is_empty());
}

#[tokio::test]
async fn bad_font_and_style_requests_are_answered_plainly() {
    for (path, status) in [
        (
            "/fonts/Open%20Sans%20Regular/0-255.pbf",
            StatusCode::NOT_FOUND,
        ),
        (
            "/fonts/Noto%20Sans%20Regular%2CArial%20Unicode%20MS%20Regular/0-255.pbf",
            StatusCode::NOT_FOUND,
        ),
        (
            "/fonts/Noto%20Sans%20Regular/0-256.pbf",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/fonts/Noto%20Sans%20Regular/1-256.pbf",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/fonts/Noto%20Sans%20Regular/0-255.json",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/fonts/Noto%20Sans%20Regular/abc.pbf",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/fonts/Noto%20Sans%20Regular/-1-254.pbf",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/fonts/Noto%20Sans%20Regular/99999999999-100000000254.pbf",
            StatusCode::BAD_REQUEST,
        ),
        ("/styles/nope.json", StatusCode::NOT_FOUND),
        ("/styles/miyun", StatusCode::NOT_FOUND),
        ("/styles/miyun.xml", StatusCode::NOT_FOUND),
        ("/viewer/nope.js", StatusCode::NOT_FOUND),
        ("/viewer/..%2FCargo.toml", StatusCode::NOT_FOUND),
    ] {
        let r = get(path).await;
        assert_eq!(r.status, status, "{path}");
        let body = r.json();
        assert_eq!(body["status"], status.as_u16(), "{path}");
        assert!(!body["message"].as_str().unwrap().is_empty(), "{path}");
    }
    let r = get("/fonts/Open%20Sans%20Regular/0-255.pbf").await;
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("Noto Sans Regular"));
}

#[tokio::test]
async fn the_fonts_are_listed() {
    let fonts = get("/fonts.json").await.json();
    let names: Vec<&str> = fonts
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(names, ["Noto Sans Regular", "Noto Sans Bold"]);
}

#[tokio::test]
async fn the_viewer_page_has_the_map_and_references_the_style() {
    let r = get("/map").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.content_type.starts_with("text/html"),
        "{}",
        r.content_type
    );
    let page = r.text();
    assert!(page.contains(r#"id="map""#));
    assert!(page.contains(&format!("{BASE}/styles/miyun.json")));
    assert!(page.contains(&format!("{BASE}/viewer/app.js")));
    assert!(page.contains("maplibre-gl.js") && page.contains("maplibre-gl.css"));
    for id in [
        "layer-list",
        "zone-select",
        "planner-results",
        "here-results",
    ] {
        assert!(page.contains(&format!(r#"id="{id}""#)), "{id}");
    }
    // MapLibre from this server, built into the binary: no other host.
    let version = shanshui::http::maplibre_version();
    assert!(page.contains(&format!("{BASE}/viewer/maplibre-gl.js")));
    assert!(page.contains(&format!("{BASE}/viewer/maplibre-gl.css")));
    for url in page.split(['"', '\'']).filter(|s| s.starts_with("http")) {
        assert!(url.starts_with(BASE), "the page asks another host: {url}");
    }
    let js = get("/viewer/maplibre-gl.js").await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(
        js.text().contains(version),
        "the built-in MapLibre is {version}"
    );
    assert_eq!(get("/viewer/maplibre-gl.css").await.status, StatusCode::OK);
    let licence = get("/viewer/maplibre-gl-LICENSE.txt").await;
    assert!(
        licence.text().contains("MapLibre"),
        "MapLibre's licence is served"
    );
    assert_eq!(page, shanshui::http::page_html(bundled(), BASE));
    assert!(
        page.contains("密云水库保护区"),
        "the layer list, before the script runs"
    );

    for (file, kind) in [("app.js", "text/javascript"), ("app.css", "text/css")] {
        let r = get(&format!("/viewer/{file}")).await;
        assert_eq!(r.status, StatusCode::OK, "{file}");
        assert!(
            r.content_type.starts_with(kind),
            "{file}: {}",
            r.content_type
        );
    }
}

#[tokio::test]
async fn label_points_name_each_area_once_from_inside_it() {
    let r = get("/styles/labels.geojson").await;
    assert_eq!(r.status, StatusCode::OK);
    let fc = r.json();
    let catalog = bundled();
    let polygons: usize = catalog
        .layers()
        .iter()
        .flat_map(|l| l.iter())
        .filter(|f| {
            matches!(
                f.geometry,
                geo::Geometry::Polygon(_) | geo::Geometry::MultiPolygon(_)
            )
        })
        .count();
    let features = fc["features"].as_array().unwrap();
    assert_eq!(features.len(), polygons);
    for f in features {
        let p = &f["properties"];
        let layer = catalog.layer(p["layer"].as_str().unwrap()).unwrap();
        let feature = layer.feature(p["id"].as_str().unwrap()).unwrap();
        assert_eq!(p["name_zh"], feature.properties["name_zh"]);
        let c = &f["geometry"]["coordinates"];
        let point = geo::Point::new(c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        assert!(feature.geometry.intersects(&point), "{p}");
    }
}
