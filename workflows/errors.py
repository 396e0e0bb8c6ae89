"""Exceptions raised by the engine facade."""


class WorkflowError(Exception):
    """An error while running a workflow (a failing script, an unresolvable gateway, ...)."""

    def __init__(self, message: str, *, task_name: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.task_name = task_name
        self.line = line

    def __str__(self) -> str:
        parts = [self.message]
        if self.task_name:
            parts.append(f"(task: {self.task_name})")
        if self.line:
            parts.append(f"(line {self.line})")
        return " ".join(parts)


class TaskNotReady(WorkflowError):
    """The user task asked for is not READY in this workflow (already completed or cancelled)."""


class BpmnDeployError(Exception):
    """A BPMN/DMN file that does not parse or validate; carries the parser's message and line."""

    def __init__(self, message: str, *, filename: str | None = None, line: int | None = None,
                 element_id: str | None = None):
        super().__init__(message)
        self.message = message
        self.filename = filename
        self.line = line
        self.element_id = element_id

    def __str__(self) -> str:
        where = self.filename or "<bpmn>"
        if self.line:
            where += f":{self.line}"
        suffix = f" [element {self.element_id}]" if self.element_id else ""
        return f"{where}: {self.message}{suffix}"


class RewindRefused(WorkflowError):
    """Rewinding to an earlier task cannot be done safely in this workflow's shape.

    ``reason`` is a stable code the application translates: ``not_found``, ``not_completed``,
    ``not_on_path`` (the target is not behind every open task), ``parallel`` (a parallel or
    inclusive split/join lies between), ``side_effect`` (a service or send task already ran),
    ``subprocess``, ``multi_instance``, ``event`` (a timer, message or boundary event lies between).
    """

    def __init__(self, reason: str, message: str, *, task_name: str | None = None):
        super().__init__(message, task_name=task_name)
        self.reason = reason
