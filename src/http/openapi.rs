//! `/api`: the OpenAPI 3.0 definition of the service, built from the
//! catalog so that each collection's paths list its queryables. Spec:
//! <https://spec.openapis.org/oas/v3.0.3>; the OGC building blocks follow
//! <https://schemas.opengis.net/ogcapi/features/part1/1.0/openapi/>.

use super::features::{respond, Params, CRS84, DEFAULT_LIMIT, GEOJSON, JSON, SCHEMA_JSON};
use super::tilejson::base_url;
use super::{ApiError, AppState};
use crate::catalog::{Catalog, Layer};
use crate::query::Queryables;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Map, Value};

/// The media type of an OpenAPI 3.0 document in JSON.
pub const OPENAPI_JSON: &str = "application/vnd.oai.openapi+json;version=3.0";

/// `/api` (also with `f=json`).
pub async fn api(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::new(query, &["f"])?;
    let media = params.format(&[("json", OPENAPI_JSON)], OPENAPI_JSON)?;
    let doc = document(
        &state.catalog(),
        &base_url(&state, &headers),
        state.config().max_features,
        state.editing().is_some(),
    );
    Ok(respond(media, &doc, None))
}

/// The OpenAPI document for this catalog, served at `base`; with the
/// methods that change features on the layers that take edits when
/// `edits` (the data came from a folder).
pub fn document(catalog: &Catalog, base: &str, max_features: usize, edits: bool) -> Value {
    let mut paths = Map::new();
    paths.insert(
        "/".into(),
        get(
            "getLandingPage",
            "The landing page: links to the API definition, the conformance classes and the collections. HTML for browsers (or f=html), JSON otherwise.",
            vec![f_param(&["json", "html"])],
            json!({
                "200": { "description": "The landing page.", "content": {
                    JSON: { "schema": schema_ref("LandingPage") },
                    "text/html": { "schema": { "type": "string" } } } },
                "400": error_ref(),
            }),
        ),
    );
    paths.insert(
        "/conformance".into(),
        get(
            "getConformance",
            "The conformance classes this server implements.",
            vec![f_param(&["json"])],
            ok_json("The conformance declaration.", JSON, "ConfClasses"),
        ),
    );
    paths.insert(
        "/api".into(),
        get(
            "getApi",
            "This API definition.",
            vec![f_param(&["json"])],
            json!({
                "200": { "description": "The OpenAPI 3.0 document.", "content": {
                    OPENAPI_JSON: { "schema": { "type": "object" } } } },
                "400": error_ref(),
            }),
        ),
    );
    paths.insert(
        "/collections".into(),
        get(
            "getCollections",
            "The collections: one per layer.",
            vec![f_param(&["json"])],
            ok_json("The collections.", JSON, "Collections"),
        ),
    );
    for layer in catalog.layers() {
        layer_paths(layer, &mut paths, max_features);
        if edits && layer.meta.edit.is_some() {
            edit_paths(layer, &mut paths);
        }
    }
    other_paths(&mut paths);

    json!({
        "openapi": "3.0.3",
        "info": {
            "title": format!("shanshui: {}", catalog.dataset.title.en),
            "description": format!(
                "OGC API Features (Part 1 Core, Part 3 Filtering with CQL2) over the layers of {} ({}), with vector tiles and TileJSON. Geometries are WGS 84 longitude/latitude ({CRS84}).",
                catalog.dataset.title.en, catalog.dataset.title.zh
            ),
            "version": env!("CARGO_PKG_VERSION"),
            "license": { "name": "MIT OR Apache-2.0 (code); see geodata/SOURCES.md for the data" },
        },
        "servers": [{ "url": base, "description": "This server" }],
        "paths": paths,
        "components": components(),
    })
}

