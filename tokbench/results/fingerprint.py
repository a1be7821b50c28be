"""What makes two results the same benchmark, so that nobody judges one against another by mistake.

    fp = fingerprint(results.doc)          # {"workload": {...}, "model": {...}, "knobs": {...}, "device": "cpu"}
    problems = mismatches(fp_a, fp_b)      # [] when the same benchmark, else one short text per difference

A run stores its fingerprint in results.json: the workload's content (a hash of every request's
arrival time, prompt length and output length, beside its name and size), the model (name, dtype
and a hash of its shape), the knobs every strategy shares (a KV budget sized from GPU memory is
"auto", since free memory differs a little from run to run; any other is its number of slots) with
the SLOs, and the kind of device (a simulation's device is not compared with a measurement's). Results written before fingerprints get one derived from what they recorded; a part
either side does not know (None) is not counted as a difference.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from tokbench.workload.types import Workload

PARTS = ("workload", "model", "knobs", "device")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _json_sha(value) -> str:
    return _sha(json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode())


def workload_part(workload: Workload) -> dict:
    reqs = workload.requests
    arrays = (np.array([r.arrival_s for r in reqs], dtype="<f8"), np.array([r.prompt_len for r in reqs], dtype="<i8"),
              np.array([r.max_tokens for r in reqs], dtype="<i8"))
    return {"name": workload.name, "num_requests": len(reqs),
            "requests_sha256": _sha(b"".join(a.tobytes() for a in arrays))}


def model_part(model_config: dict, dtype: str) -> dict:
    shape = {k: v for k, v in model_config.items() if k not in ("name", "extra")}
    return {"name": model_config.get("name"), "dtype": dtype, "shape_sha256": _json_sha(shape)}


def knobs_part(scheduler: dict, slo: dict) -> dict:
    """The shared limits and strategy knobs, and SLOs; a KV budget sized from GPU memory is 'auto'
    (free memory differs a little from run to run), any other the number of token slots."""
    knobs = {k: v for k, v in scheduler.items() if k != "knobs"}
    knobs["kv_budget_tokens"] = knobs.get("kv_budget_tokens") or "auto"
    knobs.update({f"knob.{k}": v for k, v in (scheduler.get("knobs") or {}).items()})
    knobs.update({f"slo.{k}": v for k, v in (slo or {}).items()})
    return knobs


def device_part(environment: dict) -> str:
    device = str(environment.get("device") or "unknown")
    if device.startswith("cuda"):
        return f"cuda ({environment.get('device_name') or 'unknown GPU'})"
    return device


def benchmark_fingerprint(*, workload: Workload, model_config: dict, dtype: str, scheduler: dict, slo: dict,
                          environment: dict) -> dict:
    """The fingerprint a run stores; `scheduler` as configured (RunConfig.scheduler), not as resolved."""
    return {"workload": workload_part(workload), "model": model_part(model_config, dtype),
            "knobs": knobs_part(scheduler, slo), "device": device_part(environment)}


def _derived(doc: dict) -> dict:
    """The fingerprint of results written before fingerprints, from what they recorded."""
    cfg, wl = doc.get("config", {}), doc.get("workload", {})
    model = cfg.get("model", {})
    shape = model.get("config")
    scheduler = dict(cfg.get("scheduler") or {})  # as resolved; a budget sized from GPU memory becomes 'auto'
    if "utilization" in (cfg.get("kv_sizing") or {}):
        scheduler["kv_budget_tokens"] = None
    scheduler.pop("max_model_len", None)
    return {
        "workload": {"name": wl.get("name"), "num_requests": wl.get("num_requests"), "requests_sha256": None},
        "model": (model_part(shape, model.get("dtype")) if isinstance(shape, dict)
                  else {"name": model.get("spec"), "dtype": model.get("dtype"), "shape_sha256": None}),
        "knobs": knobs_part(scheduler, cfg.get("slo") or {}),
        "device": device_part(doc.get("environment", {})),
    }


def fingerprint(doc: dict) -> dict:
    """The benchmark fingerprint of a results document: stored, or derived for older results."""
    stored = doc.get("fingerprint")
    return stored if isinstance(stored, dict) and all(p in stored for p in PARTS) else _derived(doc)


def _short(value) -> str:
    if isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        return value[:10]
    return json.dumps(value) if not isinstance(value, str) else value


def mismatches(a: dict, b: dict) -> list[str]:
    """One text per difference between two fingerprints ('knobs.max_num_seqs 128 vs 64'); [] if none."""
    out = []
    simulated = [str(fp.get("device", "")).startswith("simulated") for fp in (a, b)]
    for part in PARTS:
        va, vb = a.get(part), b.get(part)
        if part == "device" and simulated[0] != simulated[1]:
            continue  # a prediction set against a measurement: the devices differ by design

        if isinstance(va, dict) and isinstance(vb, dict):
            for key in sorted(set(va) | set(vb)):
                x, y = va.get(key), vb.get(key)
                if x is None or y is None:
                    if key in va and key in vb:  # unknown on one side: not a difference
                        continue
                    out.append(f"{part}.{key} {_short(x) if x is not None else 'unset'} vs "
                               f"{_short(y) if y is not None else 'unset'}")
                elif x != y:
                    out.append(f"{part}.{key} {_short(x)} vs {_short(y)}")
        elif va is not None and vb is not None and va != vb:
            out.append(f"{part} {_short(va)} vs {_short(vb)}")
    return out


def mismatch_line(label_a: str, label_b: str, differences: list[str]) -> str:
    """The one line a command prints when it refuses (or, with --allow-mismatch, warns)."""
    more = f" and {len(differences) - 4} more" if len(differences) > 4 else ""
    return f"{label_a} and {label_b} are results of different benchmarks ({'; '.join(differences[:4])}{more})"


def measured_fingerprint(results) -> dict:
    """A fingerprint any tokbench version's results give alike: derived from what every version
    records, with the workload's hash taken from its requests table (arrival, prompt and output
    lengths of the first run) instead of a stored one. For comparing results of two versions (A/B)."""
    fp = _derived(results.doc)
    requests = results.requests
    if len(requests):
        first = requests[requests["run"].astype(str) == str(requests["run"].iloc[0])].sort_values("request_id")
        arrays = (first["arrival_s"].to_numpy(dtype="<f8"), first["prompt_len"].to_numpy(dtype="<i8"),
                  first["output_len"].to_numpy(dtype="<i8"))
        fp["workload"] = {**fp["workload"], "requests_sha256": _sha(b"".join(a.tobytes() for a in arrays))}
    return fp
