"""Cost-model files: what is saved loads back equal; a malformed file is one line naming the fault."""

import json

import pytest

from tests.simulate.conftest import TINY_TARGET
from tokbench.errors import UserError
from tokbench.model.presets import PRESETS
from tokbench.simulate.cost_file import cost_model_doc, load_cost_model, save_cost_model
from tokbench.simulate.linear import COEFFICIENTS, LinearStepModel
from tokbench.simulate.roofline import RooflineModel

LINEAR = LinearStepModel(TINY_TARGET, {name: 1e-4 * (i + 1) for i, name in enumerate(COEFFICIENTS)},
                         {"sources": ["somewhere"]})
ROOFLINE = RooflineModel.build("H100-SXM", PRESETS["llama-70b"], tensor_parallel=4, step_overhead_s=1e-3)


@pytest.mark.parametrize("model", [LINEAR, ROOFLINE], ids=["linear", "roofline"])
def test_saved_cost_models_load_back_equal(tmp_path, model):
    loaded = load_cost_model(save_cost_model(model, tmp_path / "m.json"))
    assert loaded == model and loaded.kind == model.kind


def _doc(model, edit):
    doc = json.loads(json.dumps(cost_model_doc(model)))
    edit(doc)
    return doc


def _set(path, value):
    def edit(doc):
        *parents, last = path
        for key in parents:
            doc = doc[key]
        if value is KeyError:
            del doc[last]
        else:
            doc[last] = value
    return edit


MALFORMED = [
    (LINEAR, _set(["schema"], "other"), "not a tokbench cost model"),
    (LINEAR, _set(["schema_version"], 99), "schema_version 99; this tokbench reads up to 1"),
    (LINEAR, _set(["kind"], "magic"), "\"kind\" 'magic' is not one of linear, roofline"),
    (LINEAR, _set(["parameters"], []), "\"parameters\" must be an object"),
    (LINEAR, _set(["parameters", "seconds", "batch_size"], -1.0), "coefficient batch_size = -1.0 must be"),
    (LINEAR, _set(["parameters", "seconds", "per_step"], KeyError), "coefficients must be exactly"),
    (LINEAR, _set(["target", "dtype"], "fp4"), "dtype 'fp4' is not known"),
    (LINEAR, _set(["target", "model", "hidden_size"], "big"), "hidden_size = 'big' must be an integer"),
    (LINEAR, _set(["target", "model", "wings"], 2), "malformed linear cost model"),
    (LINEAR, _set(["target", "tensor_parallel"], 0), "tensor-parallel degree 0"),
    (ROOFLINE, _set(["parameters", "factors", "flops_efficiency"], 1.5), "flops_efficiency = 1.5 must be in (0, 1]"),
    (ROOFLINE, _set(["parameters", "factors", "warp"], 1.0), "unknown parameter(s) warp"),
    (ROOFLINE, _set(["parameters", "gpu"], KeyError), "missing field 'gpu'"),
]


@pytest.mark.parametrize("model,edit,message", MALFORMED)
def test_malformed_files_fail_in_one_line(tmp_path, model, edit, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_doc(model, edit)))
    with pytest.raises(UserError) as err:
        load_cost_model(path)
    text = str(err.value)
    assert text.startswith(str(path)) and message in text and "\n" not in text


def test_unreadable_files_fail_in_one_line(tmp_path):
    with pytest.raises(UserError, match="no such cost-model file"):
        load_cost_model(tmp_path / "missing.json")
    (tmp_path / "cut.json").write_text('{"schema": "tokbench.cost-model", ')
    with pytest.raises(UserError, match="not valid JSON at line 1"):
        load_cost_model(tmp_path / "cut.json")


def test_a_file_written_before_padded_steps_loads_as_that_coefficient_at_zero(tmp_path):
    # Files calibrated before the padded-layout step cost was a feature were fitted without it.
    path = tmp_path / "old.json"
    path.write_text(json.dumps(_doc(LINEAR, _set(["parameters", "seconds", "padded_steps"], KeyError))))
    loaded = load_cost_model(path)
    assert loaded.seconds["padded_steps"] == 0.0
    assert {k: v for k, v in loaded.seconds.items() if k != "padded_steps"} == \
        {k: v for k, v in LINEAR.seconds.items() if k != "padded_steps"}
