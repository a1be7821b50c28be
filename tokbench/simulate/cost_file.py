"""Cost models as files people can share: JSON with a versioned schema, checked when read back.

    {"schema": "tokbench.cost-model", "schema_version": 1, "kind": "linear" | "roofline",
     "target": {model shape, dtype, device, peaks, tensor_parallel}, "parameters": {...}}

Any fault in a file is one UserError line naming the file and what is wrong.
"""

from __future__ import annotations

import json
from pathlib import Path

from tokbench.atomic import atomic_write_text
from tokbench.document_kind import check_document_kind
from tokbench.errors import UserError
from tokbench.simulate.linear import LinearStepModel
from tokbench.simulate.roofline import RooflineModel
from tokbench.simulate.target import Target

SCHEMA = "tokbench.cost-model"
SCHEMA_VERSION = 1
KINDS = {cls.kind: cls for cls in (LinearStepModel, RooflineModel)}
StepCostModel = LinearStepModel | RooflineModel


def cost_model_doc(model: StepCostModel) -> dict:
    return {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "kind": model.kind,
            "target": model.target.to_dict(), "parameters": model.parameters()}


def save_cost_model(model: StepCostModel, path: str | Path) -> Path:
    path = Path(path)
    atomic_write_text(path, json.dumps(cost_model_doc(model), indent=2, allow_nan=False) + "\n")
    return path


def cost_model_from_doc(doc: object, where: str) -> StepCostModel:
    check_document_kind(doc, where, schema=SCHEMA, version=SCHEMA_VERSION, what="cost model", kind="cost-model")
    version = doc.get("schema_version")
    if not isinstance(version, int) or version < 1:
        raise UserError(f"{where}: \"schema_version\" must be a positive integer, got {version!r}")
    kind = doc.get("kind")
    if kind not in KINDS:
        raise UserError(f"{where}: \"kind\" {kind!r} is not one of {', '.join(KINDS)}")
    for key in ("target", "parameters"):
        if not isinstance(doc.get(key), dict):
            raise UserError(f"{where}: \"{key}\" must be an object")
    try:
        target = Target.from_dict(doc["target"])
        return KINDS[kind].from_parameters(target, doc["parameters"])
    except UserError as exc:
        raise UserError(f"{where}: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        what = f"missing field {exc.args[0]!r}" if isinstance(exc, KeyError) else str(exc)
        raise UserError(f"{where}: malformed {kind} cost model ({what})") from None


def load_cost_model(path: str | Path) -> StepCostModel:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such cost-model file")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a text file") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not valid JSON at line {exc.lineno} column {exc.colno} ({exc.msg})") from None
    return cost_model_from_doc(doc, str(path))
