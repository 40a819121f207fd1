"""The four services and how to run each as its own process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    port: int

    @property
    def env_prefix(self) -> str:
        return f"RVI_{self.name.upper().replace('-', '_')}_"


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("eligibility", "rvi_eligibility", 8001),
    ServiceSpec("scheduling", "rvi_scheduling", 8002),
    ServiceSpec("video-gateway", "rvi_video_gateway", 8003),
    ServiceSpec("documents", "rvi_documents", 8004),
)


# The console (web/dist and the development sign-in): not a service, no schema or topics.
CONSOLE = ServiceSpec("console", "rvi_platform.console", 8000)


def spec(name: str) -> ServiceSpec:
    return next(s for s in SERVICES if s.name == name)


class ServiceProcess:
    def __init__(self, service: ServiceSpec, env: dict[str, str], port: int | None = None, log_dir: Path | None = None):
        self.service = service
        self.port = port or service.port
        self.env = {**os.environ, **env, f"{service.env_prefix}PORT": str(self.port)}
        self.log_dir = log_dir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = subprocess.DEVNULL
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            log = open(self.log_dir / f"{self.service.name}.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.service.module],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.service.name} exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.service.name} not ready after {timeout_s}s")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout_s: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
