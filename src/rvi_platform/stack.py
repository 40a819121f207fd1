"""The embedded single-machine stack: PostgreSQL, the broker, topics, migrations and the
four services as child processes (DESIGN: Running it)."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller

from rvi_platform.console.settings import WEB_DIST
from rvi_platform.embedded.broker import EmbeddedBroker
from rvi_platform.embedded.mail import MaildirHandler
from rvi_platform.embedded.ports import free_port, port_in_use
from rvi_platform.embedded.postgres import EmbeddedPostgres, ensure_database
from rvi_platform.services import CONSOLE, SERVICES, ServiceProcess
from rvi_shared.messaging.kafka import ensure_topics
from rvi_shared.migrations import upgrade
from rvi_shared.settings import DEV_JWT_SECRET


@dataclass
class Stack:
    home: Path
    # One instance of each service reads every partition, so more partitions only add to every
    # fetch: the embedded broker answers each one for every partition of every topic a consumer
    # reads (README, Benchmarks). deploy/ keeps 6 for scale-out. RVI_TOPIC_PARTITIONS overrides.
    partitions: int = field(default_factory=lambda: int(os.environ.get("RVI_TOPIC_PARTITIONS", "1")))
    ports: dict[str, int] = field(default_factory=dict)
    broker_port: int = 9092
    postgres: EmbeddedPostgres | None = None
    broker: EmbeddedBroker | None = None
    processes: list[ServiceProcess] = field(default_factory=list)
    database_url: str = ""
    bootstrap: str = ""
    jwt_secret: str = field(default_factory=lambda: os.environ.get("RVI_JWT_SECRET", DEV_JWT_SECRET))
    # Serve the console with the services (False: start it later with start_console).
    console: bool = True
    smtp: Controller | None = None

    @property
    def clock_file(self) -> Path:
        return self.home / "clock"

    @property
    def mailbox_dir(self) -> Path:
        """A Maildir holding every e-mail the platform sent (the embedded SMTP server's mailbox)."""
        return self.home / "mail"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    def url(self, service: str) -> str:
        return next(p.url for p in self.processes if p.service.name == service)

    @property
    def console_port(self) -> int:
        return self.ports.get(CONSOLE.name, CONSOLE.port)

    @property
    def console_url(self) -> str:
        return f"http://127.0.0.1:{self.console_port}"

    def process(self, service: str) -> ServiceProcess:
        return next(p for p in self.processes if p.service.name == service)

    async def start(self, say: callable = print) -> None:  # type: ignore[valid-type]
        self.home.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(exist_ok=True)
        if url := self.database_url or os.environ.get("RVI_DATABASE_URL"):
            self.database_url = url
            say(f"PostgreSQL: external ({url.split('@')[-1]})")
        else:
            self.postgres = EmbeddedPostgres(self.home / "pgdata")
            admin_url = await asyncio.to_thread(self.postgres.start)
            self.database_url = await ensure_database(admin_url, "rvi")
            say(f"PostgreSQL: embedded, data in {self.home / 'pgdata'}")
        if bootstrap := self.bootstrap or os.environ.get("RVI_KAFKA_BOOTSTRAP"):
            self.bootstrap = bootstrap
            say(f"Kafka: external ({bootstrap})")
        else:
            if port_in_use("127.0.0.1", self.broker_port):
                raise RuntimeError(
                    f"port {self.broker_port} is taken: stop what listens there, or set RVI_KAFKA_BOOTSTRAP"
                )
            self.broker = EmbeddedBroker(self.broker_port, self.log_dir / "broker.log")
            self.bootstrap = await asyncio.to_thread(self.broker.start)
            say(f"Kafka: embedded Tansu broker on {self.bootstrap} (memory storage)")
        created = await ensure_topics(self.bootstrap, self.partitions)
        say(f"topics: {len(created)} created with {self.partitions} partitions each")
        for service in SERVICES:
            await asyncio.to_thread(upgrade, service.module, self.database_url)
        say("migrations: every service schema at head")
        self.clock_file.write_text("0")
        self.smtp = Controller(MaildirHandler(self.mailbox_dir), hostname="127.0.0.1", port=free_port())
        self.smtp.start()
        say(f"SMTP: embedded aiosmtpd on 127.0.0.1:{self.smtp.port}, mail kept in {self.mailbox_dir}")
        env = {
            "RVI_SCHEDULING_SMTP_HOST": "127.0.0.1",
            "RVI_SCHEDULING_SMTP_PORT": str(self.smtp.port),
            # The demo moves one shared clock by days for several inspections at once; a no-show
            # is declared here only a week after its slot (the service's default grace is 30 min).
            "RVI_SCHEDULING_NO_SHOW_GRACE_MINUTES": os.environ.get("RVI_SCHEDULING_NO_SHOW_GRACE_MINUTES", "10080"),
            "RVI_DATABASE_URL": self.database_url,
            "RVI_KAFKA_BOOTSTRAP": self.bootstrap,
            # Topics the services create again (a broker that lost them) get the stack's count.
            "RVI_TOPIC_PARTITIONS": str(self.partitions),
            "RVI_CLOCK_FILE": str(self.clock_file),
            "RVI_JWT_SECRET": self.jwt_secret,
            "RVI_VIDEO_GATEWAY_KEY_DIR": str(self.home / "keys"),
            "RVI_VIDEO_GATEWAY_EVIDENCE_DIR": str(self.home / "evidence"),
            # The console calls the APIs from its own origin (both spellings of loopback).
            "RVI_CORS_ORIGINS": os.environ.get(
                "RVI_CORS_ORIGINS", f"{self.console_url},http://localhost:{self.console_port}"
            ),
            "RVI_DOCUMENTS_PKI_DIR": str(self.home / "pki"),
        }
        for service in SERVICES:
            port = self.ports.get(service.name, service.port)
            if port_in_use("127.0.0.1", port):
                raise RuntimeError(f"port {port} for {service.name} is taken")
            process = ServiceProcess(service, env, port=port, log_dir=self.log_dir)
            process.start()
            self.processes.append(process)
        for process in self.processes:
            await asyncio.to_thread(process.wait_ready)
            say(f"{process.service.name:>14}: {process.url}  (docs {process.url}/docs)")
        if self.console and not (WEB_DIST / "index.html").is_file():
            say(f"{'console':>14}: not built ({WEB_DIST} is empty: run make web)")
        elif self.console:
            await asyncio.to_thread(self.start_console)
            say(f"{'console':>14}: {self.console_url}/")

    @property
    def console_running(self) -> bool:
        return any(p.service.name == CONSOLE.name for p in self.processes)

    @property
    def console_dev_sign_in(self) -> bool:
        return os.environ.get("RVI_CONSOLE_DEV_SIGN_IN", "true").lower() in ("1", "true", "yes", "on")

    def start_console(self) -> ServiceProcess:
        """The console on console_port, calling the services started here; the development
        sign-in is on unless RVI_CONSOLE_DEV_SIGN_IN says otherwise (embedded stack only)."""
        if port_in_use("127.0.0.1", self.console_port):
            raise RuntimeError(f"port {self.console_port} for the console is taken")
        env = {
            "RVI_JWT_SECRET": self.jwt_secret,
            "RVI_CONSOLE_DEV_SIGN_IN": "true" if self.console_dev_sign_in else "false",
            **{f"RVI_CONSOLE_{s.name.upper().replace('-', '_')}_URL": self.url(s.name) for s in SERVICES},
        }
        process = ServiceProcess(CONSOLE, env, port=self.console_port, log_dir=self.log_dir)
        process.start()
        self.processes.append(process)
        process.wait_ready(timeout_s=30)
        return process

    def stop(self) -> None:
        for process in self.processes:
            process.stop()
        self.processes.clear()
        if self.smtp is not None:
            self.smtp.stop()
            self.smtp = None
        if self.broker is not None:
            self.broker.stop()
            self.broker = None
        if self.postgres is not None:
            self.postgres.stop()
            self.postgres = None
