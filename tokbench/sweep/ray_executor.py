"""Points as Ray tasks: each asks for what it needs, workers return Results, the driver writes them.

Placement: a point on CUDA asks for one GPU (and its `model.threads`, or one CPU); a CPU point asks
for `model.threads` CPUs, or a whole node's CPUs when threads is unset (torch then uses every
core, as it would locally; asking for fewer would put two points' threads on the same cores).
A task whose worker dies (killed, out of memory, node lost) is submitted again, up to
`max_retries` times, then failed with the reason; a point that raises (a bad config) is not
retried. Worker processes are reused between tasks, and each keeps its loaded model.
"""

from __future__ import annotations

import socket
import time

from tokbench.errors import UserError
from tokbench.sweep.executor import DONE, FAILED, RETRY, Outcome, PointProgress, error_line
from tokbench.sweep.points import Point
from tokbench.sweep.worker import execute_point

INSTALL_HINT = "--executor ray needs Ray: pip install 'tokbench[ray]' (or pip install ray)"


def import_ray():
    try:
        import ray
    except ModuleNotFoundError as exc:
        if exc.name != "ray":
            raise
        raise UserError(INSTALL_HINT) from None
    return ray


class Unplaceable(Exception):
    """No node of the cluster can ever hold the point (more threads than any node has CPUs, no GPU)."""


def run_point_task(config_data: dict):
    """The task body: runs in a Ray worker process (its ModelCache outlives the task)."""
    return execute_point(config_data)


def _check_reachable(address: str) -> None:
    """Fail in seconds on a wrong HOST:PORT (Ray itself keeps retrying for minutes)."""
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        raise UserError(f"--address {address!r}: expected auto or HOST:PORT (e.g. 10.0.0.5:6379)")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise UserError(f"--address {address}: cannot reach a Ray cluster there ({exc})") from None


class RayExecutor:
    name = "ray"

    def __init__(self, *, address: str | None = None, max_retries: int = 2):
        if max_retries < 0:
            raise UserError(f"--max-retries {max_retries}: must be 0 or more")
        self.address = address
        self.max_retries = max_retries
        self._ray = import_ray()  # missing Ray is one line before anything runs
        self._started_ray = False
        self._refs: dict = {}  # ObjectRef -> (point, attempt)
        self._attempts: dict[str, int] = {}
        self._rejected: list[Outcome] = []  # points no node can hold: failed without running

    def start(self) -> None:
        ray = self._ray
        if self.address not in (None, "auto") and not ray.is_initialized():
            _check_reachable(self.address)
        if not ray.is_initialized():
            kwargs = {"log_to_driver": False, "logging_level": "WARNING"}
            if self.address is None:
                kwargs["include_dashboard"] = False  # a local cluster for this sweep alone
            try:
                ray.init(address=self.address, **kwargs)
            except ConnectionError as exc:
                raise UserError(f"--address {self.address}: cannot reach a Ray cluster ({exc})") from None
            self._started_ray = True
        # max_retries=0: the driver counts attempts and keeps each reason; max_calls=0: workers (even GPU
        # ones) are reused, so a worker keeps its model between points.
        self._task = ray.remote(max_retries=0, max_calls=0)(run_point_task)

    # -- placement ---------------------------------------------------------------------------------
    def _nodes(self) -> list[dict]:
        return [n.get("Resources", {}) for n in self._ray.nodes() if n.get("Alive")]

    def resources(self, point: Point) -> dict:
        model = point.config.model
        nodes = self._nodes()
        has_gpu = any(n.get("GPU", 0) >= 1 for n in nodes)
        if model.device.startswith("cuda") or (model.device == "auto" and has_gpu):
            if not has_gpu:
                raise Unplaceable(f"model.device = {model.device!r} but no Ray node has a GPU")
            return {"num_gpus": 1, "num_cpus": model.threads or 1}
        largest = max((int(n.get("CPU", 0)) for n in nodes), default=0)
        cpus = model.threads or largest
        if cpus < 1 or cpus > largest:
            raise Unplaceable(f"model.threads = {cpus} but the largest Ray node has {largest} CPUs")
        return {"num_cpus": cpus, "num_gpus": 0}

    def _slots(self, need: dict) -> int:
        """How many points of this shape the cluster's nodes hold at once."""
        total = 0
        for node in self._nodes():
            fits = [int(node.get("CPU", 0) // need["num_cpus"])] if need["num_cpus"] else []
            if need["num_gpus"]:
                fits.append(int(node.get("GPU", 0) // need["num_gpus"]))
            total += min(fits) if fits else 0
        return total

    def has_slot(self, point: Point) -> bool:
        try:
            need = self.resources(point)
        except Unplaceable:
            return True  # submit() fails it at once
        return len(self._refs) < max(1, self._slots(need))

    # -- running -----------------------------------------------------------------------------------
    def submit(self, point: Point) -> None:
        attempt = self._attempts.get(point.id, 0) + 1
        self._attempts[point.id] = attempt
        try:
            need = self.resources(point)
        except Unplaceable as exc:  # it would wait forever in Ray's queue: fail it, the others go on
            self._rejected.append(Outcome(FAILED, point, error=f"cannot be placed: {exc}"))
            return
        ref = self._task.options(name=f"tokbench-point-{point.id}", **need).remote(point.config.to_dict())
        self._refs[ref] = (point, attempt)

    def in_flight(self) -> int:
        return len(self._refs) + len(self._rejected)

    def next_outcome(self, on_progress: PointProgress) -> Outcome:
        if self._rejected:
            return self._rejected.pop(0)
        ray = self._ray
        while True:
            ready, _ = ray.wait(list(self._refs), num_returns=1, timeout=1.0)
            if ready:
                break
        ref = ready[0]
        point, attempt = self._refs.pop(ref)
        try:
            return Outcome(DONE, point, run=ray.get(ref))
        except ray.exceptions.RayTaskError as exc:  # the point itself raised: running it again changes nothing
            return Outcome(FAILED, point, error=error_line(exc.cause if exc.cause is not None else exc))
        except ray.exceptions.RayError as exc:  # the worker or its node died under it
            reason = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else 'worker lost'}"
            if attempt <= self.max_retries:
                self.submit(point)
                return Outcome(RETRY, point, error=reason)
            return Outcome(FAILED, point, error=f"{reason} (after {attempt} attempts)")

    def cancel_all(self) -> list[Point]:
        stopped = [point for point, _ in self._refs.values()]
        for ref in list(self._refs):
            try:
                self._ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001 — already finished or its worker already gone
                pass
        deadline = time.monotonic() + 10  # let the cancellations land before the cluster goes
        while self._refs and time.monotonic() < deadline:
            ready, _ = self._ray.wait(list(self._refs), num_returns=len(self._refs), timeout=0.5)
            for ref in ready:
                self._refs.pop(ref, None)
        self._refs.clear()
        return stopped

    def close(self) -> None:
        if self._started_ray and self._ray is not None:
            self._ray.shutdown()
            self._started_ray = False
