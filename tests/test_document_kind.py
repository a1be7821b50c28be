"""Every tokbench JSON file reader refuses another kind of file, and a newer layout, in one line."""

import json

import pytest

from tokbench.errors import UserError
from tokbench.gate.baseline import load_baseline
from tokbench.results import load_results
from tokbench.simulate.cost_file import load_cost_model
from tokbench.sweep.store import MANIFEST, read_manifest

READERS = {
    "results": (lambda d: load_results(d), "results.json", "tokbench.results", "results file"),
    "baseline": (lambda d: load_baseline(d / "b.json"), "b.json", "tokbench.gate-baseline", "gate baseline"),
    "sweep": (lambda d: read_manifest(d), MANIFEST, "tokbench.sweep", "sweep manifest"),
    "cost model": (lambda d: load_cost_model(d / "c.json"), "c.json", "tokbench.cost-model", "cost model"),
}


@pytest.mark.parametrize("name", READERS)
def test_a_newer_layout_and_another_kind_are_refused(tmp_path, name):
    read, file, schema, what = READERS[name]
    (tmp_path / file).write_text(json.dumps({"schema": schema, "schema_version": 99}))
    with pytest.raises(UserError, match=r"schema_version 99; this tokbench reads up to \d+ \(upgrade tokbench\)"):
        read(tmp_path)
    (tmp_path / file).write_text(json.dumps({"schema": "something.else", "schema_version": 1}))
    with pytest.raises(UserError, match=f"not a tokbench {what}"):
        read(tmp_path)
