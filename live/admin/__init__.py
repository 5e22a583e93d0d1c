"""The Wagtail admin of the live log; live/wagtail_hooks.py registers it."""
