"""Generated inputs for karmadactl: the examples and test objects, mutated.

A seeded generator, so a failing case can be replayed from its number: each
case takes a few documents of a corpus (the files of examples/ and objects
shaped like the tests' ones: Clusters with capacity, previous bindings, CRDs,
every built-in workload kind) and mutates them: values replaced by other
types, keys deleted or added, huge, deep or odd values inserted; some cases
are mangled as bytes (invalid UTF-8, truncation, alias bombs, deep nesting).

`run_case` feeds one case to the CLI in-process and says what came out.
"""

from __future__ import annotations

import copy
import math
import random
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ("plan-offline", "apply-dry-run", "apply", "plan-offline-stdin")


def _cluster(name: str, region: str, pods: int) -> dict:
    return {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster",
            "metadata": {"name": name, "labels": {"sandbox.karmadactl.io/member": "true", "env": "prod"}},
            "spec": {"syncMode": "Push", "apiEndpoint": f"https://{name}.example:6443", "provider": "aws",
                     "region": region, "zones": [f"{region}a"],
                     "taints": [{"key": "dedicated", "value": "gpu", "effect": "PreferNoSchedule"}]},
            "status": {"kubernetesVersion": "v1.31.0",
                       "conditions": [{"type": "Ready", "status": "True", "reason": "ClusterReady",
                                       "message": "cluster is healthy and ready to accept workloads"}],
                       "apiEnablements": [{"groupVersion": "apps/v1",
                                           "resources": [{"name": "deployments", "kind": "Deployment"}]},
                                          {"groupVersion": "v1",
                                           "resources": [{"name": "configmaps", "kind": "ConfigMap"},
                                                         {"name": "services", "kind": "Service"}]}],
                       "nodeSummary": {"totalNum": 3, "readyNum": 3},
                       "resourceSummary": {"allocatable": {"cpu": "16", "memory": "64Gi", "pods": str(pods)},
                                           "allocated": {"cpu": "2", "memory": "4Gi", "pods": "10"},
                                           "allocating": {"cpu": "500m"}}}}


POD_SPEC = {"containers": [{"name": "app", "image": "nginx:1.27", "args": ["--port", "80"],
                            "command": ["nginx"], "env": [{"name": "A", "value": "1"}],
                            "envFrom": [{"configMapRef": {"name": "nginx-config"}},
                                        {"secretRef": {"name": "creds"}}],
                            "resources": {"requests": {"cpu": "250m", "memory": "128Mi"},
                                          "limits": {"cpu": "1", "memory": "1Gi"}},
                            "volumeMounts": [{"name": "conf", "mountPath": "/etc/conf"}]}],
            "initContainers": [{"name": "init", "image": "busybox", "resources": {"requests": {"cpu": "1"}}}],
            "volumes": [{"name": "conf", "configMap": {"name": "nginx-config"}},
                        {"name": "s", "secret": {"secretName": "creds"}},
                        {"name": "p", "persistentVolumeClaim": {"claimName": "data"}}],
            "imagePullSecrets": [{"name": "pull"}], "serviceAccountName": "app",
            "nodeSelector": {"disk": "ssd"},
            "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}],
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In",
                                                             "values": ["a"]}]}]}}},
            "priorityClassName": "high"}


def _workload(kind: str, api_version: str = "apps/v1", **spec) -> dict:
    return {"apiVersion": api_version, "kind": kind,
            "metadata": {"name": "app", "namespace": "default", "labels": {"app": "app"}},
            "spec": {"selector": {"matchLabels": {"app": "app"}},
                     "template": {"metadata": {"labels": {"app": "app"}}, "spec": copy.deepcopy(POD_SPEC)},
                     **spec},
            "status": {"replicas": 2, "readyReplicas": 1, "availableReplicas": 1, "updatedReplicas": 2,
                       "observedGeneration": 1}}


