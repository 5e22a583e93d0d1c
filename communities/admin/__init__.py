"""The Wagtail admin of the community tree and memberships, and the community scope that every
Linli admin view applies (`scope`). communities/wagtail_hooks.py registers them."""
