"""The directory's pages. The public profile shows openings, which scheduling computes: the
project's URL wiring (carematch/urls.py) passes that function in, so the directory imports
nothing from scheduling."""

from django.urls import URLPattern, path

from . import views
from .openings import CostOf, OpeningsOf, ZoneOf

app_name = "directory"


def directory_urls(*, openings: OpeningsOf, zone_of: ZoneOf, cost_of: CostOf | None = None,
                   ) -> tuple[list[URLPattern], str]:
    """The directory's pages and their namespace, for `include()`; `openings` gives a
    provider's bookable openings for the public profile, `zone_of` the zone a visitor reads
    times in, `cost_of` what a session would cost them."""
    patterns = [
        path("providers/<record_id:provider_id>/", views.public_profile,
             {"openings": openings, "zone_of": zone_of, "cost_of": cost_of}, name="public_profile"),
        path("claim/<str:token>/", views.profile_claim, name="profile_claim"),
        path("provider/profile/", views.my_profile, name="my_profile"),
        path("provider/licence/", views.my_licence, name="my_licence"),
        path("provider/profile/photo/", views.my_photo, name="my_photo"),
        path("provider/profile/photo/remove/", views.my_photo_remove, name="my_photo_remove"),
        path("media/photos/<str:name>", views.photo, name="photo"),
        path("provider/availability/", views.my_availability, name="my_availability"),
        path("provider/availability/windows/", views.window_add, name="window_add"),
        path("provider/availability/windows/<record_id:window_id>/remove/", views.window_remove,
             name="window_remove"),
        path("provider/availability/time-off/", views.time_off_add, name="time_off_add"),
        path(
            "provider/availability/time-off/<record_id:time_off_id>/remove/", views.time_off_remove,
            name="time_off_remove",
        ),
        path("staff/directory/", views.staff_directory, name="staff_directory"),
        path("staff/directory/import/", views.roster_import, name="roster_import"),
        path("staff/directory/import/roster-template.csv", views.roster_template_download, name="roster_template"),
        path("staff/payers/", views.staff_payers, name="staff_payers"),
        path("staff/directory/<record_id:provider_id>/", views.staff_provider, name="staff_provider"),
        path("staff/directory/<record_id:provider_id>/invite/", views.staff_provider_invite,
             name="staff_provider_invite"),
        path("staff/directory/<record_id:provider_id>/profile/", views.staff_provider_profile,
             name="staff_provider_profile"),
        path("staff/directory/<record_id:provider_id>/contact/", views.staff_provider_contact,
             name="staff_provider_contact"),
        path("staff/directory/<record_id:provider_id>/photo/", views.staff_provider_photo,
             name="staff_provider_photo"),
        path("staff/directory/<record_id:provider_id>/photo/remove/", views.staff_provider_photo_remove,
             name="staff_provider_photo_remove"),
        path("staff/licenses/expiring/", views.licenses_expiring, name="licenses_expiring"),
        path("staff/networks/", views.staff_networks, name="staff_networks"),
        path("staff/networks/<record_id:network_id>/", views.staff_network_payer, name="staff_network_payer"),
        path("staff/licenses/<record_id:license_id>/status/", views.license_status, name="license_status"),
    ]
    return patterns, app_name
