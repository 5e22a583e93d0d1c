"""Admin views that reach only what the model's Wagtail permission policy gives the user.

`PolicyScopedViewSetMixin` makes every view a viewset constructs (index, results, export, edit,
inspect, history, usage, delete, chooser and any custom view) apply the scope of its model's
permission policy (`instances_user_has_any_permission_for`): an object id outside it is a 404
before the view loads the object, and lists, exports and choosers hold only what is in it. What
the scope is belongs to each policy (communities.admin.scope for Linli's community scope).
"""

import functools

from django.contrib.admin.utils import unquote
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.http import Http404
from wagtail.admin.views.generic import IndexView
from wagtail.admin.views.generic.chooser import BaseChooseView, ChosenMultipleViewMixin
from wagtail.permissions import policy_registry

#: Every action a policy is asked about: the scope is what the user may do anything to.
SCOPE_ACTIONS = ("add", "change", "delete", "view")


def admin_scope(model, user):
    """The instances of `model` that `user` may reach in the admin, by its permission policy."""
    return policy_registry.get_by_type(model).instances_user_has_any_permission_for(
        user, SCOPE_ACTIONS
    )


class ScopedObjectMixin:
    """Refuses (404) an object id in the URL that lies outside the user's scope."""

    object_id_kwarg = "pk"

    def scoped_model(self):
        model = getattr(self, "model_class", None) or getattr(self, "model", None)
        if model is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__} takes an object id but names no model to scope it by."
            )
        return model

    def setup(self, request, *args, **kwargs):
        if self.object_id_kwarg in kwargs:
            object_id = unquote(str(kwargs[self.object_id_kwarg]))
            scope = admin_scope(self.scoped_model(), request.user)
            try:
                reachable = scope.filter(pk=object_id).exists()
            except (ValueError, ValidationError):
                reachable = False  # not even a well-formed id
            if not reachable:
                raise Http404
        super().setup(request, *args, **kwargs)


class ScopedIndexMixin:
    """Listings, their results and their CSV/XLSX exports: only objects in scope."""

    def get_base_queryset(self):
        scope = admin_scope(self.model, self.request.user)
        return super().get_base_queryset().filter(pk__in=scope.values("pk"))


class ScopedChooseMixin:
    def get_object_list(self):
        scope = admin_scope(self.model_class, self.request.user)
        return super().get_object_list().filter(pk__in=scope.values("pk"))


class ScopedChosenMultipleMixin:
    def get_objects(self, pks):
        scope = admin_scope(self.model_class, self.request.user)
        try:
            return super().get_objects(pks).filter(pk__in=scope.values("pk"))
        except (ValueError, ValidationError):
            return scope.none()  # ids that are not even well-formed choose nothing


@functools.cache
def scoped_view_class(view_class):
    """`view_class` with the policy's scope mixed in where it lists, chooses or takes an id."""
    bases = [ScopedObjectMixin]
    if issubclass(view_class, IndexView):
        bases.append(ScopedIndexMixin)
    if issubclass(view_class, BaseChooseView):
        bases.append(ScopedChooseMixin)
    if issubclass(view_class, ChosenMultipleViewMixin):
        bases.append(ScopedChosenMultipleMixin)
    return type(
        view_class.__name__,
        (*bases, view_class),
        {"__module__": view_class.__module__, "__qualname__": view_class.__qualname__},
    )


class PolicyScopedViewSetMixin:
    """For every Linli Wagtail viewset: every view it constructs applies the scope of its
    model's permission policy. Custom views must be built with `self.construct_view` too;
    tests/security/test_admin_scope.py checks every URL."""

    def construct_view(self, view_class, **kwargs):
        return super().construct_view(scoped_view_class(view_class), **kwargs)
