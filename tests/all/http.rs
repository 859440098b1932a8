//! The HTTP surface, called in-process through the router (no socket):
//! tiles and their headers, TileJSON, the catalog, and every bad input.

use crate::util::{
    bundled, collection, feature, fresh_state, geodata_dir, router, square, Scratch,
};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use shanshui::http::{app, AppState, ServerConfig};
use shanshui::tile::TileOptions;
use shanshui::Catalog;
use std::io::Read;
use tower::ServiceExt;

/// A tile over Miyun town, with districts, projects and villages.
const TOWN_TILE: &str = "/tiles/12/3377/1545.mvt";

fn state() -> AppState {
    fresh_state(ServerConfig::default())
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(&name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
    }
}

async fn get_with(router: Router, path: &str, headers: &[(header::HeaderName, &str)]) -> Reply {
    let mut req = Request::builder().uri(path);
    for (k, v) in headers {
        req = req.header(k, *v);
    }
    let res = router
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

async fn get(path: &str) -> Reply {
    get_with(router(), path, &[]).await
}

#[tokio::test]
async fn a_tile_with_its_headers() {
    let r = get_with(
        router(),
        TOWN_TILE,
        &[(header::ORIGIN, "http://maps.example")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header(header::CONTENT_TYPE),
        "application/vnd.mapbox-vector-tile"
    );
    assert_eq!(r.header(header::CACHE_CONTROL), "public, max-age=3600");
    assert_eq!(r.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
    assert_eq!(r.header(header::VARY), "Accept-Encoding");
    let etag = r.header(header::ETAG);
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && !etag.starts_with("W/"),
        "{etag}"
    );
    assert!(r.headers.get(header::CONTENT_ENCODING).is_none());
    let reader = mvt_reader::Reader::new(r.body).unwrap();
    let names = reader.get_layer_names().unwrap();
    assert!(names.contains(&"villages".to_string()), "{names:?}");
}

#[tokio::test]
async fn gzip_when_the_client_accepts_it() {
    let plain = get(TOWN_TILE).await;
    let r = get_with(
        router(),
        TOWN_TILE,
        &[(header::ACCEPT_ENCODING, "gzip, br")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header(header::CONTENT_ENCODING), "gzip");
    assert_ne!(r.header(header::ETAG), plain.header(header::ETAG));
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&r.body[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain.body);
    assert!(r.body.len() < plain.body.len());
}

/// With the cache off nothing keeps a tile's gzip for a later client, so
/// a plain request is answered without making it; a gzip request still
/// gets gzip, of the same tile.
#[tokio::test]
async fn cache_off_gzips_only_for_clients_that_take_it() {
    let state = AppState::new(
        Catalog::load(&geodata_dir()).unwrap(),
        ServerConfig::default(),
        TileOptions::default(),
        0,
    );
    let plain = get_with(app(state.clone()), TOWN_TILE, &[]).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(plain.body, get(TOWN_TILE).await.body);
    let zipped = get_with(app(state), TOWN_TILE, &[(header::ACCEPT_ENCODING, "gzip")]).await;
    assert_eq!(zipped.header(header::CONTENT_ENCODING), "gzip");
    assert_eq!(
        zipped.header(header::ETAG),
        get_with(router(), TOWN_TILE, &[(header::ACCEPT_ENCODING, "gzip")])
            .await
            .header(header::ETAG)
    );
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&zipped.body[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain.body);
}

/// Cached tiles are answered before the router (`http::served`, what the
/// server runs); each answer is the one the router gives, header for
/// header, and requests the shortcut does not take reach the router.
#[tokio::test]
async fn cached_tiles_answered_before_the_router_are_the_routers_answers() {
    use axum::http::HeaderName;
    let state = fresh_state(ServerConfig::default());
    let router = app(state.clone());
    let served = shanshui::http::served(state.clone());
    fn answer<S>(
        service: S,
        method: Method,
        path: &str,
        headers: &[(HeaderName, &str)],
    ) -> impl std::future::Future<Output = (StatusCode, axum::http::HeaderMap, Vec<u8>)>
    where
        S: tower::Service<
            Request<Body>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        >,
    {
        let mut req = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            req = req.header(k, *v);
        }
        let req = req.body(Body::empty()).unwrap();
        async move {
            let res = service.oneshot(req).await.unwrap();
            let (parts, body) = res.into_parts();
            let body = body.collect().await.unwrap().to_bytes().to_vec();
            (parts.status, parts.headers, body)
        }
    }
    let requests = |count: &str| {
        let line = count
            .lines()
            .find(|l| l.starts_with("shanshui_http_requests_total{route=\"/tiles/{z}/{x}/{y}\",method=\"GET\",status=\"200\"}"))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap());
        line.unwrap_or(0)
    };
    // The first answer renders (through the router); the rest are cached.
    let first = answer(served.clone(), Method::GET, TOWN_TILE, &[]).await;
    assert_eq!(first.0, StatusCode::OK);
    let etag = first.1[header::ETAG].to_str().unwrap().to_string();
    type Case<'a> = (Method, &'a str, Vec<(HeaderName, &'a str)>);
    let cases: Vec<Case> = vec![
        (Method::GET, TOWN_TILE, vec![]),
        (
            Method::GET,
            TOWN_TILE,
            vec![(header::ACCEPT_ENCODING, "gzip")],
        ),
        (
            Method::GET,
            TOWN_TILE,
            vec![(header::ACCEPT_ENCODING, "gzip;q=0")],
        ),
        (
            Method::GET,
            TOWN_TILE,
            vec![
                (header::ORIGIN, "http://maps.example"),
                (header::ACCEPT_ENCODING, "br, gzip"),
            ],
        ),
        (Method::GET, TOWN_TILE, vec![(header::IF_NONE_MATCH, &etag)]),
        (Method::HEAD, TOWN_TILE, vec![]),
        (Method::GET, "/tiles/12/3377/1545.mvt?v=2", vec![]),
        (Method::GET, "/tiles/12/3377/1545.pbf", vec![]),
        (Method::GET, "/tiles/12/3377/99999.mvt", vec![]),
        (Method::GET, "/tiles/12/3377/1545/x.mvt", vec![]),
        (Method::GET, "/tiles/villages/12/3377/1545.mvt", vec![]),
        (
            Method::GET,
            "/tiles/5/26/12.mvt",
            vec![(header::ACCEPT_ENCODING, "gzip")],
        ),
    ];
    for (method, path, headers) in cases {
        let metrics_before = get_with(router.clone(), "/metrics", &[]).await;
        let (status, mut fast, body) = answer(served.clone(), method.clone(), path, &headers).await;
        let metrics_after = get_with(router.clone(), "/metrics", &[]).await;
        let routed = answer(router.clone(), method.clone(), path, &headers).await;
        assert_eq!(status, routed.0, "{method} {path} {headers:?}");
        assert_eq!(body, routed.2, "{method} {path} {headers:?}");
        // The router sets Content-Length from the body; on the wire hyper
        // writes it from the body's size for the shortcut's answer alike.
        let mut routed_headers = routed.1;
        if fast.get(header::CONTENT_LENGTH).is_none() {
            routed_headers.remove(header::CONTENT_LENGTH);
        }
        fast.remove(header::DATE);
        routed_headers.remove(header::DATE);
        assert_eq!(fast, routed_headers, "{method} {path} {headers:?}");
        // Counted once, whichever way it went.
        let counted = requests(&String::from_utf8_lossy(&metrics_after.body))
            - requests(&String::from_utf8_lossy(&metrics_before.body));
        let composite = path.split('?').next().unwrap().split('/').count() == 5;
        let expected = u64::from(method == Method::GET && composite && status == StatusCode::OK);
        assert_eq!(counted, expected, "{method} {path} {headers:?}");
    }
}

#[tokio::test]
async fn not_modified_for_a_matching_etag() {
    let router = router();
    let first = get_with(router.clone(), TOWN_TILE, &[]).await;
    let etag = first.header(header::ETAG).to_string();
    let again = get_with(router.clone(), TOWN_TILE, &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header(header::ETAG), etag);
    let other = get_with(
        router,
        TOWN_TILE,
        &[(header::IF_NONE_MATCH, "\"something-else\"")],
    )
    .await;
    assert_eq!(other.status, StatusCode::OK);
}

#[tokio::test]
async fn an_empty_tile_is_204() {
    let r = get("/tiles/12/0/0.mvt").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.body.is_empty());
}

#[tokio::test]
async fn one_layer_and_chosen_layers() {
    let one = get("/tiles/villages/12/3377/1545.mvt").await;
    assert_eq!(one.status, StatusCode::OK);
    let names = mvt_reader::Reader::new(one.body)
        .unwrap()
        .get_layer_names()
        .unwrap();
    assert_eq!(names, vec!["villages"]);
    let two = get("/tiles/12/3377/1545.mvt?layers=villages,district").await;
    let names = mvt_reader::Reader::new(two.body)
        .unwrap()
        .get_layer_names()
        .unwrap();
    assert_eq!(names, vec!["district", "villages"]);
}

#[tokio::test]
async fn bad_tile_requests_say_what_is_wrong() {
    let cases: &[(&str, StatusCode, &str)] = &[
        (
            "/tiles/a/0/0.mvt",
            StatusCode::BAD_REQUEST,
            "z must be a whole number",
        ),
        (
            "/tiles/3/-1/0.mvt",
            StatusCode::BAD_REQUEST,
            "x must be a whole number",
        ),
        (
            "/tiles/3/0/1.5.mvt",
            StatusCode::BAD_REQUEST,
            "y must be a whole number",
        ),
        (
            "/tiles/3/8/0.mvt",
            StatusCode::BAD_REQUEST,
            "x and y must be below 2^3 = 8",
        ),
        ("/tiles/3/0/8.mvt", StatusCode::BAD_REQUEST, "below 2^3 = 8"),
        (
            "/tiles/23/0/0.mvt",
            StatusCode::BAD_REQUEST,
            "zoom 23 is above the highest zoom, 22",
        ),
        (
            "/tiles/99999999999999999999/0/0.mvt",
            StatusCode::BAD_REQUEST,
            "z must be a whole number",
        ),
        (
            "/tiles/nope/1/0/0.mvt",
            StatusCode::NOT_FOUND,
            "no layer `nope`; the layers are: district",
        ),
        (
            "/tiles/1/0/0.png",
            StatusCode::NOT_FOUND,
            "unknown tile format `.png`",
        ),
        (
            "/tiles/1/0/0",
            StatusCode::NOT_FOUND,
            "tile paths end in .mvt",
        ),
        (
            "/tiles/1/0/0.mvt?layers=nope",
            StatusCode::NOT_FOUND,
            "no layer `nope`",
        ),
        (
            "/tiles/1/0/0.mvt?layers=",
            StatusCode::BAD_REQUEST,
            "`layers` is empty",
        ),
        ("/tiles/nope.json", StatusCode::NOT_FOUND, "no layer `nope`"),
        (
            "/tiles/villages.xml",
            StatusCode::NOT_FOUND,
            "/tiles/{layer}.json",
        ),
        (
            "/no/such/path",
            StatusCode::NOT_FOUND,
            "no resource at /no/such/path",
        ),
    ];
    for (path, status, message) in cases {
        let r = get(path).await;
        assert_eq!(r.status, *status, "{path}");
        let body = r.json();
        assert_eq!(body["status"], status.as_u16(), "{path}");
        let text = body["message"].as_str().unwrap();
        assert!(text.contains(message), "{path}: {text}");
    }
}

#[tokio::test]
async fn tilejson_for_all_layers_uses_the_request_host() {
    let r = get_with(
        router(),
        "/tiles.json",
        &[(header::HOST, "tiles.example:9000")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let tj = r.json();
    assert_eq!(tj["tilejson"], "3.0.0");
    assert_eq!(
        tj["tiles"][0],
        "http://tiles.example:9000/tiles/{z}/{x}/{y}.mvt"
    );
    let layers: Vec<&str> = tj["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = bundled().layers().iter().map(|l| l.id()).collect();
    assert_eq!(layers, want);
    let projects = &tj["vector_layers"][5];
    assert_eq!(projects["fields"]["category"], "String");
    assert_eq!(projects["fields"]["start_year"], "Number");
    assert_eq!(projects["minzoom"], 8);
    let b = tj["bounds"].as_array().unwrap();
    assert!(b[0].as_f64().unwrap() > 116.0 && b[2].as_f64().unwrap() < 118.0);
    let c = tj["center"].as_array().unwrap();
    assert!(c[0].as_f64().unwrap() > b[0].as_f64().unwrap());
    assert!(tj["attribution"].as_str().unwrap().contains("GSHHG"));
}

#[tokio::test]
async fn tilejson_for_one_layer_and_behind_a_proxy() {
    let state = AppState::new(
        Catalog::load(&geodata_dir()).unwrap(),
        ServerConfig {
            public_url: Some("https://maps.example.org/shanshui/".into()),
            cache_control: "no-cache".into(),
            ..ServerConfig::default()
        },
        TileOptions::default(),
        0,
    );
    let r = get_with(app(state), "/tiles/projects.json", &[]).await;
    assert_eq!(r.header(header::CACHE_CONTROL), "no-cache");
    let tj = r.json();
    assert_eq!(
        tj["tiles"][0],
        "https://maps.example.org/shanshui/tiles/projects/{z}/{x}/{y}.mvt"
    );
    assert_eq!(tj["vector_layers"].as_array().unwrap().len(), 1);
    assert_eq!(tj["minzoom"], 8);
}

#[tokio::test]
async fn catalog_and_health() {
    let c = get("/catalog").await.json();
    let layers = c["layers"].as_array().unwrap();
    assert_eq!(layers.len(), bundled().layers().len());
    for (l, want) in layers.iter().zip(bundled().layers()) {
        assert_eq!(l["id"], want.id());
        assert_eq!(l["features"], want.len());
    }
    let h = get("/health").await.json();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["version"], bundled().version());
}

#[tokio::test]
async fn new_data_is_never_answered_from_an_old_tile() {
    let state = state();
    let router = app(state.clone());
    let before = get_with(router.clone(), "/tiles/0/0/0.mvt", &[]).await;
    assert_eq!(before.status, StatusCode::OK);
    // Replace the whole catalog with a one-layer dataset elsewhere.
    let s = Scratch::one_layer(
        "polygon",
        &collection(&[feature("a", &square(10.0, 50.0, 0.1))]),
    );
    state.replace_catalog(Catalog::load(s.path()).unwrap());
    let after = get_with(router, "/tiles/0/0/0.mvt", &[]).await;
    assert_eq!(after.status, StatusCode::OK);
    assert_ne!(after.header(header::ETAG), before.header(header::ETAG));
    let names = mvt_reader::Reader::new(after.body)
        .unwrap()
        .get_layer_names()
        .unwrap();
    assert_eq!(names, vec!["l"]);
}

/// A path whose percent-encoding is not UTF-8 is a client error with a
/// JSON body, on every route with path parameters (proptest found
/// `/tiles/0/%AA/0` answered in plain text).
#[tokio::test]
async fn a_path_that_is_not_utf8_gets_a_json_error() {
    for path in [
        "/tiles/0/%AA/0",
        "/tiles/zones/0/0/%FF.mvt",
        "/tiles/%C3.json",
        "/collections/%AA",
        "/collections/%AA/queryables",
        "/collections/%AA/items",
        "/collections/zones/items/%AA",
        "/fonts/%AA/0-255.pbf",
        "/viewer/%AA",
        "/styles/%AA",
    ] {
        let r = get(path).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}");
        let message = r.json()["message"].as_str().unwrap_or_default().to_string();
        assert!(message.contains("UTF-8"), "{path}: {message}");
    }
}

mod no_input_panics {
    use super::*;
    use proptest::prelude::*;

    fn segment() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9]{1,3}",
            "-?[0-9]{1,25}",
            "[a-z_]{1,12}",
            "[0-9]{1,3}\\.(mvt|png|json|)",
            "[ -~]{0,8}".prop_map(|s| s.replace(['/', '?', '#', ' '], "")),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        #[test]
        fn any_tile_path_gets_a_client_or_success_answer(
            segs in prop::collection::vec(segment(), 1..6),
            layers in prop::option::of("[a-z_,]{0,20}"),
        ) {
            let mut path = format!("/tiles/{}", segs.join("/"));
            if let Some(l) = layers {
                path.push_str(&format!("?layers={l}"));
            }
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let Ok(uri) = path.parse::<axum::http::Uri>() else { return Ok(()) };
            let r = rt.block_on(get_with(router(), &uri.to_string(), &[]));
            prop_assert!(r.status.as_u16() < 500, "{path}: {}", r.status);
            if r.status.is_client_error() {
                prop_assert!(r.json()["message"].is_string(), "{path}");
            }
        }
    }
}

#[tokio::test]
async fn json_answers_are_gzipped_for_clients_that_ask() {
    let path = "/collections/villages/items?limit=100";
    let plain = get_with(router(), path, &[]).await;
    assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
    let zipped = get_with(router(), path, &[(header::ACCEPT_ENCODING, "gzip")]).await;
    assert_eq!(zipped.header(header::CONTENT_ENCODING), "gzip");
    assert!(zipped.body.len() < plain.body.len() / 2);
    let mut text = String::new();
    flate2::read::GzDecoder::new(&zipped.body[..])
        .read_to_string(&mut text)
        .unwrap();
    let a: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(a["features"], plain.json()["features"]);
    // Tiles keep their own gzip, made once, with its own tag.
    let tile = get_with(router(), TOWN_TILE, &[(header::ACCEPT_ENCODING, "gzip")]).await;
    assert_eq!(tile.header(header::CONTENT_ENCODING), "gzip");
    assert!(tile.header(header::ETAG).ends_with("-gzip\""));
}
