from django.urls import path

from . import views

app_name = "coverage"

urlpatterns = [
    path("", views.plans, name="plans"),
    path("benefits/import/", views.benefits_import, name="benefits_import"),
    path("fees/import/", views.fees_import, name="fees_import"),
]
