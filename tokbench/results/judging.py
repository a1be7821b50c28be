"""What a command must say before it judges results against each other (compare, report, gate).

    notes = judgement_notes([("results/a", res_a), ("results/b", res_b)], allow_mismatch=False)

Results of different benchmarks (fingerprint.py) are refused with one line listing the
differences, unless allow_mismatch: then that line comes back, to be shown with every output.
Incomplete results (an interrupted run) come back as a note naming the runs that finished.
"""

from __future__ import annotations

from tokbench.errors import UserError
from tokbench.results.fingerprint import fingerprint, mismatch_line, mismatches
from tokbench.results.loader import Results

ALLOW_FLAG = "--allow-mismatch"


def mismatch_notes(labelled: list[tuple[str, dict]], *, allow_mismatch: bool) -> list[str]:
    """[] when every results document is of the first one's benchmark; otherwise UserError naming the
    first difference found, or (allow_mismatch) one line per result that differs."""
    if not labelled:
        return []
    first_label, first = labelled[0]
    reference = fingerprint(first)
    lines = [mismatch_line(first_label, label, diff) for label, doc in labelled[1:]
             if (diff := mismatches(reference, fingerprint(doc)))]
    if lines and not allow_mismatch:
        raise UserError(f"{lines[0]}; pass {ALLOW_FLAG} to judge them against each other anyway")
    return [f"{line}: judged against each other anyway ({ALLOW_FLAG})" for line in lines]


def incomplete_note(label: str, res: Results) -> str | None:
    if res.complete:
        return None
    return (f"{label}: incomplete results (the run was interrupted, or is still going): only "
            f"{', '.join(res.run_names)} finished")


def judgement_notes(labelled: list[tuple[str, Results]], *, allow_mismatch: bool) -> list[str]:
    """Every line a judging command must show first: benchmark mismatches (if allowed), incomplete results."""
    notes = mismatch_notes([(label, res.doc) for label, res in labelled], allow_mismatch=allow_mismatch)
    return notes + [n for label, res in labelled if (n := incomplete_note(label, res))]
