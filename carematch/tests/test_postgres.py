"""The PostgreSQL pass really runs on PostgreSQL, and keeps the same invariants."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from carematch.accounts.models import Role, User

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db]


def test_the_postgres_pass_runs_on_postgresql():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version_num')::int")
        assert cursor.fetchone()[0] >= 130000


def test_email_uniqueness_ignores_case_on_postgresql_too():
    User.objects.bulk_create([User(email="case@example.test", role=Role.CLIENT)])
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="CASE@example.test", role=Role.CLIENT)])
