"""The default org's credentials, for tests of code that logs in to sfmock."""

USERNAME = "integration@sfmock.dev"
PASSWORD = "sfmock-password"
TOKEN = "sfmock-token"
CLIENT_ID = "sfmock-client-id"
CLIENT_SECRET = "sfmock-client-secret"
INSTANCE_URL = "https://sfmock-dev-ed.my.salesforce.com"
