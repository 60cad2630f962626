from django.urls import path

from . import views

app_name = "learn"

urlpatterns = [
    path("learn/", views.library, name="library"),
    path("learn/feed.atom", views.feed, name="feed"),
    path("learn/<slug:slug>/", views.article, name="article"),
    path("staff/articles/", views.staff_list, name="staff_list"),
    path("staff/articles/new/", views.staff_create, name="staff_create"),
    path("staff/articles/<int:article_id>/", views.staff_edit, name="staff_edit"),
    path("staff/articles/<int:article_id>/publish/", views.staff_publish, name="staff_publish"),
    path("staff/articles/<int:article_id>/versions/", views.staff_versions, name="staff_versions"),
]
