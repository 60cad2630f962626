"""How every form is rendered so that anyone can use it: the project's form renderer and the
template helpers of the one field include (templates/includes/field.html).

- Django marks an invalid input with `aria-invalid="true"` and describes a single input by its
  help and error. The inputs of a radio or checkbox group are left undescribed (the group's
  fieldset is); `AccessibleBoundField` also describes each input of an invalid group by the
  group's error, so that a screen reader moving from answer to answer hears what is wrong.
- `page_has_form_errors` tells base.html whether any form on the page has errors, whatever the
  view named it (`form`, `send_form`, a list of rows each with a `form`), so the title starts
  with "Error: " on every page with a failed form.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import template
from django.forms import BaseForm, BoundField, Widget
from django.forms.formsets import BaseFormSet
from django.forms.renderers import DjangoTemplates

register = template.Library()


class AccessibleBoundField(BoundField):
    def build_widget_attrs(self, attrs: dict[str, Any], widget: Widget | None = None) -> dict[str, Any]:
        built: dict[str, Any] = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        if (self.use_fieldset and self.errors and self.auto_id and not built.get("aria-describedby")
                and not widget.attrs.get("aria-describedby")):
            built["aria-describedby"] = f"{self.auto_id}_error"
        return built


class FormRenderer(DjangoTemplates):
    """Django's renderer (FORM_RENDERER), whose forms use `AccessibleBoundField`."""

    bound_field_class = AccessibleBoundField


def _forms_in(value: Any) -> Iterator[BaseForm]:
    if isinstance(value, BaseForm):
        yield value
    elif isinstance(value, BaseFormSet):
        yield from value.forms
        yield value.management_form
    elif isinstance(value, list | tuple):
        # Pages listing rows with a form each (alerts, crisis requests): one level deep only.
        for item in value:
            inner = item.get("form") if isinstance(item, dict) else getattr(item, "form", None)
            if isinstance(item, BaseForm):
                yield item
            elif isinstance(inner, BaseForm):
                yield inner


@register.simple_tag(takes_context=True)
def page_has_form_errors(context: template.Context) -> bool:
    """Whether a bound form anywhere in the page's context has errors."""
    for value in context.flatten().values():
        for form in _forms_in(value):
            if form.is_bound and form.errors:
                return True
    return False


@register.filter
def summary_line(label: Any, error: Any) -> str:
    """One line of the error summary: the field's label, then its error ("Email address: Enter
    a valid email address."; a label that ends in its own punctuation needs no colon)."""
    name = str(label or "").strip()
    if not name:
        return str(error)
    return f"{name} {error}" if name[-1] in "?.!:" else f"{name}: {error}"
