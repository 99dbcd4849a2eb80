# The bot's image: `docker build -t mfa-helpdesk .`, then `docker run mfa-helpdesk` serves
# (docs/deploy.md). Two stages: the first installs the package into a virtual environment,
# the second copies only that environment onto a clean base, so pip's caches, the sources
# and the build backend stay behind.

FROM python:3.12-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/mfa-helpdesk
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY sandbox ./sandbox
COPY teams ./teams
# Every dependency ships a wheel for CPython 3.12 on Linux: no compiler is needed, here or later.
RUN /opt/mfa-helpdesk/bin/pip install --only-binary=:all: --no-binary=mfa-helpdesk .
# microsoft-agents-hosting-msteams requires the Microsoft Graph SDK (380 of the environment's
# 530 MB), which only its own Graph helpers import; the bot calls Graph itself (bot/identity,
# teams/). Remove it, then import every module of the bot, so that a build fails if one needs it.
RUN /opt/mfa-helpdesk/bin/pip uninstall --yes msgraph-sdk pip \
    && /opt/mfa-helpdesk/bin/python -P -c "import importlib, pkgutil; [importlib.import_module(m.name) for top in ('bot', 'handlers', 'storage', 'sandbox', 'teams') for m in pkgutil.walk_packages(importlib.import_module(top).__path__, top + '.') if not m.name.endswith('__main__') and '.migrations' not in m.name]" \
    && /opt/mfa-helpdesk/bin/python -m compileall -q /opt/mfa-helpdesk

FROM python:3.12-slim
# The interpreter never writes bytecode at run time (the root file system may be read-only:
# everything was compiled in the build stage) and logs leave unbuffered; the charts' font cache
# goes to /tmp (writable: an emptyDir or tmpfs).
ENV PATH=/opt/mfa-helpdesk/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    PORT=3000
RUN groupadd --system --gid 10001 mfa \
    && useradd --system --uid 10001 --gid mfa --home-dir /app --shell /usr/sbin/nologin mfa \
    && mkdir /app && chown mfa:mfa /app
COPY --from=build /opt/mfa-helpdesk /opt/mfa-helpdesk
# The working directory holds nothing: Settings reads a .env from here only if one is mounted.
WORKDIR /app
USER 10001:10001
EXPOSE 3000
# /healthz answers 200 whenever the process serves (bot/web.py); slim images have no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '3000') + '/healthz', timeout=4)"]
ENTRYPOINT ["mfa-helpdesk"]
CMD ["serve"]