def _policy(kind: str, selector: dict, scheduling: dict, **extra) -> dict:
    meta = {"name": f"p-{kind.lower()}-{selector['kind'].lower()}"}
    if kind == "PropagationPolicy":
        meta["namespace"] = "default"
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": kind, "metadata": meta,
            "spec": {"resourceSelectors": [selector], "priority": 1, "propagateDeps": True,
                     "placement": {"clusterAffinity": {"clusterNames": ["member1", "member2", "member3"]},
                                   "clusterTolerations": [{"key": "dedicated", "operator": "Exists"}],
                                   "spreadConstraints": [{"spreadByField": "cluster", "maxGroups": 3,
                                                          "minGroups": 1}],
                                   "replicaScheduling": scheduling},
                     "failover": {"application": {"decisionConditions": {"tolerationSeconds": 30},
                                                  "purgeMode": "Graciously"}},
                     **extra}}


DIVIDED = {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
           "weightPreference": {"dynamicWeight": "AvailableReplicas"}}
AGGREGATED = {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"}
STATIC = {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
          "weightPreference": {"staticWeightList": [
              {"targetCluster": {"clusterNames": ["member1"]}, "weight": 2},
              {"targetCluster": {"labelSelector": {"matchLabels": {"env": "prod"}}}, "weight": 1}]}}


def _override(kind: str) -> dict:
    meta = {"name": f"o-{kind.lower()}"}
    if kind == "OverridePolicy":
        meta["namespace"] = "default"
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": kind, "metadata": meta,
            "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
                     "overrideRules": [{"targetCluster": {"clusterNames": ["member1"]},
                                        "overriders": {
                                            "imageOverrider": [{"component": "Tag", "operator": "replace",
                                                                "value": "1.28"}],
                                            "plaintext": [{"path": "/spec/replicas", "operator": "replace",
                                                           "value": 1}],
                                            "commandOverrider": [{"containerName": "app", "operator": "add",
                                                                  "value": ["-v"]}],
                                            "argsOverrider": [{"containerName": "app", "operator": "remove",
                                                               "value": ["--port"]}],
                                            "annotationsOverrider": [{"operator": "add",
                                                                      "value": {"a": "b"}}]}}]}}


def _binding() -> dict:
    return {"apiVersion": "work.karmada.io/v1alpha2", "kind": "ResourceBinding",
            "metadata": {"name": "app-deployment", "namespace": "default",
                         "annotations": {"policy.karmada.io/applied-placement": "{}"}},
            "spec": {"resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default",
                                  "name": "app"},
                     "replicas": 4, "clusters": [{"name": "member1", "replicas": 3},
                                                 {"name": "member2", "replicas": 1}],
                     "gracefulEvictionTasks": [{"fromCluster": "member3", "reason": "TaintUntolerated"}]},
            "status": {"conditions": [{"type": "Scheduled", "status": "True", "reason": "Success",
                                       "message": ""}],
                       "lastScheduledTime": "2026-01-01T00:00:00Z"}}


def _crd() -> dict:
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "backends.example.io"},
            "spec": {"group": "example.io", "scope": "Namespaced",
                     "names": {"kind": "Backend", "plural": "backends", "singular": "backend",
                               "shortNames": ["be"], "listKind": "BackendList"},
                     "versions": [{"name": "v1", "served": True, "storage": True,
                                   "schema": {"openAPIV3Schema": {"type": "object",
                                                                    "x-kubernetes-preserve-unknown-fields": True}}}]}}


