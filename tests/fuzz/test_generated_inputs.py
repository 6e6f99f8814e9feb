"""Generated inputs (tests/fuzz/generator.py) through the CLI in-process: never an internal error.

A few hundred mutations of the examples and of the tests' objects go through
`plan --offline -f FILE`, `plan --offline -f -`, `apply --dry-run -f` and
`apply -f`, half of them with --validate=ignore so that malformed objects
reach the pipeline. Each must end with an exit code of cli.md (0-3), no
"internal error", and, when it fails, the store exactly as it was.
`python bench/fuzz.py` runs thousands of the same cases.
"""

from __future__ import annotations

import pytest

from tests.fuzz.generator import Generator, Harness

CASES = 240


@pytest.fixture
def harness(home, tmp_path):
    return Harness(tmp_path)


def test_no_generated_input_gives_an_internal_error_or_changes_the_store_on_failure(harness):
    generator = Generator(seed=0)
    failures, codes = [], set()
    for number in range(CASES):
        case = generator.case(number)
        outcome, problems = harness.problems(case)
        codes.add(outcome.code)
        if problems:
            failures.append(f"case {number} ({case.command}): {'; '.join(problems)}")
    assert not failures, "replay with `python bench/fuzz.py --start N -n 1 --trace`:\n" + "\n".join(failures)
    assert codes >= {0, 1}, "the generator should produce both accepted and refused inputs"


def test_the_harness_sees_an_internal_error(harness, monkeypatch):
    """The check above can fail: a pipeline stage that crashes is reported as a problem."""
    from karmadactl.controllers import reconcile

    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(reconcile, "plan", crash)
    generator = Generator(seed=0)
    found = []
    for number in range(40):
        case = generator.case(number)
        if case.command == "plan-offline":
            found += harness.problems(case)[1]
    assert any("internal error (RuntimeError)" in problem for problem in found)
