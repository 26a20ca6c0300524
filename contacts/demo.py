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
