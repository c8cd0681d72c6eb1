//! The OpenAPI 3.1 document of the HTTP API, `GET /v1/openapi.json`.
//!
//! It is made from the route table ([`super::table`]) when the router is
//! built, once, and served as prepared bytes: no request, the hot
//! `POST /v1/verify` included, does any work for it. Bodies the code has
//! types for carry their derived schemas; answers built ad hoc are described
//! in words. Every operation lists the error body ([`ErrorBody`]) for
//! `4XX` and `5XX`, and the admin routes the bearer token.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, Parameter, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    Components, Content, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr, Required,
    ResponseBuilder, Schema,
};
use utoipa::{PartialSchema, ToSchema};

use super::error::ErrorBody;
use super::table::{Body, Entry, Method, Route, Shape};

/// The security scheme's name in the document.
pub(crate) const ADMIN_TOKEN: &str = "admin_token";

/// The document, once the router is built.
#[derive(Clone, Debug, Default)]
pub(crate) struct Served(Arc<OnceLock<Bytes>>);

impl Served {
    /// The route that serves the document (the document lists it too).
    pub(crate) fn route<S: Clone + Send + Sync + 'static>(&self) -> Route<S> {
        let doc = self.clone();
        Route::get(
            "/v1/openapi.json",
            move || async move { doc.answer() },
            "This document: the OpenAPI 3.1 description of every route",
        )
        .reply(200, "application/json", Shape::Any, "the OpenAPI document")
    }

    /// Keeps the document to serve.
    pub(crate) fn set(&self, doc: &OpenApi) {
        // Serialising a document of plain strings and maps cannot fail; an
        // empty body would show it did.
        let bytes = doc.to_json().unwrap_or_default();
        let _ = self.0.set(Bytes::from(bytes));
    }

    fn answer(&self) -> Response {
        let bytes = self.0.get().cloned().unwrap_or_default();
        ([(header::CONTENT_TYPE, "application/json")], bytes).into_response()
    }
}

/// The document of `entries` (every route the router has).
pub(crate) fn document(entries: &[Entry]) -> OpenApi {
    let mut schemas: BTreeMap<String, RefOr<Schema>> = BTreeMap::new();
    schemas.insert(ErrorBody::name().into_owned(), ErrorBody::schema());
    let mut paths = Paths::new();
    for e in entries {
        let mut op = OperationBuilder::new()
            .summary(Some(e.doc.summary))
            .tag(e.doc.tag)
            .operation_id(Some(operation_id(e.method, e.path)));
        for p in path_parameters(e.path) {
            op = op.parameter(p);
        }
        for q in &e.doc.query {
            op = op.parameter(q.clone());
        }
        if let Some(body) = &e.doc.request {
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .description(Some(body.description).filter(|d| !d.is_empty()))
                    .required(Some(Required::True))
                    .content(body.content_type, content(body, &mut schemas))
                    .build(),
            ));
        }
        for r in &e.doc.replies {
            let mut resp = ResponseBuilder::new().description(r.description);
            if let Some(body) = &r.body {
                resp = resp.content(body.content_type, content(body, &mut schemas));
            }
            op = op.response(r.status.to_string(), resp.build());
        }
        if e.doc.admin {
            op = op
                .security(SecurityRequirement::new(ADMIN_TOKEN, Vec::<String>::new()))
                .response(
                    "401",
                    error_response("`unauthorized`: the admin token is missing or wrong"),
                );
        }
        op = op
            .response(
                "4XX",
                error_response("the request was refused: `error` is a stable code"),
            )
            .response(
                "5XX",
                error_response(
                    "the node could not answer (a full or failed store, a busy pool: `error` says which)",
                ),
            );
        paths.add_path_operation(e.path, vec![http_method(e.method)], op.build());
    }
    let mut components = Components::new();
    components.schemas = schemas;
    components.add_security_scheme(
        ADMIN_TOKEN,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "The admin token the node writes, mode 0600, into its data directory (`admin.token`).",
                ))
                .build(),
        ),
    );
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("badgemesh node HTTP API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "The local HTTP API of a badgemesh node. Reads are open; `/v1/admin/...` and the issuing routes need the admin token. Errors are JSON with a stable `error` code.",
                ))
                .build(),
        )
        .paths(paths)
        .components(Some(components))
        .build()
}

