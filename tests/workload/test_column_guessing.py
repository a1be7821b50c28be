"""Generic traces: the common column names of serving logs and simulators are recognised, a unit
in the arrival column's name is used, an assumed unit is said, and a miss suggests the closest."""

import pytest

from tokbench.errors import UserError
from tokbench.workload import WorkloadOptions, load_table
from tokbench.workload.notes import source_notes
from tokbench.workload.traces.generic import unit_from_name


@pytest.mark.parametrize(
    "header,expected_prompt",
    [
        ("input_toks,output_toks,arrival_time_ns", "input_toks"),  # LLMServingSim request logs
        ("input_length,output_length,timestamp", "input_length"),
        ("prompt_tokens,completion_tokens,arrival_time", "prompt_tokens"),  # OpenAI usage fields
        ("Input_Tokens,Output Tokens,Arrival-Time", "Input_Tokens"),  # case, spaces and dashes ignored
    ],
)
def test_common_names_are_recognised(header, expected_prompt, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(header + "\n12,3,0\n20,5,2000000000\n")
    t = load_table(str(path))
    assert t.source["format"] == "generic" and t.prompt_len.tolist() == [12, 20] and t.output_len.tolist() == [3, 5]


def test_unit_in_the_column_name_is_used(tmp_path):
    path = tmp_path / "sim.csv"
    path.write_text("input_toks,output_toks,arrival_time_ns\n12,3,1000000000\n20,5,3500000000\n")
    t = load_table(str(path))
    assert t.arrival_s.tolist() == [0.0, 2.5] and "time_unit_assumed" not in t.source
    assert [unit_from_name(n) for n in ("t_ms", "arrival (us)", "timestamp", "arrival_s")] == ["ms", "us", None, "s"]


def test_an_assumed_unit_is_said_and_can_be_overridden(tmp_path):
    path = tmp_path / "sim.csv"
    path.write_text("input_toks,output_toks,arrival_time\n12,3,1000000000\n20,5,3500000000\n")
    t = load_table(str(path))
    note = next(n for n in source_notes(t.source) if n.startswith("arrival unit assumed"))
    assert "column 'arrival_time' read as seconds" in note and "spans 2.5e+09 s" in note and "--time-unit" in note
    fixed = load_table(str(path), options=WorkloadOptions(time_unit="ns"))
    assert fixed.arrival_s.tolist() == [0.0, 2.5] and "time_unit_assumed" not in fixed.source


def test_a_miss_suggests_the_closest_columns(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("in_toks,out_toks,t\n12,3,0\n")
    with pytest.raises(UserError) as info:
        load_table(str(path))
    message = str(info.value)
    assert "no prompt-length column among [in_toks, out_toks, t]; closest: 'in_toks'" in message
    assert "--column prompt=COLUMN" in message and "\n" not in message
