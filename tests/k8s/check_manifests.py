#!/usr/bin/env python3
"""The Kubernetes manifests (deploy/k8s/{embedded,scaled}) name what the services really use.

Read from the repository, not from a list kept here:
- docker-compose.yml: each fraudloop service's image, command, listen port (`*_ADDR`) and the
  secrets it requires (`${NAME:?...}`);
- the services' sources (their crate and every workspace crate it depends on, and the image's
  scripts under docker/): which environment variables each one reads, as a name in the code
  (`"PREDICT_API_URL"`) or as a settings prefix and a field of its settings (`PREDICT_API_` +
  `reload_poll_ms`);
- each service's router: that it answers the probes' paths.

Checked per mode: every compose service has its workload; image, command and port agree with
compose; Services, probes and scrape annotations point at that port; probes use /ready and
/health; every variable a container gets (env and envFrom ConfigMaps) is one its service reads,
and every secret compose requires is given; every secretKeyRef names a key of the mode's Secret
template; requests and limits are set; the autoscaler and the disruption budget target
predict-api. Needs PyYAML. Exit 1 with one line per problem."""
import glob
import os
import re
import sys

import yaml

repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
problems = []


def fail(msg):
    problems.append(msg)


def read(path):
    with open(os.path.join(repo, path), encoding="utf-8") as f:
        return f.read()


# ---- what the services really use ----
def workspace_deps(crate, seen=None):
    """The crate and every workspace crate it depends on (normal dependencies), transitively."""
    seen = seen if seen is not None else set()
    if crate in seen or not os.path.isdir(os.path.join(repo, "crates", crate)):
        return seen
    seen.add(crate)
    manifest = read(f"crates/{crate}/Cargo.toml")
    deps = manifest.split("[dependencies]", 1)[-1].split("\n[", 1)[0]
    for name in re.findall(r"^([a-z0-9_-]+)(?:\.workspace)?\s*=", deps, re.M):
        workspace_deps(name, seen)
    return seen


def sources(crates, scripts=()):
    """The code (comments removed) of the crates' src/ and of the shell scripts."""
    text = []
    for crate in sorted(crates):
        for path in glob.glob(os.path.join(repo, "crates", crate, "src", "**", "*.rs"), recursive=True):
            code = open(path, encoding="utf-8").read()
            text.append(re.sub(r"^\s*//.*$", "", code, flags=re.M))
    for script in scripts:
        text.append(re.sub(r"^\s*#.*$", "", read(script), flags=re.M))
    return "\n".join(text)


def reads_variable(code, name):
    # A string literal in Rust, or $NAME / ${NAME in a script.
    if f'"{name}"' in code or re.search(r"\$\{?" + re.escape(name) + r"\b", code):
        return True
    # tracing-subscriber's EnvFilter reads RUST_LOG itself.
    if name == "RUST_LOG" and "from_default_env" in code:
        return True
    # A settings prefix (a string literal ending in `_`) and the settings' field names.
    for prefix in set(re.findall(r'"([A-Z][A-Z0-9_]*_)"', code)):
        if name.startswith(prefix) and len(name) > len(prefix):
            fields = name[len(prefix):].lower().split("__")
            if all(re.search(r"\bpub " + re.escape(f) + r"\s*:", code) for f in fields):
                return True
    return False


# The crate (or script) behind each compose service's command.
BINARY_CRATE = {"predict-api": "predict-api", "drift-monitor": "drift-monitor", "trainer": "trainer",
                "feedback-agent": "feedback-agent", "web-ui": "web-ui", "fraudloop-init": "trainer"}
SCRIPTS = {"fraudloop-init": ["docker/init-demo.sh"]}

compose = yaml.safe_load(read("docker-compose.yml"))
compose_text = read("docker-compose.yml")
fraudloop_image = None
expected = {}  # workload name -> dict
for svc, spec in compose["services"].items():
    image = spec.get("image", "")
    if "FRAUDLOOP_IMAGE" not in image:
        continue
    m = re.match(r"\$\{FRAUDLOOP_IMAGE:-([^}]+)\}", image)
    fraudloop_image = m.group(1)
    env = spec.get("environment") or {}
    port = None
    for key, value in env.items():
        if key.endswith("_ADDR") and value:
            port = int(str(value).rsplit(":", 1)[1])
    block = compose_text.split(f"\n  {svc}:\n", 1)[1].split("\n  # ", 1)[0].split("\n\n", 1)[0]
    required = set(re.findall(r"^\s+([A-Z][A-Z0-9_]*): \$\{[A-Z0-9_]+:\?", block, re.M))
    binary = spec["command"][0]
    crates = workspace_deps(BINARY_CRATE[binary])
    code = sources(crates, SCRIPTS.get(binary, []))
    workload = "fraudloop-init" if svc == "init" else svc
    # The routes the probes call, in the service's own crate.
    own = sources({BINARY_CRATE[binary]})
    routes = {p for p in ("/ready", "/health") if re.search(r'\.get\(\s*"' + p + '"', own)}
    expected[workload] = dict(command=spec["command"], port=port, required=required, code=code,
                              routes=routes)



# ---- the manifests ----
def load(paths):
    docs = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                if doc:
                    docs.append((os.path.relpath(path, repo), doc))
    return docs


