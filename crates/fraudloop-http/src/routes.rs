//! A router builder that remembers what it serves, so the route table used for metric
//! labels and checked against the OpenAPI document is the router's own, not a copy.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::MethodRouter;
use axum::Router;

/// The routes of a service: paths in registration order, each with its methods.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteTable {
    routes: Arc<[(&'static str, Vec<Method>)]>,
}

/// The `route` label of requests that matched no route.
pub const UNMATCHED: &str = "unmatched";

impl RouteTable {
    /// The paths, in registration order (path parameters as `{name}`).
    pub fn paths(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.routes.iter().map(|(path, _)| *path)
    }

    /// Every (path, method) pair served.
    pub fn endpoints(&self) -> impl Iterator<Item = (&'static str, &Method)> + '_ {
        self.routes
            .iter()
            .flat_map(|(path, methods)| methods.iter().map(move |m| (*path, m)))
    }

    /// Number of paths.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// True when no route is registered.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// The index of the route a request path matches, or [`RouteTable::len`] when none does.
    /// Literal paths are compared first (the common case costs one string comparison per
    /// route); `{param}` segments match any one non-empty segment.
    pub fn index(&self, path: &str) -> usize {
        if let Some(i) = self.routes.iter().position(|(p, _)| *p == path) {
            return i;
        }
        self.routes
            .iter()
            .position(|(pattern, _)| pattern.contains('{') && matches_pattern(pattern, path))
            .unwrap_or(self.routes.len())
    }

    /// The label of a route index: its path pattern, or [`UNMATCHED`].
    pub fn label(&self, index: usize) -> &'static str {
        self.routes.get(index).map_or(UNMATCHED, |(path, _)| path)
    }
}

fn matches_pattern(pattern: &str, path: &str) -> bool {
    let mut want = pattern.split('/');
    let mut have = path.split('/');
    loop {
        match (want.next(), have.next()) {
            (None, None) => return true,
            (Some(w), Some(h)) if w.starts_with('{') && w.ends_with('}') && !h.is_empty() => {}
            (Some(w), Some(h)) if w == h => {}
            _ => return false,
        }
    }
}

/// Builds a [`Router`] and its [`RouteTable`] together.
pub struct Routes<S> {
    order: Vec<&'static str>,
    methods: BTreeMap<&'static str, (MethodRouter<S>, Vec<Method>)>,
}

impl<S: Clone + Send + Sync + 'static> Default for Routes<S> {
    fn default() -> Self {
        Routes::new()
    }
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    /// No routes yet.
    pub fn new() -> Routes<S> {
        Routes {
            order: Vec::new(),
            methods: BTreeMap::new(),
        }
    }

    /// Serves `GET path`.
    pub fn get<H: Handler<T, S>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(path, Method::GET, |m| m.get(handler))
    }

    /// Serves `POST path`.
    pub fn post<H: Handler<T, S>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(path, Method::POST, |m| m.post(handler))
    }

    /// Serves `DELETE path`.
    pub fn delete<H: Handler<T, S>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(path, Method::DELETE, |m| m.delete(handler))
    }

    fn add(
        mut self,
        path: &'static str,
        method: Method,
        with: impl FnOnce(MethodRouter<S>) -> MethodRouter<S>,
    ) -> Self {
        let (router, methods) = match self.methods.remove(path) {
            Some(existing) => existing,
            None => {
                self.order.push(path);
                (MethodRouter::new(), Vec::new())
            }
        };
        let mut methods = methods;
        methods.push(method);
        self.methods.insert(path, (with(router), methods));
        self
    }

    /// The route table of what has been registered.
    pub fn table(&self) -> RouteTable {
        RouteTable {
            routes: self
                .order
                .iter()
                .map(|path| (*path, self.methods[path].1.clone()))
                .collect(),
        }
    }

    /// The router, with unknown paths and wrong methods answered in the error shape.
    pub fn into_router(mut self) -> Router<S> {
        let mut router = Router::new();
        for path in &self.order {
            let (methods, _) = self.methods.remove(path).expect("registered path");
            router = router.route(path, methods);
        }
        router
            .fallback(crate::error::not_found)
            .method_not_allowed_fallback(crate::error::method_not_allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_what_was_registered() {
        let routes: Routes<()> = Routes::new()
            .get("/a", || async { "a" })
            .post("/b", || async { "b" })
            .get("/b", || async { "b" })
            .get("/reports/{name}", || async { "r" });
        let table = routes.table();
        assert_eq!(
            table.paths().collect::<Vec<_>>(),
            ["/a", "/b", "/reports/{name}"]
        );
        assert_eq!(table.endpoints().count(), 4);
        assert_eq!(table.index("/b"), 1);
        assert_eq!(table.index("/reports/report-1.json"), 2);
        assert_eq!(table.label(table.index("/reports/")), UNMATCHED);
        assert_eq!(table.label(table.index("/reports/a/b")), UNMATCHED);
        assert_eq!(table.label(table.index("/nope")), UNMATCHED);
    }
}
