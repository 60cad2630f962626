"""The user model: email login, roles, Argon2id, and invariants the database keeps."""

from __future__ import annotations

import importlib

import pytest
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.db import IntegrityError, transaction

from carematch.accounts import services
from carematch.accounts.models import Role, User
from carematch.lib.errors import Conflict, InvalidInput

from .factories import PASSWORD, UserFactory


def test_first_migration_creates_the_custom_user_model_with_email_login():
    initial = importlib.import_module("carematch.accounts.migrations.0001_initial")
    create_user = next(
        op for op in initial.Migration.operations if getattr(op, "name", None) == "User" and hasattr(op, "fields")
    )
    field_names = {name for name, _ in create_user.fields}
    assert {"email", "role", "password"} <= field_names
    assert "username" not in field_names
    assert initial.Migration.initial is True
    assert settings.AUTH_USER_MODEL == "accounts.User"
    assert get_user_model() is User


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2id():
    user = services.user_create(email="argon@example.test", password="a-long-calm-passphrase")
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("a-long-calm-passphrase")


@pytest.mark.django_db
def test_email_is_the_login_and_is_case_insensitive():
    UserFactory(email="someone@example.test")
    assert authenticate(username="SomeOne@Example.TEST", password=PASSWORD) is not None
    assert authenticate(username="someone@example.test", password="wrong") is None


@pytest.mark.django_db
def test_the_database_refuses_two_accounts_with_one_email_in_any_case():
    UserFactory(email="twin@example.test")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="TWIN@example.test", role=Role.CLIENT)])


@pytest.mark.django_db
def test_the_service_answers_a_duplicate_email_with_a_conflict_naming_the_field():
    UserFactory(email="taken@example.test")
    with pytest.raises(Conflict) as caught:
        services.user_create(email=" Taken@Example.test ", role=Role.CLIENT)
    assert caught.value.fields == {"email": "already registered"}


@pytest.mark.django_db
def test_the_database_refuses_an_unknown_role_and_a_superuser_who_is_not_admin():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="odd@example.test", role="wizard")])
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="sneaky@example.test", role=Role.CLIENT, is_superuser=True)])


@pytest.mark.django_db
def test_weak_passwords_and_bad_emails_are_refused_with_the_field_named():
    with pytest.raises(InvalidInput) as weak:
        services.user_create(email="weak@example.test", password="12345678")
    assert "password" in weak.value.fields
    with pytest.raises(InvalidInput) as bad:
        services.user_create(email="not-an-email", password="a-long-calm-passphrase")
    assert bad.value.fields == {"email": "not a valid email address"}
    assert not User.objects.exists()


@pytest.mark.django_db
def test_staff_means_coordinator_or_admin_and_only_admins_are_superusers():
    roles = {role: UserFactory(role=role) for role in Role.values}
    assert {r for r, u in roles.items() if u.is_staff} == {Role.COORDINATOR, Role.ADMIN}
    assert {r for r, u in roles.items() if u.is_superuser} == {Role.ADMIN}
    admin = User.objects.create_superuser("root@example.test", "a-long-calm-passphrase")
    assert admin.role == Role.ADMIN and admin.is_superuser