fn http_method(m: Method) -> HttpMethod {
    match m {
        Method::Get => HttpMethod::Get,
        Method::Post => HttpMethod::Post,
        Method::Put => HttpMethod::Put,
        Method::Delete => HttpMethod::Delete,
    }
}

/// `post_v1_admin_awards`: unique, since a method and a path are.
fn operation_id(m: Method, path: &str) -> String {
    let mut id = m.name().to_owned();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        id.push('_');
        id.extend(
            part.chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }),
        );
    }
    id
}

/// The `{name}` segments of `path`, each a required string.
fn path_parameters(path: &str) -> Vec<Parameter> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some(describe_parameter(name)))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build()
        })
        .collect()
}

fn describe_parameter(name: &str) -> &'static str {
    match name {
        "id" => "a record id (`b...`), or, in the backpack, a held badge's id",
        "did" => "an issuer's DID (`did:badgemesh:...`)",
        "name" | "collection" => "a backpack collection's name",
        _ => "",
    }
}

fn content(body: &Body, schemas: &mut BTreeMap<String, RefOr<Schema>>) -> Content {
    let schema: RefOr<Schema> = match &body.shape {
        // `{}`: any JSON (an object or, for the lists, an array); the
        // description says what is in it.
        Shape::Any => ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .build()
            .into(),
        Shape::Binary => ObjectBuilder::new()
            .schema_type(Type::String)
            .content_media_type(body.content_type)
            .build()
            .into(),
        Shape::Named { name, schemas: own } => {
            schemas.extend(own.iter().cloned());
            Ref::from_schema_name(name.as_str()).into()
        }
        Shape::ListOf { name, schemas: own } => {
            schemas.extend(own.iter().cloned());
            ArrayBuilder::new()
                .items(Ref::from_schema_name(name.as_str()))
                .build()
                .into()
        }
    };
    Content::new(Some(schema))
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(Ref::from_schema_name(ErrorBody::name()))),
        )
        .build()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use serde_json::Value;

    use super::super::{FrontDoor, service};

    /// The router a node serves and its document.
    fn built() -> (String, Value) {
        let front = Arc::new(FrontDoor::new(
            std::net::SocketAddr::from(([127, 0, 0, 1], 8080)),
            &[],
        ));
        let (router, doc) = service(Arc::new("token".to_owned()), front, 1 << 20);
        let doc = serde_json::to_value(&doc).expect("the document serialises");
        (format!("{router:?}"), doc)
    }

    /// Every (method, path) the router answers, read from the router
    /// itself: axum keeps no list for us, but its `Debug` names each route
    /// id's path and each route id's method router, which is enough to
    /// notice a route added by any means, table or not. If a later axum
    /// prints otherwise, this finds nothing and the test says so.
    fn routed(debug: &str) -> BTreeSet<(String, String)> {
        let mut paths = std::collections::BTreeMap::new();
        let mut methods: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        // The routes are in `path_router`; `fallback_router` numbers its
        // own (axum's catch-all) from 0 again.
        let mut rest = &debug[..debug.find("fallback_router:").unwrap_or(debug.len())];
        while let Some(at) = rest.find("RouteId(") {
            rest = &rest[at + "RouteId(".len()..];
            let Some(close) = rest.find(')') else { break };
            let id = rest[..close].to_owned();
            let after = &rest[close + 1..];
            if let Some(path) = after.strip_prefix(": \"") {
                if let Some(end) = path.find('"') {
                    paths.insert(id, path[..end].to_owned());
                }
            } else if let Some(mr) = after.strip_prefix(": MethodRouter(MethodRouter {") {
                let fields = &mr[..mr.find("fallback:").unwrap_or(mr.len())];
                let set = ["get", "post", "put", "delete", "patch"]
                    .into_iter()
                    .filter(|m| {
                        fields.contains(&format!("{m}: "))
                            && !fields.contains(&format!("{m}: None"))
                    })
                    .map(str::to_owned)
                    .collect();
                methods.insert(id, set);
            }
        }
        let mut out = BTreeSet::new();
        for (id, path) in &paths {
            for m in methods.get(id).into_iter().flatten() {
                out.insert((m.clone(), path.clone()));
            }
        }
        out
    }

    fn documented(doc: &Value) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, _) in item.as_object().expect("path item") {
                out.insert((method.clone(), path.clone()));
            }
        }
        out
    }

    #[test]
    fn every_route_the_router_has_is_documented_and_no_other() {
        let (debug, doc) = built();
        let routed = routed(&debug);
        assert!(
            routed.len() > 60,
            "found only {} routes in the router's Debug output; has axum's format changed?\n{debug:.2000}",
            routed.len()
        );
        let documented = documented(&doc);
        let undocumented: Vec<_> = routed.difference(&documented).collect();
        assert!(
            undocumented.is_empty(),
            "routes missing from the OpenAPI document: {undocumented:?}"
        );
        let phantom: Vec<_> = documented.difference(&routed).collect();
        assert!(phantom.is_empty(), "documented but not routed: {phantom:?}");
    }

    #[test]
    fn the_parser_notices_a_route_added_outside_the_table() {
        let (debug, _) = built();
        let before = routed(&debug).len();
        let front = Arc::new(FrontDoor::new(
            std::net::SocketAddr::from(([127, 0, 0, 1], 8080)),
            &[],
        ));
        let (router, _) = service(Arc::new("t".to_owned()), front, 1 << 20);
        let router = router.route("/v1/sneaky", axum::routing::get(|| async { "x" }));
        let after = routed(&format!("{router:?}"));
        assert_eq!(after.len(), before + 1);
        assert!(after.contains(&("get".to_owned(), "/v1/sneaky".to_owned())));
    }

    /// What an OpenAPI 3.1 reader needs: the version, an info block,
    /// unique operation ids, every `$ref` resolving, every path parameter
    /// declared, responses everywhere, and the admin token on every admin
    /// route and no other.
    #[test]
    fn the_document_is_well_formed_openapi_3_1() {
        let (_, doc) = built();
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        assert!(schemas.contains_key("ErrorBody"));
        assert_eq!(
            doc["components"]["securitySchemes"]["admin_token"]["scheme"],
            "bearer"
        );
        let mut ids = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            assert!(path.starts_with('/'), "{path}");
            for (method, op) in item.as_object().expect("item") {
                let id = op["operationId"].as_str().expect("operationId");
                assert!(ids.insert(id.to_owned()), "duplicate operationId {id}");
                assert!(
                    op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                    "{method} {path}: no summary"
                );
                let responses = op["responses"].as_object().expect("responses");
                assert!(
                    responses.keys().any(|k| k.starts_with('2')),
                    "{method} {path}: no success answer"
                );
                assert!(
                    responses.contains_key("4XX"),
                    "{method} {path}: errors undocumented"
                );
                let declared: BTreeSet<&str> = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "path")
                    .filter_map(|p| p["name"].as_str())
                    .collect();
                let in_path: BTreeSet<&str> = path
                    .split('/')
                    .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                    .collect();
                assert_eq!(declared, in_path, "{method} {path}: path parameters");
                let secured = op["security"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|r| r.get(super::ADMIN_TOKEN).is_some()));
                let admin = path.starts_with("/v1/admin/")
                    || path == "/credentials/issue"
                    || path == "/credentials/status"
                    || path.ends_with("/revocation/publish");
                assert_eq!(secured, admin, "{method} {path}: admin token");
            }
        }
        // Every reference points at a schema the document has.
        let text = doc.to_string();
        for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = &part[..part.find('"').expect("end of ref")];
            assert!(schemas.contains_key(name), "dangling $ref to {name}");
        }
        // The hot path's body is documented with its query parameters.
        let verify = &doc["paths"]["/v1/verify"]["post"];
        let params: Vec<&str> = verify["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert!(
            params.contains(&"recipient") && params.contains(&"at"),
            "{params:?}"
        );
        assert!(
            doc["paths"]["/v1/admin/awards"]["post"]["requestBody"]["content"]["application/json"]
                ["schema"]["$ref"]
                .as_str()
                .is_some_and(|r| r.ends_with("/AwardBody"))
        );
        // Schemas are named for their types, never for a container.
        assert!(!schemas.contains_key("Vec"), "{:?}", schemas.keys());
        assert_eq!(
            doc["paths"]["/v1/peers"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
                ["items"]["$ref"],
            "#/components/schemas/PeerInfo"
        );
    }
}
