"""The Wagtail admin of volunteer service certificates ("Certificates" menu);
certificates/wagtail_hooks.py registers it. Real-name profiles have no admin pages: their
document numbers appear masked, on the certificates that carry them."""
