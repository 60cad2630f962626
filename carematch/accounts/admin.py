from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from carematch.access.admin import RecordsClientsShown

from .forms import AdminLogInForm, AdminSetPasswordForm, AdminUserAddForm, AdminUserEditForm, OwnPasswordChangeForm
from .models import ApiToken, Client, MfaDevice, User

# Should the admin's own log-in page ever be used, it is throttled like the site's.
admin.site.login_form = AdminLogInForm


def admin_log_in(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    """The admin logs people in through the site's log-in, which asks for the second factor;
    its own log-in form would log them in on the password alone."""
    next_url = request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_staff:
            return redirect(next_url)
        messages.info(request, "The administration pages are for coordinators and administrators.")
        return redirect("accounts:home")
    return redirect(f"{reverse('accounts:login')}?{urlencode({'next': next_url})}")


admin.site.login = admin_log_in  # type: ignore[method-assign]


def admin_password_change(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
    """The admin's "Change password" page, as Django's, but with a form whose saving ends every
    other session, the API tokens and the calendar address of the person (user_password_set)."""
    from django.contrib.auth.views import PasswordChangeView

    site = admin.site
    request.current_app = site.name
    view = PasswordChangeView.as_view(
        form_class=OwnPasswordChangeForm,
        success_url=reverse("admin:password_change_done", current_app=site.name),
        extra_context={**site.each_context(request), **(extra_context or {})},
    )
    return cast(TemplateResponse, view(request))  # as the view it replaces answers


admin.site.password_change = admin_password_change  # type: ignore[method-assign]


def _clients_of_users(user_ids: list[int]) -> list[int]:
    """The client records of these accounts (accounts of other roles have none)."""
    return list(Client.objects.filter(user_id__in=user_ids).order_by("pk").values_list("pk", flat=True))


@admin.register(User)
class UserAdmin(RecordsClientsShown, DjangoUserAdmin):
    form = AdminUserEditForm
    add_form = AdminUserAddForm
    change_password_form = AdminSetPasswordForm
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
    # Clients' accounts name them (email, preferred name): seeing them is recorded.
    resource_type = "account"
    list_resource_type = "account_list"

    def clients_of(self, objects: list[Any]) -> list[int]:
        return _clients_of_users([user.pk for user in objects])

    def save_model(self, request, obj, form, change):
        obj.is_superuser = obj.role == "admin"
        super().save_model(request, obj, form, change)


@admin.register(ApiToken)
class ApiTokenAdmin(RecordsClientsShown, admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__email", "prefix"]
    readonly_fields = ["prefix", "digest", "created_at", "last_used_at"]
    actions = ["revoke"]
    # A client's token names them by email: seeing it is recorded.
    resource_type = "api_token"
    list_resource_type = "api_token_list"

    def clients_of(self, objects: list[Any]) -> list[int]:
        return _clients_of_users([token.user_id for token in objects])

    def has_add_permission(self, request):
        return False  # tokens are issued with `carematch issue_token`, which shows the token once

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        from . import services

        for token in queryset:
            services.api_token_revoke(token=token)


@admin.register(MfaDevice)
class MfaDeviceAdmin(RecordsClientsShown, admin.ModelAdmin):
    """Who has an authenticator app. Deleting one lets a person who lost both their phone and
    their recovery codes set up a new app at their next log-in (their password is still needed)."""

    list_display = ["user", "created_at", "confirmed_at"]
    search_fields = ["user__email"]
    fields = ("user", "created_at", "confirmed_at")  # never the secret
    readonly_fields = ("user", "created_at", "confirmed_at")
    # A client's device names them by email: seeing it is recorded.
    resource_type = "mfa_device"
    list_resource_type = "mfa_device_list"

    def clients_of(self, objects: list[Any]) -> list[int]:
        return _clients_of_users([device.user_id for device in objects])

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
