"""BurstGPT counts seconds from the start of its trace: a negative timestamp is a damaged row, refused
in one line (or dropped and counted with --skip-bad-rows), never accepted without a word."""

import pytest

from tokbench.errors import UserError
from tokbench.workload import load_workload
from tokbench.workload.options import WorkloadOptions

HEADER = "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n"
ROWS = ["0,ChatGPT,12,5,17,Conversation log", "-3,ChatGPT,10,4,14,Conversation log",
        "5,ChatGPT,10,4,14,Conversation log"]


@pytest.fixture
def trace(tmp_path):
    path = tmp_path / "burst.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n")
    return path


def test_a_negative_burstgpt_timestamp_is_refused(trace):
    with pytest.raises(UserError) as info:
        load_workload(str(trace), vocab_size=1000, max_model_len=2048)
    assert str(info.value) == (f"{trace}: row 2 (line 3), column 'Timestamp': timestamp is negative, and this format "
                               "counts seconds from the start of the trace (got '-3'); pass --skip-bad-rows to drop "
                               "such rows")


def test_skip_bad_rows_drops_and_counts_it(trace):
    wl = load_workload(str(trace), vocab_size=1000, max_model_len=2048, options=WorkloadOptions(skip_bad_rows=True))
    assert [r.arrival_s for r in wl.requests] == [0.0, 5.0]
    assert "negative" in str(wl.source)
