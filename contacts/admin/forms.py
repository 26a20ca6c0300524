"""Admin forms: the contact form validates with the same rules as the API (phone policy, typed custom fields,
same-organization references) and offers each custom field as a typed input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.core.files.uploadedfile import UploadedFile

from contacts.errors import ContactsError
from contacts.models import Contact, ContactSource, CustomField, CustomFieldType, Organization
from contacts.services.avatars import process_avatar
from contacts.services.custom_fields import clean_custom_field_value
from contacts.services.phones import normalize_phone

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
    """Subclassed per request by ContactAdmin.get_form with one declared field per custom field definition."""

    custom_field_definitions: list[CustomField] = []
    form_organization: Organization | None = None

    avatar_url = forms.URLField(
        required=False, max_length=2000, assume_scheme="https", label="Avatar URL", help_text="Stored, never fetched."
    )

    class Meta:
        model = Contact
        fields = [
            "organization", "name", "full_name", "alias", "contact_key", "is_favorite", "phone", "email", "source",
            "avatar", "avatar_url", "country", "address", "description", "note", "bot_status", "branch", "team",
            "assigned_user", "groups", "tags",
        ]  # fmt: skip
        widgets = {"note": forms.Textarea(attrs={"rows": 3}), "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.form_organization is not None and not self.instance.organization_id:
            self.instance.organization = self.form_organization
        if not self.instance.pk and "source" not in kwargs.get("initial", {}):
            # Typed in by a person; the model's default (API) is for contacts created through the API.
            self.initial["source"] = ContactSource.MANUAL
        if "phone" in self.fields:
            # The model field's form class would apply libphonenumber's strict validity; ours is the policy.
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

    def _organization(self) -> Organization | None:
        return (
            self.cleaned_data.get("organization")
            or self.form_organization
            or getattr(self.instance, "organization", None)
        )

    def clean_phone(self) -> str | None:
        raw = self.cleaned_data.get("phone")
        if not raw:
            return None
        organization = self.cleaned_data.get("organization") or self.form_organization
        if organization is None and self.instance.organization_id:
            organization = self.instance.organization
        try:
            normalized = normalize_phone(raw, default_region=organization.default_region if organization else None)
        except ContactsError as exc:
            raise forms.ValidationError(exc.message) from None
        self.instance.phone_valid = normalized.is_valid
        return normalized.e164

    def clean_avatar(self):
        avatar = self.cleaned_data.get("avatar")
        if isinstance(avatar, UploadedFile):
            try:
                return process_avatar(avatar, field="avatar")
            except ContactsError as exc:
                raise forms.ValidationError(exc.message) from None
        return avatar

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for field in ("alias", "contact_key"):
            if field in cleaned and not cleaned[field]:
                cleaned[field] = None
        organization = self._organization()
        if organization is not None:
            # The organization may be excluded from the form (staff of one organization), which makes Django
            # skip the per-organization unique constraints; check them here with a clear message.
            for field in ("phone", "alias", "contact_key"):
                value = cleaned.get(field)
                if value and (
                    Contact.objects.filter(organization=organization, **{field: value})
                    .exclude(pk=self.instance.pk)
                    .exists()
                ):
                    self.add_error(field, f"A contact with this {field.replace('_', ' ')} already exists.")
            for field in ("branch", "team"):
                value = cleaned.get(field)
                if value is not None and value.organization_id != organization.pk:
                    self.add_error(field, "Belongs to another organization.")
            for field in ("tags", "groups"):
                for value in cleaned.get(field) or []:
                    if value.organization_id != organization.pk:
                        self.add_error(field, f"{value} belongs to another organization.")
                        break
            user = cleaned.get("assigned_user")
            if user is not None and not user.memberships.filter(organization=organization).exists():
                self.add_error("assigned_user", "Not a member of this organization.")
        if self.custom_field_definitions:
            values = dict(self.instance.custom_fields or {})
            order = list(self.instance.custom_field_order or [])
            for definition in self.custom_field_definitions:
                name = CUSTOM_FIELD_PREFIX + str(definition.pk)
                if name not in cleaned:
                    continue
                value = cleaned[name]
                if value in (None, "", []) and definition.field_type != CustomFieldType.BOOLEAN:
                    values.pop(definition.key, None)
                    continue
                try:
                    values[definition.key] = clean_custom_field_value(definition, value)
                except ContactsError as exc:
                    self.add_error(name, exc.message)
                    continue
                if definition.key not in order:
                    order.append(definition.key)
            self.instance.custom_fields = values
            self.instance.custom_field_order = [key for key in order if key in values]
        return cleaned
