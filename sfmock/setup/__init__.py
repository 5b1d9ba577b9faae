"""Setup pages: a small Salesforce Setup (login, Quick Find, Object Manager, page layout
editor, record pages, installed packages, API usage, record browser), server-rendered with
Flask and Jinja2. Mounted under /setup (and record pages under /lightning/r/...), outside
/services, so browsing them never counts as an API call."""

from flask import Blueprint

bp = Blueprint("setup", __name__, template_folder="templates", static_folder="static",
               static_url_path="/setup/static")

from . import guard, pages  # noqa: E402, F401  (they register their routes and hooks on bp)
