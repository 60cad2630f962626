"""The public FHIR directory's addresses, under /fhir/."""

from __future__ import annotations

from django.urls import path, re_path

from . import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.fhir_metadata, name="metadata"),
    path("<str:resource_type>", views.fhir_search, name="search"),
    path("<str:resource_type>/<str:resource_id>", views.fhir_read, name="read"),
    re_path(r"^(?P<rest>.*)$", views.fhir_unknown, name="unknown"),
]
