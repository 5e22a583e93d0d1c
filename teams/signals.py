"""Signals other apps may listen to (deliberation follows the tasks of accepted proposals).

`task_status_changed(sender=Task, task=<Task>, actor=<User>)` is sent inside the service's
transaction after a task was claimed, released, started, finished, verified, reopened or
cancelled, so what a receiver writes commits or rolls back with the change.
"""

from django.dispatch import Signal

task_status_changed = Signal()
