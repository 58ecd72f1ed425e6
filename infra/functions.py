"""The app's Lambda functions, their entry points, and what each one's code can reach.

The API handler runs `app.app` and reaches everything app.py imports, and every product and worker
module it loads on first use (`chalicelib/web/products.py`, `chalicelib/lazy.py`). Each scheduled
and queue function app.py declares runs the entry of the same name in the `workers` package (the
module that imports only what its handlers use), and reaches the closure of the modules that entry
uses, found by reading the source (imports inside functions count too). A function that reaches the
hub's lifecycle events also reaches every subscriber registered with `events.subscribe(...)` (in
app.py or an entry module), since delivery calls them."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
import types
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from chalicelib.lazy import LazyModule
from chalicelib.web.products import PRODUCTS

ROOT = Path(__file__).resolve().parent.parent
API_HANDLER = "api_handler"
API_ENTRY = "app.app"
ENTRY_PACKAGE = "workers"
OWN = ("chalicelib", ENTRY_PACKAGE)
EVENTS_MODULE = "chalicelib.auth.lifecycle_events"


@dataclass(frozen=True)
class Tuning:
    """Per-function Lambda settings (timeout in seconds, memory in MB, reserved concurrency)."""

    timeout: int
    memory: int
    reserved_concurrency: int | None = None
    # SQS event source: at most this many concurrent invocations (None: Lambda's default scaling).
    maximum_concurrency: int | None = None


# The API answers within API Gateway's 29 s limit; argon2id wants memory (and the CPU that comes
# with it). One sync_tick at a time. sync_worker runs up to 15 minutes per checkpointed slice and at
# most SYNC_WORKERS integrations at once, so the partners' vendor API sees bounded load.
SYNC_WORKERS = 10
TUNING: dict[str, Tuning] = {
    API_HANDLER: Tuning(timeout=29, memory=1024),
    "sync_tick": Tuning(timeout=120, memory=512, reserved_concurrency=1),
    "sync_worker": Tuning(
        timeout=900,
        memory=1024,
        reserved_concurrency=SYNC_WORKERS,
        maximum_concurrency=SYNC_WORKERS,
    ),
    "lifecycle_events": Tuning(timeout=60, memory=512),
    "portal_tick": Tuning(timeout=300, memory=512, reserved_concurrency=1),
    # One rotation at a time (a second would lose the race on the keyring's version anyway).
    "signing_key_rotation": Tuning(timeout=60, memory=512, reserved_concurrency=1),
}
DEFAULT_TUNING = Tuning(timeout=60, memory=512)


@dataclass(frozen=True)
class Function:
    """One Lambda function of the app: its name, trigger and the chalicelib modules it reaches."""

    name: str
    trigger: str  # "api", "schedule" or "sqs"
    modules: frozenset[str]
    queue: str | None = None  # the SQS queue it receives from
    batch_size: int | None = None
    tuning: Tuning = field(default=DEFAULT_TUNING)
    handler: str = API_ENTRY  # the Lambda handler: module.function


def _own(name: str) -> bool:
    """True for linkhub's own modules (chalicelib and the entry package)."""
    return name.split(".")[0] in OWN


def _module_file(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _is_module(name: str) -> bool:
    if not _own(name) or "." not in name:
        return False
    try:
        return importlib.util.find_spec(name) is not None
    except (ModuleNotFoundError, ValueError):
        return False


@cache
def imports_of(module: str) -> frozenset[str]:
    """linkhub modules that `module`'s source imports anywhere (functions included)."""
    path = _module_file(module)
    if path is None:
        return frozenset()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names if _is_module(f"{base}.{a.name}"))
    return frozenset(name for name in found if _own(name))


def closure(roots: set[str]) -> frozenset[str]:
    """Every linkhub module reachable from `roots` by imports (parents packages included)."""
    seen: set[str] = set()
    todo = [name for name in roots if _own(name)]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        todo.extend(imports_of(name) - seen)
    return frozenset(seen)


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _handler_roots(app_module: types.ModuleType, handler: Any) -> set[str]:
    """Modules a handler uses directly (following helpers defined in its own module)."""
    roots: set[str] = set()
    seen: set[str] = set()
    todo = [handler]
    while todo:
        function = todo.pop()
        for name in _code_names(function.__code__) - seen:
            seen.add(name)
            value = vars(app_module).get(name)
            if value is None:
                continue
            if isinstance(value, types.ModuleType):
                roots.add(value.__name__)
            elif isinstance(value, types.FunctionType) and value.__module__ == app_module.__name__:
                todo.append(value)
            elif getattr(value, "__module__", None):
                roots.add(value.__module__)
    return roots


