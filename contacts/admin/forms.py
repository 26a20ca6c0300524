"""Admin forms: the contact form collects input and hands it to the contact services, which validate and write
it (phone policy, typed custom fields, same-organization references, uniqueness); it offers each custom field as a
typed input and shows a service's refusal on the field it names."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.core.files.uploadedfile import UploadedFile

from contacts.errors import ContactsError
from contacts.models import Contact, ContactSource, CustomField, CustomFieldType, Organization
from contacts.services.avatars import process_avatar
from contacts.services.contact_fields import WRITABLE_FIELDS

# Every field the services write that a person edits in the form: all but the custom fields (one input each,
# added per organization) and the vendor attribute sets (shown read-only).
ADMIN_FIELDS = tuple(name for name in WRITABLE_FIELDS if name not in ("custom_fields", "attributes"))

CUSTOM_FIELD_PREFIX = "cf_"


def custom_field_form_field(definition: CustomField) -> forms.Field:
    label = definition.label or definition.key
    kind = definition.field_type
    common = {"label": label, "required": False, "help_text": f"Custom field “{definition.key}” ({kind})"}
    if kind == CustomFieldType.NUMBER:
        return forms.DecimalField(**common)
    if kind == CustomFieldType.DATE:
        return forms.DateField(widget=AdminDateWidget, **common)
    if kind == CustomFieldType.BOOLEAN:
        return forms.BooleanField(**common)
    if kind == CustomFieldType.URL:
        return forms.URLField(assume_scheme="https", **common)
    if kind == CustomFieldType.EMAIL:
        return forms.EmailField(**common)
    if kind == CustomFieldType.CHOICE:
        return forms.ChoiceField(choices=[("", "---------")] + [(c, c) for c in definition.choices], **common)
    if kind == CustomFieldType.MULTICHOICE:
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in definition.choices], widget=forms.CheckboxSelectMultiple, **common
        )
    return forms.CharField(max_length=10_000, **common)


class ContactAdminForm(forms.ModelForm):
    """Subclassed per request by ContactAdmin.get_form with one declared field per custom field definition.

    It validates only what a form field can (types, lengths, choices offered); everything else, and every
    write, is the service's (ContactAdmin.save_model). `service_errors` are refusals of an earlier attempt at
    saving the same input, shown on the fields they name.
    """

    custom_field_definitions: list[CustomField] = []
    form_organization: Organization | None = None
    service_errors: tuple[ContactsError, ...] = ()

    avatar_url = forms.URLField(
        required=False, max_length=2000, assume_scheme="https", label="Avatar URL", help_text="Stored, never fetched."
    )

    class Meta:
        model = Contact
        fields = ["organization", *ADMIN_FIELDS]
        widgets = {"note": forms.Textarea(attrs={"rows": 3}), "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.form_organization is not None and not self.instance.organization_id:
            self.instance.organization = self.form_organization
        if not self.instance.pk and "source" not in kwargs.get("initial", {}):
            # Typed in by a person; the model's default (API) is for contacts created through the API.
            self.initial["source"] = ContactSource.MANUAL
        if "phone" in self.fields:
            # Raw text: the service reads it by the phone policy (libphonenumber's strict validity is not it).
            self.fields["phone"] = forms.CharField(
                required=False,
                max_length=40,
                label="Phone",
                help_text="Any common format; national numbers use the organization's default region.",
                initial=self.instance.phone_e164 if self.instance.pk else "",
            )
            if self.instance.pk:
                self.initial["phone"] = self.instance.phone_e164
        stored = self.instance.custom_fields or {}
        for definition in self.custom_field_definitions:
            name = CUSTOM_FIELD_PREFIX + str(definition.pk)
            if definition.key in stored:
                self.initial[name] = stored[definition.key]

    def clean_avatar(self):
        avatar = self.cleaned_data.get("avatar")
        if isinstance(avatar, UploadedFile):
            # As the API does: the service stores only a verified, re-encoded copy.
            try:
                return process_avatar(avatar, field="avatar")
            except ContactsError as exc:
                raise forms.ValidationError(_sentence(exc.message)) from None
        return avatar

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for error in self.service_errors:
            self.add_service_error(error)
        return cleaned

    def _post_clean(self) -> None:
        # ModelForm would copy the input onto the instance and validate it as a model, uniqueness included: a
        # second set of rules, and a check-then-insert that races. The service validates and the database
        # decides uniqueness; the instance stays the stored contact until the service has saved it.
        pass

    # --- to and from the service ----------------------------------------------------------------------------
    def service_arguments(self, *, changed_only: bool) -> dict[str, Any]:
        """The input as keyword arguments of `create_contact` (every field) or of `update_contact` with
        `custom_fields_mode="patch"` (`changed_only`: the fields the person changed)."""
        data = self.cleaned_data
        arguments: dict[str, Any] = {}
        for name in _SERVICE_FIELDS:
            if name in data and (not changed_only or name in self.changed_data):
                value = data[name]
                arguments[name] = list(value) if name in ("tags", "groups") else value
        if "avatar" in self.changed_data:
            # A processed upload, or False when "Clear" was ticked.
            arguments["avatar"] = data["avatar"] or None
        custom: dict[str, Any] = {}
        for definition in self.custom_field_definitions:
            name = CUSTOM_FIELD_PREFIX + str(definition.pk)
            if name not in data or (changed_only and name not in self.changed_data):
                continue
            value = data[name]
            if value in (None, "", []) and definition.field_type != CustomFieldType.BOOLEAN:
                value = None  # emptied: the key is removed
            if value is not None or changed_only:
                custom[definition.key] = value
        if custom:
            arguments["custom_fields"] = custom
        return arguments

    def add_service_error(self, error: ContactsError) -> None:
        """Show a service's refusal on the input it names, or above the form when it names none of them."""
        details = getattr(error, "details", None) or {error.field: error.message}
        for field, message in details.items():
            self.add_error(self._form_field(field), _sentence(message))

    def _form_field(self, field: str | None) -> str | None:
        if field is None:
            return None
        if field.startswith("custom_fields."):
            key = field.removeprefix("custom_fields.")
            field = next(
                (CUSTOM_FIELD_PREFIX + str(d.pk) for d in self.custom_field_definitions if d.key == key), field
            )
        return field if field in self.fields else None


def _sentence(message: str) -> str:
    # The admin's own messages are sentences ("Enter a valid date."); the services' are not.
    return message if message.endswith(".") else f"{message}."


# The form's fields that the contact services take under the same name (the avatar upload is processed first).
_SERVICE_FIELDS = tuple(name for name in ADMIN_FIELDS if name != "avatar")
