"""A failed check, as a terminal of 80 columns (and of 200) shows it."""

from __future__ import annotations

import pytest
from rich.console import Console

from toolkit.checks.explain import excerpt, pattern_words
from toolkit.checks.results import CheckResult, CheckRun
from toolkit.cli.render import checks as render

PATTERN = r"(?m)^0\.0\.0\.0\s+10\.30\.1\.254\s+0\.0\.0\.0\s+UG\s+0\s+0\s+0\s+eth0$"
ROUTES = [
    "Kernel IP routing table",
    "Destination     Gateway         Genmask         Flags Metric Ref    Use Iface",
    "0.0.0.0         10.30.1.1       0.0.0.0         UG    0      0        0 eth0",
    "10.30.1.0       0.0.0.0         255.255.255.0   U     0      0        0 eth0",
]


def _failed(**changes: object) -> CheckResult:
    fields: dict[str, object] = {
        "name": "host1 routes through the router",
        "service": "host1",
        "passed": False,
        "duration": 0.12,
        "expected_exit": 0,
        "expected_output": PATTERN,
        "exit_code": 0,
        "stdout": "\n".join(ROUTES) + "\n",
        "argv": ("/bin/sh", "-c", "route -n"),
        "user": "root",
    }
    fields.update(changes)
    return CheckResult(**fields)  # type: ignore[arg-type]


def _render(result: CheckResult, width: int, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    # As the CLI's console: a terminal of `width` columns, long lines left whole (soft wrap).
    console = Console(
        width=width, force_terminal=True, color_system=None, record=True, highlight=False, soft_wrap=True
    )
    monkeypatch.setattr(render, "console", console)
    passed = CheckResult("host2 is up", "host2", True, 0.05, 0, None, 0)
    render.check_run(CheckRun("routing", "trial1", (passed, result), 0.2), engine="docker", as_json=False)
    return console.export_text().splitlines()


def test_a_failed_check_at_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _render(_failed(), 80, monkeypatch)
    assert lines[:3] == [
        " check                            service  result   time ",
        " host2 is up                      host2    pass    0.05s ",
        " host1 routes through the router  host1    FAIL    0.12s ",
    ]
    assert lines[3:13] == [
        "",
        "FAIL host1 routes through the router",
        "  ran      route -n",
        "           (as root, in service host1)",
        f"  expected exit 0 and stdout matching /{PATTERN}/",  # in full, whatever the width
        "  got      exit 0, but stdout does not match",
        "  output   (4 lines; none has 10.30.1.254)",
        "    " + ROUTES[0],  # short: in its own order, the header above its rows
        "    " + ROUTES[1],  # whole, though past 80 columns
        "    " + ROUTES[2],
    ]
    assert lines[-1] == "1 passed, 1 failed, 1/2 points in 0.20s (routing, project trial1, docker)"


def test_the_hint_comes_last_and_a_check_not_run_names_its_prerequisite(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hinted = _render(
        _failed(hint="The router is 10.30.1.254: make it host1's default route."), 80, monkeypatch
    )
    assert hinted[14] == "  hint     The router is 10.30.1.254: make it host1's default route."
    blocked = _failed(blocked_by="host2 is up", stdout="")
    lines = _render(blocked, 80, monkeypatch)
    assert "not run" in lines[2]
    assert lines[3:6] == [
        "",
        "NOT RUN host1 routes through the router",
        "  requires host2 is up (it did not pass: fix that first)",
    ]


def test_at_200_columns_the_table_stays_one_line_per_check(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _render(_failed(), 200, monkeypatch)
    assert lines[2].split() == ["host1", "routes", "through", "the", "router", "host1", "FAIL", "0.12s"]
    assert f"  expected exit 0 and stdout matching /{PATTERN}/" in lines


def test_a_wrong_exit_shows_the_command_stderr_first_and_says_no_output(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = _render(
        _failed(expected_output=None, exit_code=2, stdout="", argv=("getent", "hosts", "web"), user=None),
        80,
        monkeypatch,
    )
    assert lines[5:9] == [
        "  ran      getent hosts web",
        "           (as the service's user, in service host1)",
        "  expected exit 0",
        "  got      exit 2, no output",
    ]
    noisy = _failed(exit_code=1, stdout="fine\n", stderr="ping: connect: Network is unreachable\n")
    shown = excerpt(noisy)
    assert shown.lines[0] == "ping: connect: Network is unreachable"


def test_in_long_output_the_lines_closest_to_the_pattern_come_first() -> None:
    ruleset = [f"  ip daddr 127.0.0.{n} accept" for n in range(20)] + ["  ip saddr 10.50.0.12 accept"]
    shown = excerpt(_failed(stdout="\n".join(ruleset), expected_output=r"ip saddr 10\.50\.0\.11 .*accept"))
    assert (shown.lines[0], shown.relevant) == ("  ip saddr 10.50.0.12 accept", 1)
    assert shown.lines[1:3] == tuple(ruleset[:2])
    assert shown.missing == ("10.50.0.11",)


def test_lines_sharing_one_word_of_three_stay_in_their_place() -> None:
    # Before the student wrote a table, the engine's own rules mention `accept`, not the address.
    ruleset = ["table ip nat {", "  type nat hook output priority -100; policy accept;"] + [
        f"  ip daddr 127.0.0.11 udp dport {n} counter" for n in range(12)
    ]
    shown = excerpt(_failed(stdout="\n".join(ruleset), expected_output=r"ip saddr 10\.50\.0\.11 .*accept"))
    assert (shown.relevant, shown.lines[0]) == (0, "table ip nat {")
    assert shown.missing == ("saddr", "10.50.0.11")


def test_long_output_is_trimmed_with_a_count() -> None:
    shown = excerpt(_failed(stdout="".join(f"line {n}\n" for n in range(100)), expected_output="nothing"))
    assert (len(shown.lines), shown.omitted, shown.total) == (24, 76, 100)


def test_pattern_words_undo_the_regex_escapes() -> None:
    assert pattern_words(r"ip saddr 10\.50\.0\.11 .*accept") == ("saddr", "10.50.0.11", "accept")
    assert pattern_words(r"^\s*1 received") == ("received",)


def test_at_80_columns_a_long_name_is_cut_never_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    console = Console(width=80, force_terminal=True, color_system=None, record=True)
    monkeypatch.setattr(render, "console", console)
    long_name = "the client's /etc/resolv.conf points at the lab's DNS server, and only there"
    failed = _failed(name=long_name)
    passed = CheckResult("web.lab resolves", "client", True, 0.05, 0, None, 0)
    console.print(render.before_table(CheckRun("dns", "p", (failed, passed), 0.2)))
    lines = console.export_text().splitlines()
    assert lines[2].split()[-3:] == ["host1", "fails", "0.12s"] and "…" in lines[2]
    assert lines[3].split()[-5:] == ["client", "PASSES:", "proves", "nothing", "0.05s"]
    assert max(len(line) for line in lines) <= 80
