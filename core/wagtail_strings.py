"""Wagtail admin strings that Wagtail's own Chinese catalog leaves in English.

Django looks a msgid up in LOCALE_PATHS before the apps' catalogs, so a translation in
locale/zh_Hans/LC_MESSAGES/django.po fills what wagtail's zh_Hans catalog lacks. makemessages
only collects msgids from this project's source: naming them here keeps them in our catalog.
Nothing imports this module; the msgids must match Wagtail's exactly (plural forms included).
"""

from django.utils.translation import gettext_noop, ngettext_lazy

WAGTAIL_STRINGS = [
    gettext_noop("A network error occurred"),
    gettext_noop("Actions (footer)"),
    gettext_noop("Add or show comments"),
    gettext_noop("Any"),
    gettext_noop("Anyone"),
    gettext_noop("Anyone can edit this %(model_name)s"),
    gettext_noop("Application"),
    gettext_noop("Autosave is paused"),
    gettext_noop("Autosave is <span>paused</span>"),
    gettext_noop("By task"),
    gettext_noop("Checks"),
    gettext_noop("Choose when this page should go live and/or expire"),
    gettext_noop("Choose when this %(model_name)s should go live and/or expire"),
    gettext_noop("Choose who can view the live version of this page"),
    gettext_noop("Close modal dialogs (like this one)"),
    gettext_noop("Content metrics"),
    gettext_noop("Correct the validation errors to resume preview (saving will highlight errors)"),
    gettext_noop("Cut"),
    gettext_noop("Date updated"),
    gettext_noop("Edit account avatar"),
    gettext_noop("Edited by"),
    gettext_noop("Enable custom keyboard shortcuts specific to Wagtail."),
    gettext_noop("Go to the first error"),
    gettext_noop("Grid layout"),
    gettext_noop("Has child pages"),
    gettext_noop("How we calculate our metrics"),
    gettext_noop(
        "If you just want to add pages to an existing site, create them as children of "
        "the homepage instead."
    ),
    gettext_noop("Insert or edit a link"),
    gettext_noop("List layout"),
    gettext_noop("Locked by"),
    gettext_noop("Monospace (code)"),
    gettext_noop("More contrast"),
    gettext_noop("Oldest"),
    gettext_noop("Page type"),
    gettext_noop("Page types usage"),
    gettext_noop("Paste"),
    gettext_noop("Paste without formatting"),
    gettext_noop(
        "Please provide an image description to comply with best practices for accessibility."
    ),
    gettext_noop("Readability"),
    gettext_noop("Reading time"),
    gettext_noop("Save your changes before leaving"),
    gettext_noop("Saved"),
    gettext_noop("Search all pages…"),
    gettext_noop("Show disabled"),
    gettext_noop("Show issue"),
    gettext_noop("Show keyboard shortcuts"),
    gettext_noop("Snug"),
    gettext_noop("Sort by '%(label)s' in ascending order."),
    gettext_noop("Sort by '%(label)s' in descending order."),
    gettext_noop("Strike-through"),
    gettext_noop("Text editing"),
    gettext_noop("Text formatting"),
    gettext_noop(
        "The root level is where you can add new sites to your Wagtail installation. "
        "Pages created here will not be accessible at any URL until they are associated "
        "with a site."
    ),
    gettext_noop("Theme preferences"),
    gettext_noop("This data explained"),
    gettext_noop(
        'This publishing schedule will only take effect after you select the "Schedule to'
        ' publish" option'
    ),
    gettext_noop("To be created by %(user)s"),
    gettext_noop("Toggle checks"),
    gettext_noop("Toggle minimap"),
    gettext_noop(
        "Troubleshoot your connection to the site before proceeding. Open the editor in a"
        " separate tab to view the last saved version."
    ),
    gettext_noop(
        "Upload successful. However, your new image seems to be a duplicate of this "
        "existing image. You may delete it if it wasn't required."
    ),
    gettext_noop("Usage count: (high to low)"),
    gettext_noop("Usage count: (low to high)"),
    gettext_noop("Use server language: %(language_name)s"),
    gettext_noop("View latest version"),
    gettext_noop("Wagtail %(current_version)s editor guide"),
    gettext_noop(
        "We calculate reading time from word count, using different reading speeds for "
        "different languages."
    ),
    gettext_noop(
        "We extract the main content from the page preview, remove all formatting, and "
        "calculate the number of words."
    ),
    gettext_noop(
        "We use a readability formula based on length of words and sentences. Long "
        "sentences and words result in a worse readability score."
    ),
    gettext_noop("Words"),
    gettext_noop("admin theme"),
    gettext_noop("contrast"),
    gettext_noop("density"),
    gettext_noop("account"),
    gettext_noop("Section"),
    gettext_noop(
        "Keyboard shortcuts are currently enabled; manage your %(account_link)s to disable them."
    ),
    gettext_noop(
        "JavaScript is required to use Wagtail, but it is currently disabled.<br /> Here "
        'are the <a href="https://www.enable-javascript.com/" target="_blank" '
        'rel="noreferrer">instructions how to enable JavaScript in your web browser</a>.'
    ),
    gettext_noop("Is commenting action"),
    ngettext_lazy(
        '%(total)s Page <span class="w-sr-only">created in %(site_name)s</span>',
        '%(total)s Pages <span class="w-sr-only">created in %(site_name)s</span>',
        "count",
    ),
    ngettext_lazy(
        '%(total)s Image <span class="w-sr-only">created in %(site_name)s</span>',
        '%(total)s Images <span class="w-sr-only">created in %(site_name)s</span>',
        "count",
    ),
    ngettext_lazy(
        '%(total)s Document <span class="w-sr-only">created in %(site_name)s</span>',
        '%(total)s Documents <span class="w-sr-only">created in %(site_name)s</span>',
        "count",
    ),
    ngettext_lazy("Referenced %(count)s time", "Referenced %(count)s times", "count"),
    ngettext_lazy(
        "This %(model_name)s is referenced %(usage_count)s time.",
        "This %(model_name)s is referenced %(usage_count)s times.",
        "count",
    ),
]
