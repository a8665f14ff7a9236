"""Exercise checks, reference solutions and the course self-test."""

from toolkit.checks.results import CheckResult, CheckRun
from toolkit.checks.runner import require_running, run_checks, service_containers
from toolkit.checks.selftest import Problem, SelfTestReport, self_test
from toolkit.checks.solve import SolveReport, StepResult, apply_solution

__all__ = [
    "CheckResult",
    "CheckRun",
    "Problem",
    "SelfTestReport",
    "SolveReport",
    "StepResult",
    "apply_solution",
    "require_running",
    "run_checks",
    "self_test",
    "service_containers",
]
