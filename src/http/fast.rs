//! The served application: a tile already in the cache is answered before
//! the router, everything else goes through it.
//!
//! A cached tile is most of what a busy server answers, and through the
//! router it cost about 58,000 instructions, half of them in the 87
//! allocations that routing and five layers of middleware make per request
//! (callgrind, keep-alive requests). Here it is the tile's own response
//! (`tiles::respond`, the same function the route calls) plus what the
//! layers would add to it: the CORS headers, the metrics and the log line.
//! Anything else — another path or method, a conditional request, a query
//! string, a tile not cached — goes to the router untouched. A test holds
//! the two answers equal, header for header.

use super::tiles::{respond, TILE_ROUTE};
use super::{observe, AppState};
use axum::body::HttpBody;
use axum::http::{header, HeaderValue, Method, Request};
use axum::response::Response;
use axum::routing::future::RouteFuture;
use axum::Router;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;
use tower_service::Service;

/// The application as `serve` runs it: [`super::app`] behind the cached
/// tile path.
#[derive(Clone)]
pub struct Served {
    state: AppState,
    router: Router,
}

/// [`super::app`] over `state`, with cached tiles answered first.
pub fn served(state: AppState) -> Served {
    Served {
        router: super::app(state.clone()),
        state,
    }
}

impl<B> Service<Request<B>> for Served
where
    B: HttpBody<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = ServedFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> ServedFuture {
        match cached_tile(&self.state, &request) {
            Some(response) => ServedFuture::Ready(Some(response)),
            None => ServedFuture::Routed(self.router.call(request)),
        }
    }
}

/// The answer of a [`Served`] request.
pub enum ServedFuture {
    /// A cached tile, answered.
    Ready(Option<Response>),
    /// Anything else, on its way through the router.
    Routed(RouteFuture<Infallible>),
}

impl Future for ServedFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            ServedFuture::Ready(response) => match response.take() {
                Some(r) => Poll::Ready(Ok(r)),
                None => Poll::Pending,
            },
            ServedFuture::Routed(routed) => Pin::new(routed).poll(cx),
        }
    }
}

/// The response to `GET /tiles/{z}/{x}/{y}.mvt` when that tile is in the
/// cache and nothing else about the request needs the router; else `None`.
fn cached_tile<B>(state: &AppState, request: &Request<B>) -> Option<Response> {
    let started = Instant::now();
    if request.method() != Method::GET
        || request.uri().query().is_some()
        || request.headers().contains_key(header::IF_NONE_MATCH)
    {
        return None;
    }
    let path = request.uri().path();
    let mut parts = path.strip_prefix("/tiles/")?.split('/');
    let (z, x, file) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let y = file.strip_suffix(".mvt")?;
    let coord = crate::tile::TileCoord::from_parts(z, x, y).ok()?;
    let tile = state.tiles().cached(&state.catalog(), coord, None).ok()??;
    let mut response = respond(&tile, request.headers(), state.cache_control());
    // What the router's layers add to a tile: tower-http's CORS layer (as
    // `super::app` sets it up) and nothing from compression, which leaves
    // tiles be.
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("etag,content-encoding,content-length,location,allow"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    let took = started.elapsed();
    state.metrics().request(
        TILE_ROUTE,
        Method::GET.as_str(),
        response.status().as_u16(),
        took,
        None,
    );
    observe::log_tile(&response, path, took);
    Some(response)
}
