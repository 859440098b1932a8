//! The HTTP adapter: axum routes over the core. Handlers parse, call the
//! core (CPU-heavy work off the async executor), and respond; status codes
//! are chosen in one place, `error.rs`.

mod edits;
mod error;
mod fast;
mod features;
mod fonts;
mod landing;
mod observe;
mod openapi;
mod query;
mod report;
mod state;
mod tilejson;
mod tiles;
mod viewer;
mod work;

pub use error::ApiError;
pub use fast::{served, Served};
pub use state::{defaults, AppState, ServerConfig};
pub use viewer::{maplibre_version, page_html};
pub use work::Renderers;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, Method};
use axum::routing::get;
use axum::Router;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};

/// What the compression layer compresses: bodies over 1 KiB that are not
/// tiles, fonts or images (already compact, or compressed once and kept).
fn compressible() -> impl Predicate {
    SizeAbove::new(1024)
        .and(NotForContentType::const_new(tiles::MVT_MEDIA_TYPE))
        .and(NotForContentType::const_new("application/x-protobuf"))
        .and(NotForContentType::IMAGES)
}

/// The whole application, for `serve` and for in-process tests.
pub fn app(state: AppState) -> Router {
    let plain = routes(state);
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        // `*` does not cover `Authorization` (Fetch): it is named too.
        .allow_headers([header::HeaderName::from_static("*"), header::AUTHORIZATION])
        .expose_headers([
            header::ETAG,
            header::CONTENT_ENCODING,
            header::CONTENT_LENGTH,
            header::LOCATION,
            header::ALLOW,
        ]);
    let cors = plain.clone().layer(cors);
    Router::new().fallback_service(PlainOptions { plain, cors })
}

/// Sends an `OPTIONS` request that is not a CORS preflight (no
/// `Access-Control-Request-Method`) to the routes, which say in `Allow`
/// what a resource takes (QGIS asks so), and everything else through the
/// CORS layer, which would answer every `OPTIONS` as a preflight.
#[derive(Clone)]
struct PlainOptions {
    plain: Router,
    cors: Router,
}

impl tower_service::Service<axum::extract::Request> for PlainOptions {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = axum::routing::future::RouteFuture<std::convert::Infallible>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: axum::extract::Request) -> Self::Future {
        let plain = request.method() == Method::OPTIONS
            && !request
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        if plain {
            self.plain.call(request)
        } else {
            self.cors.call(request)
        }
    }
}

/// The routes and every layer but CORS.
fn routes(state: AppState) -> Router {
    Router::new()
        .route("/health", get(tilejson::health))
        .route("/metrics", get(observe::metrics))
        .route("/catalog", get(tilejson::catalog))
        .route("/tiles.json", get(tilejson::tilejson_all))
        .route("/tiles/{file}", get(tilejson::tilejson_layer))
        .route(tiles::TILE_ROUTE, get(tiles::tile_all))
        .route("/tiles/{layer}/{z}/{x}/{y}", get(tiles::tile_layer))
        .route(
            "/query/within",
            get(query::within_get).post(query::within_post),
        )
        .route("/query/at", get(query::at))
        .route("/query/nearest", get(query::nearest))
        .route("/query/near", get(query::near_get).post(query::near_post))
        .route("/report", get(report::report))
        .route("/map", get(viewer::map_page))
        .route("/viewer/{file}", get(viewer::asset))
        .route("/styles/{file}", get(viewer::style))
        .route("/fonts.json", get(fonts::list))
        .route("/fonts/{fontstack}/{range}", get(fonts::glyphs))
        .route("/", get(landing::landing))
        .route("/conformance", get(landing::conformance))
        .route("/api", get(openapi::api))
        .route("/collections", get(features::collections))
        .route("/collections/{collection_id}", get(features::collection))
        .route(
            "/collections/{collection_id}/queryables",
            get(features::queryables),
        )
        .route(
            "/collections/{collection_id}/items",
            get(features::items)
                .post(edits::create)
                .options(edits::options_items),
        )
        .route(
            "/collections/{collection_id}/items/{feature_id}",
            get(features::item)
                .put(edits::replace)
                .patch(edits::update)
                .delete(edits::delete)
                .options(edits::options_item),
        )
        .route(
            "/collections/{collection_id}/items/{feature_id}/history",
            get(edits::history),
        )
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            work::deadline,
        ))
        .layer(DefaultBodyLimit::max(state.config().max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            observe::count,
        ))
        .layer(observe::log_layer())
        // JSON, GeoJSON and CSV gzipped for clients that ask; tiles carry
        // their own gzip (made once, when cached), which this leaves be.
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .compress_when(compressible()),
        )
        .with_state(state)
}
