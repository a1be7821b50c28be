"""Simulation: the real strategies in the real loop, on a virtual clock priced by a cost model.

    from tokbench.simulate import RooflineModel, calibrate, simulate, load_cost_model
    model = RooflineModel.build("H100-SXM", PRESETS["llama-8b"])     # or calibrate([results_dir])
    runs = simulate([TokenMaxxing], knobs, workload.requests, model)  # same tables and summary as a run

docs/simulate.md describes the cost models, the fit, the replica router and the limits.
"""

from tokbench.simulate.calibrate import calibrate
from tokbench.simulate.cost_file import load_cost_model, save_cost_model
from tokbench.simulate.linear import LinearStepModel
from tokbench.simulate.measured import compare, predict_measured
from tokbench.simulate.replay import ReplayModel
from tokbench.simulate.roofline import RooflineModel
from tokbench.simulate.run import SimulatedRun, simulate, simulate_strategy
from tokbench.simulate.target import Target

__all__ = ["LinearStepModel", "ReplayModel", "RooflineModel", "SimulatedRun", "Target", "calibrate", "compare",
           "load_cost_model", "predict_measured", "save_cost_model", "simulate", "simulate_strategy"]
