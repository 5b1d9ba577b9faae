"""People: imported from a CSV export, linked to their Salesforce Contact or Lead by email."""

from .csv_import import ImportReport, import_people_csv
from .link import LinkReport, link_people

__all__ = ["ImportReport", "LinkReport", "import_people_csv", "link_people"]
