//! The web map: the viewer page (`/map`, and `/` for browsers through the
//! landing page), its script and stylesheet (`/viewer/{file}`), and the
//! MapLibre styles of `styles/` (`/styles/{name}.json`) with their URLs
//! pointing back at the server a request came to.
//!
//! The page, its assets, the styles and MapLibre GL JS are built into the
//! binary, so the map works with no internet: MapLibre's released build is
//! committed in `styles/viewer/vendor/maplibre-gl/` with its licence, and
//! the interop suite checks it byte for byte against the npm package that
//! `styles/viewer/package-lock.json` pins.

use super::error::ApiPath;
use super::tilejson::base_url;
use super::{ApiError, AppState};
use crate::catalog::Catalog;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;
use std::sync::OnceLock;

/// The styles served, by name: `/styles/{name}.json`.
const STYLES: &[(&str, &str)] = &[("miyun", include_str!("../../styles/miyun.json"))];

/// The style the viewer page shows.
pub const DEFAULT_STYLE: &str = "miyun";

const PAGE: &str = include_str!("../../styles/viewer/index.html");
const APP_JS: &str = include_str!("../../styles/viewer/app.js");
const APP_CSS: &str = include_str!("../../styles/viewer/app.css");
const PACKAGE_JSON: &str = include_str!("../../styles/viewer/package.json");

/// MapLibre GL JS's released build, at the version `package.json` pins.
const MAPLIBRE_JS: &str = include_str!("../../styles/viewer/vendor/maplibre-gl/maplibre-gl.js");
const MAPLIBRE_CSS: &str = include_str!("../../styles/viewer/vendor/maplibre-gl/maplibre-gl.css");
const MAPLIBRE_LICENSE: &str = include_str!("../../styles/viewer/vendor/maplibre-gl/LICENSE.txt");

/// The names of the styles served.
pub fn style_names() -> impl Iterator<Item = &'static str> {
    STYLES.iter().map(|(name, _)| *name)
}

/// A style with every root-relative URL in it (`/tiles.json`,
/// `/fonts/{fontstack}/{range}.pbf`, …) made absolute against `base`;
/// `None` for an unknown name.
pub fn style_json(name: &str, base: &str) -> Option<Value> {
    let text = STYLES.iter().find(|(n, _)| *n == name)?.1;
    let mut style: Value = serde_json::from_str(text).ok()?;
    let absolute = |v: &mut Value| {
        if let Value::String(s) = v {
            if s.starts_with('/') && !s.starts_with("//") {
                *s = format!("{base}{s}");
            }
        }
    };
    if let Some(Value::Object(sources)) = style.get_mut("sources") {
        for source in sources.values_mut() {
            if let Some(url) = source.get_mut("url") {
                absolute(url);
            }
            if let Some(data) = source.get_mut("data") {
                absolute(data);
            }
            if let Some(Value::Array(tiles)) = source.get_mut("tiles") {
                tiles.iter_mut().for_each(absolute);
            }
        }
    }
    if let Some(glyphs) = style.get_mut("glyphs") {
        absolute(glyphs);
    }
    match style.get_mut("sprite") {
        Some(Value::Array(sprites)) => {
            for sprite in sprites {
                if let Some(url) = sprite.get_mut("url") {
                    absolute(url);
                }
            }
        }
        Some(sprite) => absolute(sprite),
        None => {}
    }
    Some(style)
}

/// The viewer page for a server reached at `base` (`http://host:port`,
/// or the public URL): the map, the layer list and legend, and the
/// planner's panel, with every URL pointing at `base`. The catalog gives
/// the title and the layer list the page shows before its script runs.
pub fn page_html(catalog: &Catalog, base: &str) -> String {
    let (script, css) = (
        format!("{base}/viewer/maplibre-gl.js"),
        format!("{base}/viewer/maplibre-gl.css"),
    );
    let config = serde_json::json!({
        "base": base,
        "style": format!("{base}/styles/{DEFAULT_STYLE}.json"),
        "maplibre": maplibre_version(),
    });
    // JSON inside <script>: `<` escaped so no text can close the element.
    let config = config.to_string().replace('<', "\\u003c");
    let layers: String = catalog
        .layers()
        .iter()
        .map(|l| {
            format!(
                "<li data-layer=\"{id}\"><label class=\"layer\">{zh} <small>{en}</small></label></li>\n",
                id = html_escape(l.id()),
                zh = html_escape(&l.meta.title.zh),
                en = html_escape(&l.meta.title.en),
            )
        })
        .collect();
    let title = &catalog.dataset.title;
    PAGE.replace("{{config}}", &config)
        .replace("{{maplibre_js}}", &html_escape(&script))
        .replace("{{maplibre_css}}", &html_escape(&css))
        .replace("{{app_js}}", &html_escape(&format!("{base}/viewer/app.js")))
        .replace(
            "{{app_css}}",
            &html_escape(&format!("{base}/viewer/app.css")),
        )
        .replace(
            "{{style}}",
            &html_escape(&format!("{base}/styles/{DEFAULT_STYLE}.json")),
        )
        .replace("{{layers}}", &layers)
        .replace("{{title_zh}}", &html_escape(&title.zh))
        .replace("{{title_en}}", &html_escape(&title.en))
        .replace("{{base}}", &html_escape(base))
}

