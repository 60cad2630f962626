"""The Django admin shows who was asked what and when, and alerts' state; never answers."""

from django.contrib import admin
from django.http import HttpRequest

from .models import Alert, QuestionnaireRequest, QuestionnaireSchedule


@admin.register(QuestionnaireSchedule)
class QuestionnaireScheduleAdmin(admin.ModelAdmin):
    list_display = ("provider", "cadence", "updated_at")
    list_select_related = ("provider",)
    raw_id_fields = ("provider", "updated_by")


@admin.register(QuestionnaireRequest)
class QuestionnaireRequestAdmin(admin.ModelAdmin):
    list_display = ("pk", "client", "provider", "reason", "created_at", "expires_at", "completed_at", "withdrawn_at")
    list_filter = ("reason",)
    list_select_related = ("client", "provider")
    exclude = ("salt", "digest")
    readonly_fields = ("client", "provider", "appointment", "instruments", "reason", "created_at", "created_by",
                       "expires_at", "emailed_at", "reminded_at", "completed_at")
    raw_id_fields = ("client", "provider", "appointment")


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "client", "provider", "created_at", "acknowledged_at")
    list_filter = ("kind",)
    list_select_related = ("client", "provider")
    exclude = ("note",)
    readonly_fields = ("kind", "client", "provider", "assessment", "session_rating", "created_at", "acknowledged_at",
                       "acknowledged_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
