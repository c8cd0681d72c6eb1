//! The route table: the one place a route of the HTTP API is registered,
//! with what the OpenAPI document says of it.
//!
//! A [`Route`] pairs the axum handler of one method and path with its
//! [`Doc`]; a [`Table`] adds it to an axum `Router` and keeps the doc in the
//! same call, so there is no way to serve a route without documenting it
//! (and `openapi::tests` checks the finished router against the document).
//! Nothing here runs per request: the table is read once, when the router is
//! built.

use axum::Router;
use axum::handler::Handler;
use axum::routing::{MethodFilter, MethodRouter, on};
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{IntoParams, ToSchema};

/// The HTTP methods the API uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    fn filter(self) -> MethodFilter {
        match self {
            Method::Get => MethodFilter::GET,
            Method::Post => MethodFilter::POST,
            Method::Put => MethodFilter::PUT,
            Method::Delete => MethodFilter::DELETE,
        }
    }

    /// The name, lower case, as OpenAPI and axum's `Debug` spell it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
            Method::Delete => "delete",
        }
    }
}

/// A schema for the document: a named component (a type deriving
/// `ToSchema`), or one written inline.
#[derive(Clone)]
pub(crate) enum Shape {
    /// Any JSON value (the answer is built ad hoc; its fields are in the
    /// description).
    Any,
    /// Bytes of the content type (an image, a file, a page).
    Binary,
    /// A type's schema, registered under its name.
    Named {
        name: String,
        schemas: Vec<(String, RefOr<Schema>)>,
    },
    /// A JSON array of a named type.
    ListOf {
        name: String,
        schemas: Vec<(String, RefOr<Schema>)>,
    },
}

impl Shape {
    /// The schema of `T`, with the schemas `T` refers to.
    pub(crate) fn of<T: ToSchema>() -> Self {
        let (name, schemas) = Self::named::<T>();
        Shape::Named { name, schemas }
    }

    /// An array of `T` (a `Vec<T>` has no name of its own to register).
    pub(crate) fn list_of<T: ToSchema>() -> Self {
        let (name, schemas) = Self::named::<T>();
        Shape::ListOf { name, schemas }
    }

    fn named<T: ToSchema>() -> (String, Vec<(String, RefOr<Schema>)>) {
        let mut schemas = vec![(T::name().into_owned(), T::schema())];
        T::schemas(&mut schemas);
        (T::name().into_owned(), schemas)
    }
}

/// A request or response body.
#[derive(Clone)]
pub(crate) struct Body {
    /// Its media type (`application/json`, `text/html`, ...).
    pub content_type: &'static str,
    pub shape: Shape,
    pub description: &'static str,
}

/// One response a route documents besides the errors every route can give.
#[derive(Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub description: &'static str,
    /// `None` for an empty body (204).
    pub body: Option<Body>,
}

/// What the OpenAPI document says of one route.
#[derive(Clone)]
pub(crate) struct Doc {
    pub summary: &'static str,
    pub tag: &'static str,
    /// Whether the admin token is needed (set by [`Table::require_token`]).
    pub admin: bool,
    pub request: Option<Body>,
    /// Query parameters (path parameters come from the path itself).
    pub query: Vec<Parameter>,
    pub replies: Vec<Reply>,
}

/// One method of one path, its handler and its doc.
pub(crate) struct Route<S> {
    method: Method,
    path: &'static str,
    handler: MethodRouter<S>,
    doc: Doc,
}

