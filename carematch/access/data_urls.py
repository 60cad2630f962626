"""A client's own data, under /account/data/. No ids: always the signed-in client's own."""

from django.urls import path

from . import data_views

app_name = "access_data"

urlpatterns = [
    path("", data_views.data_home, name="home"),
    path("export.json", data_views.export_json, name="export_json"),
    path("export.fhir.json", data_views.export_fhir, name="export_fhir"),
    path("close/", data_views.close_account, name="close"),
    path("closed/", data_views.closed, name="closed"),
]
