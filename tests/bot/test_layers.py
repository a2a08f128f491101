"""The gateway's parts import downward only: a newcomer can read it from the ground up, and no
part of the domain depends on the web or on a route. Below them, the packages both runtimes
import need nothing of the gateway's."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

BOT = Path(__file__).resolve().parents[2] / "bot"
# From the ground up. A module may import its own part and the parts of lower layers.
LAYERS: list[set[str]] = [
    {"errors", "store", "languages"},
    {"handoff"},
    {"config"},
    {"conversation"},
    {"web", "ops"},
    {"limits"},
    {"staff", "channels"},
    {"routes"},
    {"main"},
    {"cli"},
]
LAYER_OF = {part: i for i, parts in enumerate(LAYERS) for part in parts}
# Under every layer: the packages the action server imports too. It runs Python 3.10 without the
# gateway's dependencies, so each may import only the standard library, itself and what is named
# here (shared packages listed before it, and third-party packages both environments install).
SHARED: dict[str, set[str]] = {
    "textnorm": set(),
    "registry": {"textnorm", "yaml", "rapidfuzz"},
}


def part_of(module: str) -> str:
    """'conversation' for bot.conversation.safety.model; 'config' for bot.config."""
    return module.split(".")[1]


def imports(path: Path) -> set[str]:
    """The bot.* modules a file imports, at any depth of the file (deferred imports count)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "bot":
                found |= {f"bot.{alias.name}" for alias in node.names}
            elif node.module.startswith("bot."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("bot.")}
    return found


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(BOT.rglob("*.py")):
        relative = path.relative_to(BOT.parent).with_suffix("")
        name = ".".join(relative.parts)
        if name != "bot.__init__":
            found.append((name, path))
    return found


def test_every_part_of_the_gateway_has_a_layer():
    assert {part_of(name) for name, _ in modules()} == set(LAYER_OF)


@pytest.mark.parametrize(("name", "path"), modules(), ids=[name for name, _ in modules()])
def test_a_module_imports_only_its_own_part_and_lower_layers(name, path):
    own = part_of(name)
    upward = sorted(
        target
        for target in imports(path)
        if part_of(target) != own and LAYER_OF[part_of(target)] >= LAYER_OF[own]
    )
    assert upward == [], f"{name} imports from its own layer or above: {upward}"


def test_only_the_app_factory_imports_a_route():
    importers = {
        name
        for name, path in modules()
        if part_of(name) != "routes" and any(t.startswith("bot.routes") for t in imports(path))
    }
    assert importers == {"bot.main"}


def test_every_lua_script_is_loaded_by_the_gateway():
    """A script of bot/lua/ that no module names is dead code that still looks maintained."""
    named: set[str] = set()
    for _, path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "lua_script":
                named |= {arg.value for arg in node.args if isinstance(arg, ast.Constant)}
    scripts = {str(p.relative_to(BOT / "lua").with_suffix("")) for p in BOT.glob("lua/*/*.lua")}
    assert scripts and scripts == named


def top_level_imports(path: Path) -> set[str]:
    """The top-level names of every absolute import in a file, at any depth of it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
    return found


SHARED_FILES = [
    (package, path) for package in SHARED for path in sorted((BOT.parent / package).rglob("*.py"))
]


@pytest.mark.parametrize(
    ("package", "path"), SHARED_FILES, ids=[str(p.relative_to(BOT.parent)) for _, p in SHARED_FILES]
)
def test_a_shared_package_imports_only_the_standard_library_and_what_it_may(package, path):
    allowed = set(sys.stdlib_module_names) | {"__future__", package} | SHARED[package]
    assert top_level_imports(path) - allowed == set()


MAX_LINES = 400
REPO = BOT.parent


def test_a_module_over_400_lines_says_why_in_its_docstring():
    """Small modules with one job; the few that are longer on purpose say so ("... 400 lines
    ...") where a reader starts."""
    too_long = []
    for folder in ("bot", "actions", "registry", "rasa_plugins", "textnorm", "scripts"):
        for path in sorted((REPO / folder).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            if source.count("\n") <= MAX_LINES:
                continue
            docstring = ast.get_docstring(ast.parse(source)) or ""
            if f"{MAX_LINES} lines" not in docstring:
                too_long.append(str(path.relative_to(REPO)))
    assert too_long == []
