"""The console's entry links that `rvi run` prints: the development sign-in links open the page
for one of the demo's people, signed in (`/sign-in?persona=...&next=...`)."""

from __future__ import annotations

from urllib.parse import urlencode

from rvi_platform.console.personas import DEMO_ENTERPRISE_ID


def sign_in_link(console_url: str, persona: str, next_path: str, enterprise_id: str | None = None) -> str:
    query = {"persona": persona, **({"enterprise_id": enterprise_id} if enterprise_id else {}), "next": next_path}
    return f"{console_url}/sign-in?{urlencode(query)}"


def console_links(console_url: str, inspection_id: str | None, dev_sign_in: bool) -> list[str]:
    lines = [f"console: {console_url}/"]
    if not dev_sign_in:
        return lines
    officer_next = f"/officer/inspections/{inspection_id}" if inspection_id else "/officer"
    enterprise_next = f"/enterprise/inspections/{inspection_id}" if inspection_id else "/enterprise"
    lines += [
        "development sign-in (RVI_CONSOLE_DEV_SIGN_IN; never in production):",
        f"  officer Wang Li:      {sign_in_link(console_url, 'officer-wang', officer_next)}",
        f"  officer Chen Jie:     {sign_in_link(console_url, 'officer-chen', officer_next)}",
        f"  enterprise (Li Mei):  {sign_in_link(console_url, 'enterprise', enterprise_next, DEMO_ENTERPRISE_ID)}",
        f"  operator:             {sign_in_link(console_url, 'operator', '/operator')}",
    ]
    return lines
