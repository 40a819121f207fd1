"""`rvi`: run the embedded platform, walk the demo, mint tokens."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
import uuid
import warnings
from pathlib import Path

import httpx

from rvi_platform.console.links import console_links
from rvi_platform.console.personas import DEMO_ENTERPRISE_ID
from rvi_platform.demo import Endpoints, run_flow, stage_inspection
from rvi_platform.stack import Stack
from rvi_platform.watch import watch_events
from rvi_shared.auth import Role, mint_token
from rvi_shared.settings import DEV_JWT_SECRET


def say(message: str) -> None:
    print(f"[rvi {time.strftime('%H:%M:%S')}] {message}", flush=True)


async def _run(args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    stack = Stack(home=args.home)
    try:
        started = time.monotonic()
        await stack.start(say)
        if not args.no_demo:
            inspection_id = str(uuid.uuid4())
            watcher = asyncio.create_task(watch_events(stack.bootstrap, stop, say, {inspection_id}))
            endpoints = Endpoints.of(stack.url)
            say("demo: the Cixi case (GACC-RVI pilot, Ningbo district)")
            async with httpx.AsyncClient(timeout=30) as client:
                result = await run_flow(
                    client,
                    endpoints,
                    stack.jwt_secret,
                    str(stack.clock_file),
                    log=say,
                    inspection_id=inspection_id,
                    video=True,
                    full_documents=True,
                    documents_dir=stack.home / "documents",
                    mailbox_dir=str(stack.mailbox_dir),
                )
            await asyncio.sleep(1.0)
            say(
                f"demo: inspection {result.inspection_id} completed in {result.seconds:.1f}s "
                f"({time.monotonic() - started:.1f}s since start)"
            )
            say(f"timeline: {stack.url('scheduling')}/v1/inspections/{result.inspection_id}/timeline")
            watcher.cancel()
            if stack.console_running:
                console_inspection = str(uuid.uuid4())
                async with httpx.AsyncClient(timeout=30) as client:
                    await stage_inspection(
                        client,
                        endpoints,
                        stack.jwt_secret,
                        str(stack.clock_file),
                        DEMO_ENTERPRISE_ID,
                        console_inspection,
                        log=say,
                    )
                say("console: a second Cixi inspection is scheduled and waits for you in the browser")
                for line in console_links(stack.console_url, console_inspection, stack.console_dev_sign_in):
                    say(line)
        elif stack.console_running:
            for line in console_links(stack.console_url, None, stack.console_dev_sign_in):
                say(line)
        say("running; Ctrl-C or SIGTERM stops every process started here")
        await stop.wait()
        return 0
    except Exception as exc:
        say(f"error: {exc}")
        return 1
    finally:
        say("stopping")
        await asyncio.to_thread(stack.stop)


def _token(args: argparse.Namespace) -> int:
    secret = os.environ.get("RVI_JWT_SECRET", DEV_JWT_SECRET)
    try:
        token = mint_token(
            secret,
            role=Role(args.role),
            subject=args.subject or args.role,
            name=args.name,
            enterprise_id=args.enterprise_id,
            credential_no=args.credential_no,
            district=args.district,
            ttl_s=args.ttl,
        )
    except ValueError as exc:
        print(f"rvi token: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rvi", description="rvi: the Remote Video Inspection platform")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the embedded platform and walk the demo inspection")
    run.add_argument("--home", default=os.environ.get("RVI_HOME", ".rvi"), help="data and logs (default .rvi)")
    run.add_argument("--no-demo", action="store_true")
    token = sub.add_parser("token", help="mint a bearer token for local use")
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    token.add_argument("--subject")
    token.add_argument("--name")
    token.add_argument("--enterprise-id")
    token.add_argument("--credential-no")
    token.add_argument("--district")
    token.add_argument("--ttl", type=int, default=3600)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    if args.command == "run":
        args.home = Path(args.home).resolve()
        return asyncio.run(_run(args))
    return _token(args)


if __name__ == "__main__":
    sys.exit(main())
