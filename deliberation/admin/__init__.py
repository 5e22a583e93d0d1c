"""The Wagtail admin of the residents' council; deliberation/wagtail_hooks.py registers it."""
