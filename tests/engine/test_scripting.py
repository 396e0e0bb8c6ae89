"""BPMN scripts and conditions run in a restricted environment."""

from __future__ import annotations

import pytest

from workflows.errors import WorkflowError
from workflows.scripting import RestrictedEnvironment, check_script


@pytest.fixture
def env() -> RestrictedEnvironment:
    return RestrictedEnvironment()


def test_expressions_see_task_data(env):
    assert env.evaluate("count >= 6 and ratio > 0.1", {"count": 6, "ratio": 0.12}) is True
    assert env.evaluate("sum(x for x in hours)", {"hours": [2, 3.5]}) == 5.5


def test_scripts_write_task_data_and_may_delete(env):
    data = {"a": 1, "b": 2}
    env.execute("c = a + b\ndel b\ntotal = 0\nfor h in [1, 2]:\n    total += h", data)
    assert data == {"a": 1, "c": 3, "total": 3, "h": 2}


def test_comprehension_sees_outer_variables(env):
    data = {"items": [1, 5, 9], "limit": 4}
    env.execute("big = [i for i in items if i > limit]", data)
    assert data["big"] == [5, 9]


def test_helper_types_are_available(env):
    data = {}
    env.execute("d = date(2026, 11, 23) + timedelta(days=3)\nday = d.day", data)
    assert data["day"] == 26


@pytest.mark.parametrize("source", [
    "import os",
    "__import__('os').system('true')",
    "open('/etc/passwd').read()",
    "x = ().__class__.__bases__[0].__subclasses__()",
    "getattr(1, '__class__')",
    "eval('1+1')",
    "exec('x = 1')",
    "compile('1', 'f', 'eval')",
    "globals()",
])
def test_dangerous_scripts_are_refused(env, source):
    with pytest.raises((WorkflowError, NameError, ImportError, AttributeError, TypeError, SyntaxError)):
        env.execute(source, {})


def test_refused_constructs_fail_at_compile_time():
    with pytest.raises(WorkflowError):
        check_script("x.__class__", expression=True)
    with pytest.raises(WorkflowError):
        check_script("def _f(): pass")


def test_guards_and_helpers_do_not_leak_into_task_data(env):
    data = {"n": 1}
    env.execute("m = n * 2", data)
    assert set(data) == {"n", "m"}