def built_corpus() -> list[dict]:
    """Objects shaped like the tests' ones, for every kind the pipeline knows."""
    return [
        _cluster("member1", "region-1", 110), _cluster("member2", "region-1", 50),
        _cluster("member3", "region-2", 20),
        _workload("Deployment", replicas=4), _workload("StatefulSet", replicas=3, serviceName="app"),
        _workload("DaemonSet"), _workload("ReplicaSet", replicas=2),
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi", "namespace": "default"},
         "spec": {"parallelism": 6, "completions": 12,
                  "template": {"spec": {**copy.deepcopy(POD_SPEC), "restartPolicy": "Never"}}},
         "status": {"active": 1, "succeeded": 2, "conditions": [{"type": "Complete", "status": "True"}]}},
        {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cron", "namespace": "default"},
         "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {"spec": copy.deepcopy(
             POD_SPEC)}}}}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pod", "namespace": "default"},
         "spec": copy.deepcopy(POD_SPEC), "status": {"phase": "Running"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": "default"},
         "type": "Opaque", "data": {"password": "c2VjcmV0"}},
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "default"},
         "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "app", "namespace": "default"}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}},
        {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
         "metadata": {"name": "app", "namespace": "default"},
         "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "app"},
                  "minReplicas": 1, "maxReplicas": 5}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web", "namespace": "default"},
         "spec": {"rules": [{"host": "a.example", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                  "backend": {"service": {"name": "nginx", "port": {"number": 80}}}}]}}]}},
        _policy("PropagationPolicy", {"apiVersion": "apps/v1", "kind": "Deployment", "name": "app"}, DIVIDED),
        _policy("PropagationPolicy", {"apiVersion": "apps/v1", "kind": "StatefulSet",
                                      "labelSelector": {"matchLabels": {"app": "app"}}}, AGGREGATED),
        _policy("ClusterPropagationPolicy", {"apiVersion": "batch/v1", "kind": "Job"}, STATIC),
        _policy("ClusterPropagationPolicy", {"apiVersion": "v1", "kind": "Pod"},
                {"replicaSchedulingType": "Duplicated"}),
        _policy("PropagationPolicy", {"apiVersion": "example.io/v1", "kind": "Backend"}, DIVIDED),
        _override("OverridePolicy"), _override("ClusterOverridePolicy"),
        _binding(), _crd(),
        {"apiVersion": "example.io/v1", "kind": "Backend", "metadata": {"name": "b", "namespace": "default"},
         "spec": {"replicas": 3, "template": {"spec": copy.deepcopy(POD_SPEC)}}},
    ]