fn layer_paths(layer: &Layer, paths: &mut Map<String, Value>, max_features: usize) {
    let id = layer.id();
    let title = &layer.meta.title.en;
    let queryables = Queryables::of(layer);
    paths.insert(
        format!("/collections/{id}"),
        get(
            &format!("describeCollection_{id}"),
            &format!("The collection `{id}`: {title}."),
            vec![f_param(&["json"])],
            ok_json("The collection.", JSON, "Collection"),
        ),
    );
    paths.insert(
        format!("/collections/{id}/queryables"),
        get(
            &format!("getQueryables_{id}"),
            &format!("The queryables of `{id}`: the properties a filter may name, as JSON Schema."),
            vec![f_param(&["json"])],
            ok_json("The queryables.", SCHEMA_JSON, "Queryables"),
        ),
    );
    // Inlined rather than referenced: GDAL reads `limit`'s maximum (its
    // page size) only from a parameter written out in the path.
    let shared = shared_parameters(max_features);
    let mut params: Vec<Value> = super::features::ITEMS_PARAMS
        .iter()
        .filter(|name| **name != "f")
        .map(|name| shared[*name].clone())
        .collect();
    params.push(f_param(&["geojson", "json"]));
    for (name, t) in queryables.properties() {
        let schema = match t.json_type() {
            Some(t) => json!({ "type": t }),
            None => json!({}),
        };
        params.push(json!({
            "name": name,
            "in": "query",
            "required": false,
            "description": format!("Only features whose `{name}` equals this value (numbers compare numerically)."),
            "schema": schema,
            "style": "form",
            "explode": false,
        }));
    }
    let features_content = json!({
        GEOJSON: { "schema": schema_ref("FeatureCollection") },
        JSON: { "schema": schema_ref("FeatureCollection") },
    });
    paths.insert(
        format!("/collections/{id}/items"),
        get(
            &format!("getFeatures_{id}"),
            &format!("The features of `{id}` ({title}), a page at a time, in file order; filtered by bbox, equality on queryables and a CQL2 filter, all combined with AND."),
            params,
            json!({
                "200": { "description": "A page of features.", "content": features_content },
                "400": error_ref(),
            }),
        ),
    );
    let mut feature_id = json!({ "name": "featureId", "in": "path", "required": true,
        "description": "The feature's id.", "schema": { "type": "string" } });
    if let Some(f) = layer.iter().next() {
        feature_id["example"] = json!(f.id);
    }
    paths.insert(
        format!("/collections/{id}/items/{{featureId}}"),
        get(
            &format!("getFeature_{id}"),
            &format!("One feature of `{id}` by its id."),
            vec![feature_id, f_param(&["geojson", "json"])],
            json!({
                "200": { "description": "The feature.", "content": {
                    GEOJSON: { "schema": schema_ref("Feature") },
                    JSON: { "schema": schema_ref("Feature") } } },
                "400": error_ref(),
                "404": { "$ref": "#/components/responses/NotFound" },
            }),
        ),
    );
}

