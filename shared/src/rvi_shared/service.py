"""The service application factory: one FastAPI app, its database, outbox relay and consumer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rvi_shared.auth.dependencies import Authenticator
from rvi_shared.background import Tick, run_periodically
from rvi_shared.clock import Clock, clock_from_settings
from rvi_shared.db import make_engine, make_sessionmaker, transaction
from rvi_shared.errors import install_error_handlers
from rvi_shared.gc_tuning import tune_garbage_collector
from rvi_shared.hygiene import InputHygieneMiddleware
from rvi_shared.longpoll import LongPollMiddleware
from rvi_shared.messaging.changes import ChangeFeed, changes_channel
from rvi_shared.messaging.consumer import EventConsumer, HandlerRegistry
from rvi_shared.messaging.outbox import Outbox
from rvi_shared.messaging.relay import OutboxRelay
from rvi_shared.messaging.tables import MessagingTables
from rvi_shared.observability.http import ObservabilityMiddleware
from rvi_shared.observability.logging import configure_logging
from rvi_shared.openapi import install_problem_openapi
from rvi_shared.settings import ServiceSettings

log = logging.getLogger(__name__)

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


@dataclass
class ServiceRuntime(Generic[SettingsT]):
    """What a running service holds, typed by its own settings class: `ServiceRuntime[SchedulingSettings]`."""

    settings: SettingsT
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    outbox: Outbox
    relay: OutboxRelay
    consumer: EventConsumer | None
    changes: ChangeFeed = field(default_factory=ChangeFeed)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A session in a transaction of its own, for work outside a request: committed when the
        block ends, rolled back when it raises."""
        return transaction(self.sessions)

    def every(self, name: str, interval_s: float, tick: Tick) -> None:
        """Starts `tick` as a periodic task (`run_periodically`), stopped and awaited on shutdown."""
        self.start(name, run_periodically(name, tick, interval_s, self.stop))

    def start(self, name: str, work: Coroutine[Any, Any, None]) -> None:
        """A background task of the service; on shutdown `stop` is set and the task awaited."""
        self.tasks.append(asyncio.create_task(work, name=name))


async def runtime(request: Request) -> ServiceRuntime[Any]:
    return request.app.state.runtime


def runtime_of(settings_type: type[SettingsT]) -> Callable[[Request], Awaitable[ServiceRuntime[SettingsT]]]:
    """A dependency giving the runtime typed by the service's settings class (create_service_app was
    given an instance of it)."""

    async def typed(request: Request) -> ServiceRuntime[SettingsT]:
        return request.app.state.runtime

    return typed


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session and one transaction per request (`rvi_shared.db.transaction`: begun by its first
    statement, none for a request that reads nothing); committed when the handler returns, rolled
    back when it raises. Once a write has committed, its path parameters are announced as changed
    to this instance's long-polls (other instances hear of it through the events it emitted)."""
    rt: ServiceRuntime = request.app.state.runtime
    async with transaction(rt.sessions) as session:
        yield session
    if request.method != "GET":
        for value in request.path_params.values():
            rt.changes.changed(str(value))


# scope="function": the transaction commits before the response is sent, so a client never
# sees a 2xx for a write that failed to commit, nor reads before its own write is visible.
DbSession = Annotated[AsyncSession, Depends(db_session, scope="function")]


async def clock(rt: ServiceRuntime[Any] = Depends(runtime)) -> Clock:
    return rt.clock


async def outbox(rt: ServiceRuntime[Any] = Depends(runtime)) -> Outbox:
    return rt.outbox


