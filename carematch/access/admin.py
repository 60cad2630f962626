"""The access log in the Django admin: read only. Nothing here adds, changes or deletes an
event, and looking at the log is itself recorded, as on the staff page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from . import audit
from .models import AccessEvent, Action

if TYPE_CHECKING:
    # Mixed into a ModelAdmin, whose views it extends.
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object


class RecordsClientsShown(_ModelAdmin):
    """For a model admin whose list or pages name clients (by name, email or preferred name):
    each list records one view event per client on the page shown (`list_resource_type`, the
    client's id), and each page of one object one event (`resource_type`, the object's id)."""

    resource_type = ""
    list_resource_type = ""

    def clients_of(self, objects: list[Any]) -> list[int]:
        """The ids of the clients `objects` name."""
        raise NotImplementedError

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:
            shown = dict.fromkeys(self.clients_of(list(changelist.result_list)))
            audit.record_many(request, action=Action.VIEW, resource_type=self.list_resource_type,
                              items=[(client_id, client_id) for client_id in shown])
        return response

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        shown = (getattr(response, "context_data", None) or {}).get("original")
        if shown is not None:
            audit.record_many(request, action=Action.VIEW, resource_type=self.resource_type,
                              items=[(shown.pk, client_id) for client_id in self.clients_of([shown])])
        return response


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "actor_email", "actor_role", "action", "resource_type", "resource_id",
                    "client_id", "outcome", "result", "address", "channel")
    list_filter = ("action", "outcome", "result", "actor_role", "channel")
    search_fields = ("=client_id", "=actor_id", "actor_email")
    date_hierarchy = "occurred_at"
    readonly_fields = list_display
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        audit.record(request, action=Action.VIEW, resource_type="audit_log")
        return super().changelist_view(request, extra_context)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        event = AccessEvent.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        audit.record(request, action=Action.VIEW, resource_type="audit_log",
                     resource_id=event.pk if event else None, client=event.client_id if event else None)
        return super().change_view(request, object_id, form_url, extra_context)
