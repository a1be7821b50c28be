"""Predict, then measure: calibrate on measured runs, predict other measured runs, print the errors.

    python benchmarks/simulate_predict.py --calibrate RESULTS_DIR [...] --against RESULTS_DIR [...] [--out cost.json]

Fits the linear cost model to every tokbench run in the --calibrate directories (docs/simulate.md),
prints the fit's own error, then simulates each --against directory's strategies with its
workload and knobs and prints, per strategy, predicted and measured output throughput and TTFT
p50 with their relative errors, against the bars of issue 16 (10% and 20%).
"""

from __future__ import annotations

import argparse

from tokbench.results import load_results
from tokbench.simulate import calibrate, compare, predict_measured, save_cost_model

BARS = {"output_throughput": 0.10, "median_ttft_ms": 0.20}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calibrate", nargs="+", required=True)
    ap.add_argument("--against", nargs="+", required=True)
    ap.add_argument("--out", help="write the fitted cost model here")
    a = ap.parse_args()

    model = calibrate(a.calibrate)
    if a.out:
        save_cost_model(model, a.out)
    print("fitted seconds:", ", ".join(f"{k}={v:.3g}" for k, v in model.seconds.items()))
    for label, e in [*model.fit["errors"]["runs"].items(), ("overall", model.fit["errors"]["overall"])]:
        print(f"  fit {label}: step error median {e['step_error_median']:.1%} p90 {e['step_error_p90']:.1%}, "
              f"duration {e['duration_error']:+.1%}")
    for path in a.against:
        results = load_results(path)
        table = compare(predict_measured(results, model), results, tuple(BARS))
        print(f"\n{path}")
        for row in table.itertuples():
            verdict = "ok" if abs(row.relative_error) <= BARS[row.metric] else "MISS"
            print(f"  {row.run:14s} {row.metric:18s} predicted {row.predicted:10.1f} measured {row.measured:10.1f}"
                  f"  {row.relative_error:+7.1%}  {verdict}")


if __name__ == "__main__":
    main()
