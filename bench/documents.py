"""make bench-documents: issue-and-sign an inspection record the way the service does.

One record of the Cixi case (5 sites, 6 checklist items, 14 recorded steps, Chinese names and
notes): render (typst, PDF/A-2b), certify with the customs seal (PAdES, DocMDP, RFC 3161
time-stamp from the local OpenSSL TSA over HTTP), two officers' signatures, the enterprise's seal
with its audit stamp, and verification (pyHanko: signatures, chain, time-stamps). Each step is
timed per document, and the CPU of render to seal (this process, the TSA's thread and its
OpenSSL children) is given per document as `cpu_ms_per_document`; the baseline in the same run is the first cut's renderer (fpdf2, core
Helvetica, Chinese printed as "?") with its SHA-256 "signature". The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import fpdf_record  # noqa: E402 (the baseline beside this file)

from rvi_documents import forms  # noqa: E402
from rvi_documents.kinds import SPECS, Kind, Officer, signing_order  # noqa: E402
from rvi_documents.pki.runtime import Pki, StampText  # noqa: E402
from rvi_documents.pki.signers import SignerRef  # noqa: E402
from rvi_documents.rendering import Renderer  # noqa: E402
from rvi_documents.settings import DocumentsSettings  # noqa: E402

T0 = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
TEAM = [
    {"officer_id": "O1", "name": "王力", "credential_no": "NB-0001"},
    {"officer_id": "O2", "name": "陈杰", "credential_no": "NB-0002"},
]
SITES = ["周巷", "观海卫", "新浦", "坎墩", "龙山"]
ITEMS = ["农业投入品管理", "田间作物长势", "地块边界", "种植采收记录", "病虫害监测", "追溯标识"]


def case(n: int) -> tuple[Any, Any, list[Any]]:
    inspection = SimpleNamespace(
        id=f"INSP-BENCH-{n}", enterprise_id="91330282MA2CIXI01X", enterprise_name="慈溪鲜品食品集团有限公司",
        customs="Cixi", team=TEAM, officers=TEAM, slot_start=T0, slot_end=T0 + timedelta(hours=3),
        sites=[{"site_id": f"S{i + 1}", "name": f"{name}种植基地", "latitude": 30.17 + i / 50, "longitude": 121.27 + i / 50,
                "address": f"浙江省慈溪市{name}镇"} for i, name in enumerate(SITES)],
        checklist_items=[{"item_id": f"I{i + 1}", "description": d, "category": None, "commodity_code": "0709"} for i, d in enumerate(ITEMS)],
    )  # fmt: skip
    results = [
        {"site_id": f"S{s + 1}", "location_verified": True,
         "items": [{"item_id": f"I{i + 1}", "result": "conforming", "finding": ""} for i in range(6)]}
        for s in range(5)
    ]  # fmt: skip
    session = SimpleNamespace(
        session_id=f"SES-{n}", officers=TEAM, started_at=T0, ended_at=T0 + timedelta(hours=2, minutes=5),
        results=results, steps_declared=14, conclusion=f"五个种植基地均符合要求（第{n}份）。", manifest_digest="e" * 64,
        manifest_timestamped_at=None,
    )  # fmt: skip
    steps = [
        SimpleNamespace(
            kind=["credentials_presented", "identity_verified", "power_of_attorney_verified", "location_verified"][
                min(k, 3)
            ],
            started_at=T0 + timedelta(minutes=8 * k),
            ended_at=T0 + timedelta(minutes=8 * k + 5),
            officer_id=TEAM[k % 2]["officer_id"],
            site_id=f"S{k % 5 + 1}" if k >= 3 else None,
            note=f"第{k + 1}步：{SITES[k % 5]}基地画面清晰，记录完整",
            digest=hashlib.sha256(f"{n}-{k}".encode()).hexdigest(),
        )  # fmt: skip
        for k in range(14)
    ]
    return inspection, session, steps


def baseline_record(inspection: Any, session: Any, steps: list[Any]) -> fpdf_record.InspectionRecord:
    return fpdf_record.InspectionRecord(
        document_id="bench", inspection_id=inspection.id, enterprise_id=inspection.enterprise_id,
        enterprise_name=inspection.enterprise_name, customs=inspection.customs,
        team=[fpdf_record.TeamMember(o["name"], o["credential_no"]) for o in TEAM],
        slot_start=inspection.slot_start, slot_end=inspection.slot_end, session_id=session.session_id,
        session_started_at=session.started_at, session_ended_at=session.ended_at,
        sites=[fpdf_record.SiteLine(s["site_id"], s["name"], s["latitude"], s["longitude"], s["address"]) for s in inspection.sites],
        items=[fpdf_record.ItemLine(i["item_id"], i["description"], None, i["commodity_code"]) for i in inspection.checklist_items],
        steps=[fpdf_record.StepLine(s.kind, s.started_at, s.ended_at, s.note, s.digest, s.officer_id, s.site_id) for s in steps],
        steps_declared=14, conclusion=session.conclusion, manifest_digest=session.manifest_digest,
        issued_at=T0, timezone="Asia/Shanghai",
    )  # fmt: skip


def _cpu_s() -> float:
    """CPU seconds of this process (all threads) and its reaped children (OpenSSL `ts -reply`)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(count: int, warmup: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as home:
        settings = DocumentsSettings(pki_dir=home)
        renderer = Renderer()
        pki = Pki(settings, renderer)
        pki.start()
        spec = SPECS[Kind.INSPECTION_RECORD]
        order = signing_order(spec, [Officer(o["name"], o["credential_no"]) for o in TEAM])
        slots = [s for group in order for s in group]
        seal = SignerRef("customs_seal", "Cixi", "慈溪海关 Cixi Customs", "慈溪海关")
        officers = [SignerRef("officer", o["credential_no"], o["name"], "慈溪海关") for o in TEAM]
        enterprise = SignerRef(
            "enterprise_seal", "91330282MA2CIXI01X", "慈溪鲜品食品集团有限公司", "慈溪鲜品食品集团有限公司"
        )
        timings: dict[str, list[float]] = {
            k: []
            for k in (
                "render",
                "certify",
                "issue_and_certify",
                "sign",
                "seal",
                "verify",
                "baseline_render",
                "baseline_issue",
            )
        }
        started = 0.0
        cpu_s = 0.0
        for n in range(warmup + count):
            if n == warmup:
                started = time.perf_counter()
            inspection, session, steps = case(n)
            cpu0 = _cpu_s()
            t = time.perf_counter()
            data = forms.inspection_record(
                forms.header(Kind.INSPECTION_RECORD, "Cixi", f"慈溪关检记〔2026〕{n + 1:04d}号", order),
                inspection,
                session,
                steps,
                "Asia/Shanghai",
            )
            pdf = renderer.render("inspection_record", data, T0 + timedelta(seconds=n))
            t_render = time.perf_counter()
            pdf = await pki.certify(
                pdf, slots, seal, "检查记录", "慈溪海关", StampText("慈溪海关 印章", ["Cixi Customs"])
            )
            t_certify = time.perf_counter()
            sign_times = []
            for ref in officers:
                s0 = time.perf_counter()
                pdf = await pki.sign(
                    pdf,
                    slots,
                    f"officer:{ref.label}",
                    ref,
                    ref.common_name,
                    "签名",
                    "慈溪海关",
                    StampText(ref.common_name, [ref.label]),
                )
                sign_times.append(time.perf_counter() - s0)
            s0 = time.perf_counter()
            pdf = await pki.sign(
                pdf,
                slots,
                "enterprise",
                enterprise,
                "李梅",
                "签章",
                "慈溪",
                StampText("签章 · 审计", ["签章人 李梅", *(f"revision {i} SHA-256 {'a' * 64}" for i in range(4))]),
            )
            t_seal = time.perf_counter() - s0
            cpu1 = _cpu_s()
            v0 = time.perf_counter()
            report = await pki.verify(pdf)
            t_verify = time.perf_counter() - v0
            assert report.valid, report.problems
            b0 = time.perf_counter()
            old = fpdf_record.render_inspection_record(baseline_record(inspection, session, steps))
            b1 = time.perf_counter()
            hashlib.sha256(old + b"{}").hexdigest()  # the first cut's "signature"
            b2 = time.perf_counter()
            if n < warmup:
                continue
            cpu_s += cpu1 - cpu0
            timings["render"].append(t_render - t)
            timings["certify"].append(t_certify - t_render)
            timings["issue_and_certify"].append(t_certify - t)
            timings["sign"].extend(sign_times)
            timings["seal"].append(t_seal)
            timings["verify"].append(t_verify)
            timings["baseline_render"].append(b1 - b0)
            timings["baseline_issue"].append(b2 - b0)
        elapsed = time.perf_counter() - started
        await pki.close()
    baseline_total = sum(timings["baseline_render"]) + sum(timings["baseline_issue"]) - sum(timings["baseline_render"])
    for name, values in timings.items():
        ms = [v * 1000 for v in values]
        print(f"{name:>18}: n={len(ms):3d} p50 {statistics.median(ms):7.1f} ms  p95 {pct(ms, 0.95):7.1f} ms")
    render_ratio = statistics.median(timings["render"]) / statistics.median(timings["baseline_render"])
    issue_ratio = statistics.median(timings["issue_and_certify"]) / statistics.median(timings["baseline_issue"])
    print(f"render: typst PDF/A-2b with CJK / fpdf2 Latin-1 baseline = {render_ratio:.1f}x (p50)")
    print(f"issue: render+certify+time-stamp / baseline render+SHA-256 = {issue_ratio:.1f}x (p50)")
    docs_per_s = count / (elapsed - baseline_total)
    load = os.getloadavg()[0]
    print(f"CPU render to seal: {cpu_s * 1000 / count:.1f} ms per document (this process and its OpenSSL children)")
    print(
        f"{count} documents fully issued, signed, sealed and verified at {docs_per_s:.2f} docs/s "
        f"(targets: render p95 <= 50 ms, issue-and-certify p95 <= 250 ms); "
        f"load average {load:.1f} on {os.cpu_count()} cores"
    )
    return {
        "docs_per_s": round(docs_per_s, 2),
        "cpu_ms_per_document": round(cpu_s * 1000 / count, 1),
        "render_p95_ms": round(pct(timings["render"], 0.95) * 1000, 1),
        "issue_and_certify_p95_ms": round(pct(timings["issue_and_certify"], 0.95) * 1000, 1),
        "sign_p95_ms": round(pct(timings["sign"], 0.95) * 1000, 1),
        "seal_p95_ms": round(pct(timings["seal"], 0.95) * 1000, 1),
        "verify_p95_ms": round(pct(timings["verify"], 0.95) * 1000, 1),
        "baseline_render_p95_ms": round(pct(timings["baseline_render"], 0.95) * 1000, 1),
        "render_ratio_p50": round(render_ratio, 2),
        "load_average": round(load, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    result = asyncio.run(run(args.count, args.warmup))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