/// OGC API Features Part 4 on a layer that takes edits: POST on its
/// items, PUT, PATCH and DELETE on each feature, and OPTIONS on both.
fn edit_paths(layer: &Layer, paths: &mut Map<String, Value>) {
    let id = layer.id();
    let errors = |codes: &[&str]| -> Map<String, Value> {
        codes
            .iter()
            .map(|c| {
                (
                    c.to_string(),
                    json!({ "$ref": format!("#/components/responses/E{c}") }),
                )
            })
            .collect()
    };
    let feature_body = |what: &str| {
        json!({ "required": true, "description": what, "content": {
            GEOJSON: { "schema": schema_ref("Feature") },
            JSON: { "schema": schema_ref("Feature") } } })
    };
    let returned = |code: &str, description: &str| {
        json!({ code: { "description": description,
            "headers": { "ETag": { "description": "The feature's new version.", "schema": { "type": "string" } } },
            "content": { GEOJSON: { "schema": schema_ref("Feature") } } } })
    };
    let options = |op: &str| {
        json!({ "operationId": op, "summary": "The methods this resource takes, in `Allow`.",
            "responses": { "204": { "description": "The methods, in `Allow`.",
                "headers": { "Allow": { "schema": { "type": "string" } } } } } })
    };
    let security = json!([{ "bearer": [] }]);
    let mut create = returned("201", "Created; `Location` is its URL.");
    create["201"]["headers"]["Location"] =
        json!({ "description": "The new feature's URL.", "schema": { "type": "string" } });
    for (code, body) in errors(&[
        "400", "401", "403", "409", "413", "415", "422", "429", "503",
    ]) {
        create[code] = body;
    }
    if let Some(items) = paths.get_mut(&format!("/collections/{id}/items")) {
        items["post"] = json!({
            "operationId": format!("createFeature_{id}"),
            "summary": format!("Adds a feature to `{id}`; the server assigns its id. Needs a key (`Authorization: Bearer`)."),
            "security": security,
            "requestBody": feature_body("The new feature, a GeoJSON Feature."),
            "responses": create,
        });
        items["options"] = options(&format!("optionsFeatures_{id}"));
    }
    let fid = json!([{ "name": "featureId", "in": "path", "required": true,
        "description": "The feature's id.", "schema": { "type": "string" } }]);
    let if_match = json!({ "name": "If-Match", "in": "header", "required": layer.meta.edit.as_ref().is_some_and(|e| e.require_if_match),
        "description": "The ETag of the version the change is made to; a feature changed since is answered 412 with its version now.",
        "schema": { "type": "string" } });
    let mut changed = returned("200", "Changed; the feature as it now stands.");
    for (code, body) in errors(&[
        "400", "401", "403", "404", "412", "413", "415", "422", "428", "429", "503",
    ]) {
        changed[code] = body;
    }
    let mut deleted = json!({ "204": { "description": "Deleted." } });
    for (code, body) in errors(&["400", "401", "403", "404", "412", "428", "429", "503"]) {
        deleted[code] = body;
    }
    if let Some(item) = paths.get_mut(&format!("/collections/{id}/items/{{featureId}}")) {
        item["put"] = json!({
            "operationId": format!("replaceFeature_{id}"),
            "summary": "Replaces the feature whole. Needs a key.",
            "security": security, "parameters": [fid[0], if_match],
            "requestBody": feature_body("The feature's new version, a GeoJSON Feature."),
            "responses": changed,
        });
        item["patch"] = json!({
            "operationId": format!("updateFeature_{id}"),
            "summary": "Changes some of the feature's members by a JSON Merge Patch (RFC 7396): `null` removes a property. Needs a key.",
            "security": security, "parameters": [fid[0], if_match],
            "requestBody": { "required": true, "content": {
                super::edits::MERGE_PATCH: { "schema": { "type": "object" } } } },
            "responses": changed,
        });
        item["delete"] = json!({
            "operationId": format!("deleteFeature_{id}"),
            "summary": "Deletes the feature. Needs a key.",
            "security": security, "parameters": [fid[0], if_match],
            "responses": deleted,
        });
        let mut o = options(&format!("optionsFeature_{id}"));
        o["parameters"] = fid;
        o["responses"]["404"] = json!({ "$ref": "#/components/responses/NotFound" });
        item["options"] = o;
    }
}

/// The paths beside OGC API Features: TileJSON, the catalog, liveness.
fn other_paths(paths: &mut Map<String, Value>) {
    let object = |op: &str, summary: &str| {
        get(
            op,
            summary,
            vec![],
            json!({ "200": { "description": summary, "content": {
                JSON: { "schema": { "type": "object" } } } } }),
        )
    };
    paths.insert(
        "/tiles.json".into(),
        object("getTileJson", "TileJSON 3.0.0 for every layer."),
    );
    paths.insert(
        "/catalog".into(),
        object("getCatalog", "The layers: fields, zooms, bounds, links."),
    );
    paths.insert(
        "/health".into(),
        object("getHealth", "Liveness and the data's version."),
    );
}

fn get(operation_id: &str, summary: &str, parameters: Vec<Value>, responses: Value) -> Value {
    json!({ "get": {
        "operationId": operation_id,
        "summary": summary,
        "parameters": parameters,
        "responses": responses,
    } })
}

