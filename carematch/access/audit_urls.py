"""The access log page for coordinators and admins, under /staff/audit/."""

from django.urls import path

from . import audit_views

app_name = "access_audit"

urlpatterns = [
    path("", audit_views.audit_log, name="log"),
]
