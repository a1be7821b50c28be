"""JUnit XML for CI test tabs: one test case per gate rule, a failure element for each regression."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from tokbench.atomic import atomic_write_text
from tokbench.gate.evaluate import REGRESSION, SKIPPED, Outcome


def junit_xml(outcomes: list[Outcome], seconds: float) -> str:
    failures = [o for o in outcomes if o.verdict == REGRESSION]
    suites = ET.Element("testsuites", name="tokbench gate", tests=str(len(outcomes)), failures=str(len(failures)),
                        time=f"{seconds:.3f}")
    skipped = [o for o in outcomes if o.verdict == SKIPPED]
    suite = ET.SubElement(suites, "testsuite", name="tokbench gate", tests=str(len(outcomes)),
                          failures=str(len(failures)), errors="0", skipped=str(len(skipped)), time=f"{seconds:.3f}")
    for o in outcomes:
        case = ET.SubElement(suite, "testcase", classname="tokbench.gate", name=o.rule.name, time="0")
        if o.verdict == REGRESSION:
            ET.SubElement(case, "failure", message=o.explain(), type="regression").text = (
                f"rounds: {', '.join(f'{v:.6g}' for v in o.values)}")
        elif o.verdict == SKIPPED:
            ET.SubElement(case, "skipped", message=o.explain())
        else:
            ET.SubElement(case, "system-out").text = o.explain()
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def write_junit(outcomes: list[Outcome], seconds: float, path: Path) -> None:
    atomic_write_text(path, junit_xml(outcomes, seconds))
