"""The Django admin shows providers' questionnaire schedules and when a client was sent a
link (so that a link sent in error can be withdrawn); never which questionnaires, answers,
scores or alerts. Those are clinical content, read only through the pages and API, which go
through the access policy and the access log."""

from typing import Any

from django.contrib import admin

from carematch.access.admin import RecordsClientsShown

from .models import QuestionnaireRequest, QuestionnaireSchedule


@admin.register(QuestionnaireSchedule)
class QuestionnaireScheduleAdmin(admin.ModelAdmin):
    list_display = ("provider", "cadence", "updated_at")
    list_select_related = ("provider",)
    raw_id_fields = ("provider", "updated_by")


@admin.register(QuestionnaireRequest)
class QuestionnaireRequestAdmin(RecordsClientsShown, admin.ModelAdmin):
    list_display = ("pk", "client", "provider", "reason", "created_at", "expires_at", "completed_at", "withdrawn_at")
    list_filter = ("reason",)
    list_select_related = ("client", "provider")
    exclude = ("salt", "digest", "instruments")
    readonly_fields = ("client", "provider", "appointment", "reason", "created_at", "created_by",
                       "expires_at", "emailed_at", "reminded_at", "completed_at")
    raw_id_fields = ("client", "provider", "appointment")

    # Each request names its client: seeing them is recorded.
    resource_type = "questionnaire_request"
    list_resource_type = "questionnaire_request_list"

    def clients_of(self, objects: list[Any]) -> list[int]:
        return [request.client_id for request in objects]

    def has_add_permission(self, request: object) -> bool:
        return False  # requests are made by the schedule and by "send now", which email the link
