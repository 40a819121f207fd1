"""make bench-media leaves nothing behind: a short run (the gateway stack with a full session,
then a video-only one, Janus with and without recording) and a run stopped with SIGINT, each with TMPDIR pointed at a fresh folder, must leave
that folder empty and no process started from it (every child inherits TMPDIR, so a survivor
still carries TMPDIR=<folder> in /proc/<pid>/environ)."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "media.py"
SHORT = ["--warmup", "1", "--window", "3", "--idle-window", "0.5", "--baseline-streams", ""]


@pytest.fixture
def tmpdir_for_bench() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="rvi-bench-tmp-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def bench_env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RVI_DATABASE_URL", "RVI_KAFKA_BOOTSTRAP")}
    env.pop("XDG_RUNTIME_DIR", None)  # the fallback would be a folder in TMPDIR
    return env | {"TMPDIR": str(folder), "PYTHONUNBUFFERED": "1"}


def started_from(folder: Path) -> list[str]:
    """Processes (other than this one) whose environment has TMPDIR=<folder>."""
    marker = f"TMPDIR={folder}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found.append(f"{entry.name}: {command[:200]}")
        except OSError:  # gone meanwhile, or not ours
            continue
    return found


def janus_processes() -> list[str]:
    names = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "janus":
                    names.append(entry.name)
            except OSError:
                continue
    return names


def assert_nothing_left(folder: Path, janus_before: list[str]) -> None:
    deadline = time.monotonic() + 10
    while started_from(folder) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert started_from(folder) == []
    assert [pid for pid in janus_processes() if pid not in janus_before] == []
    assert sorted(p.name for p in folder.iterdir()) == []


def test_a_short_run_reports_janus_beside_the_gateway_and_leaves_nothing(tmpdir_for_bench: Path) -> None:
    janus_before = janus_processes()
    run = subprocess.run(
        [sys.executable, str(BENCH), "--sessions", "1", *SHORT],
        env=bench_env(tmpdir_for_bench),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    for key in (
        "sessions",
        "cpu_pct_per_session",
        "video_only_cpu_pct_per_session",
        "mb_per_session",
        "p95_added_ms",
        "vs_decode_x",
        "transcode_pct_per_stream",
    ):
        assert key in result
    # The full session: two viewers' frames, the camera's audio to both and the officer's
    # talk-back to the enterprise, matched by digest; the clip recorded with its audio.
    full = re.search(
        r"\] video gateway, full sessions N=1: .* frames (\d+)/(\d+) .* audio packets (\d+)/(\d+) to viewers "
        r"and talk-back (\d+)/(\d+) to the enterprise .*1 recordings closed with a sha256 \(fMP4 clips\), 1 with audio",
        run.stdout,
    )
    assert full is not None, run.stdout[-3000:]
    frames, sent, audio, audio_sent, talkback, talkback_sent = (int(v) for v in full.groups())
    assert 0 < frames <= sent and sent >= 2 * 25 * 2  # two viewers, a 3 s window
    assert 0 < audio <= audio_sent and 0 < talkback <= talkback_sent
    assert result["audio_delivered_pct"] > 0
    # The video-only session ran on the same gateway in the same invocation.
    plain = re.search(r"\] video gateway, video only N=1: [^\n]* frames (\d+)/(\d+) [^\n]*", run.stdout)
    assert plain is not None and int(plain.group(1)) > 0, run.stdout[-3000:]
    assert "audio packets" not in plain.group(0)
    assert "janus_cpu_pct_per_session" in result and "vs_janus_x" in result
    # The generated configuration loads nothing but the VideoRoom plugin and the HTTP transport.
    assert "plugins ['janus.plugin.videoroom'], transports ['janus.transport.http'], event handlers none" in run.stdout
    # Janus relayed the publisher's own H.264 frames: counted by digest, so a transcoding relay scores 0.
    for label in ("janus videoroom", "janus videoroom, recording"):
        line = re.search(rf"\] {label} N=1: .* frames (\d+)/(\d+)", run.stdout)
        assert line is not None, run.stdout[-3000:]
        assert int(line.group(1)) > 0
    assert re.search(r"1 Janus \.mjr recordings \(raw RTP packets\)", run.stdout)
    assert_nothing_left(tmpdir_for_bench, janus_before)


def interrupt_when(args: list[str], folder: Path, pattern: str, after: str) -> str:
    """Runs the bench, sends SIGINT once `pattern` was printed after a line with `after`; returns
    its output (it must exit within 60 s of the signal)."""
    process = subprocess.Popen(
        [sys.executable, str(BENCH), *args],
        env=bench_env(folder),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    assert process.stdout is not None
    output: list[str] = []
    seen_after = False
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([process.stdout], [], [], 1.0)
            if not ready:
                continue
            line = process.stdout.readline()
            if not line:
                break
            output.append(line)
            seen_after = seen_after or after in line
            if seen_after and re.search(pattern, line):
                # As a terminal's Ctrl-C under `make bench-media`: SIGINT to the whole process
                # group, then once more to the bench (forwarded by `uv run`).
                os.killpg(process.pid, signal.SIGINT)
                time.sleep(0.5)
                process.send_signal(signal.SIGINT)
                break
        else:
            pytest.fail("the bench never reached the point to interrupt: " + "".join(output)[-3000:])
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = "".join(output) + rest
    # 130 from the bench's own exit; -SIGINT if a repeated Ctrl-C lands in the instant between the
    # event loop closing and that exit (what is checked below is what matters: nothing left).
    assert process.returncode in (130, -signal.SIGINT), text[-3000:]
    return text


def test_sigint_during_a_janus_round_leaves_nothing(tmpdir_for_bench: Path) -> None:
    janus_before = janus_processes()
    # Interrupted in Janus's first round: its room up, publisher and subscriber connected, the load
    # processes running, the recording Janus and the first server idle between their rounds. The
    # aiortc passthrough relay stands in for the gateway stack here (whose normal stop the short
    # run above covers): the same cleanup path, without a database to initialise on 2 cores.
    text = interrupt_when(
        ["--target", "passthrough", "--sessions", "1", *SHORT],
        tmpdir_for_bench,
        r"N=1: 1/1 pairs connected",
        "aiortc passthrough relay N=1:",  # the next round is Janus's
    )
    assert "interrupted" in text
    assert_nothing_left(tmpdir_for_bench, janus_before)
