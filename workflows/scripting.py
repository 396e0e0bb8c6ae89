"""The restricted environment in which BPMN scripts, conditions and DMN expressions run.

BPMN files are trusted artefacts deployed by administrators, but their scripts still run with no
imports and no builtins that reach files, processes or the network: a typo or a careless copy from
the internet must not be able to open a file or a socket inside the web process. RestrictedPython
compiles each snippet to guarded byte code; names starting with an underscore are refused, and only
the builtins listed in ``_ALLOWED_BUILTINS`` exist.

Scripts see the task data as variables; assignments become task data. Service tasks call
back into the application through an injected handler (see :class:`ServiceHandler`).
"""

from __future__ import annotations

import datetime
import decimal
import json
import operator
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Protocol

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from workflows.errors import WorkflowError

_ALLOWED_BUILTINS: dict[str, Any] = dict(safe_builtins)
for _name, _value in {
    "all": all, "any": any, "dict": dict, "enumerate": enumerate, "filter": filter, "list": list,
    "map": map, "max": max, "min": min, "reversed": reversed, "set": set, "sorted": sorted,
    "sum": sum, "frozenset": frozenset, "tuple": tuple, "zip": zip,
}.items():
    _ALLOWED_BUILTINS[_name] = _value
# Class statements are not needed by process scripts and widen the attack surface.
_ALLOWED_BUILTINS.pop("__build_class__", None)

_INPLACE_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow,
    "|=": operator.ior, "&=": operator.iand, "^=": operator.ixor,
}


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    try:
        return _INPLACE_OPS[op](x, y)
    except KeyError:
        raise SyntaxError(f"augmented assignment {op} is not allowed") from None


# Safe helper modules a script may use by name (no import statement is needed or allowed).
_SAFE_GLOBALS: dict[str, Any] = {
    "datetime": datetime.datetime,
    "date": datetime.date,
    "timedelta": datetime.timedelta,
    "Decimal": decimal.Decimal,
}

_GUARDS: dict[str, Any] = {
    "__builtins__": _ALLOWED_BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
}
_RESERVED = frozenset(_GUARDS) | frozenset(_SAFE_GLOBALS)


@lru_cache(maxsize=2048)
def _compile_exec(script: str) -> Any:
    result = compile_restricted_exec(script, filename="<bpmn script>")
    if result.errors:
        raise WorkflowError("脚本不被允许: " + "; ".join(result.errors))
    return result.code


@lru_cache(maxsize=4096)
def _compile_eval(expression: str) -> Any:
    result = compile_restricted_eval(expression, filename="<bpmn expression>")
    if result.errors:
        raise WorkflowError("表达式不被允许: " + "; ".join(result.errors))
    return result.code


def check_script(source: str, *, expression: bool = False) -> None:
    """Compile a script or expression the way it will run; raise :class:`WorkflowError` if refused."""
    (_compile_eval if expression else _compile_exec)(source)


class ServiceHandler(Protocol):
    """Called for a BPMN service task: ``handler(operation, params, task_data) -> JSON-able result``."""

    def __call__(self, operation: str, params: Mapping[str, Any], task_data: Mapping[str, Any]) -> Any: ...


def _no_services(operation: str, params: Mapping[str, Any], task_data: Mapping[str, Any]) -> Any:
    raise WorkflowError(f"没有为服务任务 {operation} 注册实现")


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """A SpiffWorkflow script environment that runs everything through RestrictedPython."""

    def __init__(self, service_handler: ServiceHandler | None = None):
        super().__init__({})
        self.service_handler: ServiceHandler = service_handler or _no_services

    def _globals(self, context: Mapping[str, Any], external: Mapping[str, Any] | None) -> dict[str, Any]:
        glb: dict[str, Any] = {}
        glb.update(external or {})
        glb.update(context)
        glb.update(_SAFE_GLOBALS)
        glb.update(_GUARDS)
        return glb

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        return eval(_compile_eval(expression), self._globals(context, external_context))

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        external = external_context or {}
        glb = self._globals(context, external)
        exec(_compile_exec(script), glb)
        # Copy back what the script assigned or deleted; never leak guards, helpers or functions.
        for key in list(context):
            if key not in glb:
                del context[key]
        for key, value in glb.items():
            if key in _RESERVED or key in external or callable(value) or key.startswith("_"):
                continue
            context[key] = value
        return True

    def call_service(self, context: dict, operation_name: str, operation_params: dict, **_: Any) -> str:
        params = {name: spec.get("value") for name, spec in operation_params.items()}
        result = self.service_handler(operation_name, params, context)
        return json.dumps(result, default=str)


class RestrictedScriptEngine(PythonScriptEngine):
    """Script engine bound to a :class:`RestrictedEnvironment`.

    Overrides ``call_service`` because the library's version reports service failures with an
    unrelated ``NameError``; here the real error reaches the caller.
    """

    def __init__(self, service_handler: ServiceHandler | None = None):
        super().__init__(environment=RestrictedEnvironment(service_handler))

    def call_service(self, task: Any, **kwargs: Any) -> str:
        try:
            return self.environment.call_service(task.data, **kwargs)
        except WorkflowError:
            raise
        except Exception as err:  # the handler is application code; keep its message
            raise WorkflowTaskException(f"{type(err).__name__}: {err}", task=task, exception=err) from err
