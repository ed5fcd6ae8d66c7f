# mockai as a service:   docker build -t mockai .   then   docker run --rm -p 8000:8000 mockai
# Flags go after the image name (`docker run ... mockai serve --seed 7`) or in MOCKAI_* variables (`-e MOCKAI_SEED=7`).
#
# BASE needs python3 (3.11 or newer) with its venv module: the official slim image by default, or any Debian-like
# image with python3-venv (`--build-arg BASE=...`, e.g. a bookworm made with debootstrap where no registry is reachable).
ARG BASE=python:3.11-slim

FROM ${BASE} AS build
WORKDIR /src
COPY pyproject.toml setup.py README.md LICENSE ./
COPY mockai ./mockai
COPY schemas ./schemas
COPY fixtures ./fixtures
# `mockai prepare` fits the token models and verifies the rank tables now, so no container pays that (1-2 s an
# encoding) on its first reply: the unprivileged user below has no home to keep a cache in, and reads this one.
RUN python3 -m venv /opt/mockai \
    && /opt/mockai/bin/python -m pip install --no-cache-dir --disable-pip-version-check . \
    && /opt/mockai/bin/mockai --version \
    && /opt/mockai/bin/mockai prepare --cache-dir /opt/mockai/cache

# The image that runs: the installed venv only, no sources and no build tools.
FROM ${BASE}
COPY --from=build /opt/mockai /opt/mockai
# An unprivileged user with no login and no home (uid 10001, above any system range); /data is where --data-dir
# (MOCKAI_DATA_DIR=/data) may keep state.
RUN useradd --uid 10001 --no-create-home --no-log-init --shell /usr/sbin/nologin mockai \
    && mkdir /data && chown mockai /data
USER mockai
WORKDIR /data
# 0.0.0.0 here only: inside the container's own network namespace it is what makes -p work. mockai's own default
# stays 127.0.0.1 everywhere else.
ENV PATH=/opt/mockai/bin:$PATH \
    MOCKAI_CACHE_DIR=/opt/mockai/cache \
    MOCKAI_HOST=0.0.0.0 \
    MOCKAI_PORT=8000 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
EXPOSE 8000
# Plain Python, so the image needs no curl. It follows MOCKAI_PORT: change the port with -e MOCKAI_PORT=..., not --port.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/_mockai/health' % os.environ.get('MOCKAI_PORT', '8000'), timeout=2)"]
ENTRYPOINT ["mockai"]
CMD ["serve"]
