from django.urls import path

from . import views

app_name = "coverage"

urlpatterns = [
    path("account/coverage/", views.my_coverage, name="mine"),
    path("staff/clients/<record_id:client_id>/eligibility/", views.client_eligibility, name="staff_client"),
]
