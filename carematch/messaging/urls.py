from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("messages/", views.inbox, name="inbox"),
    path("messages/start/", views.start, name="start"),
    path("messages/<record_id:conversation_id>/", views.conversation, name="conversation"),
    path("messages/<record_id:conversation_id>/read/", views.mark_read, name="mark_read"),
    path("messages/message/<record_id:message_id>/retract/", views.retract, name="retract"),
]
