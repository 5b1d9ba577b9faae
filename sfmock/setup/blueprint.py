"""The Setup blueprint, on which guard.py and pages.py register their hooks and routes."""

from flask import Blueprint

bp = Blueprint("setup", __name__, template_folder="templates", static_folder="static",
               static_url_path="/setup/static")
