"""REST API versions an org serves, named by their releases as `/services/data` lists them.

Salesforce ships three releases a year (Spring, Summer, Winter) and each adds one API version:
31.0 was Summer '14, so 59.0 is Winter '24 and 68.0 Winter '27, the current release. Versions
21.0 to 30.0 were retired in Summer '25, so a current org lists 31.0 onwards.
"""

from __future__ import annotations

OLDEST = 31
CURRENT = 68
SEASONS = ("Summer", "Winter", "Spring")  # the release of 31.0, then the two after it


def release(version: int) -> str:
    """The release that introduced an API version: 31 -> "Summer '14", 68 -> "Winter '27"."""
    step = version - OLDEST
    # Winter's release is named for the following year (Winter '15 shipped in late 2014).
    return f"{SEASONS[step % 3]} '{14 + (step + 2) // 3:02d}"


API_VERSIONS = [f"{v}.0" for v in range(OLDEST, CURRENT + 1)]
RELEASES = {v: release(v) for v in range(OLDEST, CURRENT + 1)}
# A live org spells this one label with a typographic apostrophe, and clients see it as is
# (GET https://appexchange.salesforce.com/services/data: "Spring ’18" for 42.0).
RELEASES[42] = "Spring \u201918"


def listing() -> list[dict]:
    """The body of `GET /services/data`: oldest first, each with its release's label."""
    return [{"label": RELEASES[int(float(v))], "url": f"/services/data/v{v}", "version": v}
            for v in API_VERSIONS]


def version_in_path(path: str) -> str:
    """The API version a data path names: `/services/data/v59.0/...` and Bulk 1.0's
    `/services/async/59.0/...` both give "59.0"."""
    parts = path.split("/")
    segment = parts[3] if len(parts) > 3 else ""
    return segment[1:] if parts[2:3] == ["data"] else segment
