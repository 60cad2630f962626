from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.account_home, name="home"),
    path("signup/", views.sign_up, name="signup"),
    path("signup/confirm/<str:token>/", views.sign_up_confirm, name="signup_confirm"),
    path("login/", views.LogInView.as_view(), name="login"),
    path("login/code/", views.log_in_code, name="login_code"),
    path("two-step/", views.mfa_manage, name="mfa"),
    path("two-step/setup/", views.mfa_setup, name="mfa_setup"),
    path("logout/", views.LogOutView.as_view(), name="logout"),
    path("logout/everywhere/", views.log_out_everywhere, name="logout_everywhere"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
