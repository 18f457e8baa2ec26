#!/usr/bin/env python3
"""Static checks of infra/ (what cannot run here): the Containerfile, the compose file, the
Kubernetes manifests, the Grafana dashboard and the Prometheus rules, against each other, the
binary's settings and subcommands (`clipforge --help`) and the metric families a running
clipforge exposes. Usage: check_deployables.py SOURCE_DIR METRICS_TEXT HELP_TEXT
Prints one line per problem and exits 1 when there is any."""
import json
import os
import re
import sys

import yaml

src, metrics_path, help_path = sys.argv[1:4]
infra = os.path.join(src, "infra")
problems = []


def need(cond, what):
    if not cond:
        problems.append(what)


help_text = open(help_path).read()
settings = set(re.findall(r"^\s+(CLIPFORGE_[A-Z0-9_]+)\s", help_text, re.M))
commands = set(re.findall(r"^  ([a-z]+) ", help_text.split("Commands:")[1].split("Exit codes")[0], re.M))
exposed = set()
for line in open(metrics_path):
    m = re.match(r"# TYPE (\S+) (\S+)", line)
    if m:
        exposed.add(m.group(1))
need(len(settings) > 20 and "serve" in commands and "worker" in commands, "cannot read `clipforge --help`")


def known_setting(key, where):
    if key.startswith("CLIPFORGE_") and key not in settings and key not in (
            "CLIPFORGE_SERVE_ARGS", "CLIPFORGE_WORKER_ARGS", "CLIPFORGE_AI_ARGS",
            "CLIPFORGE_AI_LISTEN"):
        problems.append(f"{where}: {key} is not a clipforge setting")


def subcommand_ok(argv, where):
    """The first argument names a subcommand of this binary (`ai` once it exists)."""
    if not argv:
        problems.append(f"{where}: no command")
    elif argv[0] not in commands and argv[0] != "ai":
        problems.append(f"{where}: '{argv[0]}' is not a clipforge command")


def metric_names(expr):
    names = set(re.findall(r"\b(clipforge_[a-z0-9_]+)", expr))
    out = set()
    for n in names:
        base = re.sub(r"_(bucket|count|sum)$", "", n)
        out.add(base if base in exposed else n)
    return out


# --- Containerfile ---------------------------------------------------------------------------
cf = open(os.path.join(infra, "container", "Containerfile")).read()
stages = re.findall(r"^FROM\s+(\S+)\s+AS\s+(\S+)", cf, re.M | re.I)
need([s for _, s in stages] == ["ui", "build", "runtime"], f"Containerfile stages {stages}")
need(all("bookworm" in img for img, _ in stages), "Containerfile: every stage on Debian 12 (bookworm)")
final = cf.split("AS runtime", 1)[1]
users = re.findall(r"^USER\s+(\S+)", final, re.M)
need(users and users[-1].split(":")[0] not in ("root", "0"), "Containerfile: runtime runs as non-root")
need("COPY --from=ui" in cf and "apps/frontend/dist" in cf, "Containerfile: the web UI built in and copied")
need(re.search(r"make deb", cf), "Containerfile: the runtime installs the package built by make deb")
need(re.search(r"^STOPSIGNAL SIGTERM", final, re.M), "Containerfile: STOPSIGNAL SIGTERM")
need(re.search(r'^ENTRYPOINT \["/usr/bin/clipforge"\]', final, re.M), "Containerfile: ENTRYPOINT clipforge")
need("CLIPFORGE_DATA_DIR=/var/lib/clipforge" in final and "VOLUME" in final, "Containerfile: state volume")
for key in re.findall(r"(CLIPFORGE_[A-Z_]+)=", final):
    known_setting(key, "Containerfile")

# --- compose ---------------------------------------------------------------------------------
compose = yaml.safe_load(open(os.path.join(infra, "container", "compose.yaml")))
svcs = compose["services"]
for name in ("postgres", "redis", "nats", "minio", "api", "worker", "ai", "prometheus"):
    need(name in svcs, f"compose: no service {name}")
images = {svcs[n].get("image") for n in ("api", "worker", "ai")}
need(len(images) == 1, f"compose: api, worker and ai share one image ({images})")
need(svcs["api"]["command"][:2] == ["serve", "--no-workers"], "compose: api runs serve --no-workers")
need(svcs["worker"]["command"] == ["worker"], "compose: worker runs clipforge worker")
need(svcs["ai"]["command"][:2] == ["ai", "serve"], "compose: ai runs clipforge ai serve")
for n in ("api", "worker", "ai"):
    subcommand_ok(svcs[n]["command"], f"compose {n}")
    env = svcs[n].get("environment", {})
    for key in env:
        known_setting(key, f"compose {n}")
    for dep, cond in svcs[n].get("depends_on", {}).items():
        need(dep in svcs and "healthcheck" in svcs[dep], f"compose {n}: waits for {dep}, which has no healthcheck")
    need(svcs[n].get("stop_signal") == "SIGTERM", f"compose {n}: stop_signal SIGTERM")
need("appendonly" in " ".join(svcs["redis"]["command"]), "compose: Redis with persistence")
for vol in ("../prometheus/prometheus.yml", "../prometheus/alerts.yml"):
    need(any(v.startswith(vol) for v in svcs["prometheus"]["volumes"]), f"compose: prometheus mounts {vol}")

# --- Kubernetes --------------------------------------------------------------------------------
k8s = os.path.join(infra, "k8s")
kust = yaml.safe_load(open(os.path.join(k8s, "kustomization.yaml")))
docs = []
for res in kust["resources"]:
    path = os.path.join(k8s, res)
    need(os.path.exists(path), f"kustomization: {res} missing")
    docs += [d for d in yaml.safe_load_all(open(path)) if d]
