//! The architecture invariants that a machine can check, checked on the workspace's own
//! manifests and sources, so the map in ARCHITECTURE.md stays true as services are added.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Crates that hold the model, the data formats and the shared plumbing: no HTTP, no async
/// runtime, no command line, no `anyhow`.
const CORE: [&str; 11] = [
    "text-model",
    "loop-policy",
    "artifact-store",
    "prod-data",
    "drift-stats",
    "demo-corpus",
    "fraudloop-config",
    "fraudloop-fs",
    "fraudloop-telemetry",
    "fraudloop-html",
    "store-conformance",
];

/// Store backends beyond one machine (object storage, PostgreSQL): they implement the core
/// crates' store interfaces and may run an async client on a runtime of their own, but know
/// nothing of HTTP serving, the command line or the services.
const BACKENDS: [&str; 2] = ["store-object", "store-postgres"];

/// What backends share (the runtime their async clients run on): held to the backends' rules,
/// and only backends use it.
const BACKEND_SUPPORT: &str = "store-runtime";

/// The one crate that opens the backends a service is configured for: services hold the core
/// crates' interfaces, never a backend, so only it (and the conformance tests) names them. It
/// serves nothing and runs nothing async of its own.
const STORE_WIRING: &str = "fraudloop-stores";

/// What a backend may not depend on (tokio is allowed: its clients are async).
const BACKEND_FORBIDDEN: [&str; 7] = [
    "axum",
    "tower",
    "tower-http",
    "hyper",
    "clap",
    "anyhow",
    "fraudloop-http",
];

/// What a core crate may not depend on.
const SERVICE_STACK: [&str; 9] = [
    "axum",
    "tokio",
    "tower",
    "tower-http",
    "hyper",
    "reqwest",
    "clap",
    "anyhow",
    "fraudloop-http",
];

/// The service binaries.
const SERVICES: [&str; 4] = ["predict-api", "drift-monitor", "feedback-agent", "web-ui"];

/// Services whose integration tests run another service for real (never as a library
/// dependency): the feedback agent's confirm flow ends with a label stored in predict-api, and
/// the web UI is tested against the real predict-api and drift-monitor it talks to over HTTP.
const TEST_PEERS: [(&str, &str); 3] = [
    ("feedback-agent", "predict-api"),
    ("web-ui", "predict-api"),
    ("web-ui", "drift-monitor"),
];

/// The end-to-end test crate: depends on the services, but only in its tests.
#[test]
fn the_end_to_end_crate_has_no_runtime_dependencies() {
    let all = crates();
    let e2e = all.iter().find(|c| c.name == "loop-e2e").unwrap();
    assert!(e2e.dependencies.is_empty(), "{:?}", e2e.dependencies);
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Crate {
    name: String,
    dir: PathBuf,
    dependencies: Vec<String>,
    dev_dependencies: Vec<String>,
}

fn crates() -> Vec<Crate> {
    let mut crates = Vec::new();
    for entry in std::fs::read_dir(workspace().join("crates"))
        .unwrap()
        .flatten()
    {
        let dir = entry.path();
        let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let manifest: toml::Table = text.parse().unwrap();
        let names = |section: &str| -> Vec<String> {
            manifest
                .get(section)
                .and_then(|t| t.as_table())
                .map(|t| t.keys().cloned().collect())
                .unwrap_or_default()
        };
        crates.push(Crate {
            name: manifest["package"]["name"].as_str().unwrap().to_string(),
            dependencies: names("dependencies"),
            dev_dependencies: names("dev-dependencies"),
            dir,
        });
    }
    crates.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(crates.len() >= 10, "found only {} crates", crates.len());
    crates
}

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.insert(path.clone(), std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    out
}

/// The part of a source file before its unit tests (a `tests.rs` module file is all tests).
fn without_tests<'a>(path: &Path, text: &'a str) -> &'a str {
    if path.file_name().is_some_and(|n| n == "tests.rs") {
        return "";
    }
    text.find("#[cfg(test)]").map_or(text, |i| &text[..i])
}