fn ok_json(description: &str, media: &str, schema: &str) -> Value {
    json!({
        "200": { "description": description, "content": { media: { "schema": schema_ref(schema) } } },
        "400": error_ref(),
    })
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn error_ref() -> Value {
    json!({ "$ref": "#/components/responses/BadRequest" })
}

fn f_param(values: &[&str]) -> Value {
    json!({
        "name": "f",
        "in": "query",
        "required": false,
        "description": format!("The format of the response; the default is {}.", values[0]),
        "schema": { "type": "string", "enum": values },
        "style": "form",
        "explode": false,
    })
}

fn components() -> Value {
    let link = json!({
        "type": "object",
        "required": ["href", "rel"],
        "properties": {
            "href": { "type": "string" },
            "rel": { "type": "string" },
            "type": { "type": "string" },
            "title": { "type": "string" },
        },
    });
    let links = json!({ "type": "array", "items": schema_ref("Link") });
    let error = json!({
        "type": "object",
        "required": ["status", "error", "message"],
        "properties": {
            "status": { "type": "integer" },
            "error": { "type": "string" },
            "message": { "type": "string", "description": "What is wrong and how to fix it." },
        },
    });
    let error_content = json!({ JSON: { "schema": schema_ref("Exception") } });
    json!({
        "schemas": {
            "Link": link,
            "Exception": error,
            "LandingPage": {
                "type": "object", "required": ["links"],
                "properties": { "title": { "type": "string" }, "description": { "type": "string" }, "links": links },
            },
            "ConfClasses": {
                "type": "object", "required": ["conformsTo"],
                "properties": { "conformsTo": { "type": "array", "items": { "type": "string" } } },
            },
            "Extent": {
                "type": "object",
                "properties": { "spatial": { "type": "object", "properties": {
                    "bbox": { "type": "array", "minItems": 1, "items": {
                        "type": "array", "minItems": 4, "maxItems": 6, "items": { "type": "number" } } },
                    "crs": { "type": "string", "enum": [CRS84] } } } },
            },
            "Collection": {
                "type": "object", "required": ["id", "links"],
                "properties": {
                    "id": { "type": "string" },
                    "title": { "type": "string" },
                    "title_zh": { "type": "string", "description": "The title in Chinese." },
                    "description": { "type": "string" },
                    "links": links,
                    "extent": schema_ref("Extent"),
                    "itemType": { "type": "string", "enum": ["feature"] },
                    "crs": { "type": "array", "items": { "type": "string" } },
                },
            },
            "Collections": {
                "type": "object", "required": ["links", "collections"],
                "properties": { "links": links, "collections": { "type": "array", "items": schema_ref("Collection") } },
            },
            "Queryables": {
                "type": "object", "required": ["type", "properties"],
                "properties": {
                    "$schema": { "type": "string" }, "$id": { "type": "string" },
                    "type": { "type": "string", "enum": ["object"] },
                    "properties": { "type": "object", "additionalProperties": { "type": "object" } },
                    "additionalProperties": { "type": "boolean" },
                },
            },
            "Geometry": {
                "type": "object", "required": ["type", "coordinates"],
                "properties": {
                    "type": { "type": "string", "enum": ["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"] },
                    "coordinates": { "type": "array" },
                },
            },
            "Feature": {
                "type": "object", "required": ["type", "geometry", "properties"],
                "properties": {
                    "type": { "type": "string", "enum": ["Feature"] },
                    "id": { "type": "string" },
                    "geometry": schema_ref("Geometry"),
                    "properties": { "type": "object", "nullable": true },
                    "links": links,
                },
            },
            "FeatureCollection": {
                "type": "object", "required": ["type", "features"],
                "properties": {
                    "type": { "type": "string", "enum": ["FeatureCollection"] },
                    "features": { "type": "array", "items": schema_ref("Feature") },
                    "links": links,
                    "timeStamp": { "type": "string", "format": "date-time" },
                    "numberMatched": { "type": "integer", "minimum": 0 },
                    "numberReturned": { "type": "integer", "minimum": 0 },
                },
            },
        },
        "responses": {
            "BadRequest": {
                "description": "A parameter is unknown, repeated or has a bad value; the message says which and what to send.",
                "content": error_content,
            },
            "NotFound": {
                "description": "No such collection or feature.",
                "content": error_content,
            },
            "E400": { "description": "The body is not a GeoJSON Feature (or a merge patch), or changes the id.", "content": error_content },
            "E401": { "description": "No key, or a key that is not valid here.", "content": error_content,
                "headers": { "WWW-Authenticate": { "schema": { "type": "string" } } } },
            "E403": { "description": "The key may not change this collection.", "content": error_content },
            "E404": { "description": "No such collection or feature.", "content": error_content },
            "E409": { "description": "A feature with that id exists.", "content": error_content },
            "E412": { "description": "If-Match names a version the feature no longer has; `current` is the version it has.", "content": error_content,
                "headers": { "ETag": { "schema": { "type": "string" } } } },
            "E413": { "description": "The body is larger than the server takes.", "content": error_content },
            "E415": { "description": "The body's Content-Type is not one this method takes.", "content": error_content },
            "E422": { "description": "The feature breaks the collection's rules; `problems` names each field.", "content": error_content },
            "E428": { "description": "The collection requires If-Match.", "content": error_content },
            "E429": { "description": "Too many failed attempts with wrong keys.", "content": error_content,
                "headers": { "Retry-After": { "schema": { "type": "integer" } } } },
            "E503": { "description": "The edit could not be made durable, or another process writes the data; nothing changed.", "content": error_content },
        },
        "securitySchemes": {
            "bearer": { "type": "http", "scheme": "bearer",
                "description": "A write key made with `shanshui key add NAME`; reading needs none." },
        },
    })
}

/// The parameters of every `/items` path, by name.
fn shared_parameters(max: usize) -> Value {
    json!({
        "bbox": {
            "name": "bbox", "in": "query", "required": false,
            "description": "Only features whose geometry intersects this box: minlon,minlat,maxlon,maxlat in WGS 84 (CRS84); longitudes in -180..180, latitudes in -90..90, min not above max. Six numbers (with heights) are read as their four horizontal ones.",
            "schema": { "type": "array", "minItems": 4, "maxItems": 6, "items": { "type": "number" } },
            "style": "form", "explode": false,
        },
        "limit": {
            "name": "limit", "in": "query", "required": false,
            "description": format!("Features per page, {DEFAULT_LIMIT} by default; a value above {max} is served as {max}. Follow the `next` link for the next page."),
            "schema": { "type": "integer", "minimum": 1, "maximum": max, "default": DEFAULT_LIMIT },
            "style": "form", "explode": false,
        },
        "offset": {
            "name": "offset", "in": "query", "required": false,
            "description": "Features to skip (paging; the `next` and `prev` links carry it).",
            "schema": { "type": "integer", "minimum": 0, "default": 0 },
            "style": "form", "explode": false,
        },
        "datetime": {
            "name": "datetime", "in": "query", "required": false,
            "description": "An RFC 3339 date or date-time, or an interval (`start/end`, `..` or empty for an open end). The layers have no temporal properties, so every feature matches a valid value.",
            "schema": { "type": "string" },
            "style": "form", "explode": false,
        },
        "filter": {
            "name": "filter", "in": "query", "required": false,
            "description": "A CQL2 filter on the queryables: comparisons, AND/OR/NOT, LIKE, IN, BETWEEN, IS NULL, S_INTERSECTS, S_WITHIN, S_CONTAINS, S_DISJOINT, S_EQUALS, S_TOUCHES, S_OVERLAPS, S_CROSSES (geometries in WKT, GeoJSON, BBOX or ENVELOPE, in CRS84).",
            "schema": { "type": "string" },
            "style": "form", "explode": false,
        },
        "filter-lang": {
            "name": "filter-lang", "in": "query", "required": false,
            "description": "The language of `filter`: cql2-text (the default) or cql2-json; cql-text and cql-json are read as them.",
            "schema": { "type": "string", "enum": ["cql2-text", "cql2-json", "cql-text", "cql-json"], "default": "cql2-text" },
            "style": "form", "explode": false,
        },
        "as-of": {
            "name": "as-of", "in": "query", "required": false,
            "description": "The data as it stood at this moment (an RFC 3339 date-time, or a date for its midnight UTC): every edit made since undone. Unlike `datetime`, which filters by a feature's own time.",
            "schema": { "type": "string" },
            "style": "form", "explode": false,
        },
        "filter-crs": {
            "name": "filter-crs", "in": "query", "required": false,
            "description": "The CRS of geometries in `filter`; only CRS84.",
            "schema": { "type": "string", "enum": [CRS84], "default": CRS84 },
            "style": "form", "explode": false,
        },
    })
}
