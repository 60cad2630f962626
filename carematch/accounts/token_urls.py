"""A person's own API tokens, under /account/tokens/. Only the signed-in person's own."""

from django.urls import path

from . import views

app_name = "account_tokens"

urlpatterns = [
    path("", views.api_tokens, name="list"),
    path("<record_id:token_id>/revoke/", views.api_token_revoke, name="revoke"),
    path("revoke-all/", views.api_tokens_revoke_all, name="revoke_all"),
]
