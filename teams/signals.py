"""Signals other apps may listen to (deliberation follows the tasks of accepted proposals).

`task_status_changed(sender=Task, task=<Task>, actor=<User>)` is sent inside the service's
transaction after a task was claimed, released, started, finished, verified, reopened or
cancelled, so what a receiver writes commits or rolls back with the change.

`task_watchers(sender=Task, task=<Task>)` asks who else follows a task's progress: each
receiver returns user ids (deliberation: the author and the followers of the proposal the task
came from), in a constant number of queries. teams tells them of progress updates as it tells
the task's own followers, and only those who may see the task.
"""

from django.dispatch import Signal

task_status_changed = Signal()
task_watchers = Signal()