for mode in ("embedded", "scaled"):
    docs = load(sorted(glob.glob(os.path.join(repo, "deploy", "k8s", mode, "*.yaml"))))
    secret_docs = load([os.path.join(repo, "deploy", "k8s", "templates", f"secrets-{mode}.yaml")])
    secret_keys = set()
    for _, d in secret_docs:
        secret_keys |= set((d.get("stringData") or {}) | (d.get("data") or {}))
    by_kind = {}
    for path, d in docs:
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = (path, d)
        if d["kind"] != "Namespace" and d["metadata"].get("namespace") != "fraudloop":
            fail(f"{path}: {d['kind']}/{d['metadata']['name']} is not in namespace fraudloop")
    configmaps = {n: (d.get("data") or {}) for n, (_, d) in by_kind.get("ConfigMap", {}).items()}
    workloads = {**by_kind.get("Deployment", {}), **by_kind.get("Job", {})}
    for name, want in expected.items():
        if name not in workloads:
            fail(f"{mode}: no Deployment or Job for compose service {name}")
            continue
        path, d = workloads[name]
        where = f"{path}: {name}"
        pod = d["spec"]["template"]
        containers = pod["spec"]["containers"]
        c = containers[0]
        if c.get("image") != fraudloop_image:
            fail(f"{where}: image {c.get('image')!r}, compose builds {fraudloop_image!r}")
        if (c.get("command") or []) + (c.get("args") or []) != want["command"]:
            fail(f"{where}: runs {c.get('command')} {c.get('args') or ''}, compose runs {want['command']}")
        res = c.get("resources") or {}
        for part in ("requests", "limits"):
            for what in ("cpu", "memory"):
                if what not in (res.get(part) or {}):
                    fail(f"{where}: no {what} {part}")
        # Every variable the container gets, with where it comes from.
        given = {}
        for e in c.get("env") or []:
            given[e["name"]] = e
            ref = (e.get("valueFrom") or {}).get("secretKeyRef")
            if ref and ref["key"] not in secret_keys:
                fail(f"{where}: secret key {ref['key']} is not in deploy/k8s/templates/secrets-{mode}.yaml")
        for src in c.get("envFrom") or []:
            cm = (src.get("configMapRef") or {}).get("name")
            if cm not in configmaps:
                fail(f"{where}: envFrom names ConfigMap {cm}, which {mode}/ does not define")
                continue
            for key, value in configmaps[cm].items():
                given.setdefault(key, {"name": key, "value": value})
        for var in sorted(given):
            read = reads_variable(want["code"], var)
            if not read:
                fail(f"{where}: gets {var}, which {name} never reads")
        for var in sorted(want["required"] - set(given)):
            fail(f"{where}: compose requires {var}; the manifest does not give it")
        if d["kind"] == "Job":
            continue
        port = want["port"]
        ports = {p.get("name"): p["containerPort"] for p in c.get("ports") or []}
        if ports.get("http") != port:
            fail(f"{where}: containerPort 'http' is {ports.get('http')}, the service listens on {port}")
        addr = [v.get("value") for k, v in given.items() if k.endswith("_ADDR")]
        if addr != [f"0.0.0.0:{port}"]:
            fail(f"{where}: listen address {addr}, want ['0.0.0.0:{port}']")
        for probe, path_want in (("readinessProbe", "/ready"), ("livenessProbe", "/health")):
            get = (c.get(probe) or {}).get("httpGet") or {}
            if get.get("path") != path_want or get.get("port") not in ("http", port):
                fail(f"{where}: {probe} is {get}, want GET {path_want} on the http port")
            if path_want not in want["routes"]:
                fail(f"{where}: {probe} calls {path_want}, which {name} does not route")
        ann = pod["metadata"].get("annotations") or {}
        if ann.get("prometheus.io/scrape") != "true" or ann.get("prometheus.io/port") != str(port) \
                or ann.get("prometheus.io/path") != "/metrics":
            fail(f"{where}: scrape annotations {ann} do not point at :{port}/metrics")
        selector = d["spec"]["selector"]["matchLabels"]
        services = [s for _, s in by_kind.get("Service", {}).values()
                    if s["spec"].get("selector") == selector]
        if not any(s["metadata"]["name"] == name for s in services):
            fail(f"{mode}: no Service {name} selecting the {name} pods")
        for s in services:
            for p in s["spec"]["ports"]:
                if p.get("targetPort") not in ("http", port):
                    fail(f"{mode}: Service {s['metadata']['name']} targets {p.get('targetPort')}, not :{port}")
    hpa = by_kind.get("HorizontalPodAutoscaler", {}).get("predict-api")
    if not hpa or hpa[1]["spec"]["scaleTargetRef"]["name"] != "predict-api" or not any(
            m.get("resource", {}).get("name") == "cpu" for m in hpa[1]["spec"]["metrics"]):
        fail(f"{mode}: no HorizontalPodAutoscaler on predict-api's CPU")
    pdb = by_kind.get("PodDisruptionBudget", {}).get("predict-api")
    if not pdb or pdb[1]["spec"]["selector"]["matchLabels"] != {"app.kubernetes.io/name": "predict-api"}:
        fail(f"{mode}: no PodDisruptionBudget for predict-api")
    trainer = workloads.get("trainer")
    if trainer and trainer[1]["spec"].get("replicas") != 1:
        fail(f"{mode}: the trainer service must run as a single replica")

for p in problems:
    print("FAIL:", p)
print(f"{len(expected)} services x 2 modes; {len(problems)} problems")
sys.exit(1 if problems else 0)
