//! OGC API Features (Part 1 Core, Part 3 Filtering): `/collections`,
//! `/collections/{id}`, `/collections/{id}/items` (bbox, limit/offset
//! paging, datetime, equality on queryables, CQL2 `filter`),
//! `/collections/{id}/items/{featureId}` and
//! `/collections/{id}/queryables`. One collection per layer.
//! Specs: <https://docs.ogc.org/is/17-069r4/17-069r4.html>,
//! <https://docs.ogc.org/is/19-079r2/19-079r2.html>.

pub(super) mod params;

pub(super) use params::Params;

use super::error::ApiPath;
use super::tilejson::base_url;
use super::{ApiError, AppState};
use crate::catalog::{Catalog, Layer};
use crate::query::{Filter, FilterLang, FilterLimits, Queryables};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use geo::Rect;
use params::{
    check_datetime, encode_component, encode_query, parse_bbox, parse_count, parse_limit,
    timestamp_now,
};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// GeoJSON (RFC 7946).
pub const GEOJSON: &str = "application/geo+json";
/// Plain JSON.
pub const JSON: &str = "application/json";
/// JSON Schema, for queryables.
pub const SCHEMA_JSON: &str = "application/schema+json";
/// WGS 84 longitude/latitude, the only CRS served.
pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
/// The link relation of a collection's queryables.
pub const REL_QUERYABLES: &str = "http://www.opengis.net/def/rel/ogc/1.0/queryables";
/// Features per page when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 10;
/// The parameters of `/items` besides the queryables.
pub const ITEMS_PARAMS: [&str; 9] = [
    "bbox",
    "limit",
    "offset",
    "datetime",
    "filter",
    "filter-lang",
    "filter-crs",
    "as-of",
    "f",
];

/// The catalog a request asks for: as it stood at its `as-of` parameter,
/// or now. (OGC's `datetime` filters by a feature's own time, so the
/// moment the data is read at has a parameter of its own.)
async fn catalog_for(
    state: &AppState,
    query: &Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Arc<Catalog>, ApiError> {
    let as_of = query
        .as_ref()
        .ok()
        .and_then(|q| q.0.iter().find(|(k, _)| k == "as-of"))
        .map(|(_, v)| v.clone());
    match as_of {
        None => Ok(state.catalog()),
        Some(t) => {
            let task = state.clone();
            super::work::blocking(state, move || task.catalog_at(Some(&t))).await
        }
    }
}

/// `/collections`: every layer as a collection.
pub async fn collections(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::new(query, &["f"])?;
    let media = params.format(&[("json", JSON)], JSON)?;
    let catalog = state.catalog();
    let base = base_url(&state, &headers);
    let collections: Vec<Value> = catalog
        .layers()
        .iter()
        .map(|l| collection_json(l, &base))
        .collect();
    let url = format!("{base}/collections");
    let body = json!({
        "links": [
            link(&url, "self", media, "The collections"),
            link(&format!("{url}?f=json"), "alternate", JSON, "The collections as JSON"),
            link(&format!("{base}/"), "root", JSON, "The landing page"),
        ],
        "collections": collections,
    });
    Ok(respond(media, &body, None))
}

/// `/collections/{collectionId}`.
pub async fn collection(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::new(query, &["f"])?;
    let media = params.format(&[("json", JSON)], JSON)?;
    let catalog = state.catalog();
    let layer = find(&catalog, &id)?;
    let body = collection_json(layer, &base_url(&state, &headers));
    Ok(respond(media, &body, None))
}

/// `/collections/{collectionId}/queryables`: a JSON Schema of the
/// properties a filter may name.
pub async fn queryables(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::new(query, &["f"])?;
    let media = params.format(&[("json", SCHEMA_JSON)], SCHEMA_JSON)?;
    let catalog = state.catalog();
    let layer = find(&catalog, &id)?;
    let q = Queryables::of(layer);
    let mut properties = Map::new();
    properties.insert(
        Queryables::GEOMETRY.into(),
        json!({ "title": "geometry", "format": q.geometry_format() }),
    );
    for (name, t) in q.properties() {
        let mut p = json!({ "title": name });
        if let Some(t) = t.json_type() {
            p["type"] = json!(t);
        }
        properties.insert(name.to_string(), p);
    }
    let body = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("{}/collections/{id}/queryables", base_url(&state, &headers)),
        "type": "object",
        "title": layer.meta.title.en,
        "description": format!("The properties of `{id}` that filters may name: in `filter` (CQL2), or as `?name=value` on /items."),
        "properties": properties,
        "additionalProperties": false,
    });
    Ok(respond(media, &body, None))
}

