from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from carematch.accounts import views as account_views
from carematch.api import api

admin.site.site_header = "carematch administration"
admin.site.site_title = "carematch"

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("find/", TemplateView.as_view(template_name="matching/find_placeholder.html"), name="find"),
    path("accounts/", include("carematch.accounts.urls")),
    path("staff/", account_views.staff_home, name="staff_home"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
