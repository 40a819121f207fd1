"""The console's message catalogues (web/src/i18n): zh-CN and English have the same keys, and
every key the pages ask for with a literal t('...') exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[1] / "web" / "src"
CATALOGUES = {name: WEB / "i18n" / f"{name}.json" for name in ("en", "zh-CN")}


def keys(tree: dict[str, object], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in tree.items():
        out |= keys(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}"}
    return out


def catalogue(name: str) -> set[str]:
    return keys(json.loads(CATALOGUES[name].read_text(encoding="utf-8")))


def test_both_catalogues_have_the_same_keys() -> None:
    en, zh = catalogue("en"), catalogue("zh-CN")
    assert len(en) > 100
    assert en - zh == set(), "missing in zh-CN"
    assert zh - en == set(), "missing in en"


def test_every_literal_key_used_by_the_pages_exists() -> None:
    used: set[str] = set()
    for source in [*WEB.rglob("*.tsx"), *WEB.rglob("*.ts")]:
        used |= set(re.findall(r"\bt\(\s*'([a-zA-Z0-9_.]+)'", source.read_text(encoding="utf-8")))
    assert len(used) > 100
    assert used - catalogue("en") == set()


def test_every_key_family_built_at_run_time_exists() -> None:
    """t(`states.${state}`) and the like: the family is a group in the catalogue."""
    tree = json.loads(CATALOGUES["en"].read_text(encoding="utf-8"))
    families: set[str] = set()
    for source in [*WEB.rglob("*.tsx"), *WEB.rglob("*.ts")]:
        families |= set(re.findall(r"\bt\(`([a-zA-Z0-9_.]+)\.\$\{", source.read_text(encoding="utf-8")))
    assert {"states", "roles", "live.kinds", "live.codes"} <= families
    for family in families:
        node: object = tree
        for part in family.split("."):
            assert isinstance(node, dict) and part in node, family
            node = node[part]
        assert isinstance(node, dict) and node, family


def test_no_catalogue_value_is_empty_or_left_in_english_in_chinese() -> None:
    zh = json.loads(CATALOGUES["zh-CN"].read_text(encoding="utf-8"))

    def leaves(tree: dict[str, object], prefix: str = "") -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for k, v in tree.items():
            out += leaves(v, f"{prefix}{k}.") if isinstance(v, dict) else [(f"{prefix}{k}", str(v))]
        return out

    for key, text in leaves(zh):
        assert text.strip(), key
        # Each Chinese label has Chinese in it (a few are codes or units only).
        if key not in {"documents.sha"}:
            assert re.search(r"[\u4e00-\u9fff]", text), f"{key} = {text!r} is not Chinese"
