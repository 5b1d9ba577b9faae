"""OAuth identity: the identity URL, UserInfo, token revocation and introspection.

Shapes follow recorded answers of real orgs (client libraries' fixtures). The identity URL
names the host that issued the token (`https://login.salesforce.com/id/...` for a token from
login.salesforce.com), while the `urls` inside point at the org's instance.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .org import SESSION_SECONDS, Org, Session


def identity_url(login_base: str, org: Org, user_id: str) -> str:
    """`https://<issuing host>/id/<orgId>/<userId>`, the `id` of a token response."""
    return f"{login_base.rstrip('/')}/id/{org.org_id}/{user_id}"


def _urls(org: Org, instance: str, user_id: str) -> dict:
    org15 = org.org_id[:15]
    data = f"{instance}/services/data/v{{version}}"
    return {
        "enterprise": f"{instance}/services/Soap/c/{{version}}/{org15}",
        "metadata": f"{instance}/services/Soap/m/{{version}}/{org15}",
        "partner": f"{instance}/services/Soap/u/{{version}}/{org15}",
        "rest": f"{data}/",
        "sobjects": f"{data}/sobjects/",
        "search": f"{data}/search/",
        "query": f"{data}/query/",
        "recent": f"{data}/recent/",
        "tooling_soap": f"{instance}/services/Soap/T/{{version}}/{org15}",
        "tooling_rest": f"{data}/tooling/",
        "profile": f"{instance}/{user_id}",
        "feeds": f"{data}/chatter/feeds",
        "groups": f"{data}/chatter/groups",
        "users": f"{data}/chatter/users",
        "feed_items": f"{data}/chatter/feed-items",
        "feed_elements": f"{data}/chatter/feed-elements",
        "custom_domain": instance,
    }


def _versioned(urls: dict, version: str | None) -> dict:
    """`?version=59.0` fills the `{version}` placeholders (`latest` is not resolved)."""
    if not version:
        return urls
    return {k: v.replace("{version}", version) for k, v in urls.items()}


def utc_offset_ms(time_zone: str) -> int:
    """The zone's standard offset in milliseconds (real orgs send it without DST)."""
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    now = datetime.now(zone)
    offset = now.utcoffset() - (now.dst() or timedelta(0))
    return int(offset.total_seconds() * 1000)


def _photos(instance: str) -> dict:
    return {"picture": f"{instance}/profilephoto/005/F", "thumbnail": f"{instance}/profilephoto/005/T"}


def identity(org: Org, user_id: str, *, login_base: str, instance: str,
             version: str | None = None) -> dict:
    """The body of `GET /id/<orgId>/<userId>`."""
    user = org.user_record(user_id)
    time_zone = user.get("TimeZoneSidKey") or "America/Los_Angeles"
    return {
        "id": identity_url(login_base, org, user_id),
        "asserted_user": True,
        "user_id": user_id,
        "organization_id": org.org_id,
        "username": user["Username"],
        "nick_name": user["Username"].split("@")[0],
        "display_name": user.get("Name") or user["LastName"],
        "email": user["Email"],
        "email_verified": True,
        "first_name": user.get("FirstName") or None,
        "last_name": user["LastName"],
        "timezone": time_zone,
        "photos": _photos(instance),
        "addr_street": None,
        "addr_city": None,
        "addr_state": None,
        "addr_country": "US",
        "addr_zip": None,
        "mobile_phone": None,
        "mobile_phone_verified": False,
        "is_lightning_login_user": False,
        "status": {"created_date": None, "body": None},
        "urls": _versioned(_urls(org, instance, user_id), version),
        "active": bool(user.get("IsActive", True)),
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": utc_offset_ms(time_zone),
        "last_modified_date": _iso(user.get("LastModifiedDate")),
        "is_app_installed": True,
    }


def userinfo(org: Org, user_id: str, *, login_base: str, instance: str) -> dict:
    """The OpenID Connect UserInfo body of `/services/oauth2/userinfo`."""
    full = identity(org, user_id, login_base=login_base, instance=instance)
    return {
        "sub": full["id"],
        "user_id": user_id,
        "organization_id": org.org_id,
        "preferred_username": full["username"],
        "nickname": full["nick_name"],
        "name": full["display_name"],
        "email": full["email"],
        "email_verified": True,
        "given_name": full["first_name"],
        "family_name": full["last_name"],
        "zoneinfo": full["timezone"],
        "photos": full["photos"],
        "profile": full["urls"]["profile"],
        "picture": full["photos"]["picture"],
        "address": {"country": "US"},
        "is_salesforce_integration_user": False,
        "urls": full["urls"],
        "active": full["active"],
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": full["utcOffset"],
        "updated_at": full["last_modified_date"],
        "is_app_installed": True,
    }


def _iso(stamp: str | None) -> str | None:
    """`2026-11-28T20:00:00.000+0000` as the identity service writes it: `2026-11-28T20:00:00Z`."""
    if not stamp:
        return None
    return stamp[:19] + "Z"


def revoke(org: Org, token: str) -> bool:
    """Revoke an access token, or a refresh token and the sessions it opened; False if unknown."""
    with org.lock:
        if token in org.sessions:
            org.expire_sessions(token)
            return True
        found = org.refresh_tokens.pop(token, None)
        if found is None:
            return False
        user_id, client_id = found
        for session in list(org.sessions.values()):
            if session.user_id == user_id and session.client_id == client_id:
                org.expire_sessions(session.token)
        return True


def live_session(org: Org, token: str) -> Session | None:
    session = org.sessions.get(token)
    if session is None or session.expires_at <= time.time():
        return None
    return session


def introspect(org: Org, token: str, *, login_base: str) -> dict:
    """RFC 7662 introspection as Salesforce answers it: `{"active": false}` for a dead token."""
    session = live_session(org, token)
    if session is not None:
        issued = int(session.expires_at - SESSION_SECONDS)
        return {
            "active": True,
            "scope": "api",
            "client_id": session.client_id or "",
            "username": org.user_record(session.user_id)["Username"],
            "sub": identity_url(login_base, org, session.user_id),
            "token_type": "access_token",
            "exp": int(session.expires_at),
            "iat": issued,
            "nbf": issued,
        }
    found = org.refresh_tokens.get(token)
    if found is not None:
        user_id, client_id = found
        return {
            "active": True,
            "scope": "api refresh_token",
            "client_id": client_id,
            "username": org.user_record(user_id)["Username"],
            "sub": identity_url(login_base, org, user_id),
            "token_type": "refresh_token",
            "iat": int(datetime.now(UTC).timestamp()),
            "nbf": int(datetime.now(UTC).timestamp()),
        }
    return {"active": False}
