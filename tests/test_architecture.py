"""The architecture rules of DESIGN.md, checked by reading the code (``ast`` and regexes).

Each rule is one parametrized test, one case per file, so a failure names the file and
line and says which rule it breaks and what to do instead.

Layers (imports point one way):
    core ← accounts ← moderation ← {mailbox, qa, polls, interviews} ← oversight
    core ← accounts ← calendar (the working-day calendar's administration)
    api/, interaction/__init__.py (the factory) and interaction/demo.py may import all.
Oversight reads the features only through their ``queries`` modules; nothing imports oversight or
calendar but the factory and api/.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "interaction"
TEMPLATES = ROOT / "templates"

CHANNELS = {"mailbox", "qa", "polls", "interviews"}
FEATURES = {"accounts", "calendar", "moderation", *CHANNELS, "oversight"}
EVERYTHING = {"core", *FEATURES, "search", "portal", "api", "factory"}

#: What each layer may import from ``interaction`` (besides itself).
ALLOWED = {
    "core": {"core"},
    "accounts": {"core"},
    "calendar": {"core", "accounts"},
    "search": {"core", "accounts"},  # 集中查询's pages, API and CLI over core.search
    "portal": {"core", "accounts"},  # site settings and phone codes (issue 18); features read them through core
    "moderation": {"core", "accounts"},
    **{channel: {"core", "accounts", "moderation"} for channel in CHANNELS},
    "oversight": {"core", "accounts", "moderation", *CHANNELS},
    "api": EVERYTHING,
    "factory": EVERYTHING,
}

#: Top-level modules of ``interaction`` that are not packages, and the layer they belong to.
TOP_LEVEL_MODULES = {"__init__": "factory", "demo": "factory", "config": "core"}


def _python_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "translations" not in p.parts)


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of_module(dotted: str) -> str | None:
    """The layer a module ``interaction.x.y`` belongs to; None outside ``interaction``."""
    parts = dotted.split(".")
    if parts[0] != "interaction":
        return None
    if len(parts) == 1:
        return "factory"
    if parts[1] in TOP_LEVEL_MODULES:
        return TOP_LEVEL_MODULES[parts[1]]
    return parts[1]


def layer_of_file(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    if len(rel.parts) == 1:
        return TOP_LEVEL_MODULES.get(rel.stem, rel.stem)
    return rel.parts[0]


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_modules(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """Every module *path* imports, anywhere in the file (functions too), as absolute dotted names.

    ``from interaction import accounts`` counts as importing ``interaction.accounts``.
    """
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = _tree(path) if source is None else ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            found.append((node.lineno, source))
            # `from interaction import mailbox` imports the package interaction.mailbox
            found += [(node.lineno, f"{source}.{alias.name}") for alias in node.names]
    return found


PY_FILES = _python_files()
PY_IDS = [_rel(p) for p in PY_FILES]


def test_every_package_has_a_known_layer():
    unknown = sorted({layer_of_file(p) for p in PY_FILES} - set(ALLOWED))
    assert not unknown, (
        f"interaction/ has packages the architecture rules do not know: {unknown}. "
        "Add each to ALLOWED in tests/test_architecture.py with the layers it may import (see DESIGN.md)."
    )


@pytest.mark.parametrize("path", PY_FILES, ids=PY_IDS)
def test_imports_point_one_way(path):
    layer = layer_of_file(path)
    allowed = ALLOWED.get(layer, set()) | {layer}
    wrong = {}
    for lineno, dotted in imported_modules(path):
        target = layer_of_module(dotted)
        if target is None or target in allowed:
            continue
        # `from interaction import create_app` names a function of the factory, not a module
        if target not in ALLOWED and target not in TOP_LEVEL_MODULES.values():
            continue
        wrong.setdefault((lineno, target), f"  {_rel(path)}:{lineno} imports {dotted} ({target})")
    assert not wrong, (
        f"{layer} may import only {sorted(allowed)} (DESIGN.md, dependency rules); "
        "features talk to each other through interaction.core.signals:\n" + "\n".join(sorted(wrong.values()))
    )


OVERSIGHT_FILES = [p for p in PY_FILES if layer_of_file(p) == "oversight"]


def past_queries(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """The imports of features by *path* other than their ``queries`` module.

    ``from interaction.mailbox import queries`` also names the package ``interaction.mailbox`` on
    its line: that name is let through when the same line imports the queries module.
    """
    found = imported_modules(path, source)
    with_queries = {n for n, m in found if m.split(".")[2:3] == ["queries"]}
    return [(n, m) for n, m in found
            if layer_of_module(m) in FEATURES - {"oversight"} and m.split(".")[2:3] != ["queries"]
            and not (len(m.split(".")) == 2 and n in with_queries)]


@pytest.mark.parametrize("path", OVERSIGHT_FILES, ids=[_rel(p) for p in OVERSIGHT_FILES])
def test_oversight_reads_features_only_through_their_queries(path):
    wrong = [f"  {_rel(path)}:{n} imports {m}" for n, m in past_queries(path)
             if layer_of_module(m) != "accounts" or m.split(".")[2:3] != ["permissions"]]
    assert not wrong, (
        "oversight reads a feature only through its queries module (interaction.<feature>.queries; "
        "accounts.permissions for its access rules), so a feature can change its models and services "
        "without breaking oversight:\n" + "\n".join(wrong)
    )


#: The only layers that may import these top layers (besides themselves).
TOP_LAYERS = {"oversight": {"api", "factory"}, "calendar": {"api", "factory"}}


@pytest.mark.parametrize("path", PY_FILES, ids=PY_IDS)
def test_nothing_imports_the_top_layers(path):
    layer = layer_of_file(path)
    wrong = [f"  {_rel(path)}:{n} imports {m}" for n, m in imported_modules(path)
             if layer_of_module(m) in TOP_LAYERS and layer_of_module(m) != layer
             and layer not in TOP_LAYERS[layer_of_module(m)]]
    assert not wrong, (
        "only the factory and api/ import oversight and calendar: features do not depend on them "
        "(links to their pages go through url_for):\n" + "\n".join(wrong)
    )


@pytest.mark.parametrize("path", PY_FILES, ids=PY_IDS)
def test_only_core_sanitize_imports_bleach(path):
    if _rel(path) == "interaction/core/sanitize.py":
        return
    hits = [f"  {_rel(path)}:{n} imports {m}" for n, m in imported_modules(path) if m.split(".")[0] == "bleach"]
    assert not hits, (
        "only interaction/core/sanitize.py may import bleach; call clean_html()/plain_text_html() instead:\n"
        + "\n".join(hits)
    )


def _legacy_queries(tree: ast.Module) -> list[tuple[int, str]]:
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "query":
            owner = node.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
            if name[:1].isupper():  # a class: User.query, db.Model.query
                hits.append((node.lineno, f"{name}.query"))
    return hits


@pytest.mark.parametrize("path", PY_FILES, ids=PY_IDS)
def test_no_legacy_model_query(path):
    hits = [f"  {_rel(path)}:{n} uses {what}" for n, what in _legacy_queries(_tree(path))]
    assert not hits, (
        "use select() with db.session.scalars()/scalar()/get() or db.paginate() "
        "instead of the legacy Model.query (CONVENTIONS 7):\n" + "\n".join(hits)
    )


REQUEST_STATE = {"flask": {"request", "session", "current_user"}, "flask_login": {"current_user"}}
SERVICE_FILES = [p for p in PY_FILES if p.name == "services.py" or "services" in p.relative_to(PACKAGE).parts[:-1]]


def _request_state_uses(tree: ast.Module) -> list[tuple[int, str]]:
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in REQUEST_STATE:
            hits += [(node.lineno, f"from {node.module} import {a.name}")
                     for a in node.names if a.name in REQUEST_STATE[node.module]]
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.attr in REQUEST_STATE.get(node.value.id, ())):
            hits.append((node.lineno, f"{node.value.id}.{node.attr}"))
    return hits


@pytest.mark.parametrize("path", SERVICE_FILES, ids=[_rel(p) for p in SERVICE_FILES])
def test_services_do_not_read_the_request(path):
    hits = [f"  {_rel(path)}:{n}: {what}" for n, what in _request_state_uses(_tree(path))]
    assert not hits, (
        "services take plain data and an explicit actor; they never read request, session or "
        "current_user, so views, API, sockets, CLI and tests call the same code (DESIGN.md):\n" + "\n".join(hits)
    )


TEMPLATE_FILES = sorted(TEMPLATES.rglob("*.html"))
COMMENT = re.compile(r"\{#.*?#\}", re.S)
SAFE_FILTER = re.compile(r"(?P<expr>[\w.]*)\s*\|\s*safe\b")
UNESCAPED_BLOCK = re.compile(r"\{%-?\s*(autoescape\s+false|filter\s+safe)\b")


def unsafe_markup(text: str) -> list[tuple[int, str]]:
    """``|safe`` on anything but a ``*_html`` value, and blocks that switch escaping off."""
    text = COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)  # keep line numbers
    hits = []
    for match in SAFE_FILTER.finditer(text):
        if not re.fullmatch(r"[\w.]*_html", match.group("expr")):
            hits.append((text.count("\n", 0, match.start()) + 1, match.group().strip()))
    for match in UNESCAPED_BLOCK.finditer(text):
        hits.append((text.count("\n", 0, match.start()) + 1, match.group()))
    return hits


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=[_rel(p) for p in TEMPLATE_FILES])
def test_safe_only_on_sanitized_html_fields(path):
    hits = [f"  {_rel(path)}:{n}: {what}" for n, what in unsafe_markup(path.read_text(encoding="utf-8"))]
    assert not hits, (
        "only fields named *_html, filled by interaction.core.sanitize, may be printed with |safe "
        "(and nothing may switch autoescaping off):\n" + "\n".join(hits)
    )


# The checkers above must themselves catch what they are meant to catch.

def test_checker_finds_a_feature_importing_a_feature():
    source = ("from interaction.qa import services\nfrom ..polls.models import Poll\n"
              "from interaction import interviews\n")
    found = [m for _n, m in imported_modules(PACKAGE / "mailbox" / "views.py", source)]
    assert {"interaction.qa", "interaction.polls.models", "interaction.interviews"} <= set(found)
    assert {layer_of_module(m) for m in found} >= {"qa", "polls", "interviews"}


def test_checker_finds_oversight_reaching_past_queries():
    source = ("from interaction.mailbox import queries\nfrom interaction.mailbox.models import Letter\n"
              "from interaction.mailbox import services\nfrom interaction import interviews\n"
              "from interaction.core.time import now_utc\n")
    found = {m for _n, m in past_queries(PACKAGE / "oversight" / "views.py", source)}
    assert {"interaction.mailbox.models", "interaction.mailbox", "interaction.mailbox.services",
            "interaction.interviews"} <= found
    assert not {m for m in found if ".queries" in m or m.startswith("interaction.core")}


def test_checker_finds_legacy_query_and_request_in_services():
    tree = ast.parse("from flask import request, jsonify\nimport flask\nx = User.query.get(1)\ny = flask.session\n")
    assert [what for _n, what in _legacy_queries(tree)] == ["User.query"]
    assert [what for _n, what in _request_state_uses(tree)] == ["from flask import request", "flask.session"]
    assert _legacy_queries(ast.parse("db.session.execute(stmt).query\nrequest.query_string")) == []


@pytest.mark.parametrize("snippet, bad", [
    ("{{ letter.reply_html|safe }}", False),
    ("{{ letter.reply_html | safe }}", False),
    ("{# {{ x|safe }} #}", False),
    ("{{ letter.reply|safe }}", True),
    ("{{ (a ~ b)|safe }}", True),
    ("{{ x.body_html|default('')|safe }}", True),
    ("{% autoescape false %}{{ x }}{% endautoescape %}", True),
])
def test_checker_for_safe(snippet, bad):
    assert bool(unsafe_markup(snippet)) is bad


# -- the realtime libraries' private names: only in the realtime adapter (issue 14, finding 3) ---------------

#: The one module that may use them; it checks the libraries' versions at start-up (core.websocket.install).
REALTIME_ADAPTER = "interaction/core/websocket.py"
REALTIME_LIBRARIES = ("engineio", "socketio", "simple_websocket", "flask_socketio")
#: gevent's socket keeps the OS socket as ``_sock`` (gevent's other private names are too common to list).
REALTIME_EXTRA_PRIVATE = {"_sock"}


def _private_names_of(packages) -> frozenset[str]:
    """Every ``_name`` (not dunder) the installed *packages* define: functions, classes, names they assign."""
    import importlib.util

    names = set()
    for package in packages:
        spec = importlib.util.find_spec(package)
        for path in Path(spec.origin).parent.rglob("*.py"):
            for node in ast.walk(_tree(path)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    names.add(node.name)
                elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                    names.add(node.attr)
                elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    names.add(node.id)
    return frozenset(n for n in names if n.startswith("_") and not n.startswith("__"))


def private_uses(tree: ast.Module, private) -> list[tuple[int, str]]:
    """``x._name``, ``getattr(x, "_name")`` and overrides ``def _name`` (in a class) of a name in *private*.

    Names the file gives its own objects (``self._lock = …``) are its own, whatever a library calls them.
    """
    own = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)
           and isinstance(n.value, ast.Name) and n.value.id == "self"}
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in private and node.attr not in own:
            hits.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.ClassDef):
            hits += [(f.lineno, f"def {f.name}") for f in node.body
                     if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef) and f.name in private]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in {"getattr", "setattr", "hasattr"} and len(node.args) > 1
              and isinstance(node.args[1], ast.Constant) and node.args[1].value in private):
            hits.append((node.lineno, f'{node.func.id}(…, "{node.args[1].value}")'))
    return hits


@pytest.fixture(scope="module")
def realtime_private_names():
    return _private_names_of(REALTIME_LIBRARIES) | REALTIME_EXTRA_PRIVATE


@pytest.mark.parametrize("path", PY_FILES, ids=PY_IDS)
def test_realtime_private_names_only_in_the_adapter(path, realtime_private_names):
    if _rel(path) == REALTIME_ADAPTER:
        return
    hits = [f"  {_rel(path)}:{n}: {what}" for n, what in private_uses(_tree(path), realtime_private_names)]
    assert not hits, (
        f"private names of engine.io, python-socketio, simple-websocket, Flask-SocketIO or gevent are used only "
        f"in {REALTIME_ADAPTER}, which checks the libraries' versions at start-up; add a function there:\n"
        + "\n".join(hits)
    )


def test_checker_finds_realtime_private_names(realtime_private_names):
    source = ("class M(RedisManager):\n    def _listen(self):\n        self._redis_connect()\n"
              "server._send_eio_packet(sid, pkt)\nraw = getattr(sock, '_sock', None)\n"
              "class Own:\n    def __init__(self):\n        self._lock = None\n    def use(self):\n"
              "        return self._lock\n")
    found = [what for _n, what in private_uses(ast.parse(source), realtime_private_names)]
    assert sorted(found) == sorted(["def _listen", "._redis_connect", "._send_eio_packet", 'getattr(…, "_sock")'])
