from django.urls import path

from . import join_views, session_views, views, waitlist_views

app_name = "matching"

urlpatterns = [
    path("find/help-now/", views.help_now, name="help_now"),
    path("find/results/", views.results, name="results"),
    path("find/results/change/", views.apply_suggestion, name="apply_suggestion"),
    path("find/compare/", views.compare, name="compare"),
    path("find/waitlist/", views.join_waitlist, name="join_waitlist"),
    path("staff/waitlist/", waitlist_views.staff_waitlist, name="staff_waitlist"),
    path("staff/waitlist/place/", waitlist_views.staff_waitlist_place, name="staff_waitlist_place"),
    path("find/<slug:slug>/", views.intake_step, name="intake_step"),
    path("book/<record_id:provider_id>/", views.book_opening, name="book_opening"),
    path("book/hold/<record_id:hold_id>/", views.finish_booking, name="finish_booking"),
    path("sessions/<record_id:appointment_id>/", views.appointment, name="appointment"),
    path("sessions/<record_id:appointment_id>/calendar.ics", views.appointment_calendar_file, name="appointment_ics"),
    path("sessions/<record_id:appointment_id>/cancel/", views.appointment_cancel, name="appointment_cancel"),
    path("sessions/<record_id:appointment_id>/reschedule/", views.appointment_reschedule,
         name="appointment_reschedule"),
    path("sessions/<record_id:appointment_id>/join/", join_views.appointment_join, name="appointment_join"),
    path("sessions/<record_id:appointment_id>/series/", session_views.appointment_series, name="appointment_series"),
    path("sessions/<record_id:appointment_id>/cancel-rest/", session_views.appointment_cancel_rest,
         name="appointment_cancel_rest"),
    path("sessions/<record_id:appointment_id>/attendance/", session_views.appointment_attendance,
         name="appointment_attendance"),
]
