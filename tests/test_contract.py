"""Contract tests: schemathesis against each running service's OpenAPI document, with a system and
an officer token, every check, bounded examples. A failure prints schemathesis' own report."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rvi_platform.stack import Stack
from rvi_shared.auth import Role, mint_token

from .conftest import running_platform  # noqa: TID252

SERVICES = ["eligibility", "scheduling", "video-gateway", "documents"]
CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_EXAMPLES = int(os.environ.get("RVI_CONTRACT_MAX_EXAMPLES", "8"))


@pytest.fixture(scope="module")
async def platform(postgres_admin_url: str) -> AsyncIterator[Stack]:
    """A platform of the contract run's own: schemathesis writes whatever the schemas allow (absences
    of the demo's officers, rosters, calendars), which must not reach the other tests' platform."""
    async with running_platform(postgres_admin_url) as stack:
        yield stack


def token(platform: Stack, who: str) -> str:
    if who == "system":
        return mint_token(platform.jwt_secret, role=Role.SYSTEM, subject="contract-system")
    return mint_token(
        platform.jwt_secret, role=Role.OFFICER, subject="contract-officer", credential_no="NB-0001", district="Ningbo"
    )


@pytest.mark.timeout(600)
@pytest.mark.parametrize("who", ["system", "officer"])
@pytest.mark.parametrize("service", SERVICES)
def test_openapi_contract(platform: Stack, service: str, who: str) -> None:
    base = platform.url(service)
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "run",
        f"{base}/openapi.json",
        "--url",
        base,
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--phases",
        "examples,coverage,fuzzing",
        # One worker: CPython 3.11's compiler is not safe for the concurrent regex/AST work of
        # several (SystemError: AST constructor recursion depth mismatch).
        "--workers",
        "1",
        "--seed",
        "8",
        "--no-shrink",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--header",
        f"Authorization: Bearer {token(platform, who)}",
        "--exclude-path-regex",
        "^/(metrics|healthz|readyz)$",
        "--no-color",
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(command, capture_output=True, text=True, timeout=580, env=env)
    summary = result.stdout[-30000:]
    print(f"--- schemathesis {service} as {who} ---\n{summary}")
    assert result.returncode == 0, summary
