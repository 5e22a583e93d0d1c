"""Linli reaches its frameworks only through their documented seams (issue #23).

Read from the source of every project module (apps, config, bench, tests): a framework security
release must install the day it comes out, so nothing may

- import from a framework's `internal` package, or import a framework name with a leading
  underscore;
- read or write an attribute with a leading underscore that Linli does not define itself (a
  framework's private state: `store._session_cache`, `transport._tempDataLen`, ...);
- assign to an attribute of a framework module (a module swap);
- read a framework's source (a test that pins it breaks on every patch release).

The names allowed below are documented public API despite their underscore.
"""

import ast
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".venv", "node_modules", "var", "staticfiles", "media", "migrations", ".git"}
FRAMEWORKS = {
    "django",
    "wagtail",
    "daphne",
    "twisted",
    "autobahn",
    "channels",
    "channels_redis",
    "allauth",
    "asgiref",
    "ninja",
    "redis",
    "django_redis",
    "csp",
    "django_ratelimit",
}
# Documented API that happens to start with an underscore: Django's Model._meta and
# Model._state, the default managers, a manager's _db (Django's custom user manager example),
# and namedtuple's methods.
DOCUMENTED_UNDERSCORE_NAMES = {
    "_meta",
    "_state",
    "_db",
    "_default_manager",
    "_base_manager",
    "_replace",
    "_asdict",
    "_fields",
    "_make",
}


def project_modules():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if SKIPPED_DIRS.intersection(relative.parts[:-1]):
            continue
        yield relative, ast.parse(path.read_text(encoding="utf-8"), filename=str(relative))


MODULES = list(project_modules())


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def names_linli_defines() -> set[str]:
    defined = set()
    for _path, tree in MODULES:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                defined.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                if isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"}:
                    defined.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                defined.add(node.id)
            elif isinstance(node, ast.arg) or isinstance(node, ast.keyword) and node.arg:
                defined.add(node.arg)
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.isidentifier()
            ):
                # __slots__ entries and names set with setattr() on Linli's own objects
                defined.add(node.value)
    return defined


def is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # ValueError: a name bound in a module, not a module
        return False


def framework_root(module: str | None) -> str | None:
    root = (module or "").split(".")[0]
    return root if root in FRAMEWORKS else None


def test_nothing_is_imported_from_a_framework_internal_package_or_private_name():
    found = []
    for path, tree in MODULES:
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and framework_root(node.module):
                if "internal" in node.module.split("."):
                    found.append(f"{path}:{node.lineno} from {node.module}")
                found += [
                    f"{path}:{node.lineno} {node.module}.{alias.name}"
                    for alias in node.names
                    if is_private(alias.name)
                ]
            elif isinstance(node, ast.Import):
                found += [
                    f"{path}:{node.lineno} import {alias.name}"
                    for alias in node.names
                    if framework_root(alias.name)
                    and (
                        "internal" in alias.name.split(".")
                        or any(map(is_private, alias.name.split(".")))
                    )
                ]
    assert found == [], "\n".join(found)


def test_no_private_attribute_that_linli_does_not_define_is_touched():
    defined = names_linli_defines() | DOCUMENTED_UNDERSCORE_NAMES
    found = [
        f"{path}:{node.lineno} .{node.attr}"
        for path, tree in MODULES
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and is_private(node.attr) and node.attr not in defined
    ]
    assert found == [], "\n".join(found)


def test_no_framework_module_attribute_is_assigned():
    found = []
    for path, tree in MODULES:
        modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules |= {
                    (alias.asname or alias.name.split(".")[0])
                    for alias in node.names
                    if framework_root(alias.name)
                }
            elif isinstance(node, ast.ImportFrom) and framework_root(node.module):
                # `from daphne import http_protocol` binds a module as well
                modules |= {
                    alias.asname or alias.name
                    for alias in node.names
                    if is_module(f"{node.module}.{alias.name}")
                }
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "setattr"
                and node.args
            ):
                targets = [ast.Attribute(value=node.args[0], attr="?", ctx=ast.Store())]
            for target in targets:
                base = target
                while isinstance(base, ast.Attribute):
                    base = base.value
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(base, ast.Name)
                    and base.id in modules
                ):
                    found.append(f"{path}:{node.lineno} {ast.unparse(target)}")
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("reader", ["getsource", "getsourcelines", "getsourcefile"])
def test_no_test_reads_a_frameworks_source(reader):
    found = [
        f"{path}:{node.lineno}"
        for path, tree in MODULES
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == reader
    ]
    assert found == [], "\n".join(found)