/// `/collections/{collectionId}/items`: a page of features, filtered.
pub async fn items(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let catalog = catalog_for(&state, &query).await?;
    let layer = find(&catalog, &id)?;
    let queryables = Queryables::of(layer);
    let known: Vec<&str> = ITEMS_PARAMS
        .iter()
        .copied()
        .chain(queryables.properties().map(|(name, _)| name))
        .collect();
    let params = Params::new(query, &known)?;
    let media = params.format(&[("geojson", GEOJSON), ("json", JSON)], GEOJSON)?;
    let limit = match params.get("limit") {
        None => DEFAULT_LIMIT,
        Some(s) => parse_limit(s, state.config().max_features)?,
    };
    let offset = match params.get("offset") {
        None => 0,
        Some(s) => parse_count(s, "offset", 0)?,
    };
    if let Some(d) = params.get("datetime") {
        check_datetime(d)?;
    }
    if let Some(crs) = params.get("filter-crs") {
        if crs != CRS84 {
            return Err(ApiError::BadRequest(format!(
                "filter-crs `{crs}` is not supported; geometries in filters are WGS 84 longitude/latitude ({CRS84})"
            )));
        }
    }
    let lang = FilterLang::from_param(params.get("filter-lang").unwrap_or("cql2-text"))?;
    let bbox = params.get("bbox").map(parse_bbox).transpose()?;
    let filter_text = params.get("filter").map(str::to_string);
    let equals: Vec<(String, String)> = params
        .pairs()
        .iter()
        .filter(|(k, _)| !ITEMS_PARAMS.contains(&k.as_str()))
        .cloned()
        .collect();

    let catalog_for_task = Arc::clone(&catalog);
    let layer_id = id.clone();
    let limits = state.config().filter_limits;
    let (matched, features) = super::work::blocking(&state, move || {
        select_page(
            &catalog_for_task,
            &layer_id,
            bbox,
            &equals,
            filter_text.as_deref().map(|text| (text, lang, limits)),
            (offset, limit),
        )
    })
    .await?;

    let base = base_url(&state, &headers);
    let items_url = format!("{base}/collections/{id}/items");
    let page = |offset: usize, f: Option<&str>| -> String {
        let mut pairs: Vec<(String, String)> = params
            .pairs()
            .iter()
            .filter(|(k, _)| k != "offset" && k != "limit" && k != "f")
            .cloned()
            .collect();
        if let Some(f) = f.or(params.get("f")) {
            pairs.push(("f".into(), f.into()));
        }
        pairs.push(("limit".into(), limit.to_string()));
        pairs.push(("offset".into(), offset.to_string()));
        format!("{items_url}?{}", encode_query(&pairs))
    };
    let self_f = if media == JSON { "json" } else { "geojson" };
    let mut links = vec![
        link(&page(offset, Some(self_f)), "self", media, "This page"),
        if media == JSON {
            link(
                &page(offset, Some("geojson")),
                "alternate",
                GEOJSON,
                "This page as GeoJSON",
            )
        } else {
            link(
                &page(offset, Some("json")),
                "alternate",
                JSON,
                "This page as JSON",
            )
        },
    ];
    if offset + features.len() < matched {
        links.push(link(
            &page(offset + limit, None),
            "next",
            media,
            "The next page",
        ));
    }
    if offset > 0 {
        let prev = offset.saturating_sub(limit);
        links.push(link(&page(prev, None), "prev", media, "The previous page"));
    }
    let collection_url = format!("{base}/collections/{id}");
    links.push(link(
        &collection_url,
        "collection",
        JSON,
        &layer.meta.title.en,
    ));
    links.push(link(
        &format!("{collection_url}/queryables"),
        REL_QUERYABLES,
        SCHEMA_JSON,
        "The properties filters may name",
    ));
    let body = json!({
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": features.len(),
        "timeStamp": timestamp_now(),
        "links": links,
        "features": features,
    });
    Ok(respond(media, &body, Some(&links)))
}

