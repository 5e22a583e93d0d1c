"""The Wagtail admin of volunteers (teams, skills, tasks, needs, hours); teams/wagtail_hooks.py
registers it."""
