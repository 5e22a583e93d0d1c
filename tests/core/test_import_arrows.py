"""The apps depend on each other one way, as shared/design.md draws them (issue #24).

`brands -> deliberation -> certificates -> activities -> teams -> live -> communities ->
accounts -> core`: an app may import any app below it, never one above it. `config` is the
project (settings, URLs, ASGI/WSGI, the API's assembly): it may import every app, and no app
imports it. Read from the source of every module of every app, imports inside functions
included, so an import made late to dodge a cycle still counts.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARROWS = [
    "brands",
    "deliberation",
    "certificates",
    "activities",
    "teams",
    "live",
    "communities",
    "accounts",
    "core",
]
APPS = [app for app in ARROWS if (ROOT / app).is_dir()]
PROJECT = "config"


def imported_modules(path: Path):
    """(line, dotted name) of every absolute import in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            if node.module in (*ARROWS, PROJECT):  # `from core import errors`
                for alias in node.names:
                    yield node.lineno, f"{node.module}.{alias.name}"


def wrong_arrows(app: str, root: Path = ROOT) -> list[str]:
    """The imports in `app`'s modules of `config` or of an app above `app`."""
    rank = ARROWS.index(app)
    above = set(ARROWS[:rank]) | {PROJECT}
    found = []
    for path in sorted((root / app).rglob("*.py")):
        for line, module in imported_modules(path):
            if module.split(".")[0] in above:
                found.append(f"{path.relative_to(root)}:{line} imports {module}")
    return found


@pytest.mark.parametrize("app", APPS)
def test_an_app_imports_only_apps_below_it(app):
    assert wrong_arrows(app) == []


def test_the_check_sees_an_import_against_the_arrows(tmp_path):
    (tmp_path / "teams").mkdir()
    (tmp_path / "teams" / "services.py").write_text(
        "from live.services import publish\n"
        "def later():\n"
        "    from deliberation.models import Proposal\n"
        "    from config import api\n"
    )
    assert wrong_arrows("teams", root=tmp_path) == [
        "teams/services.py:3 imports deliberation.models",
        "teams/services.py:4 imports config",
        "teams/services.py:4 imports config.api",
    ]


def test_every_app_of_the_project_is_on_the_arrows():
    settings_apps = {
        path.parent.name
        for path in ROOT.glob("*/apps.py")
        if (path.parent / "__init__.py").exists()
    }
    assert settings_apps <= set(ARROWS)
