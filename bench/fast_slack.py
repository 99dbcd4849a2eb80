"""A Slack Web API stand-in that answers every call at once, for load tests (run as a process)."""

from __future__ import annotations

import itertools
import sys
import time

from aiohttp import web

_ts = itertools.count(1)


async def api(request: web.Request) -> web.Response:
    """Answer any Web API method with what the bot needs from it."""
    method = request.match_info["method"]
    await request.read()
    ts = f"{int(time.time())}.{next(_ts):06d}"
    body: dict[str, object] = {"ok": True, "ts": ts, "channel": "C0DESK"}
    if method == "auth.test":
        body.update(team_id="T0TEAM", user_id="U0BOT", bot_id="B0BOT")
    elif method == "conversations.open":
        body["channel"] = {"id": "D0DM"}
    elif method == "users.info":
        user = request.query.get("user", "U1")
        body["user"] = {"id": user, "profile": {"real_name": user, "email": f"{user}@example.com"}}
    elif method == "usergroups.users.list":
        body["users"] = []
    elif method.startswith("views."):
        body["view"] = {"id": "V1"}
    return web.json_response(body)


async def response_url(request: web.Request) -> web.Response:
    """Accept a response_url post."""
    await request.read()
    return web.json_response({"ok": True})


def main() -> None:
    """Serve on the port given as the only argument."""
    app = web.Application()
    app.router.add_route("*", "/api/{method}", api)
    app.router.add_post("/response/{rid}", response_url)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
