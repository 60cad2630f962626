from django.contrib import admin
from django.urls import include, path, register_converter
from django.views.generic import TemplateView

from carematch.accounts import views as account_views
from carematch.api import api
from carematch.directory.urls import directory_urls
from carematch.lib.ids import RecordIdConverter
from carematch.matching import views as matching_views
from carematch.matching.viewer import viewer_cost, viewer_zone
from carematch.scheduling.selectors import provider_openings

register_converter(RecordIdConverter, "record_id")

admin.site.site_header = "carematch administration"
admin.site.site_title = "carematch"

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("find/", matching_views.intake_step, name="find"),
    path("accounts/", include("carematch.accounts.urls")),
    path("language/", account_views.choose_language, name="set_language"),
    path("account/data/", include("carematch.access.data_urls")),
    path("account/tokens/", include("carematch.accounts.token_urls")),
    path("staff/", account_views.staff_home, name="staff_home"),
    path("staff/audit/", include("carematch.access.audit_urls")),
    # The directory's public profile shows openings, which scheduling computes, in the
    # visitor's zone and what a session would cost them, which matching knows from the intake.
    path("", include(directory_urls(openings=provider_openings, zone_of=viewer_zone, cost_of=viewer_cost))),
    path("", include("carematch.matching.urls")),
    path("", include("carematch.scheduling.urls")),
    path("", include("carematch.measures.urls")),
    path("", include("carematch.care.urls")),
    path("", include("carematch.messaging.urls")),
    path("", include("carematch.coverage.urls")),
    path("", include("carematch.learn.urls")),
    path("", include("carematch.newsletter.urls")),
    path("", include("carematch.capacity.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # The public, read-only Plan-Net directory (no log-in, as CMS requires of directories).
    path("fhir/", include("carematch.directory.fhir.urls")),
]
