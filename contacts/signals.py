"""Keep derived, cached views of contacts fresh when contacts change one at a time."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from contacts.models import Contact
from contacts.services.dashboard import invalidate_dashboard


@receiver(post_save, sender=Contact)
@receiver(post_delete, sender=Contact)
def contact_changed(sender, instance: Contact, **kwargs) -> None:
    invalidate_dashboard(instance.organization_id)


@receiver(m2m_changed, sender=Contact.tags.through)
def contact_tags_changed(sender, instance, action: str, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear") and isinstance(instance, Contact):
        invalidate_dashboard(instance.organization_id)
