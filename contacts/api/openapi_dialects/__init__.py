"""The five dialects' operations in the OpenAPI description, one module per dialect, each as its doc in
docs/dialects/ states them: path and query parameters, request bodies, every success body, and each error status
with the dialect's own error body. The views carry them as decorators (`@openapi_dialects.callbell_list`);
`contacts.api.openapi.postprocess` calls `finish` to add the components they refer to."""

from __future__ import annotations

from contacts.api.openapi_dialects import awal, callbell, contactship, mobivate, sfmc
from contacts.api.openapi_dialects._schema import COMPONENTS, finish

mobivate_list = mobivate.list_contacts
mobivate_create = mobivate.create
mobivate_update = mobivate.update
mobivate_delete = mobivate.delete

awal_list = awal.list_contacts
awal_create = awal.create
awal_retrieve = awal.retrieve
awal_update = awal.update
awal_delete = awal.delete

callbell_list = callbell.list_contacts
callbell_create = callbell.create
callbell_retrieve = callbell.retrieve
callbell_update = callbell.update
callbell_delete = callbell.delete
callbell_by_phone = callbell.by_phone

contactship_list = contactship.list_contacts
contactship_create = contactship.create
contactship_retrieve = contactship.retrieve
contactship_update = contactship.update
contactship_delete = contactship.delete

sfmc_token = sfmc.token
sfmc_contact_create = sfmc.contact_create
sfmc_contact_update = sfmc.contact_update
sfmc_contact_delete = sfmc.contact_delete
sfmc_email_search = sfmc.email_search
sfmc_attribute_sets = sfmc.attribute_sets

__all__ = ["COMPONENTS", "finish"]
