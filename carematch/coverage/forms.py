from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile

MAX_FILE_BYTES = 5 * 1024 * 1024


class CoverageFileForm(forms.Form):
    """A benefits file or a fee schedule to import."""

    file = forms.FileField(
        label="CSV file",
        help_text="A CSV file saved as UTF-8, up to 5 MB.",
        error_messages={"required": "Choose the file to import.",
                        "empty": "This file is empty. Choose the file to import."},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    dry_run = forms.BooleanField(label="Check only, write nothing", required=False)

    def __init__(self, *args: object, label: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["file"].label = label

    def clean_file(self) -> str:
        """The file's text. Read here so a bad upload is an error on this field, not a failed import."""
        upload: UploadedFile = self.cleaned_data["file"]
        raw = upload.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise forms.ValidationError("This file is larger than 5 MB. Split it into smaller files.")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(
                f"This file is not UTF-8 text (byte {exc.start + 1} cannot be read). "
                "Save it as “CSV UTF-8” and upload it again."
            ) from None
        if not text.strip():
            raise forms.ValidationError("This file is empty. Choose the file to import.")
        return text
