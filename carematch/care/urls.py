from django.urls import path

from . import toolkit_views, views

app_name = "care"

# Each page of a client's care record has two addresses: the client's own under /progress/,
# and their provider's (or a coordinator's) under /caseload/<client_id>/.
_PAGES = [
    ("", views.progress, "progress"),
    ("goals/new/", views.goal_add, "goal_add"),
    ("goals/<record_id:goal_id>/revise/", views.goal_revise, "goal_revise"),
    ("goals/<record_id:goal_id>/rating/", views.goal_rating, "goal_rating"),
    ("plan/new/", views.activity_add, "activity_add"),
    ("plan/<record_id:activity_id>/end/", views.activity_end, "activity_end"),
    ("plan/<record_id:activity_id>/check-in/", views.check_in, "check_in"),
    ("plan/check-ins/<record_id:check_in_id>/remove/", views.check_in_remove, "check_in_remove"),
    ("notes/", views.notes, "notes"),
    ("notes/<record_id:note_id>/revise/", views.note_revise, "note_revise"),
    ("notes/<record_id:note_id>/remove/", views.note_remove, "note_remove"),
]

urlpatterns = [
    path("caseload/", views.caseload, name="caseload"),
    path("toolkit/", toolkit_views.toolkit, name="toolkit"),
    path("toolkit/breathing/", toolkit_views.toolkit_breathing, name="toolkit_breathing"),
    path("toolkit/grounding/", toolkit_views.toolkit_grounding, name="toolkit_grounding"),
    path("toolkit/meditation/", toolkit_views.toolkit_meditation, name="toolkit_meditation"),
    path("toolkit/log/", toolkit_views.toolkit_log, name="toolkit_log"),
    path("journal/", toolkit_views.journal, name="my_journal"),
    path("journal/<record_id:entry_id>/share/", toolkit_views.journal_share, name="my_journal_share"),
    path("journal/<record_id:entry_id>/unshare/", toolkit_views.journal_unshare, name="my_journal_unshare"),
    path("journal/<record_id:entry_id>/remove/", toolkit_views.journal_remove, name="my_journal_remove"),
    path("caseload/<record_id:client_id>/journal/", toolkit_views.client_journal, name="client_journal"),
    *[path(f"progress/{route}", view, name=f"my_{name}") for route, view, name in _PAGES],
    *[path(f"caseload/<record_id:client_id>/{route}", view, name=f"client_{name}") for route, view, name in _PAGES],
]
