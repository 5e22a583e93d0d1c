"""Date formats per language (settings.FORMAT_MODULE_PATH), over Django's own.

A page shows one date-and-time format and one date format in each language, whatever the
template asked for: the short formats are the long ones, so that a list, a comment and a
live item (site/static/js/live.js formats with the same strings from the JavaScript
catalog) read alike. Anything not set here is Django's format for the language.
"""
