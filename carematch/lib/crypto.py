"""Encryption at rest for free text about a person's care (and other secrets kept in rows).

Values are encrypted with Fernet (AES-128-CBC with HMAC-SHA256: authenticated, so a changed
or truncated value is refused rather than read as garbage) under a MultiFernet of the keys in
settings.ENCRYPTION_KEYS: the first key encrypts, every key decrypts. Keys come from
CAREMATCH_ENCRYPTION_KEYS or CAREMATCH_ENCRYPTION_KEY_FILE (carematch/settings.py), never
from the database, so a copy of the database alone never yields the text.

A stored value is `enc1:` followed by the Fernet token. The prefix names the format, so a
row that is still plain text is recognised (and refused) rather than fed to the decryption,
and a later format can sit beside this one. The empty string is stored as itself: "no note"
stays visible to check constraints such as `note <> ''`, and reveals nothing a form's
optional field does not already.

To add a key: put the new key first in CAREMATCH_ENCRYPTION_KEYS, keep the old ones after
it, restart, run `carematch rotate_keys`, then drop the old keys.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models
from django.db.models import lookups

PREFIX = "enc1:"


class DecryptionError(ValueError):
    """A stored value is not one carematch encrypted with any of the configured keys: it was
    changed, written as plain text, or encrypted under a key that has since been dropped."""


def _keys() -> tuple[str, ...]:
    problem = getattr(settings, "ENCRYPTION_KEYS_PROBLEM", None)
    if problem:
        raise ImproperlyConfigured(problem)
    keys = tuple(getattr(settings, "ENCRYPTION_KEYS", ()) or ())
    if not keys:
        raise ImproperlyConfigured("CAREMATCH_ENCRYPTION_KEYS is not set: no key to encrypt clinical notes with.")
    return keys


@functools.lru_cache(maxsize=4)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


def _cipher() -> MultiFernet:
    return _multi_fernet(_keys())


def encrypt(text: str) -> str:
    """The stored form of `text`: `enc1:<Fernet token>` under the first key; '' for ''."""
    if not isinstance(text, str):
        raise TypeError("Only text can be encrypted.")
    if text == "":
        return ""
    return PREFIX + _cipher().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str, *, where: str = "a stored value") -> str:
    """The text of a stored value, or DecryptionError naming `where` (never the value)."""
    if token == "":
        return ""
    if not isinstance(token, str) or not token.startswith(PREFIX):
        raise DecryptionError(f"{where} is not encrypted; run the migrations that encrypt it.")
    try:
        return _cipher().decrypt(token[len(PREFIX):].encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionError(
            f"{where} could not be authenticated with any configured encryption key: "
            "it was altered, or its key is no longer in CAREMATCH_ENCRYPTION_KEYS."
        ) from exc


def rotate(token: str, *, where: str = "a stored value") -> str:
    """`token` re-encrypted under the first key (unchanged when empty); refuses what does not
    authenticate, exactly as decrypt does."""
    if token == "":
        return ""
    if not token.startswith(PREFIX):
        raise DecryptionError(f"{where} is not encrypted; run the migrations that encrypt it.")
    try:
        return PREFIX + _cipher().rotate(token[len(PREFIX):].encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionError(
            f"{where} could not be authenticated with any configured encryption key."
        ) from exc


def encrypted_under_first_key(token: str) -> bool:
    """Whether `token` already authenticates under the first (encrypting) key."""
    if token == "" or not token.startswith(PREFIX):
        return token == ""
    first = _keys()[0]
    try:
        Fernet(first.encode("ascii")).decrypt(token[len(PREFIX):].encode("ascii"))
    except (InvalidToken, UnicodeError):
        return False
    return True


# --- The model field -------------------------------------------------------------------------

_ALLOWED_LOOKUPS = frozenset({"exact", "isnull"})


class EncryptedExact(lookups.Exact):
    """`field=''` only: whether there is any text. Encryption is randomised, so comparing with
    any other text could never match and would only mislead."""

    def get_prep_lookup(self) -> Any:
        if not hasattr(self.rhs, "resolve_expression") and self.rhs != "":
            raise FieldError(
                f"{self.lhs.output_field.name} is encrypted: it can only be compared with '' (or tested with isnull)."
            )
        return super().get_prep_lookup()


class EncryptedTextField(models.TextField):
    """Text encrypted on save and decrypted on load (see this module's docstring).

    Only `isnull` and `exact` with '' are possible lookups: searching, ordering by or
    comparing the text would have to happen in the database, which never sees it."""

    description = "Text encrypted at rest"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return decrypt(value, where=self._where())

    def to_python(self, value: Any) -> Any:
        return value if value is None or isinstance(value, str) else str(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt(value)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return EncryptedExact
        if lookup_name in _ALLOWED_LOOKUPS:
            return super().get_lookup(lookup_name)
        raise FieldError(f"{self.name} is encrypted: the '{lookup_name}' lookup is not possible on it.")

    def get_transform(self, lookup_name: str) -> Any:
        raise FieldError(f"{self.name} is encrypted: the '{lookup_name}' lookup is not possible on it.")

    def _where(self) -> str:
        model = getattr(self, "model", None)
        return f"{model._meta.db_table}.{self.column}" if model is not None else "an encrypted value"


def encrypted_fields() -> Iterator[tuple[type[models.Model], EncryptedTextField]]:
    """Every (model, field) of the installed apps whose column is encrypted."""
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field


# --- Migrations: encrypting a column that held plain text ----------------------------------------

MIGRATION_BATCH = 500


def _rewrite_column(apps: Any, app_label: str, model_name: str, field: str, change: Any) -> None:
    model = apps.get_model(app_label, model_name)
    last_pk = 0
    while True:
        rows = list(
            model._base_manager.filter(pk__gt=last_pk).order_by("pk").values_list("pk", field)[:MIGRATION_BATCH]
        )
        if not rows:
            return
        for pk, value in rows:
            new = change(value)
            if new != value:
                model._base_manager.filter(pk=pk).update(**{field: new})
        last_pk = rows[-1][0]


def _encrypted_form(value: str | None) -> str | None:
    """The value as it should be stored: already-encrypted values stay as they are (so the
    step can run again); plain text, even one that happens to start like a token, is encrypted."""
    if value is None or value == "":
        return value
    if value.startswith(PREFIX):
        try:
            decrypt(value)
        except DecryptionError:
            return encrypt(value)
        return value
    return encrypt(value)


def encrypt_column_operation(app_label: str, model_name: str, field: str) -> Any:
    """A reversible RunPython that encrypts `field`'s plain-text rows in place (and decrypts
    them back when unapplied). Run it while the migration state still has `field` as a plain
    TextField, so its values are read and written as stored."""
    from django.db import migrations

    def forward(apps: Any, schema_editor: Any) -> None:
        _rewrite_column(apps, app_label, model_name, field, _encrypted_form)

    def backward(apps: Any, schema_editor: Any) -> None:
        _rewrite_column(apps, app_label, model_name, field,
                        lambda value: decrypt(value) if value and value.startswith(PREFIX) else value)

    return migrations.RunPython(forward, backward, elidable=False)