/// `/map`: the viewer page.
pub async fn map_page(State(state): State<AppState>, headers: HeaderMap) -> Html<String> {
    Html(page_html(&state.catalog(), &base_url(&state, &headers)))
}

/// `/styles/{name}.json`, and `/styles/labels.geojson` (the label points
/// the styles name areas at).
pub async fn style(
    State(state): State<AppState>,
    ApiPath(file): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if file == "labels.geojson" {
        let catalog = state.catalog();
        let labels =
            tokio::task::spawn_blocking(move || crate::tile::labels::label_points(&catalog))
                .await?;
        let mut r = axum::Json(labels).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/geo+json"),
        );
        return Ok(r);
    }
    let unknown = || {
        ApiError::NotFound(format!(
            "no style `{file}`; the styles are: {}",
            style_names()
                .map(|n| format!("/styles/{n}.json"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    };
    let name = file.strip_suffix(".json").ok_or_else(unknown)?;
    let style = style_json(name, &base_url(&state, &headers)).ok_or_else(unknown)?;
    let mut r = axum::Json(style).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(r)
}

/// `/viewer/{file}`: the page's script and stylesheet, and MapLibre GL JS
/// (`maplibre-gl.js`, `maplibre-gl.css`, `maplibre-gl-LICENSE.txt`).
pub async fn asset(ApiPath(file): ApiPath<String>) -> Result<Response, ApiError> {
    const JS: &str = "text/javascript; charset=utf-8";
    const CSS: &str = "text/css; charset=utf-8";
    const TEXT: &str = "text/plain; charset=utf-8";
    let (body, content_type, cache) = match file.as_str() {
        "app.js" => (APP_JS, JS, "no-cache"),
        "app.css" => (APP_CSS, CSS, "no-cache"),
        // Pinned by version: a browser may keep them for a day.
        "maplibre-gl.js" => (MAPLIBRE_JS, JS, "public, max-age=86400"),
        "maplibre-gl.css" => (MAPLIBRE_CSS, CSS, "public, max-age=86400"),
        "maplibre-gl-LICENSE.txt" => (MAPLIBRE_LICENSE, TEXT, "public, max-age=86400"),
        _ => {
            return Err(ApiError::NotFound(format!(
                "no viewer file `{file}`; the viewer serves app.js, app.css, maplibre-gl.js, maplibre-gl.css, maplibre-gl-LICENSE.txt"
            )))
        }
    };
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(r)
}

/// The MapLibre GL JS version `styles/viewer/package.json` pins.
pub fn maplibre_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        serde_json::from_str::<Value>(PACKAGE_JSON)
            .ok()
            .and_then(|p| p["dependencies"]["maplibre-gl"].as_str().map(String::from))
            .unwrap_or_else(|| "5".into())
    })
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_relative_urls_become_absolute() {
        let s = style_json("miyun", "http://example.org:9000").unwrap();
        assert_eq!(
            s["sources"]["shanshui"]["url"],
            "http://example.org:9000/tiles.json"
        );
        assert_eq!(
            s["glyphs"],
            "http://example.org:9000/fonts/{fontstack}/{range}.pbf"
        );
        assert!(style_json("nope", "http://x").is_none());
    }

    #[test]
    fn the_page_cannot_be_broken_out_of() {
        let evil = "a\"</script><b>";
        let dataset = crate::catalog::DatasetMeta {
            report: None,
            id: "x".into(),
            title: crate::catalog::Title {
                zh: evil.into(),
                en: evil.into(),
            },
            attribution: String::new(),
        };
        let page = page_html(
            &Catalog::from_layers(dataset, Vec::new()),
            "http://a\"</script><b>",
        );
        assert!(!page.contains("</script><b>"));
        assert!(!page.contains("a\"<"));
    }

    #[test]
    fn the_pinned_version_is_exact() {
        let v = maplibre_version();
        assert!(
            v.split('.').count() == 3 && v.split('.').all(|p| p.parse::<u32>().is_ok()),
            "{v}"
        );
    }
}
