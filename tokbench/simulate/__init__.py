"""Simulation: the real strategies in the real loop, on a virtual clock priced by a cost model.

    from tokbench.simulate import roofline_for, calibrate, simulate_benchmark, load_cost_model
    model = roofline_for(config, "H100-SXM")              # or calibrate([results_dir]), load_cost_model(file)
    results = simulate_benchmark(config, model)          # a RunConfig in, Results out, marked simulated

docs/simulate.md describes the cost models, the fit, the replica router and the limits.
"""

from tokbench.simulate.benchmark import roofline_for, simulate_benchmark
from tokbench.simulate.calibrate import calibrate
from tokbench.simulate.cost_file import load_cost_model, save_cost_model
from tokbench.simulate.linear import LinearStepModel
from tokbench.simulate.measured import compare, predict_measured
from tokbench.simulate.replay import ReplayModel
from tokbench.simulate.roofline import RooflineModel
from tokbench.simulate.run import SimulatedRun, simulate, simulate_strategy
from tokbench.simulate.target import Target

__all__ = ["LinearStepModel", "ReplayModel", "RooflineModel", "SimulatedRun", "Target", "calibrate", "compare",
           "load_cost_model", "predict_measured", "roofline_for", "save_cost_model", "simulate", "simulate_benchmark",
           "simulate_strategy"]
