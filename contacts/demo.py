"""The well-known demo credentials that `manage.py demo` installs and docs/dialects.md's curl examples use.

They are public, so the demo command refuses to install them unless DEBUG is on (or it is told otherwise).
"""

DEMO_ORG_SLUG = "demo"
DEMO_ORG_NAME = "Demo Workspace"
DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_EMAIL = "admin@demo.example"
DEMO_ADMIN_PASSWORD = "demo-admin-password"  # noqa: S105 - documented demo login
DEMO_AGENT_USERNAME = "agent"
DEMO_AGENT_EMAIL = "agent@demo.example"
DEMO_AGENT_PASSWORD = "demo-agent-password"  # noqa: S105 - documented demo login

# Bearer / x-api-key key with every scope (Mobivate, Contactship, Callbell). Its first 16 characters are its prefix.
DEMO_API_KEY = "crm_demo00000000-demo-api-key-do-not-use-in-production"
# Awal: HMAC client, signing secret, workspace (X-Domain) and sender number (phone_number_id).
DEMO_HMAC_CLIENT_ID = "demo-awal-client"
DEMO_HMAC_SECRET = "demo-awal-secret-do-not-use-in-production"  # noqa: S105
DEMO_SENDER_NUMBER_ID = "123456"
DEMO_SENDER_NUMBER = "+966500000000"
# Salesforce Marketing Cloud: client-credentials OAuth client.
DEMO_OAUTH_CLIENT_ID = "demo-sfmc-client"
DEMO_OAUTH_CLIENT_SECRET = "demo-sfmc-secret-do-not-use-in-production"  # noqa: S105

DEMO_TAGS = ["VIP", "Lead", "Call back", "Interested"]
DEMO_GROUPS = ["Leads", "Customers"]
DEMO_BRANCHES = ["Riyadh", "London"]
DEMO_TEAMS = ["Support", "Sales"]
# (key, type, choices)
DEMO_CUSTOM_FIELDS = [
    ("Billing Address", "text", []),
    ("birthday", "date", []),
    ("plan", "choice", ["free", "pro", "enterprise"]),
    ("interests", "multichoice", ["sms", "email", "whatsapp"]),
    ("CITY", "text", []),
]

# The sample contacts. None of their phone numbers (in any spelling), emails, aliases, contact keys or names is used
# by an example in the vendors' documentation or in docs/dialects/*.md, so every one of those examples runs against a
# fresh `make run` exactly as printed (tests/test_contract_examples.py and tests/test_doc_examples.py hold them to it).
DEMO_CONTACTS = [
    dict(name="Layla Hassan", phone="+966553219876", email="layla.hassan@demo.example", source="whatsapp",
         tags=["VIP"], groups=["Customers"], custom_fields={"CITY": "Riyadh", "plan": "pro"}),
    dict(name="Oliver", phone="+447400123456", alias="oliver", source="sms", tags=["Lead"],
         custom_fields={"CITY": "London"}),
    dict(name="Sofía Ramírez", full_name="Sofía Ramírez", phone="+525512345678", email="sofia@ejemplo.mx",
         country="México", source="api", tags=["Interested", "Call back"], groups=["Leads"],
         custom_fields={"birthday": "1990-02-03"}),
    dict(name="Wei Chen", email="wchen@demo.example", contact_key="wchen@demo.example", source="email",
         custom_fields={"interests": ["email"]}),
    dict(name="Grace Okafor", phone="+13125550187", source="sms", is_favorite=True, tags=["VIP", "Lead"]),
]  # fmt: skip
