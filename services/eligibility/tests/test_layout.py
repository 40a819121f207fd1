"""The sub-packages' imports point inward: api -> decisions -> facts -> rules; rules is pure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "rvi_eligibility"
# What each part may import of the service, besides itself. rules: nothing of the service at all.
MAY_IMPORT = {
    "rules": set(),
    "facts": {"rules", "models"},
    "decisions": {"facts", "rules", "models", "settings"},
    "api": {"decisions", "facts", "rules", "models", "settings"},
}


def _module(path: Path) -> str:
    return ".".join(("rvi_eligibility", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")


def _imported(path: Path) -> set[str]:
    """The rvi_eligibility modules `path` imports (at any depth of its code), as dotted names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.split(".")[0] == "rvi_eligibility"}


def _part(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


MODULES = {_module(p): p for p in sorted(PACKAGE.rglob("*.py")) if "migrations" not in p.parts}


@pytest.mark.parametrize("part", sorted(MAY_IMPORT))
def test_a_part_imports_only_what_lies_inward(part: str) -> None:
    wrong = {
        f"{module} imports {imported}"
        for module, path in MODULES.items()
        if _part(module) == part
        for imported in _imported(path)
        if (other := _part(imported)) not in (part, None)
        and other not in MAY_IMPORT[part]
        # `from rvi_eligibility.rules import X` names X too: only a module of the package counts.
        and (imported in MODULES or imported.rsplit(".", 1)[0] not in MODULES)
    }
    assert not wrong, sorted(wrong)


def test_only_the_app_imports_the_routes() -> None:
    wrong = {
        module
        for module, path in MODULES.items()
        if _part(module) not in ("api", "app") and any(_part(i) == "api" for i in _imported(path))
    }
    assert not wrong, sorted(wrong)


def test_the_parts_are_packages_and_the_old_flat_modules_are_gone() -> None:
    assert {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()} >= set(MAY_IMPORT)
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top <= {"__init__", "__main__", "app", "models", "settings"}, top


def test_the_check_sees_a_wrong_import(tmp_path: Path) -> None:
    """The walk finds an import nested in a function, the kind a check of the module's head would miss."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from rvi_eligibility.decisions.service import EligibilityService\n")
    assert "rvi_eligibility.decisions.service" in _imported(module)
