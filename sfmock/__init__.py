"""sfmock: a Salesforce emulator for offline end-to-end tests, in server or in-process mode."""

from .app import create_app
from .inprocess import active_org, mock_salesforce
from .models.fixtures import load_fixtures
from .models.org import Org

__all__ = ["Org", "active_org", "create_app", "load_fixtures", "mock_salesforce"]
