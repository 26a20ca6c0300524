"""The CRM's own REST API, `/api/v1/`: contacts and their vocabularies in the canonical model's terms."""