def _subscribers(modules: list[types.ModuleType]) -> set[str]:
    """Modules of the callbacks `modules` register with `<events>.subscribe(callback)`."""
    found: set[str] = set()
    for app_module in modules:
        found |= _subscribed_in(app_module)
    return found


def _subscribed_in(app_module: types.ModuleType) -> set[str]:
    """Modules of the callbacks one module registers (read from its source)."""
    path = Path(app_module.__file__ or "")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "subscribe"
            and node.args
            and isinstance(node.args[0], ast.Attribute)
            and isinstance(node.args[0].value, ast.Name)
        ):
            module = vars(app_module).get(node.args[0].value.id)
            if isinstance(module, types.ModuleType):
                found.add(module.__name__)
    return found


def _with_subscribers(modules: frozenset[str], subscribers: set[str]) -> frozenset[str]:
    if EVENTS_MODULE in modules:
        return closure(set(modules) | subscribers)
    return modules


def entry_modules() -> list[types.ModuleType]:
    """Every module of the entry package (one per area of scheduled and queue functions)."""
    package = importlib.import_module(ENTRY_PACKAGE)
    return [importlib.import_module(f"{ENTRY_PACKAGE}.{info.name}")
            for info in pkgutil.iter_modules(package.__path__)]


def entry_of(name: str) -> tuple[types.ModuleType, Any]:
    """The entry module defining the function `name`, and that function."""
    for module in entry_modules():
        function = vars(module).get(name)
        if isinstance(function, types.FunctionType) and function.__module__ == module.__name__:
            return module, function
    raise LookupError(f"app.py declares {name} but no {ENTRY_PACKAGE} module defines it")


def lazily_loaded(app_module: types.ModuleType) -> set[str]:
    """Modules the API function loads on first use: every product, every `LazyModule` it names."""
    named = {value.module_name for value in vars(app_module).values()
             if isinstance(value, LazyModule)}
    return named | set(PRODUCTS.values())


def discover(app_name: str = "app") -> list[Function]:
    """The API handler and every scheduled / queue handler the Chalice app registers."""
    app_module = importlib.import_module(app_name)
    chalice_app = app_module.app
    subscribers = _subscribers([app_module, *entry_modules()])
    every_import = set(imports_of(app_name)) | lazily_loaded(app_module)
    functions = [
        Function(
            name=API_HANDLER,
            trigger="api",
            modules=_with_subscribers(closure(every_import), subscribers),
            tuning=TUNING[API_HANDLER],
        )
    ]
    for source in chalice_app.event_sources:
        module, entry = entry_of(source.handler_string.rpartition(".")[2])
        reach = _with_subscribers(closure(_handler_roots(module, entry)), subscribers)
        queue = getattr(source, "queue", None)
        functions.append(
            Function(
                name=source.name,
                trigger="sqs" if queue else "schedule",
                modules=reach,
                queue=queue,
                batch_size=getattr(source, "batch_size", None),
                tuning=TUNING.get(source.name, DEFAULT_TUNING),
                handler=f"{module.__name__}.{entry.__name__}",
            )
        )
    return sorted(functions, key=lambda f: (f.name != API_HANDLER, f.name))


def storage_modules(function: Function) -> list[str]:
    """The chalicelib.storage modules with models that a function reaches."""
    return sorted(
        name
        for name in function.modules
        if name.startswith("chalicelib.storage.")
        and name.rpartition(".")[2] not in {"tables", "base"}
    )


def source_mentions(function: Function, text: str) -> bool:
    """True when any module the function reaches mentions `text` (e.g. a settings field)."""
    for name in function.modules - {"chalicelib.settings"}:
        path = _module_file(name)
        if path is not None and text in path.read_text():
            return True
    return False