impl<S: Clone + Send + Sync + 'static> Route<S> {
    /// A route; `summary` is the document's one line about it.
    pub(crate) fn new<H, T>(
        method: Method,
        path: &'static str,
        handler: H,
        summary: &'static str,
    ) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        Route {
            method,
            path,
            handler: on(method.filter(), handler),
            doc: Doc {
                summary,
                tag: "",
                admin: false,
                request: None,
                query: Vec::new(),
                replies: Vec::new(),
            },
        }
    }

    /// `GET path`.
    pub(crate) fn get<H: Handler<T, S>, T: 'static>(
        path: &'static str,
        h: H,
        summary: &'static str,
    ) -> Self {
        Route::new(Method::Get, path, h, summary)
    }

    /// `POST path`.
    pub(crate) fn post<H: Handler<T, S>, T: 'static>(
        path: &'static str,
        h: H,
        summary: &'static str,
    ) -> Self {
        Route::new(Method::Post, path, h, summary)
    }

    /// `PUT path`.
    pub(crate) fn put<H: Handler<T, S>, T: 'static>(
        path: &'static str,
        h: H,
        summary: &'static str,
    ) -> Self {
        Route::new(Method::Put, path, h, summary)
    }

    /// `DELETE path`.
    pub(crate) fn delete<H: Handler<T, S>, T: 'static>(
        path: &'static str,
        h: H,
        summary: &'static str,
    ) -> Self {
        Route::new(Method::Delete, path, h, summary)
    }

    /// Lists the route under `tag` instead of its table's.
    pub(crate) fn tag(mut self, tag: &'static str) -> Self {
        self.doc.tag = tag;
        self
    }

    /// A layer on this route alone (the batch route's body limit).
    pub(crate) fn map(mut self, f: impl FnOnce(MethodRouter<S>) -> MethodRouter<S>) -> Self {
        self.handler = f(self.handler);
        self
    }

    /// The request body is JSON of type `T`.
    pub(crate) fn json<T: ToSchema>(mut self) -> Self {
        self.doc.request = Some(Body {
            content_type: "application/json",
            shape: Shape::of::<T>(),
            description: "",
        });
        self
    }

    /// The request body is of `content_type`, unparsed by the router
    /// (a badge file, a credential, a record envelope).
    pub(crate) fn body(
        mut self,
        content_type: &'static str,
        shape: Shape,
        description: &'static str,
    ) -> Self {
        self.doc.request = Some(Body {
            content_type,
            shape,
            description,
        });
        self
    }

    /// The query parameters are `Q`'s fields.
    pub(crate) fn query<Q: IntoParams>(mut self) -> Self {
        self.doc.query = Q::into_params(|| Some(ParameterIn::Query));
        self
    }

    /// A JSON answer with `status`, its fields described in words.
    pub(crate) fn answers(self, status: u16, description: &'static str) -> Self {
        self.reply(status, "application/json", Shape::Any, description)
    }

    /// A JSON answer with `status` of type `T`.
    pub(crate) fn answers_with<T: ToSchema>(self, status: u16, description: &'static str) -> Self {
        self.reply(status, "application/json", Shape::of::<T>(), description)
    }

    /// An answer of any type.
    pub(crate) fn reply(
        mut self,
        status: u16,
        content_type: &'static str,
        shape: Shape,
        description: &'static str,
    ) -> Self {
        self.doc.replies.push(Reply {
            status,
            description,
            body: Some(Body {
                content_type,
                shape,
                description: "",
            }),
        });
        self
    }

    /// An answer with no body.
    pub(crate) fn empty(mut self, status: u16, description: &'static str) -> Self {
        self.doc.replies.push(Reply {
            status,
            description,
            body: None,
        });
        self
    }
}

/// What the table knows of a route once it is in the router.
#[derive(Clone)]
pub(crate) struct Entry {
    pub method: Method,
    pub path: &'static str,
    pub doc: Doc,
}

/// Routes being gathered: an axum router and, for each of its routes, the
/// doc. It has no way to add a route without a [`Doc`].
pub(crate) struct Table<S> {
    tag: &'static str,
    router: Router<S>,
    entries: Vec<Entry>,
}

impl<S: Clone + Send + Sync + 'static> Table<S> {
    /// An empty table whose routes are listed under `tag`.
    pub(crate) fn new(tag: &'static str) -> Self {
        Table {
            tag,
            router: Router::new(),
            entries: Vec::new(),
        }
    }

    /// Adds `route` (under the table's tag).
    pub(crate) fn add(mut self, route: Route<S>) -> Self {
        let mut doc = route.doc;
        if doc.tag.is_empty() {
            doc.tag = self.tag;
        }
        self.router = self.router.route(route.path, route.handler);
        self.entries.push(Entry {
            method: route.method,
            path: route.path,
            doc,
        });
        self
    }

    /// Adds another table's routes (each keeps its own tag).
    pub(crate) fn merge(mut self, other: Table<S>) -> Self {
        self.router = self.router.merge(other.router);
        self.entries.extend(other.entries);
        self
    }

    /// Puts every route gathered so far behind the admin token (`layer` is
    /// the check) and documents that they need it.
    pub(crate) fn require_token(mut self, layer: impl FnOnce(Router<S>) -> Router<S>) -> Self {
        self.router = layer(self.router);
        for e in &mut self.entries {
            e.doc.admin = true;
        }
        self
    }

    /// Applies `f` to the router (layers); the routes stay as they are.
    pub(crate) fn layer(mut self, f: impl FnOnce(Router<S>) -> Router<S>) -> Self {
        self.router = f(self.router);
        self
    }

    /// The router and what the document says of each of its routes.
    pub(crate) fn into_parts(self) -> (Router<S>, Vec<Entry>) {
        (self.router, self.entries)
    }
}
