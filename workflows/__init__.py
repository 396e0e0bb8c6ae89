"""Flask-free facade over SpiffWorkflow.

Everything the application needs from the BPMN engine goes through this package: parsing and
validating BPMN/DMN files, starting and loading workflows, completing user tasks, running engine
steps, serialising state, and resolving lanes to roles. It never imports Flask or the application
(ruff's banned-api rule TID251 enforces that), so it runs the same in a request, a CLI command, a
worker job or a benchmark.
"""

from workflows.engine import DefinitionRef, WorkflowEngine
from workflows.errors import BpmnDeployError, RewindRefused, TaskNotReady, WorkflowError
from workflows.parser import ParsedDefinition, parse_definition
from workflows.runtime import ReadyTask, RewindPlan, WorkflowRuntime

__all__ = [
    "BpmnDeployError",
    "DefinitionRef",
    "ParsedDefinition",
    "ReadyTask",
    "RewindPlan",
    "RewindRefused",
    "TaskNotReady",
    "WorkflowEngine",
    "WorkflowError",
    "WorkflowRuntime",
    "parse_definition",
]
