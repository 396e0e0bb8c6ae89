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
