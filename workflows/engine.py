"""Starting and loading workflows from deployed definitions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException

from workflows.clock import Now, wall_clock
from workflows.errors import WorkflowError
from workflows.runtime import WorkflowRuntime, _wrap
from workflows.scripting import RestrictedScriptEngine, ServiceHandler
from workflows.serializer import SERIALIZER_VERSION, SpecCache, StateSerializer, spec_from_json


@dataclass(frozen=True)
class DefinitionRef:
    """What the engine needs from a stored definition: its content hash and serialised spec.

    ``spec_json`` may be a callable, so that callers can skip loading the (large) text when the
    spec is already cached.
    """

    content_hash: str
    spec_json: str | Callable[[], str]


class WorkflowEngine:
    """Creates :class:`WorkflowRuntime` objects; holds the spec cache and the state serializer.

    One engine per process is enough; it is safe to share between threads because specs are only
    read once restored and every runtime gets its own script engine.
    """

    serializer_version = SERIALIZER_VERSION

    def __init__(self, spec_cache_size: int = 128, now: Now | None = None):
        self._cache = SpecCache(spec_from_json, maxsize=spec_cache_size)
        self._serializer = StateSerializer(self._cache)
        #: The clock timer events are evaluated against (the application injects its own).
        self.now: Now = now or wall_clock

    def _specs(self, definition: DefinitionRef) -> tuple[Any, dict[str, Any]]:
        return self._cache.get(definition.content_hash, definition.spec_json)

    def specs(self, definition: DefinitionRef) -> tuple[Any, dict[str, Any]]:
        """The restored (spec, subprocess specs) of a definition, from the cache; for diffs and migration."""
        return self._specs(definition)

    def start(self, definition: DefinitionRef, data: Mapping[str, Any] | None = None,
              services: ServiceHandler | None = None) -> WorkflowRuntime:
        """Create a workflow, seed its start data and run it to the first wait state."""
        spec, subprocess_specs = self._specs(definition)
        try:
            workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=RestrictedScriptEngine(services))
        except SpiffWorkflowException as err:
            raise _wrap(err) from err
        workflow.yx_spec_ref = definition.content_hash
        runtime = WorkflowRuntime(workflow, self._serializer, now=self.now)
        runtime.set_initial_data(dict(data or {}))
        runtime.run()
        return runtime

    def load(self, definition: DefinitionRef, state: str, serializer_version: str | None = None,
             services: ServiceHandler | None = None) -> WorkflowRuntime:
        """Restore a workflow saved by :meth:`WorkflowRuntime.dumps`."""
        if serializer_version and serializer_version.split("/")[-1] != SERIALIZER_VERSION.split("/")[-1]:
            raise WorkflowError(f"不支持的流程状态格式 {serializer_version}（当前 {SERIALIZER_VERSION}）")
        self._specs(definition)
        workflow = self._serializer.loads(state)
        # A restored workflow gets the library's unrestricted default engine; replace it at once.
        workflow.script_engine = RestrictedScriptEngine(services)
        return WorkflowRuntime(workflow, self._serializer, now=self.now)
