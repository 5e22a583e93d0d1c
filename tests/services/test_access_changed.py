"""Access that ends in one process stops the sockets of every daphne process at once.

Two daphne processes share PostgreSQL and Redis (fixtures: tests/services/conftest.py). The
leader follows a sensitive task of their team from a socket on each; a third process (a
management shell, as an admin's edit would be on any worker) ends the leader's team
membership. Both sockets get `forbidden` within seconds, with LIVE_RECHECK_SECONDS at its
300 s, and none of the task's later events.
"""

import subprocess
import sys

from .conftest import ROOT, django_env

SCRIPT = r"""
import sys

import django

django.setup()

from django.db import transaction

from live.services import publish
from teams.models import Task, TeamMembership

action, task_id, team_id, email = sys.argv[1:5]
if action == "sensitive":
    task = Task.objects.get(pk=task_id)
    task.sensitive, task.team_id, task.status = True, int(team_id), "claimed"
    task.save()
elif action == "leave":
    membership = TeamMembership.objects.get(team_id=team_id, user__email=email)
    membership.status = "left"
    membership.save()
elif action == "publish":
    user_id = TeamMembership.objects.get(team_id=team_id, user__email=email).user_id
    with transaction.atomic():
        publish(topic=f"task:{task_id}", type="demo.after", data={"text": "leak"})
        publish(topic=f"user:{user_id}", type="demo.marker", data={})
"""


def run(servers, redis_url, *args):
    env = django_env(database_url=servers.db.url, redis_url=redis_url, var_dir=servers.workdir)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_leaving_a_team_stops_the_sockets_of_every_process(servers):
    redis_url = servers.redis_url()
    ports = servers.daphne(2, redis_url=redis_url)
    data = servers.seed("access", redis_url=redis_url)
    task, team, leader = data["tasks"][0], data["team"], data["leader"]
    run(servers, redis_url, "sensitive", task, team, leader)
    token = servers.login(ports[0], leader)
    clients = [servers.live(port) for port in ports]
    for client in clients:
        client.send({"action": "auth", "session_token": token})
        assert client.recv(timeout=10)["type"] == "authenticated"
        client.subscribe(f"task:{task}")
        client.subscribe(f"user:{client.messages[0]['user']}")

    run(servers, redis_url, "leave", task, team, leader)
    for client in clients:
        assert client.recv(timeout=10) == {
            "type": "error",
            "code": "forbidden",
            "topic": f"task:{task}",
        }

    run(servers, redis_url, "publish", task, team, leader)
    for client in clients:
        later = []
        while (message := client.recv(timeout=10)).get("type") != "demo.marker":
            later.append(message)
        assert later == []
