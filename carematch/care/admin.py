"""Goals and plans in the Django admin, read only: every write goes through the services, and
a goal's history is never edited in place."""

from typing import Any

from django.contrib import admin

from .models import Activity, CheckIn, Goal, GoalRating, GoalVersion


class ReadOnlyMixin:
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class GoalVersionInline(ReadOnlyMixin, admin.TabularInline):
    model = GoalVersion
    fields = ["number", "text", "measure", "instrument", "target", "target_date", "created_at", "created_by"]
    ordering = ["-number"]


class GoalRatingInline(ReadOnlyMixin, admin.TabularInline):
    model = GoalRating
    fields = ["rated_on", "rating", "recorded_at", "recorded_by"]


@admin.register(Goal)
class GoalAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "client", "created_at", "created_by"]
    search_fields = ["client__first_name", "client__last_name", "client__user__email"]
    inlines = [GoalVersionInline, GoalRatingInline]


class CheckInInline(ReadOnlyMixin, admin.TabularInline):
    model = CheckIn
    fields = ["done_on", "mood", "note", "recorded_at", "recorded_by"]


@admin.register(Activity)
class ActivityAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "client", "kind", "times", "period", "created_at", "ended_at"]
    list_filter = ["kind", "period"]
    search_fields = ["client__first_name", "client__last_name", "client__user__email"]
    inlines = [CheckInInline]
