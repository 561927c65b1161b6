"""A sandbox per test session: the bcpay-sandbox binary (BCPAY_SANDBOX_BIN overrides its path)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterator, List

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start_sandbox(*args: str) -> "tuple[subprocess.Popen[str], str]":
    """Its stdin is a pipe held by `proc`: if the tests crash, the sandbox stops with them rather
    than living on with pytest's inherited stderr open."""
    binary = os.environ.get("BCPAY_SANDBOX_BIN", str(ROOT / "target" / "debug" / "bcpay-sandbox"))
    command = [binary, "--port", "0", "--stop-when-stdin-closes", *args]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("listening on "), line
    return proc, line.split()[-1]


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    proc, url = start_sandbox()
    yield url
    proc.kill()


@pytest.fixture
def extra_sandboxes() -> Iterator[List["subprocess.Popen[str]"]]:
    procs: List["subprocess.Popen[str]"] = []
    yield procs
    for p in procs:
        p.kill()
