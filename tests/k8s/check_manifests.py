#!/usr/bin/env python3
"""Checks the Kubernetes manifests under deploy/k8s (run by tests/k8s.rs).

1. Every YAML document under the directory: Kubernetes objects validate against the schemas
   of Kubernetes K8S_VERSION (kubernetes-validate, strict: unknown fields are errors);
   kustomizations and components reference only files and directories that exist, and their
   inline patches validate too.
2. Every overlay (overlays/*) renders with kustomize (`kustomize build` or `kubectl
   kustomize`, which also fails on a patch that matches no object), and every rendered object
   validates.
3. The rendered fleet is one benchmark: per Job, the shard count equals completions and
   parallelism, every $(VAR) in args is defined, each region Job runs on its region's nodes
   and names a region of the topology (and every region has a Job), every pod is non-root
   with a read-only root file system and resource requests, the password comes from a
   Secret, metrics are scrapable, the report reads where the sweeps write.
4. With --geobench BIN: each container's args, with the variables filled in, parse with
   BIN (`BIN ARGS... --help` exits 0 only if every flag before it exists and its value
   parses).

Exit 0: all good; 1: problems (each printed as `where: what`); 3: a tool is missing.
"""

import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys
import tomllib

import yaml

K8S_VERSION = "1.30.0"

# Flags of the fleet contract that are implemented on other branches (fleet, metrics) and
# may not exist in the binary under test yet: the argument check drops them, with their
# value, before parsing. Once they exist this check fails and asks to empty this set, so
# that they are checked like every other flag.
PENDING_FLAGS: set[str] = set()