#[test]
fn core_crates_know_nothing_of_http_async_or_the_command_line() {
    let mut broken = Vec::new();
    for krate in crates().iter().filter(|c| CORE.contains(&c.name.as_str())) {
        for dep in &krate.dependencies {
            if SERVICE_STACK.contains(&dep.as_str()) {
                broken.push(format!("{} depends on {dep}", krate.name));
            }
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn store_backends_serve_nothing_and_core_crates_do_not_know_them() {
    let mut broken = Vec::new();
    for krate in crates() {
        for dep in &krate.dependencies {
            let backend_side =
                BACKENDS.contains(&krate.name.as_str()) || krate.name == BACKEND_SUPPORT;
            if backend_side && BACKEND_FORBIDDEN.contains(&dep.as_str()) {
                broken.push(format!("backend {} depends on {dep}", krate.name));
            }
            if dep == BACKEND_SUPPORT && !backend_side {
                broken.push(format!(
                    "{} depends on {dep}, which is for backends",
                    krate.name
                ));
            }
            if CORE.contains(&krate.name.as_str()) && BACKENDS.contains(&dep.as_str()) {
                broken.push(format!(
                    "core crate {} depends on the backend {dep}",
                    krate.name
                ));
            }
            if krate.name != STORE_WIRING && BACKENDS.contains(&dep.as_str()) {
                broken.push(format!(
                    "{} depends on the backend {dep}; open stores through {STORE_WIRING}",
                    krate.name
                ));
            }
            if krate.name == STORE_WIRING && SERVICE_STACK.contains(&dep.as_str()) {
                broken.push(format!("{STORE_WIRING} depends on {dep}"));
            }
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn the_http_skeleton_knows_no_model_data_or_service() {
    let all = crates();
    let http = all.iter().find(|c| c.name == "fraudloop-http").unwrap();
    for dep in &http.dependencies {
        assert!(
            ![
                "text-model",
                "artifact-store",
                "prod-data",
                "drift-stats",
                "trainer"
            ]
            .contains(&dep.as_str())
                && !SERVICES.contains(&dep.as_str()),
            "fraudloop-http depends on {dep}"
        );
    }
    // No crate depends on a service: services are leaves (a few may run one in tests). The
    // end-to-end test crate runs them together, in its tests only.
    for krate in all.iter().filter(|c| c.name != "loop-e2e") {
        for dep in &krate.dependencies {
            assert!(
                !SERVICES.contains(&dep.as_str()),
                "{} depends on the service {dep}",
                krate.name
            );
        }
        for dep in &krate.dev_dependencies {
            assert!(
                !SERVICES.contains(&dep.as_str())
                    || TEST_PEERS.contains(&(krate.name.as_str(), dep.as_str())),
                "{} depends on the service {dep} in its tests",
                krate.name
            );
        }
    }
}

#[test]
fn every_service_stands_on_the_shared_skeleton() {
    for krate in crates()
        .iter()
        .filter(|c| SERVICES.contains(&c.name.as_str()))
    {
        assert!(
            krate.dependencies.iter().any(|d| d == "fraudloop-http"),
            "{} does not use fraudloop-http",
            krate.name
        );
        for (path, text) in sources(&krate.dir.join("src")) {
            for own in [
                "struct ApiError",
                "fn shutdown_signal",
                "fn authorize(",
                "impl<S> Service<Request> for",
            ] {
                assert!(
                    !text.contains(own),
                    "{} defines its own `{own}`: the shared one is in fraudloop-http",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn only_fraudloop_fs_renames_files() {
    // A rename without a directory fsync can be undone by a crash; the helper does both.
    for krate in crates().iter().filter(|c| c.name != "fraudloop-fs") {
        for (path, text) in sources(&krate.dir.join("src")) {
            let code = without_tests(&path, &text);
            assert!(
                !code.contains("fs::rename(") && !code.contains(".persist("),
                "{} renames files itself; use fraudloop_fs::write_atomically or rename_durably",
                path.display()
            );
        }
    }
}

#[test]
fn drift_monitor_writes_only_through_its_report_store() {
    let dir = workspace().join("crates/drift-monitor/src");
    let writers = [
        "fs::write(",
        "File::create(",
        "OpenOptions",
        "create_dir",
        "remove_file(",
        "remove_dir",
        "write_atomically(",
        "append_line_synced(",
    ];
    for (path, text) in sources(&dir) {
        if path.file_name().is_some_and(|n| n == "store.rs") {
            continue;
        }
        for call in writers {
            assert!(
                !without_tests(&path, &text).contains(call),
                "{} writes files ({call}); only store.rs writes, and only under reports/",
                path.display()
            );
        }
    }
}

/// Dependencies declared only to switch on a feature of another one.
const FEATURES_ONLY: [(&str, &str); 1] = [
    // argmin's ndarray backend: argmin finds it through its trait, never by name.
    ("text-model", "argmin-math"),
];

/// True when `text` names the crate `dep` as a path (`dep::`), a macro (`dep!`) or an
/// import (`use dep`), as a whole word (`tracing_subscriber` does not use `tracing`).
fn used(dep: &str, text: &str) -> bool {
    let ident = dep.replace('-', "_");
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(&ident).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = &text[at + ident.len()..];
        let whole = !before.is_some_and(is_ident) && !after.starts_with(is_ident);
        whole
            && (after.starts_with("::")
                || after.starts_with('!')
                || text[..at].ends_with("use ")
                || text[..at].ends_with("extern crate "))
    })
}

#[test]
fn no_crate_declares_a_dependency_it_does_not_use() {
    let mut unused = Vec::new();
    for krate in crates() {
        let code: String = sources(&krate.dir.join("src"))
            .into_values()
            .collect::<Vec<_>>()
            .join("\n");
        let everything: String = ["src", "tests", "examples", "benches"]
            .iter()
            .flat_map(|d| sources(&krate.dir.join(d)).into_values())
            .collect::<Vec<_>>()
            .join("\n");
        for dep in &krate.dependencies {
            let features_only = FEATURES_ONLY.contains(&(krate.name.as_str(), dep.as_str()));
            if !features_only && !used(dep, &code) {
                unused.push(format!("{}: [dependencies] {dep}", krate.name));
            }
        }
        for dep in &krate.dev_dependencies {
            if !used(dep, &everything) && !krate.dependencies.contains(dep) {
                unused.push(format!("{}: [dev-dependencies] {dep}", krate.name));
            }
        }
    }
    assert!(unused.is_empty(), "declared but never used: {unused:#?}");
}
