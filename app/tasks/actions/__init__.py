"""Approval actions on a task, each defined by its effect (approvals.md §2).

One module per action family; each public function is one command: it locks the instance,
checks permission and state, changes the rows (and the engine, for 退回 and 撤回), records a typed
opinion and an audit event, and announces the change for notifications — all in the caller's
transaction. Views commit once.
"""