RENDERERS = (["kustomize", "build"], ["kubectl", "kustomize"])
KUSTOMIZE_KINDS = ("Kustomization", "Component")
VAR = re.compile(r"(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


class Missing(Exception):
    """A tool the check needs is not installed."""


def load_validator():
    try:
        import kubernetes_validate
    except ImportError as e:
        raise Missing(f"kubernetes-validate is not installed ({e}): pip install kubernetes-validate")
    return kubernetes_validate


def schema_problems(kv, doc):
    try:
        kv.validate(doc, K8S_VERSION, strict=True)
    except kv.ValidationError as e:
        path = ".".join(str(p) for p in e.path) or "(top)"
        return [f"{doc.get('kind')}/{name_of(doc)}: {path}: {e.message}"]
    except kv.SchemaNotFoundError as e:
        return [f"{doc.get('kind')}/{name_of(doc)}: {e.message}"]
    return []


def name_of(doc):
    return (doc.get("metadata") or {}).get("name", "?")


def yaml_files(root):
    for d, _, files in sorted(os.walk(root)):
        for f in sorted(files):
            if f.endswith((".yaml", ".yml")):
                yield os.path.join(d, f)


def check_kustomization(path, doc, kv):
    """References of one kustomization or component, and its inline patches."""
    base = os.path.dirname(path)
    out = []

    def need(rel, what, directory=None):
        p = os.path.normpath(os.path.join(base, rel))
        ok = os.path.isdir(p) if directory else os.path.exists(p)
        if directory and ok:
            ok = any(os.path.exists(os.path.join(p, k)) for k in ("kustomization.yaml", "kustomization.yml"))
        if not ok:
            out.append(f"{path}: {what} {rel!r} does not exist")

    for r in doc.get("resources") or []:
        need(r, "resource", directory=not r.endswith((".yaml", ".yml")))
    for c in doc.get("components") or []:
        need(c, "component", directory=True)
    for g in (doc.get("configMapGenerator") or []) + (doc.get("secretGenerator") or []):
        for f in g.get("files") or []:
            need(f.split("=", 1)[-1], "generator file")
    for p in doc.get("patches") or []:
        if "path" in p:
            need(p["path"], "patch")
        if "patch" in p:
            patch = yaml.safe_load(p["patch"])
            # JSON 6902 patches are lists of operations; strategic merge patches are objects.
            if isinstance(patch, dict):
                out += [f"{path}: inline patch: {m}" for m in schema_problems(kv, patch)]
    return out


def check_files(root, kv):
    problems, n = [], 0
    for path in yaml_files(root):
        with open(path) as f:
            try:
                docs = [d for d in yaml.safe_load_all(f) if d is not None]
            except yaml.YAMLError as e:
                problems.append(f"{path}: not YAML: {e}")
                continue
        for doc in docs:
            n += 1
            if doc.get("kind") in KUSTOMIZE_KINDS:
                problems += check_kustomization(path, doc, kv)
            else:
                problems += [f"{path}: {m}" for m in schema_problems(kv, doc)]
    return problems, n


def renderer():
    for cmd in RENDERERS:
        if shutil.which(cmd[0]):
            return cmd
    raise Missing("neither kustomize nor kubectl is installed (.ci/run installs kustomize)")


def render(overlay):
    cmd = renderer() + [overlay]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return None, f"{overlay}: {' '.join(cmd[:2])} failed: {r.stderr.strip()}"
    return [d for d in yaml.safe_load_all(r.stdout) if d is not None], None


class Pod:
    """A Job's pod template with the objects it refers to."""

    def __init__(self, job, configmaps):
        self.job = job
        self.spec = job["spec"]["template"]["spec"]
        self.meta = job["spec"]["template"].get("metadata") or {}
        self.configmaps = configmaps
        self.where = f"Job/{name_of(job)}"

    def env(self, c):
        """The container's environment as Kubernetes expands $(VAR) in args; None for values
        that come from Secrets or the downward API."""
        env = {}
        if self.job["spec"].get("completionMode") == "Indexed":
            env["JOB_COMPLETION_INDEX"] = "0"
        for src in c.get("envFrom") or []:
            ref = src.get("configMapRef")
            if ref:
                env.update(self.configmaps.get(ref["name"], {}))
        for e in c.get("env") or []:
            ref = (e.get("valueFrom") or {}).get("configMapKeyRef")
            if "value" in e:
                env[e["name"]] = VAR.sub(lambda m: env.get(m.group(1), m.group(0)) or "", e["value"])
            elif ref:
                env[e["name"]] = self.configmaps.get(ref["name"], {}).get(ref["key"])
            else:
                env[e["name"]] = None
        return env

    def mounted(self, c, path):
        """The text of a file the container reads from a ConfigMap volume, or None."""
        volumes = {v["name"]: v for v in self.spec.get("volumes") or []}
        for m in c.get("volumeMounts") or []:
            prefix = m["mountPath"].rstrip("/") + "/"
            cm = volumes.get(m["name"], {}).get("configMap")
            if cm and path.startswith(prefix):
                return self.configmaps.get(cm["name"], {}).get(path[len(prefix):])
        return None


def flag_value(args, flag):
    return args[args.index(flag) + 1] if flag in args[:-1] else None


def expand(args, env):
    return [VAR.sub(lambda m: env.get(m.group(1)) or m.group(0), a) for a in args]


def check_pod(pod, fleet):
    out = []
    w = pod.where
    job = pod.job["spec"]
    if pod.spec.get("restartPolicy") != "Never":
        out.append(f"{w}: restartPolicy must be Never (a restarted shard measures a different moment)")
    if job.get("backoffLimit") != 0:
        out.append(f"{w}: backoffLimit must be 0 (a retried shard starts late)")
    psc = pod.spec.get("securityContext") or {}
    volumes = {v["name"]: v for v in pod.spec.get("volumes") or []}
    for v in volumes.values():
        claim = (v.get("persistentVolumeClaim") or {}).get("claimName")
        if claim and claim not in fleet["pvcs"]:
            out.append(f"{w}: volume {v['name']}: no PersistentVolumeClaim {claim}")
        elif claim and "ReadWriteMany" not in fleet["pvcs"][claim]["spec"].get("accessModes", []):
            out.append(f"{w}: PersistentVolumeClaim {claim} is shared by pods on many nodes: ReadWriteMany")
        cm = (v.get("configMap") or {}).get("name")
        if cm and cm not in fleet["configmaps"]:
            out.append(f"{w}: volume {v['name']}: no ConfigMap {cm}")
    for c in pod.spec["containers"]:
        cw = f"{w} container {c['name']}"
        sc = c.get("securityContext") or {}
        if not (sc.get("runAsNonRoot", psc.get("runAsNonRoot"))):
            out.append(f"{cw}: runAsNonRoot is not set")
        if not sc.get("readOnlyRootFilesystem"):
            out.append(f"{cw}: readOnlyRootFilesystem is not set")
        requests = (c.get("resources") or {}).get("requests") or {}
        if not {"cpu", "memory"} <= requests.keys():
            out.append(f"{cw}: resource requests for cpu and memory are missing")
        for src in c.get("envFrom") or []:
            ref = (src.get("configMapRef") or {}).get("name")
            if ref and ref not in fleet["configmaps"]:
                out.append(f"{cw}: envFrom: no ConfigMap {ref}")
        env = pod.env(c)
        args = (c.get("command") or []) + (c.get("args") or [])
        for a in args:
            for name in VAR.findall(a):
                if name not in env:
                    out.append(f"{cw}: {a!r}: $({name}) is not defined (Kubernetes would pass it literally)")
        if not args or args[0] not in ("load", "run", "sweep", "report"):
            continue
        x = expand(args, env)
        fleet["commands"].append((cw, x))
        if any("password" in a.lower() for a in x):
            out.append(f"{cw}: a password in the arguments; it comes from GEOBENCH_MYSQL_PASSWORD")
        if x[0] != "report":
            pw = next((e for e in c.get("env") or [] if e["name"] == "GEOBENCH_MYSQL_PASSWORD"), None)
            if not pw or "secretKeyRef" not in (pw.get("valueFrom") or {}):
                out.append(f"{cw}: GEOBENCH_MYSQL_PASSWORD must come from a Secret (secretKeyRef)")
        shards = flag_value(x, "--shards")
        if shards is not None:
            if job.get("completionMode") != "Indexed":
                out.append(f"{cw}: --shards reads JOB_COMPLETION_INDEX: completionMode must be Indexed")
            if not (str(job.get("completions")) == str(job.get("parallelism")) == shards):
                out.append(
                    f"{cw}: --shards {shards}, completions {job.get('completions')}, parallelism "
                    f"{job.get('parallelism')}: all three must be equal (every shard runs at once)"
                )
        metrics = flag_value(x, "--metrics")
        if metrics is not None:
            host, _, port = metrics.rpartition(":")
            ann = pod.meta.get("annotations") or {}
            if host != "0.0.0.0":
                out.append(f"{cw}: --metrics {metrics}: listen on 0.0.0.0 so that Prometheus reaches it")
            if ann.get("prometheus.io/scrape") != "true" or ann.get("prometheus.io/port") != port:
                out.append(f"{cw}: --metrics port {port}: annotate prometheus.io/scrape and prometheus.io/port")
            if int(port) not in [p.get("containerPort") for p in c.get("ports") or []]:
                out.append(f"{cw}: --metrics port {port} is not a containerPort")
        start = flag_value(x, "--start-at")
        if start is not None:
            try:
                t = datetime.datetime.fromisoformat(start.replace("Z", "+00:00"))
                if t.tzinfo is None:
                    raise ValueError("no time zone")
                fleet["starts"].add(start)
            except ValueError as e:
                out.append(f"{cw}: --start-at {start!r} is not RFC 3339 with a zone: {e}")
        if x[0] == "sweep":
            fleet["sweep_dirs"].add(flag_value(x, "-o") or flag_value(x, "--out"))
            if fleet["has_load"] and not job.get("suspend"):
                out.append(f"{cw}: create it suspended: it must not start before the load is complete")
        if x[0] == "report":
            fleet["report_dirs"].add(x[1])
            if not job.get("suspend"):
                out.append(f"{cw}: create it suspended: it runs after the region Jobs")
        region = flag_value(x, "--region")
        if region is not None:
            out += check_region(pod, c, cw, x, region, fleet)
    return out


def check_region(pod, c, cw, x, region, fleet):
    out = []
    terms = (
        (((pod.spec.get("affinity") or {}).get("nodeAffinity") or {})
         .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
        .get("nodeSelectorTerms") or []
    )
    labels = [
        e for t in terms for e in t.get("matchExpressions") or []
        if e.get("key") == "topology.kubernetes.io/region" and e.get("operator") == "In" and e.get("values")
    ]
    if not labels:
        out.append(f"{cw}: --region {region}: no required node affinity on topology.kubernetes.io/region")
    topo_path = flag_value(x, "--topology")
    text = pod.mounted(c, topo_path) if topo_path else None
    if text is None:
        return out + [f"{cw}: --region {region}: its --topology {topo_path} is not a mounted ConfigMap file"]
    names = [r["name"] for r in tomllib.loads(text).get("region", [])]
    fleet["topology_regions"].update(names)
    if region not in names:
        out.append(f"{cw}: --region {region} is not a region of {topo_path} ({', '.join(names)})")
    fleet["regions"].append(region)
    return out


def check_fleet(overlay, docs):
    fleet = {
        "configmaps": {name_of(d): d.get("data") or {} for d in docs if d["kind"] == "ConfigMap"},
        "pvcs": {name_of(d): d for d in docs if d["kind"] == "PersistentVolumeClaim"},
        "has_load": False,
        "commands": [], "starts": set(), "sweep_dirs": set(), "report_dirs": set(),
        "regions": [], "topology_regions": set(),
    }
    jobs = [d for d in docs if d["kind"] == "Job"]
    pods = [Pod(j, fleet["configmaps"]) for j in jobs]
    fleet["has_load"] = any(
        (c.get("args") or [None])[0] == "load" for p in pods for c in p.spec["containers"]
    )
    out = [f"{overlay}: {m}" for p in pods for m in check_pod(p, fleet)]
    if not fleet["regions"]:
        out.append(f"{overlay}: no Job runs a region (--region)")
    for r in sorted(fleet["topology_regions"]):
        n = fleet["regions"].count(r)
        if n != 1:
            out.append(f"{overlay}: region {r} of the topology has {n} Jobs (one each: its clients are its share)")
    if len(fleet["starts"]) > 1:
        out.append(f"{overlay}: the Jobs start at different times: {sorted(fleet['starts'])}")
    if len(fleet["sweep_dirs"]) != 1 or fleet["sweep_dirs"] != fleet["report_dirs"]:
        out.append(
            f"{overlay}: the sweeps write {sorted(fleet['sweep_dirs'], key=str)} and the report reads "
            f"{sorted(fleet['report_dirs'])}: one directory for all"
        )
    return out, fleet["commands"]


def help_text(geobench, sub):
    return subprocess.run([geobench, sub, "--help"], capture_output=True, text=True).stdout


def has_flag(help_, flag):
    return re.search(r"^\s+(?:-\w, )?" + re.escape(flag) + r"(?=[\s=<]|$)", help_, re.M) is not None


def check_args(geobench, commands):
    out = []
    for where, args in commands:
        help_ = help_text(geobench, args[0])
        kept, skip = [], False
        for a in args:
            if skip:
                skip = False
                continue
            if a in PENDING_FLAGS:
                if has_flag(help_, a):
                    out.append(f"{where}: {a} exists now: remove it from PENDING_FLAGS in {__file__}")
                skip = True
                continue
            kept.append(a)
        r = subprocess.run([geobench] + kept + ["--help"], capture_output=True, text=True)
        if r.returncode != 0:
            out.append(f"{where}: geobench {' '.join(kept)}: {r.stderr.strip()}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", help="deploy/k8s")
    ap.add_argument("--geobench", help="the geobench binary whose flags the args must parse with")
    a = ap.parse_args()
    try:
        kv = load_validator()
        problems, n = check_files(a.dir, kv)
        overlays_dir = os.path.join(a.dir, "overlays")
        overlays = sorted(
            os.path.join(overlays_dir, o) for o in os.listdir(overlays_dir)
            if os.path.exists(os.path.join(overlays_dir, o, "kustomization.yaml"))
        )
        if not overlays:
            problems.append(f"{overlays_dir}: no overlay to render")
        rendered, commands = 0, []
        for o in overlays:
            docs, err = render(o)
            if err:
                problems.append(err)
                continue
            rendered += len(docs)
            problems += [f"{o} (rendered): {m}" for d in docs for m in schema_problems(kv, d)]
            p, c = check_fleet(o, docs)
            problems += p
            commands += c
        if a.geobench:
            problems += check_args(a.geobench, commands)
    except Missing as e:
        print(f"missing: {e}", file=sys.stderr)
        return 3
    for p in problems:
        print(p, file=sys.stderr)
    print(
        f"{n} documents in files and {rendered} rendered from {len(overlays)} overlay(s) checked "
        f"against Kubernetes {K8S_VERSION} (strict); {len(commands)} geobench command lines"
        f"{' parsed' if a.geobench else ''}; pending flags not checked: {', '.join(sorted(PENDING_FLAGS)) or 'none'}; "
        f"{len(problems)} problem(s)"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
