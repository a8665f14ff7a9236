"""JUnit XML for check runs and self-tests, the format CI systems show as test results.

One <testsuite> per exercise; one <testcase> per check (and, in a self-test, per phase that
can fail on its own: bringing the stack up, each solution step, taking it down).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from pathlib import Path

from toolkit.checks.results import CheckResult, CheckRun
from toolkit.checks.selftest import Problem, SelfTestReport
from toolkit.checks.solve import StepResult


def _case(suite: ET.Element, classname: str, name: str, seconds: float) -> ET.Element:
    return ET.SubElement(suite, "testcase", {"classname": classname, "name": name, "time": f"{seconds:.3f}"})


def _fail(case: ET.Element, message: str, details: str = "", tag: str = "failure") -> None:
    element = ET.SubElement(case, tag, {"message": message})
    if details:
        element.text = details


def _check_details(result: CheckResult) -> str:
    lines = [f"expected: {result.expected}", f"actual: {result.actual}"]
    if result.stdout:
        lines += ["stdout:", result.stdout.rstrip("\n")]
    if result.stderr:
        lines += ["stderr:", result.stderr.rstrip("\n")]
    return "\n".join(lines)


def _add_check(suite: ET.Element, classname: str, result: CheckResult, prefix: str = "") -> None:
    case = _case(suite, f"{classname}.{result.service}", prefix + result.name, result.duration)
    scored = {"points": result.points if result.graded else 0, "earned": result.earned}
    properties = ET.SubElement(case, "properties")
    for key, value in scored.items():
        ET.SubElement(properties, "property", {"name": key, "value": str(value)})
    if result.blocked_by:
        ET.SubElement(case, "skipped", {"message": result.reason})
    elif not result.passed:
        _fail(case, result.reason, _check_details(result) + (f"\nhint: {result.hint}" if result.hint else ""))


def _add_step(suite: ET.Element, classname: str, step: StepResult) -> None:
    case = _case(suite, f"{classname}.{step.service}", f"solution step {step.index}", step.duration)
    ET.SubElement(case, "system-out").text = f"$ {step.command}\n{step.stdout}{step.stderr}"
    if not step.ok:
        _fail(case, step.reason, "\n".join(step.output_head(50)))


def _finish(suite: ET.Element) -> ET.Element:
    """Fill in the counts a <testsuite> carries, from the cases it holds."""
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for case in cases if case.find("failure") is not None)))
    suite.set("errors", str(sum(1 for case in cases if case.find("error") is not None)))
    suite.set("skipped", str(sum(1 for case in cases if case.find("skipped") is not None)))
    return suite


def _document(suites: Iterable[ET.Element]) -> ET.ElementTree:
    root = ET.Element("testsuites", {"name": "labkit"})
    for suite in suites:
        root.append(_finish(suite))
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(suite.get(key, "0")) for suite in root)))
    root.set("time", f"{sum(float(suite.get('time', '0')) for suite in root):.3f}")
    tree = ET.ElementTree(root)
    ET.indent(tree)
    return tree


def check_runs_to_junit(runs: Sequence[CheckRun], engine: str = "") -> ET.ElementTree:
    """One suite per check run, one case per check."""
    suites = []
    for run in runs:
        suite = ET.Element(
            "testsuite", {"name": f"labkit check {run.exercise}", "time": f"{run.duration:.3f}"}
        )
        properties = ET.SubElement(suite, "properties")
        if engine:
            ET.SubElement(properties, "property", {"name": "engine", "value": engine})
        for key, value in (("project", run.project), ("score", run.score), ("max_score", run.max_score)):
            ET.SubElement(properties, "property", {"name": key, "value": str(value)})
        for result in run.results:
            _add_check(suite, run.exercise, result)
        suites.append(suite)
    return _document(suites)


def self_tests_to_junit(reports: Sequence[SelfTestReport]) -> ET.ElementTree:
    """One suite per exercise; its cases follow the self-test's phases.

    A problem that belongs to no single check or step (the stack did not come up, no graded
    check exists) becomes an error case of its own, so nothing the self-test found is lost.
    """
    suites = []
    for report in reports:
        name = report.exercise
        suite = ET.Element(
            "testsuite",
            {"name": f"labkit test {name} ({report.engine})", "time": f"{report.duration:.3f}"},
        )
        ET.SubElement(
            ET.SubElement(suite, "properties"), "property", {"name": "engine", "value": report.engine}
        )
        by_subject = {(p.phase, p.subject): p for p in report.problems if p.subject}
        placed: set[Problem] = set()
        if report.before is not None:
            for result in report.before.results:
                case = _case(
                    suite, f"{name}.{result.service}", f"before solution: {result.name}", result.duration
                )
                problem = by_subject.get(("before", result.name))
                if problem is not None:
                    placed.add(problem)
                    _fail(case, problem.message, _check_details(result))
        if report.solution is not None:
            for step in report.solution.steps:
                _add_step(suite, name, step)
                placed.update(p for p in report.problems if p.subject == f"step {step.index}")
        if report.after is not None:
            for result in report.after.results:
                _add_check(suite, name, result, prefix="after solution: ")
                placed.update(p for p in report.problems if (p.phase, p.subject) == ("after", result.name))
        for problem in report.problems:
            if problem not in placed:
                _fail(_case(suite, name, problem.phase, 0.0), problem.message, tag="error")
        suites.append(suite)
    return _document(suites)


def write_junit(tree: ET.ElementTree, path: Path) -> None:
    """Write the document with an XML declaration, creating the folder if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tree.write(path, encoding="utf-8", xml_declaration=True)