def create_service_app(
    *,
    settings: SettingsT,
    title: str,
    description: str,
    tables: MessagingTables,
    routers: Sequence[APIRouter],
    handlers: Callable[[Outbox, Clock], HandlerRegistry] | None = None,
    clock_override: Clock | None = None,
    on_startup: Callable[[FastAPI, ServiceRuntime[SettingsT]], Awaitable[None]] | None = None,
) -> FastAPI:
    """`on_startup` runs once the runtime exists; tasks it appends to `runtime.tasks` are
    stopped (via `runtime.stop`) and awaited on shutdown before the engine is disposed."""
    service = settings.service_name
    changes = ChangeFeed()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(service, settings.log_level)
        engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
        sessions = make_sessionmaker(engine)
        the_clock = clock_override or clock_from_settings(settings.clock_file)
        box = Outbox(tables, service, settings.schema)
        relay = OutboxRelay(
            service=service,
            outbox=box,
            sessions=sessions,
            database_url=settings.database_url,
            bootstrap=settings.kafka_bootstrap,
            clock=the_clock,
            partitions=settings.topic_partitions,
            poll_interval_s=settings.outbox_poll_interval_s,
            retention_s=settings.outbox_retention_s,
            check_interval_s=settings.outbox_check_interval_s,
            changes=changes,
            schema=settings.schema,
        )
        consumer = None
        registry = handlers(box, the_clock) if handlers is not None else None
        if registry is not None and registry.handlers and settings.consumers_enabled:
            consumer = EventConsumer(
                name=f"rvi-{service}",
                service=service,
                registry=registry,
                sessions=sessions,
                tables=tables,
                bootstrap=settings.kafka_bootstrap,
                max_retries=settings.consumer_max_retries,
                retry_backoff_s=settings.consumer_retry_backoff_s,
                fetch_max_wait_ms=settings.consumer_fetch_max_wait_ms,
                idle_fetch_max_wait_ms=max(
                    settings.consumer_idle_fetch_max_wait_ms, settings.consumer_fetch_max_wait_ms
                ),
                idle_after_s=settings.consumer_idle_after_s,
                changes_channel=changes_channel(settings.schema),
            )
        rt = ServiceRuntime(settings, engine, sessions, the_clock, box, relay, consumer, changes)
        app.state.runtime = rt
        app.state.authenticator = Authenticator(settings)
        rt.tasks.append(asyncio.create_task(relay.run(rt.stop), name=f"{service}-relay"))
        if consumer is not None:
            rt.tasks.append(asyncio.create_task(consumer.run(rt.stop), name=f"{service}-consumer"))
        try:
            if on_startup is not None:
                await on_startup(app, rt)
            tune_garbage_collector()
            log.info("%s started", service)
            yield
        finally:
            rt.stop.set()
            await asyncio.gather(*rt.tasks, return_exceptions=True)
            await engine.dispose()
            log.info("%s stopped", service)

    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    app.add_middleware(LongPollMiddleware, feed=changes)
    app.add_middleware(InputHygieneMiddleware)
    app.add_middleware(ObservabilityMiddleware, service=service)
    if origins := settings.cors_allow_origins:
        # Outermost, so error responses carry the headers too; a page on another origin reads a
        # WHIP/WHEP resource's Location, Link, ETag and Warning (RFC 9725 4.1).
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-Match", "If-None-Match", "Prefer"],
            expose_headers=[
                "Location",
                "Link",
                "ETag",
                "Retry-After",
                "Warning",
                "Accept-Post",
                "Accept-Patch",
                "Preference-Applied",
            ],  # fmt: skip
            max_age=600,
        )
    install_error_handlers(app)
    for router in (*routers, _ops_router()):
        _add_routes(app, router)
    install_problem_openapi(app)
    return app


def _add_routes(app: FastAPI, router: APIRouter) -> None:
    """The router's routes as the app's own, as if declared on it: FastAPI matches an included router
    as one more level (matched once to select it and again to dispatch; its cost: README, Benchmarks).
    Nothing is lost: a route carries its router's prefix, tags and dependencies from its declaration
    on, and an app-level include adds none here. The services' routes come first, their hot paths
    matched soonest."""
    assert not (router.on_startup or router.on_shutdown), "a service router has no lifespan of its own"
    app.router.routes.extend(router.routes)


def _ops_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(response: Response, rt: ServiceRuntime[Any] = Depends(runtime)) -> dict[str, object]:
        checks: dict[str, bool] = {}
        try:
            async with rt.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = True
        except Exception:
            checks["database"] = False
        checks["broker"] = rt.relay.broker_ok and (rt.consumer is None or rt.consumer.connected)
        ready = all(checks.values())
        response.status_code = 200 if ready else 503
        return {"status": "ready" if ready else "not ready", "checks": checks}

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
