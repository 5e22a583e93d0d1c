"""The Wagtail admin's dashboard panel of community figures; brands/wagtail_hooks.py registers
it."""