def file_corpus() -> list[dict]:
    """Every object of examples/ (customizations and their test data included)."""
    docs = []
    for path in sorted((ROOT / "examples").rglob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
    return docs


ODD_SCALARS = [5, -1, 0, 2 ** 31, 2 ** 63, -(2 ** 63) - 1, 10 ** 40, 1.5, math.nan, math.inf, -math.inf,
               True, False, None, "", "x", "5", "-5", "1e400", "NaN", "Inf", "100m", "9999999999Ei", "1.5.5",
               "0x10", "Bad_Name!*", "a" * 300, "UPPER CASE/!!bad image@@", "k=v:", "\u00e9\u4e2d\U0001f600",
               "a\nb", "\t", "-", "/", "null", "*/5 * * *", "apps/v1", "v1", "Deployment", "member1",
               "{{", "${HOME}", "\x00", "\x7f"]


def _deep(rng: random.Random, depth: int):
    node = rng.choice(["leaf", 1, None])
    for _ in range(depth):
        node = {"k": node} if rng.random() < 0.5 else [node]
    return node


def odd_value(rng: random.Random, near=None):
    roll = rng.random()
    if roll < 0.55:
        return rng.choice(ODD_SCALARS)
    if roll < 0.65:
        return rng.choice([[], {}, [1, "x", None], {"a": 1}, {"": ""}, [[]], [{}], {"x": [None]}])
    if roll < 0.72:
        return _deep(rng, rng.choice([3, 20, 60, 200]))
    if roll < 0.8:
        return "x" * rng.choice([64, 253, 254, 64 * 1024])
    if roll < 0.9 and near is not None:       # the same value in another wrapper: a common mistake
        return rng.choice([[near], {"value": near}, str(near)])
    return rng.choice([[1] * 1000, {f"k{i}": i for i in range(500)}, rng.randint(-10 ** 6, 10 ** 6)])


def _nodes(obj, path=()):
    """Every (container, key, path) of a tree."""
    if isinstance(obj, dict):
        for k, v in list(obj.items()):
            yield obj, k, (*path, k)
            yield from _nodes(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield obj, i, (*path, i)
            yield from _nodes(v, (*path, i))


IDENTITY = {("apiVersion",), ("kind",), ("metadata",), ("metadata", "name")}


def mutate_tree(doc: dict, rng: random.Random, pool: list[dict]) -> None:
    nodes = list(_nodes(doc))
    if rng.random() < 0.9:          # mostly the body: a broken identity is refused before anything else
        nodes = [n for n in nodes if n[2] not in IDENTITY]
    if not nodes:
        return
    container, key, _path = rng.choice(nodes)
    op = rng.random()
    if op < 0.45:
        container[key] = odd_value(rng, container[key])
    elif op < 0.6:
        if isinstance(container, dict):
            del container[key]
        else:
            container.pop(key)
    elif op < 0.7:
        target = container[key]
        if isinstance(target, dict):
            target[rng.choice(["replicass", "x", "status", "spec", "metadata", "items", "kind"])] = \
                odd_value(rng)
        elif isinstance(target, list):
            target.append(odd_value(rng) if rng.random() < 0.5 else copy.deepcopy(rng.choice(target or [1])))
        else:
            container[key] = odd_value(rng)
    elif op < 0.85:         # type confusion with a value from elsewhere in the corpus
        other = rng.choice(pool)
        values = [c[k] for c, k, _ in _nodes(other)]
        if values:
            container[key] = copy.deepcopy(rng.choice(values))
    else:                   # a well-known field given an odd value
        field = rng.choice([("spec",), ("status",), ("metadata", "namespace"), ("metadata", "name"),
                            ("spec", "replicas"), ("spec", "template"), ("spec", "placement"),
                            ("spec", "resourceSelectors"), ("spec", "versions"), ("status", "resourceSummary"),
                            ("spec", "template", "spec", "containers"), ("spec", "clusters"),
                            ("metadata", "labels"), ("spec", "overrideRules"), ("apiVersion",), ("kind",)])
        node = doc
        for part in field[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[field[-1]] = odd_value(rng, node.get(field[-1]))


ALIAS_BOMB = "\n".join(
    ["a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
    + [f"{chr(ord('b') + i)}: &{chr(ord('b') + i)} [" + ",".join([f"*{chr(ord('a') + i)}"] * 9) + "]"
       for i in range(8)]) + "\n"


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    roll = rng.random()
    if roll < 0.2:
        at = rng.randrange(len(data) + 1)
        return data[:at] + rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80\x80", b"\xfe\xff"]) + data[at:]
    if roll < 0.35:
        return data[:rng.randrange(len(data) + 1)]
    if roll < 0.45:
        return ALIAS_BOMB.encode()
    if roll < 0.55:
        depth = rng.choice([100, 600, 5000])
        return rng.choice([b"[" * depth + b"]" * depth, b"a:\n" + b"".join(
            b" " * i + b"b:\n" for i in range(1, depth // 10)) + b" " * (depth // 10) + b"c"])
    if roll < 0.62:
        return b"\xef\xbb\xbf" + data
    if roll < 0.7:
        return data.replace(b"  ", b"\t", 1)
    if roll < 0.77:
        return bytes(rng.randrange(256) for _ in range(rng.choice([1, 16, 512])))
    if roll < 0.85:
        return b"---\n" + data + b"\n---\n- 1\n- 2\n"
    if roll < 0.92:
        return data + b"\n" + b"x: &x 1\ny: *x\nz: *nope\n"
    return b"{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": " + rng.choice(
        [b"5", b"[1, 2]", b"[{}]", b"\"x\"", b"[{\"kind\": 5}]"]) + b"}"


@dataclass
class Case:
    number: int
    command: str
    data: bytes           # the file (or stdin) given to -f
    base: bytes           # the documents before byte mutation (for the report)


def _dump(docs: list) -> bytes:
    try:
        return yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True).encode("utf-8", "surrogatepass")
    except (RecursionError, yaml.YAMLError):
        return yaml.safe_dump_all([{"x": 1}]).encode()


class Generator:
    def __init__(self, seed: int = 0):
        self.seed = seed
        self.corpus = built_corpus() + file_corpus()
        self.clusters = [d for d in self.corpus if d.get("kind") == "Cluster"]
        self.others = [d for d in self.corpus if d.get("kind") != "Cluster"]
        self.templates = [d for d in self.others if d.get("kind") not in ("ResourceBinding",)]

    def case(self, number: int) -> Case:
        rng = random.Random(f"{self.seed}:{number}")
        command = COMMANDS[number % len(COMMANDS)]
        others = self.templates if command == "apply" and rng.random() < 0.9 else self.others
        docs = [copy.deepcopy(d) for d in rng.sample(others, rng.randint(1, 4))]
        if command.startswith("plan-offline"):
            docs += [copy.deepcopy(c) for c in rng.sample(self.clusters, rng.randint(1, 3))]
        rng.shuffle(docs)
        for _ in range(rng.choice([1, 1, 1, 2, 3, 5])):
            mutate_tree(rng.choice(docs), rng, self.corpus)
        base = _dump(docs)
        data = mutate_bytes(base, rng) if rng.random() < 0.15 else base
        return Case(number, command, data, base)


def argv_for(case: Case, path: Path) -> tuple[list[str], bytes | None]:
    """The command line of a case, and what goes to stdin.

    Every other case skips the schema checks at the door (--validate=ignore), so
    that malformed objects reach the pipeline, which must never crash on them.
    """
    validate = ["--validate=ignore"] if case.number % 8 >= 4 else []
    if case.command == "plan-offline":
        return ["plan", "--offline", "-o", "json", *validate, "-f", str(path)], None
    if case.command == "plan-offline-stdin":
        return ["plan", "--offline", *validate, "-f", "-"], case.data
    if case.command == "apply-dry-run":
        return ["apply", "--dry-run", *validate, "-f", str(path)], None
    return ["apply", *validate, "-f", str(path)], None


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


def run_cli_in_process(argv: list[str], stdin: bytes | None = None) -> Outcome:
    """The CLI as a test calls it: in-process, streams captured; stdin as the bytes a pipe would give."""
    from tests.cli import run_in_process

    result = run_in_process(*argv, input=stdin or b"")
    return Outcome(result.returncode, result.stdout, result.stderr)


def store_rows(db: Path) -> list:
    """Every row of the SQLite store, in order: what must not change when a command fails."""
    import sqlite3

    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table' order by name")]
        return [(t, sorted(map(repr, conn.execute(f'select * from "{t}"')))) for t in tables]
    finally:
        conn.close()


OFFLINE_CLUSTER = {**_cluster("member1", "region-1", 110),
                   "spec": {"syncMode": "Push", "apiEndpoint": "https://127.0.0.1:9", "region": "region-1"}}


class Harness:
    """Two stores in a work folder: one with an offline Cluster (for --dry-run, which must never write),
    one without clusters (for apply, which stores and pushes nowhere), reset after each success."""

    def __init__(self, workdir: Path):
        import shutil

        from karmadactl.store import Store

        self.workdir = workdir
        self.cluster_db = workdir / "with-cluster.db"
        self.empty_db = workdir / "empty.db"
        self.pristine = workdir / "pristine.db"
        with Store.open(f"sqlite:///{self.cluster_db}") as store:
            with store.write() as tx:
                tx.create(copy.deepcopy(OFFLINE_CLUSTER))
        with Store.open(f"sqlite:///{self.pristine}"):
            pass
        shutil.copy(self.pristine, self.empty_db)
        self.input = workdir / "input.yaml"

    def problems(self, case: Case) -> tuple[Outcome, list[str]]:
        """Run one case; what went wrong, if anything (empty: the case passed)."""
        import shutil

        self.input.write_bytes(case.data)
        argv, stdin = argv_for(case, self.input)
        db = self.empty_db if case.command == "apply" else self.cluster_db
        before = store_rows(db)
        outcome = run_cli_in_process(["--store", f"sqlite:///{db}", *argv], stdin)
        found = []
        if outcome.code not in (0, 1, 2, 3):
            found.append(f"exit code {outcome.code}")
        if "internal error" in outcome.stderr or "Traceback" in outcome.stderr:
            found.append(outcome.stderr.strip().splitlines()[-1][:200])
        if case.command != "apply" or outcome.code != 0:
            if store_rows(db) != before:
                found.append(f"the store changed (exit code {outcome.code})")
        if case.command == "apply":
            shutil.copy(self.pristine, self.empty_db)
        return outcome, found

    def traceback(self, case: Case) -> str:
        """The last lines of a case's traceback (-v), to find the code that failed."""
        self.input.write_bytes(case.data)
        argv, stdin = argv_for(case, self.input)
        db = self.empty_db if case.command == "apply" else self.cluster_db
        outcome = run_cli_in_process(["--store", f"sqlite:///{db}", "-v", *argv], stdin)
        return "\n".join(line[:300] for line in outcome.stderr.splitlines()[-12:] if not line.startswith("INFO"))
