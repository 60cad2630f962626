from django.urls import path, re_path

from . import views
from .links import TOKEN_PATTERN

app_name = "measures"

urlpatterns = [
    # Clients
    re_path(rf"^questionnaires/link/(?P<token>{TOKEN_PATTERN})/$", views.questionnaire_link, name="questionnaire_link"),
    path("questionnaires/", views.my_questionnaires, name="my_questionnaires"),
    path("questionnaires/<record_id:request_id>/", views.questionnaire_in_account, name="questionnaire"),
    path("questionnaires/result/", views.questionnaire_result, name="result"),
    path("questionnaires/sessions/<record_id:appointment_id>/", views.session_rating, name="session_rating"),
    # Providers (a coordinator following an old link to provider/alerts/ is sent to staff/alerts/)
    path("provider/alerts/", views.alerts, name="alerts"),
    path("provider/alerts/<record_id:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("provider/questionnaires/", views.provider_questionnaires, name="provider_questionnaires"),
    path("provider/questionnaires/schedule/", views.provider_cadence, name="provider_cadence"),
    path("provider/questionnaires/send/", views.provider_send_now, name="provider_send_now"),
    path("staff/alerts/", views.staff_alerts, name="staff_alerts"),
    path("staff/alerts/<record_id:alert_id>/acknowledge/", views.staff_alert_acknowledge,
         name="staff_alert_acknowledge"),
    path("staff/outcomes/", views.staff_outcomes, name="staff_outcomes"),
]
