"""One module per vendor dialect. Each only translates between the vendor's shapes and contacts.services."""
