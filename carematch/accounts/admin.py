from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .forms import AdminLogInForm, AdminUserAddForm, AdminUserEditForm
from .models import ApiToken, User

# The admin's log-in page is throttled like the site's own.
admin.site.login_form = AdminLogInForm


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = AdminUserEditForm
    add_form = AdminUserAddForm
    ordering = ["email"]
    list_display = ["email", "role", "preferred_name", "is_active", "date_joined"]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "preferred_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("preferred_name", "role", "is_active")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "role", "usable_password", "password1", "password2")}),
    )
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal = ()

    def save_model(self, request, obj, form, change):
        obj.is_superuser = obj.role == "admin"
        super().save_model(request, obj, form, change)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__email", "prefix"]
    readonly_fields = ["prefix", "digest", "created_at", "last_used_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # tokens are issued with `carematch issue_token`, which shows the token once

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        from . import services

        for token in queryset:
            services.api_token_revoke(token=token)
