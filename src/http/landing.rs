//! The landing page `/` (JSON for API clients, HTML for browsers) and the
//! conformance declaration `/conformance` of OGC API Features.

use super::features::{link, respond, Params, JSON};
use super::openapi::OPENAPI_JSON;
use super::tilejson::base_url;
use super::{ApiError, AppState};
use crate::catalog::Catalog;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

/// The conformance classes implemented, each tested in `tests/all/ogc.rs`
/// and by the interop suite.
pub const CONFORMANCE: [&str; 14] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
];

/// OGC API Features Part 4's classes, declared when a layer takes edits.
pub const CONFORMANCE_EDITS: [&str; 4] = [
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
];

/// `/`: JSON with the API's links when `f=json` or the client does not
/// ask for HTML (`Accept` without `text/html`, or preferring JSON);
/// otherwise (`f=html`, browsers) an HTML page.
pub async fn landing(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::new(query, &["f"])?;
    let html = match params.get("f") {
        Some("html") => true,
        Some("json") => false,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "unknown format f=`{other}`; use f=json or f=html"
            )))
        }
        None => prefers_html(&headers),
    };
    let catalog = state.catalog();
    let base = base_url(&state, &headers);
    if html {
        // A browser at `/` gets the web map; `?f=html` asks for this
        // document itself as HTML.
        if params.get("f") == Some("html") {
            return Ok(Html(landing_html(&catalog, &base)).into_response());
        }
        return Ok(Html(super::viewer::page_html(&catalog, &base)).into_response());
    }
    let body = json!({
        "title": format!("shanshui: {}", catalog.dataset.title.en),
        "description": format!(
            "{} ({}): OGC API Features with CQL2 filters, vector tiles and TileJSON.",
            catalog.dataset.title.en, catalog.dataset.title.zh
        ),
        "links": [
            link(&format!("{base}/"), "self", JSON, "This document"),
            link(&format!("{base}/?f=html"), "alternate", "text/html", "This document as HTML"),
            link(&format!("{base}/api"), "service-desc", OPENAPI_JSON, "The API definition (OpenAPI 3.0)"),
            link(&format!("{base}/conformance"), "conformance", JSON, "The conformance classes implemented"),
            link(&format!("{base}/collections"), "data", JSON, "The collections: one per layer"),
            link(&format!("{base}/tiles.json"), "related", JSON, "Vector tiles of every layer (TileJSON 3.0.0)"),
            link(&format!("{base}/catalog"), "related", JSON, "The layer catalog"),
        ],
    });
    Ok(respond(JSON, &body, None))
}

/// `/conformance`.
pub async fn conformance(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::new(query, &["f"])?;
    let media = params.format(&[("json", JSON)], JSON)?;
    let url = format!("{}/conformance", base_url(&state, &headers));
    let catalog = state.catalog();
    let edits = state.editing().is_some() && catalog.layers().iter().any(|l| l.meta.edit.is_some());
    let mut classes = CONFORMANCE.to_vec();
    if edits {
        classes.extend(CONFORMANCE_EDITS);
    }
    let body = json!({
        "conformsTo": classes,
        "links": [link(&url, "self", JSON, "The conformance classes implemented")],
    });
    Ok(respond(media, &body, None))
}

/// Whether `Accept` names HTML and ranks it above JSON (browsers); a
/// client that sends no `Accept`, only `*/*`, or prefers JSON gets JSON.
fn prefers_html(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let (mut html, mut json) = (None::<(f32, usize)>, None::<(f32, usize)>);
    for (pos, item) in accept.split(',').enumerate() {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let slot = match media.as_str() {
            "text/html" | "application/xhtml+xml" => &mut html,
            "application/json" | "application/geo+json" => &mut json,
            _ => continue,
        };
        if slot.is_none_or(|(best, _)| q > best) {
            *slot = Some((q, pos));
        }
    }
    match (html, json) {
        (Some((hq, _)), None) => hq > 0.0,
        (Some((hq, hp)), Some((jq, jp))) => hq > jq || (hq == jq && hq > 0.0 && hp < jp),
        _ => false,
    }
}

/// The HTML landing page: what the service offers, with links. A small
/// page for now; the web map will take its place.
pub fn landing_html(catalog: &Catalog, base: &str) -> String {
    let layers: String = catalog
        .layers()
        .iter()
        .map(|l| {
            format!(
                "<li><a href=\"{base}/collections/{id}/items?f=geojson\"><code>{id}</code></a> {en} <span lang=\"zh\">{zh}</span> — {n} features (<a href=\"{base}/collections/{id}\">collection</a>, <a href=\"{base}/tiles/{id}.json\">TileJSON</a>)</li>\n",
                id = escape(l.id()),
                en = escape(&l.meta.title.en),
                zh = escape(&l.meta.title.zh),
                n = l.len(),
            )
        })
        .collect();
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>shanshui 山水 — {title}</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
h1 {{ font-weight: 600; }} code {{ background: #f3f3f3; padding: 0 .2em; }} li {{ margin: .3em 0; }}
</style>
</head>
<body>
<h1>shanshui 山水 — {title} <span lang="zh">{title_zh}</span></h1>
<p>GIS layers of protected areas and rural projects, served as OGC API Features
(with CQL2 filters) and as Mapbox Vector Tiles.</p>
<ul>
<li><a href="{base}/collections">Collections</a> — OGC API Features: one collection per layer</li>
<li><a href="{base}/api">API definition</a> — OpenAPI 3.0</li>
<li><a href="{base}/conformance">Conformance classes</a></li>
<li><a href="{base}/tiles.json">TileJSON</a> — vector tiles of every layer</li>
<li><a href="{base}/catalog">Layer catalog</a> — fields, zooms, bounds</li>
</ul>
<h2>Layers</h2>
<ul>
{layers}</ul>
<p>Example: <a href="{base}/collections/projects/items?filter=start_year%3E%3D2021">projects started in 2021 or later</a>
(<code>filter=start_year&gt;=2021</code>, CQL2 text).</p>
</body>
</html>
"#,
        title = escape(&catalog.dataset.title.en),
        title_zh = escape(&catalog.dataset.title.zh),
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn browsers_get_html_clients_get_json() {
        let firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert!(prefers_html(&accept(firefox)));
        assert!(!prefers_html(&accept("*/*")));
        assert!(!prefers_html(&HeaderMap::new()));
        assert!(!prefers_html(&accept("application/json")));
        assert!(!prefers_html(&accept("application/json, text/html;q=0.5")));
        assert!(prefers_html(&accept("text/html, application/json;q=0.9")));
        assert!(!prefers_html(&accept("text/html;q=0")));
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }
}
