"""docs/strategies.md's worked example runs as printed: a user's strategy with a knob of its own."""

import json
import re
from pathlib import Path

from results.helpers import run_cli

DOC = Path(__file__).parents[2] / "docs" / "strategies.md"


def _example(tmp_path: Path) -> Path:
    block = re.search(r"```python\n# admit_few.py\n(.*?)```", DOC.read_text(), re.S)
    assert block, "docs/strategies.md lost its worked example"
    path = tmp_path / "admit_few.py"
    path.write_text(block.group(1))
    return path


def test_the_documented_strategy_runs_with_its_knob_and_gives_reference_tokens(tmp_path, capsys):
    path = _example(tmp_path)
    out = tmp_path / "results"
    code, stdout, err = run_cli(capsys, "run", "--strategy", f"{path}:AdmitFew", "--strategy", "tokenmaxxing",
                                "--knob", "admit_per_step=3", "--workload", "tiny", "--num-requests", "6",
                                "--no-warmup", "--verify", "--out", out)
    assert code == 0, stdout + err
    doc = json.loads((out / "results.json").read_text())
    runs = {r["name"]: r for r in doc["runs"]}
    assert runs["admit-few"]["knobs"]["admit_per_step"] == 3
    assert doc["run_config"]["scheduler"]["knobs"] == {"admit_per_step": 3}
    assert all(r["verification"]["matching"] == 6 for r in doc["runs"])


def test_a_knob_of_the_wrong_type_or_unknown_is_one_line(tmp_path, capsys):
    path = _example(tmp_path)
    base = ["run", "--strategy", f"{path}:AdmitFew", "--workload", "tiny", "--out", tmp_path / "r"]
    code, _, err = run_cli(capsys, *base, "--knob", "admit_per_step=lots")
    assert code == 2 and "--knob admit_per_step='lots' (scheduler.knobs.admit_per_step): must be an integer" in err
    code, _, err = run_cli(capsys, *base, "--knob", "admit_per_step=0")
    assert code == 2 and "must be at least 1" in err
    code, _, err = run_cli(capsys, *base, "--knob", "admit_per_stp=2")
    assert code == 2 and "no strategy of this run reads it" in err and err.count("\n") == 1
    assert not (tmp_path / "r").exists()
