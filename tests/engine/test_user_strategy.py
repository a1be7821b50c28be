"""A user's own strategy loads from path/to/file.py:ClassName and runs on the same engine; the
loop refuses a strategy that ends holding KV."""

import textwrap

import pytest

from tests.conftest import mixed_requests
from tokbench.benchmark.strategy_registry import resolve
from tokbench.engine.engine import Engine
from tokbench.engine.loop import EngineError
from tokbench.engine.policy import SchedulerConfig
from tokbench.engine.reference import reference_tokens
from tokbench.errors import UserError

ONE_AT_A_TIME = textwrap.dedent('''
    from collections import deque

    from tokbench.engine.plan import SeqChunk, StepPlan
    from tokbench.engine.policy import Strategy


    class OneAtATime(Strategy):
        """Serve requests strictly one by one on paged KV (a user's toy policy)."""

        name = "one-at-a-time"
        kv_layout = "paged"
        LEAK = False

        def __init__(self, config, kv):
            super().__init__(config, kv)
            self.waiting = deque()
            self.current = None

        def add(self, seq):
            self.waiting.append(seq)

        def has_work(self):
            return bool(self.waiting or self.current)

        def plan(self, now):
            if self.current is None:
                if not self.waiting:
                    return None
                self.current = self.waiting.popleft()
            seq = self.current
            n = seq.num_uncomputed
            assert self.kv.allocate(seq, seq.num_computed + n)
            return StepPlan((SeqChunk(seq, seq.num_computed, n),), "packed")

        def step_done(self, plan):
            if self.current.finished:
                if not self.LEAK:
                    self.kv.free(self.current)
                self.current = None


    class Leaky(OneAtATime):
        LEAK = True
''')


@pytest.fixture()
def strategy_file(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(ONE_AT_A_TIME)
    return path


def _config():
    return SchedulerConfig(kv_budget_tokens=1024, max_model_len=256)


def test_user_strategy_from_a_file_gives_reference_tokens(tiny_model, strategy_file):
    cls = resolve(f"{strategy_file}:OneAtATime")
    requests = mixed_requests(4, seed=3, max_prompt=40, max_output=6)
    rec = Engine(tiny_model, 1024).serve(cls, _config(), requests)
    assert rec.outputs == {r.request_id: reference_tokens(tiny_model, r) for r in requests}
    assert (rec.tables()["steps"]["batch_size"] == 1).all()


def test_a_strategy_that_keeps_kv_after_the_run_is_refused(tiny_model, strategy_file):
    cls = resolve(f"{strategy_file}:Leaky")
    with pytest.raises(EngineError, match="still reserved"):
        Engine(tiny_model, 1024).serve(cls, _config(), mixed_requests(2, seed=3, max_prompt=10, max_output=2))


def test_a_file_without_that_class_is_a_user_error(strategy_file):
    with pytest.raises(UserError, match="no Strategy subclass named 'Missing'"):
        resolve(f"{strategy_file}:Missing")
