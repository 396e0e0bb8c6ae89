"""Serialisation of process specs and workflow state.

A deployed definition stores its parsed spec once (``spec_json``). An instance stores only its own
state — task tree, data, events — plus a reference to the spec's content hash; the spec is restored
once per process and kept in a small cache. That keeps instance rows small and makes loading an
instance cost proportional to its own state, not to the size of the diagram.

``SERIALIZER_VERSION`` is saved with every instance row; SpiffWorkflow's own format version is part
of it, so a library upgrade that changes the format can be detected and migrated.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer import workflow as _spiff_serializer_module
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

SPIFF_FORMAT_VERSION = _spiff_serializer_module.VERSION
SERIALIZER_VERSION = f"spiff-{SPIFF_FORMAT_VERSION}/yx-1"

SpecPair = tuple[Any, dict[str, Any]]


class SpecCache:
    """Thread-safe LRU of restored specs keyed by definition content hash."""

    def __init__(self, restore: Callable[[str], SpecPair], maxsize: int = 128):
        self._restore = restore
        self._items: OrderedDict[str, SpecPair] = OrderedDict()
        self._lock = threading.Lock()
        self._maxsize = maxsize

    def get(self, content_hash: str, spec_json: str | Callable[[], str]) -> SpecPair:
        with self._lock:
            if content_hash in self._items:
                self._items.move_to_end(content_hash)
                return self._items[content_hash]
        pair = self._restore(spec_json() if callable(spec_json) else spec_json)
        with self._lock:
            self._items[content_hash] = pair
            while len(self._items) > self._maxsize:
                self._items.popitem(last=False)
        return pair

    def peek(self, content_hash: str) -> SpecPair | None:
        with self._lock:
            return self._items.get(content_hash)


def _make_workflow_converter(cache: SpecCache) -> type[BpmnWorkflowConverter]:
    class SpecByReferenceConverter(BpmnWorkflowConverter):
        """Like the default converter, but stores a spec reference instead of the whole spec."""

        def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
            dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
            dct["spec_ref"] = workflow.yx_spec_ref
            dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
            dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
            return dct

        def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
            ref = dct.pop("spec_ref")
            pair = cache.peek(ref)
            if pair is None:
                raise LookupError(f"spec {ref} must be loaded before restoring a workflow")
            spec, subprocess_specs = pair
            workflow = self.target_class(spec, subprocess_specs, deserializing=True)
            workflow.yx_spec_ref = ref
            workflow.tasks = self.mapping_from_dict(dct["tasks"], _uuid, workflow=workflow)
            workflow.task_tree = workflow.tasks.get(_uuid(dct["root"]))
            self.set_default_attributes(workflow, dct)
            self.subprocesses_from_dict(dct["subprocesses"], workflow)
            workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
            return workflow

    return SpecByReferenceConverter


def _uuid(value: str) -> Any:
    from uuid import UUID

    return UUID(value)


_spec_registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)


def spec_to_json(spec: Any, subprocess_specs: dict[str, Any]) -> str:
    """Serialise a parsed process spec and its subprocess specs."""
    return json.dumps({
        "spiff_version": SPIFF_FORMAT_VERSION,
        "spec": _spec_registry.convert(spec),
        "subprocess_specs": {name: _spec_registry.convert(sp) for name, sp in subprocess_specs.items()},
    }, ensure_ascii=False)


def spec_from_json(spec_json: str) -> SpecPair:
    """Restore what :func:`spec_to_json` produced."""
    dct = json.loads(spec_json)
    spec = _spec_registry.restore(dct["spec"])
    subprocess_specs = {name: _spec_registry.restore(sp) for name, sp in dct["subprocess_specs"].items()}
    return spec, subprocess_specs


class StateSerializer:
    """Converts a running workflow to a JSON string and back, with specs held by reference."""

    def __init__(self, cache: SpecCache):
        config = dict(SPIFF_CONFIG)
        config[BpmnWorkflow] = _make_workflow_converter(cache)
        self._serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))

    def dumps(self, workflow: BpmnWorkflow) -> str:
        return self._serializer.serialize_json(workflow)

    def loads(self, state: str) -> BpmnWorkflow:
        return self._serializer.deserialize_json(state)
