"""Run Karmada's third-party customizations through `karmadactl interpret` and compare with their test data.

    python bench/thirdparty.py DIR [-v] [-k SUBSTRING]

DIR holds customizations laid out as in Karmada's repository
(pkg/resourceinterpreter/default/thirdparty/resourcecustomizations): somewhere
below it, <group>/<version>/<Kind>/customizations.yaml next to a testdata/
folder whose YAML files are test cases, one per document: name, operation,
desiredObj / observedObj, statusItems, inputReplicas and the expected
`output` (keys as `interpret -o json` prints them). Files of testdata/ without
an `operation` (plain inputs) are skipped. Every case runs the real CLI in a
subprocess and is compared as Karmada's harness compares
(thirdparty/thirdparty_test.go deepEqual): dependencies sorted by apiVersion,
kind, namespace, name; components by name; resource quantities by value;
fields whose expected value is "{{EXCLUDE}}" ignored; an output key the
result does not have is a failure, a result key the case does not expect is
not checked. Prints one line per failing case and "N of M operations pass".
Karmada's files are test data of another project: keep them out of this repository.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

EXCLUDE = "{{EXCLUDE}}"


def cases(customization: Path) -> list[dict]:
    found = []
    testdata = customization.parent / "testdata"
    for path in sorted(testdata.rglob("*")) if testdata.is_dir() else []:
        if path.suffix not in (".yaml", ".yml", ".json"):
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("operation"):
                found.append({**doc, "_file": str(path.relative_to(customization.parent))})
    return found


def run_case(customization: Path, case: dict, workdir: Path) -> tuple[dict | None, str]:
    """The CLI's JSON result, or None and its error."""
    args = [sys.executable, "-m", "karmadactl", "interpret", "-f", str(customization),
            "--operation", case["operation"], "-o", "json"]
    for key, flag in (("desiredObj", "--desired-file"), ("observedObj", "--observed-file")):
        if case.get(key) is not None:
            path = workdir / f"{key}.yaml"
            path.write_text(yaml.safe_dump(case[key]))
            args += [flag, str(path)]
    if case.get("statusItems") is not None:
        path = workdir / "status.yaml"
        path.write_text(yaml.safe_dump(case["statusItems"]))
        args += ["--status-file", str(path)]
    if case.get("inputReplicas"):
        args += ["--desired-replica", str(case["inputReplicas"])]
    done = subprocess.run(args, capture_output=True, text=True, cwd=workdir)
    if done.returncode != 0:
        return None, (done.stderr.strip() or f"exit {done.returncode}").splitlines()[-1]
    return json.loads(done.stdout), ""


def _quantity(value):
    from karmadactl.apis.quantity import parse_quantity

    try:
        return parse_quantity(str(value))
    except Exception:          # not a quantity: compare as given
        return value


def _normal_requires(requires):
    if not isinstance(requires, dict):
        return requires
    out = dict(requires)
    if isinstance(out.get("resourceRequest"), dict):
        out["resourceRequest"] = {k: _quantity(v) for k, v in out["resourceRequest"].items()}
    return {k: v for k, v in out.items() if v not in (None, {}, [], "")}


def _strip_excluded(expected, actual):
    """Drop from both the fields whose expected value is {{EXCLUDE}}."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        keep_e, keep_a = {}, {}
        for key, value in expected.items():
            if value == EXCLUDE:
                continue
            keep_e[key], keep_a_value = _strip_excluded(value, actual.get(key))
            if key in actual:
                keep_a[key] = keep_a_value
        keep_a.update({k: v for k, v in actual.items() if k not in expected})
        return keep_e, keep_a
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        pairs = [_strip_excluded(e, a) for e, a in zip(expected, actual)]
        return [e for e, _ in pairs], [a for _, a in pairs]
    return expected, actual


def same(a, b) -> bool:
    """JSON equality that tells true from 1 (Go's DeepEqual does)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def compare(key: str, expected, actual) -> bool:
    if key == "dependencies":
        def order(d):
            return (d.get("apiVersion", ""), d.get("kind", ""), d.get("namespace", ""), d.get("name", ""))
        expected, actual = sorted(expected or [], key=order), sorted(actual or [], key=order)
    elif key == "components":
        expected = sorted(expected or [], key=lambda c: c.get("name", ""))
        actual = sorted(actual or [], key=lambda c: c.get("name", ""))
        for c in expected + actual:
            if "replicaRequirements" in c:
                c["replicaRequirements"] = _normal_requires(c["replicaRequirements"])
    elif key == "requires":
        expected, actual = _normal_requires(expected), _normal_requires(actual)
    elif key in ("revised", "retained", "aggregatedStatus"):
        expected, actual = _strip_excluded(expected, actual)
    return same(expected, actual)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("-v", "--verbose", action="store_true", help="print expected and actual of failures")
    parser.add_argument("-k", default="", help="only customizations whose path contains this")
    options = parser.parse_args()
    passed = total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for customization in sorted(Path(options.directory).rglob("customizations.yaml")):
            if options.k not in str(customization):
                continue
            kind = "/".join(customization.parent.parts[-3:])
            for case in cases(customization):
                total += 1
                result, error = run_case(customization, case, Path(tmp))
                label = f"{kind} {case['operation']} {case.get('name') or case['_file']!r}"
                if result is None:
                    print(f"FAIL {label}: {error}")
                    continue
                bad = [key for key, expected in (case.get("output") or {}).items()
                       if key not in result or not compare(key, expected, result[key])]
                if bad:
                    print(f"FAIL {label}: {', '.join(bad)} differ")
                    if options.verbose:
                        for key in bad:
                            print(f"  expected {key}: {json.dumps(case['output'][key], sort_keys=True)}")
                            print(f"  actual   {key}: {json.dumps(result.get(key), sort_keys=True)}")
                    continue
                passed += 1
    print(f"{passed} of {total} operations pass")
    return 0 if passed == total else 1


if __name__ == "__main__":
    sys.exit(main())
