"""What matching keeps in the database."""

from __future__ import annotations

from django.db import models


class DirectoryVersion(models.Model):
    """One row whose token changes with every write to the directory that matching reads
    (providers, licenses, weekly windows), in the same transaction as the write.

    Each process keeps its snapshot of the directory until the token it was built at is no
    longer the stored one. The token is random rather than a counter, so a write that is
    rolled back and another that follows can never leave the same value behind.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    token = models.CharField(max_length=32)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="directory_version_single_row")]

    def __str__(self) -> str:
        return f"directory version {self.token}"
