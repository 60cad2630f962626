from django.urls import path

from . import views

app_name = "capacity"

urlpatterns = [
    path("staff/capacity/", views.capacity, name="capacity"),
    path("staff/capacity/<record_id:run_id>/", views.capacity_run, name="run"),
]