secret = yaml.safe_load(open(os.path.join(k8s, "secret.example.yaml")))
by_kind = {}
for d in docs:
    by_kind.setdefault(d["kind"], []).append(d)
config = {d["metadata"]["name"]: d for d in by_kind.get("ConfigMap", [])}
need("clipforge" in config, "k8s: ConfigMap clipforge")
for key in list(config.get("clipforge", {}).get("data", {})) + list(secret["stringData"]):
    known_setting(key, "k8s config/secret")
deployments = {d["metadata"]["name"]: d for d in by_kind.get("Deployment", [])}
need(set(deployments) == {"clipforge-api", "clipforge-worker", "clipforge-ai"}, f"k8s deployments {set(deployments)}")
pdbs = by_kind.get("PodDisruptionBudget", [])
for name, d in deployments.items():
    spec = d["spec"]["template"]["spec"]
    labels = d["spec"]["template"]["metadata"]["labels"]
    need(d["spec"]["selector"]["matchLabels"].items() <= labels.items(), f"{name}: selector matches the pods")
    need(spec["securityContext"].get("runAsNonRoot") is True, f"{name}: runAsNonRoot")
    need(spec.get("terminationGracePeriodSeconds", 30) >= 30, f"{name}: grace period for the SIGTERM stop")
    c = spec["containers"][0]
    subcommand_ok(c["args"], name)
    sc = c["securityContext"]
    need(sc.get("readOnlyRootFilesystem") and sc.get("allowPrivilegeEscalation") is False
         and sc["capabilities"]["drop"] == ["ALL"], f"{name}: locked-down container")
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        get = c.get(probe, {}).get("httpGet", {})
        need(get.get("path") == path and get.get("port") in ports, f"{name}: {probe} on {path}")
    refs = {(e.get("configMapRef") or e.get("secretRef"))["name"] for e in c["envFrom"]}
    need(refs == {"clipforge"}, f"{name}: config from the ConfigMap and Secret 'clipforge'")
    mounts = {m["mountPath"] for m in c["volumeMounts"]}
    need({"/var/lib/clipforge", "/tmp"} <= mounts, f"{name}: writable state and /tmp")
    for e in c.get("env", []):
        known_setting(e["name"], name)
    need(any(p["spec"]["selector"]["matchLabels"].items() <= labels.items() for p in pdbs),
         f"{name}: no PodDisruptionBudget")
    ann = d["spec"]["template"]["metadata"].get("annotations", {})
    need(int(ann.get("prometheus.io/port", 0)) in ports.values(), f"{name}: scrape port is a container port")
hpa = by_kind.get("HorizontalPodAutoscaler", [])
need(len(hpa) == 1 and hpa[0]["spec"]["scaleTargetRef"]["name"] == "clipforge-worker", "k8s: the worker autoscaler")
if hpa:
    metric = hpa[0]["spec"]["metrics"][0]["external"]["metric"]["name"]
    need(metric in exposed, f"k8s: the autoscaler's metric {metric} is exposed")
worker_env = config.get("clipforge", {}).get("data", {})
need("CLIPFORGE_METRICS_LISTEN" in worker_env, "k8s: workers serve their metrics and probes")

# --- dashboard and alerts against the live metric names -----------------------------------------
dash = json.load(open(os.path.join(infra, "grafana", "clipforge.json")))
need(dash.get("uid") and dash.get("title"), "dashboard: uid and title")
seen = set()
for p in dash["panels"]:
    g = p["gridPos"]
    cells = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
    need(not cells & seen, f"dashboard: panel {p['title']} overlaps another")
    seen |= cells
    need(g["x"] + g["w"] <= 24, f"dashboard: panel {p['title']} wider than the grid")
    for t in p["targets"]:
        for n in metric_names(t["expr"]):
            need(n in exposed, f"dashboard panel {p['title']!r}: {n} is not exposed")
alerts = yaml.safe_load(open(os.path.join(infra, "prometheus", "alerts.yml")))
names = []
for g in alerts["groups"]:
    for r in g["rules"]:
        names.append(r["alert"])
        for n in metric_names(r["expr"]):
            need(n in exposed, f"alert {r['alert']}: {n} is not exposed")
for required in ("ClipforgeJobFailureRate", "ClipforgeQueueAge", "ClipforgeOutboxBacklog", "ClipforgeLeaseExpiries"):
    need(required in names, f"alerts: {required} missing")

# --- systemd units: settings ----------------------------------------------------------------------
for unit in os.listdir(os.path.join(infra, "systemd")):
    text = open(os.path.join(infra, "systemd", unit)).read()
    for key in re.findall(r"\b(CLIPFORGE_[A-Z_]+)=", text):
        known_setting(key, unit)

# --- docs: every deployable is explained ------------------------------------------------------
ops = open(os.path.join(src, "docs", "operations.md")).read()
for ref in ("infra/container/Containerfile", "infra/container/compose.yaml", "infra/k8s",
            "infra/prometheus/alerts.yml", "infra/grafana/clipforge.json", "infra/systemd",
            "make deb", "make install", "OTEL_EXPORTER_OTLP_ENDPOINT", "prometheus-adapter"):
    need(ref in ops, f"docs/operations.md does not explain {ref}")
for a in names:
    need(a in ops, f"docs/operations.md has no runbook entry for {a}")

for p in problems:
    print("  problem:", p)
sys.exit(1 if problems else 0)
