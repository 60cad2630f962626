"""Free text about a client's care is encrypted at rest: the database holds only tokens, the
app reads the text, a changed token is refused, and keys rotate without losing a row."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from carematch.care import services
from carematch.care.models import Activity, CheckIn, GoalVersion, Reencryption
from carematch.lib import crypto
from carematch.measures import services as measures_services
from carematch.measures.models import Alert

from .factories import ClientFactory, goal, provider_of

pytestmark = pytest.mark.django_db

GOAL = "Sleep through the night without waking at three"
STEP = "Walk the dog around the park before breakfast"
NOTE = "Felt calmer after talking to my sister"
ACK = "Called the client, safety plan reviewed, next session moved earlier"


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 - fixed names
        return cursor.fetchone()[0]


def write_raw(table: str, column: str, pk: int, value: str) -> None:
    """Change a stored value behind the app's back (as someone with database access could);
    the history guard lets an encrypted column change only while a re-encryption marker exists."""
    marker = Reencryption.objects.create(started_at=timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])  # noqa: S608
    marker.delete()


def records():
    """A goal, an own activity, a check-in with a note, and an acknowledged alert."""
    client = ClientFactory()
    version = goal(client, text=GOAL).versions.get()
    activity = services.activity_add(client=client, by=client.user, kind="own", text=STEP, times=1, period="day")
    check_in = services.check_in_record(activity=activity, by=client.user, mood=6, note=NOTE)
    provider = provider_of(client)
    alert = Alert.objects.create(kind="suicidal_ideation", client=client, provider=provider,
                                 created_at=timezone.now())
    alert = measures_services.alert_acknowledge(alert=alert, by=provider.user, note=ACK)
    return version, activity, check_in, alert


def stored_values(version, activity, check_in, alert):
    return [
        raw("care_goalversion", "text", version.pk), raw("care_activity", "text", activity.pk),
        raw("care_checkin", "note", check_in.pk), raw("measures_alert", "note", alert.pk),
    ]


def test_the_database_holds_tokens_and_the_app_reads_the_words():
    version, activity, check_in, alert = records()
    stored = stored_values(version, activity, check_in, alert)
    for value, plain in zip(stored, (GOAL, STEP, NOTE, ACK), strict=True):
        assert value.startswith(crypto.PREFIX)
        assert plain not in value and plain.split()[1] not in value
    assert GoalVersion.objects.get(pk=version.pk).text == GOAL
    assert Activity.objects.get(pk=activity.pk).label == STEP
    assert CheckIn.objects.get(pk=check_in.pk).note == NOTE
    assert Alert.objects.get(pk=alert.pk).note == ACK


def test_the_same_words_are_stored_differently_each_time():
    assert crypto.encrypt(NOTE) != crypto.encrypt(NOTE)
    assert crypto.decrypt(crypto.encrypt(NOTE)) == NOTE


def test_empty_stays_empty_so_the_database_checks_keep_their_meaning():
    client = ClientFactory()
    activity = services.activity_add(client=client, by=client.user, kind="exercise", times=2, period="week")
    check_in = services.check_in_record(activity=activity, by=client.user, mood=4)
    assert raw("care_activity", "text", activity.pk) == ""
    assert raw("care_checkin", "note", check_in.pk) == ""
    assert CheckIn.objects.filter(note="").get() == check_in
    open_alert = Alert.objects.create(kind="suicidal_ideation", client=client, created_at=timezone.now())
    assert raw("measures_alert", "note", open_alert.pk) == ""
    # The constraint "acknowledged with a note" still compares with '' in the database.
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.filter(pk=open_alert.pk).update(acknowledged_at=timezone.now())


def test_a_changed_token_is_refused_rather_than_read_as_garbage():
    _version, _activity, check_in, _alert = records()
    token = raw("care_checkin", "note", check_in.pk)
    flipped = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    write_raw("care_checkin", "note", check_in.pk, flipped)
    with pytest.raises(crypto.DecryptionError, match=r"care_checkin\.note could not be authenticated") as refused:
        CheckIn.objects.get(pk=check_in.pk)
    assert NOTE not in str(refused.value) and flipped not in str(refused.value)


def test_a_plain_text_row_is_refused_naming_the_migration():
    _version, _activity, check_in, _alert = records()
    write_raw("care_checkin", "note", check_in.pk, NOTE)
    with pytest.raises(crypto.DecryptionError, match="not encrypted"):
        CheckIn.objects.get(pk=check_in.pk)


def test_lookups_that_would_need_the_text_in_the_database_are_refused():
    with pytest.raises(FieldError, match="encrypted"):
        list(CheckIn.objects.filter(note__icontains="sister"))
    with pytest.raises(FieldError, match="encrypted"):
        list(CheckIn.objects.filter(note=NOTE))
    assert list(CheckIn.objects.filter(note__isnull=True)) == []


def test_a_new_first_key_reads_old_rows_and_rotate_keys_moves_them_to_it():
    old_keys = list(crypto._keys())
    version, activity, check_in, alert = records()
    before = stored_values(version, activity, check_in, alert)
    new_key = Fernet.generate_key().decode()

    with override_settings(ENCRYPTION_KEYS=[new_key, *old_keys]):
        assert CheckIn.objects.get(pk=check_in.pk).note == NOTE  # old rows readable under the old key
        later_note = services.check_in_record(activity=activity, by=activity.client.user, mood=7, note="Better day")
        out = io.StringIO()
        call_command("rotate_keys", "--batch-size", "1", stdout=out)
        assert "care.CheckIn.note: 1 re-encrypted, 1 already under the first key" in out.getvalue()
        assert "care.GoalVersion.text: 1 re-encrypted" in out.getvalue()
        assert "measures.Alert.note: 1 re-encrypted" in out.getvalue()
        again = io.StringIO()
        call_command("rotate_keys", stdout=again)
        assert " 0 re-encrypted" in again.getvalue() and " 1 re-encrypted" not in again.getvalue()

    after = stored_values(version, activity, check_in, alert)
    assert all(new != old and new.startswith(crypto.PREFIX) for new, old in zip(after, before, strict=True))
    with override_settings(ENCRYPTION_KEYS=[new_key]):  # the old key dropped
        assert GoalVersion.objects.get(pk=version.pk).text == GOAL
        assert Activity.objects.get(pk=activity.pk).text == STEP
        assert CheckIn.objects.get(pk=check_in.pk).note == NOTE
        assert CheckIn.objects.get(pk=later_note.pk).note == "Better day"
        assert Alert.objects.get(pk=alert.pk).note == ACK
    with pytest.raises(crypto.DecryptionError):  # and the old key alone no longer reads them
        CheckIn.objects.get(pk=check_in.pk)


def test_rotate_keys_reports_values_no_key_can_read_and_leaves_them():
    _version, _activity, check_in, _alert = records()
    with override_settings(ENCRYPTION_KEYS=[Fernet.generate_key().decode()]):
        out = io.StringIO()
        with pytest.raises(CommandError, match="could not be decrypted"):
            call_command("rotate_keys", stdout=out)
        assert "care.CheckIn.note: 0 re-encrypted, 0 already under the first key, 0 empty, 1 unreadable" in (
            out.getvalue())
    assert CheckIn.objects.get(pk=check_in.pk).note == NOTE


def test_no_keys_means_no_encryption_rather_than_plain_text():
    from django.core.exceptions import ImproperlyConfigured

    with override_settings(ENCRYPTION_KEYS=[], ENCRYPTION_KEYS_PROBLEM="CAREMATCH_ENCRYPTION_KEYS is not set."), \
            pytest.raises(ImproperlyConfigured, match="CAREMATCH_ENCRYPTION_KEYS"):
        crypto.encrypt(NOTE)


def test_the_migration_step_encrypts_plain_rows_once_and_decrypts_them_back():
    from django.db.migrations.loader import MigrationLoader

    _version, _activity, check_in, _alert = records()
    write_raw("care_checkin", "note", check_in.pk, NOTE)
    # The state the step runs in: the column still a plain TextField, read and written as stored.
    plain_state = MigrationLoader(connection).project_state(("care", "0001_initial")).apps
    step = crypto.encrypt_column_operation("care", "CheckIn", "note")
    # The step runs before the history guards are installed (and after they are dropped when
    # unapplied); here they exist, so the re-encryption marker lets it write.
    Reencryption.objects.create(started_at=timezone.now())

    step.code(plain_state, None)
    once = raw("care_checkin", "note", check_in.pk)
    assert once.startswith(crypto.PREFIX) and CheckIn.objects.get(pk=check_in.pk).note == NOTE
    step.code(plain_state, None)
    assert raw("care_checkin", "note", check_in.pk) == once  # running it again changes nothing
    step.reverse_code(plain_state, None)
    assert raw("care_checkin", "note", check_in.pk) == NOTE


def test_pages_and_the_api_show_the_words(client):
    from carematch.accounts.tests.factories import auth_header

    _version, activity, _check_in, _alert = records()
    me = activity.client
    client.force_login(me.user)
    page = client.get("/progress/").content.decode()
    assert GOAL in page and STEP in page and NOTE in page
    response = client.get(f"/api/v1/clients/{me.pk}/plan/activities", **auth_header(me.user))
    assert response.status_code == 200, response.content
    assert response.json()[0]["text"] == STEP and response.json()[0]["check_ins"][0]["note"] == NOTE