/// `/collections/{collectionId}/items/{featureId}`: one feature.
pub async fn item(
    State(state): State<AppState>,
    ApiPath((id, fid)): ApiPath<(String, String)>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let catalog = catalog_for(&state, &query).await?;
    let params = Params::new(query, &["f", "as-of"])?;
    let media = params.format(&[("geojson", GEOJSON), ("json", JSON)], GEOJSON)?;
    let layer = find(&catalog, &id)?;
    let feature = layer.feature(&fid).ok_or_else(|| {
        ApiError::NotFound(format!(
            "collection `{id}` has no feature `{fid}`; /collections/{id}/items lists them"
        ))
    })?;
    let base = base_url(&state, &headers);
    let collection_url = format!("{base}/collections/{id}");
    let url = format!("{collection_url}/items/{}", encode_component(&fid));
    let links = vec![
        link(&url, "self", media, "This feature"),
        if media == JSON {
            link(
                &format!("{url}?f=geojson"),
                "alternate",
                GEOJSON,
                "This feature as GeoJSON",
            )
        } else {
            link(
                &format!("{url}?f=json"),
                "alternate",
                JSON,
                "This feature as JSON",
            )
        },
        link(&collection_url, "collection", JSON, &layer.meta.title.en),
    ];
    let mut body = feature.to_geojson();
    let etag = crate::catalog::etag_of(&body);
    let etag = HeaderValue::from_str(&etag).map_err(|e| ApiError::Internal(e.to_string()))?;
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|sent| crate::edit::if_match_holds(sent, etag.to_str().unwrap_or("")))
    {
        return Ok((axum::http::StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    body["links"] = json!(links);
    let mut r = respond(media, &body, Some(&links));
    r.headers_mut().insert(header::ETAG, etag);
    Ok(r)
}

/// Filters and pages one layer: (features matched, this page as GeoJSON).
fn select_page(
    catalog: &Catalog,
    layer_id: &str,
    bbox: Option<Rect<f64>>,
    equals: &[(String, String)],
    filter: Option<(&str, FilterLang, FilterLimits)>,
    (offset, limit): (usize, usize),
) -> Result<(usize, Vec<Value>), ApiError> {
    let layer = find(catalog, layer_id)?;
    let queryables = Queryables::of(layer);
    let mut parts = Vec::new();
    if let Some(b) = bbox {
        parts.push(Filter::bbox(b));
    }
    for (name, value) in equals {
        parts.push(Filter::equals(&queryables, name, value)?);
    }
    if let Some((text, lang, limits)) = filter {
        parts.push(Filter::parse(text, lang, &queryables, &limits)?);
    }
    let selected = Filter::all(parts).select(layer)?;
    let page = selected
        .iter()
        .skip(offset)
        .take(limit)
        .map(|&i| layer.features[i].to_geojson())
        .collect();
    Ok((selected.len(), page))
}

fn find<'a>(catalog: &'a Catalog, id: &str) -> Result<&'a Layer, ApiError> {
    catalog.layer(id).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no collection `{id}`; the collections are: {}",
            catalog
                .layers()
                .iter()
                .map(|l| l.id())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// A collection's description, as in `/collections` and `/collections/{id}`.
pub(super) fn collection_json(layer: &Layer, base: &str) -> Value {
    let id = layer.id();
    let url = format!("{base}/collections/{id}");
    let mut c = json!({
        "id": id,
        "title": layer.meta.title.en,
        "title_zh": layer.meta.title.zh,
        "description": layer.meta.description,
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            link(&url, "self", JSON, &layer.meta.title.en),
            link(&format!("{url}?f=json"), "alternate", JSON, "This collection as JSON"),
            link(&format!("{url}/items"), "items", GEOJSON, "The features"),
            link(&format!("{url}/queryables"), REL_QUERYABLES, SCHEMA_JSON, "The properties filters may name"),
            link(&format!("{base}/tiles/{id}.json"), "related", JSON, "Vector tiles (TileJSON)"),
        ],
    });
    if let Some(b) = layer.bounds() {
        c["extent"] = json!({
            "spatial": {
                "bbox": [[b.min().x, b.min().y, b.max().x, b.max().y]],
                "crs": CRS84,
            }
        });
    }
    c
}

/// A link object.
pub(super) fn link(href: &str, rel: &str, media: &str, title: &str) -> Value {
    json!({ "href": href, "rel": rel, "type": media, "title": title })
}

/// A JSON body with its media type, and the links repeated in a `Link`
/// header (RFC 8288) when given.
pub(super) fn respond(media: &'static str, body: &Value, links: Option<&[Value]>) -> Response {
    let mut r = (
        [(header::CONTENT_TYPE, HeaderValue::from_static(media))],
        body.to_string(),
    )
        .into_response();
    if let Some(links) = links {
        let text = links
            .iter()
            .filter_map(|l| {
                Some(format!(
                    "<{}>; rel=\"{}\"; type=\"{}\"",
                    l["href"].as_str()?,
                    l["rel"].as_str()?,
                    l["type"].as_str()?
                ))
            })
            .collect::<Vec<_>>()
            .join(", ");
        if let Ok(v) = HeaderValue::from_str(&text) {
            r.headers_mut().insert(header::LINK, v);
        }
    }
    r
}
