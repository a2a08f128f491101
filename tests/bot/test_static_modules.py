"""The browser scripts are native ES modules with no build step: each page loads its entry
module and preloads every module that entry imports, directly or not, so a slow phone asks for
them all at once instead of one import after another."""

from __future__ import annotations

import posixpath
import re
from graphlib import TopologicalSorter
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

STATIC = Path(__file__).resolve().parents[2] / "bot" / "static"
PAGES = ["index.html", "staff.html"]
URL_PREFIX = "/static/"
JAVASCRIPT_TYPES = {"text/javascript", "application/javascript"}

_IMPORT = re.compile(
    r"^\s*(?:import|export)\s+(?:[\w$*{}\s,]+?\s+from\s+)?[\"']([^\"']+)[\"']", re.MULTILINE
)
_IMPORT_START = re.compile(r"^\s*import\b|^\s*export\s+(?:\*|\{[^}]*\})\s+from\b", re.MULTILINE)


class _PageModules(HTMLParser):
    """The module scripts and module preloads of a page, and any classic script."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[str] = []
        self.preloads: list[str] = []
        self.classic_scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            target = self.entries if found.get("type") == "module" else self.classic_scripts
            target.append(found["src"] or "")
        if tag == "link" and found.get("rel") == "modulepreload":
            self.preloads.append(found.get("href") or "")


def _file_of(url: str) -> Path:
    assert url.startswith(URL_PREFIX), url
    return STATIC / url.removeprefix(URL_PREFIX)


def imports_in(source: str, url: str) -> list[str]:
    """The addresses the module at `url` imports (static imports and re-exports only: a dynamic
    import could not be preloaded)."""
    specifiers = _IMPORT.findall(source)
    assert len(specifiers) == len(_IMPORT_START.findall(source)), (
        f"an import not understood in {url}"
    )
    assert "import(" not in source, f"{url}: a dynamic import cannot be preloaded"
    for specifier in specifiers:
        assert specifier.startswith(("./", "../")), f"{url}: {specifier!r} is not a relative path"
    return [posixpath.normpath(posixpath.join(posixpath.dirname(url), s)) for s in specifiers]


def imports_of(url: str) -> list[str]:
    """The addresses the module file at `url` imports."""
    return imports_in(_file_of(url).read_text(encoding="utf-8"), url)


def module_graph(entries: list[str]) -> set[str]:
    """Every module the entries import, directly or not, and the entries themselves."""
    seen: set[str] = set()
    todo = list(entries)
    while todo:
        url = todo.pop()
        if url not in seen:
            seen.add(url)
            todo.extend(imports_of(url))
    return seen


def _page(name: str) -> _PageModules:
    parser = _PageModules()
    parser.feed((STATIC / name).read_text(encoding="utf-8"))
    return parser


@pytest.mark.parametrize("name", PAGES)
def test_each_page_preloads_exactly_its_module_graph(name: str) -> None:
    page = _page(name)
    assert page.entries and not page.classic_scripts
    assert len(page.preloads) == len(set(page.preloads)), "a module preloaded twice"
    graph, preloaded = module_graph(page.entries), set(page.preloads)
    assert sorted(graph - preloaded) == [], "imported but not preloaded"
    assert sorted(preloaded - graph) == [], "preloaded but never imported"


def test_every_module_is_loaded_by_a_page() -> None:
    used = set().union(*(module_graph(_page(name).entries) for name in PAGES))
    on_disk = {URL_PREFIX + path.relative_to(STATIC).as_posix() for path in STATIC.rglob("*.js")}
    assert on_disk == used


def test_imports_run_one_way() -> None:
    """As in the gateway: no import cycle, and shared/ knows neither the widget nor the console."""
    for name in PAGES:
        graph = module_graph(_page(name).entries)
        imports = {url: imports_of(url) for url in graph}
        TopologicalSorter(imports).prepare()  # CycleError on a cycle
        for url, targets in imports.items():
            if url.startswith("/static/shared/"):
                assert all(t.startswith("/static/shared/") for t in targets), url


def test_the_import_reader_finds_every_form_of_import() -> None:
    """A check of the check: multi-line imports, bare imports and re-exports are all found, and
    an import in a comment is not."""
    source = (
        'import { one,\n  two as three,\n} from "./b.js";\nimport "../c.js";\n'
        'export * from "./d.js";\nimport * as all from "./e.js";\n// import "./not.js";\n'
    )
    assert imports_in(source, "/static/a/entry.js") == [
        "/static/a/b.js",
        "/static/c.js",
        "/static/a/d.js",
        "/static/a/e.js",
    ]


async def test_every_module_is_served_as_javascript(client) -> None:
    """A browser runs a module only with a JavaScript type (and the gateway forbids sniffing)."""
    for name in PAGES:
        for url in sorted(module_graph(_page(name).entries)):
            response = await client.get(url)
            assert response.status_code == 200, url
            assert response.headers["content-type"].split(";")[0] in JAVASCRIPT_TYPES, url
