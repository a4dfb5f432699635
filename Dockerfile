# syntax=docker/dockerfile:1
# roomcast container image.
#
#   docker build -t roomcast .
#   docker run -p 8080:8080 -v roomcast-data:/var/lib/roomcast roomcast
#
# Without ROOMCAST_SDKAPPID / ROOMCAST_SECRET_KEY the first start creates a development app
# and prints its credentials; set both (or neither) for a real app. See
# config/roomcast.example.toml for every option (ROOMCAST_* environment variables).

# ---- build -------------------------------------------------------------------------------
# Same Debian release as the runtime stage, so the binary's glibc requirement is met there
# (plain rust:1 follows the newest Debian, whose glibc is newer than bookworm's).
FROM rust:1-bookworm AS builder
WORKDIR /src
COPY . .
# BuildKit cache mounts keep the registry and the build directory between builds, so an edit
# to src/ rebuilds only roomcast itself.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p roomcast \
    && cp target/release/roomcast /usr/local/bin/roomcast

# ---- web pages ---------------------------------------------------------------------------
# The demo room and the console load the official Web SDK from npm (pinned in
# web/package-lock.json); it is installed here, not committed.
FROM node:20-bookworm-slim AS web
WORKDIR /src
COPY web ./web
RUN npm ci --prefix web --omit=dev --no-audit --no-fund

# ---- runtime -----------------------------------------------------------------------------
FROM debian:bookworm-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 roomcast \
    && useradd --system --uid 10001 --gid roomcast --home-dir /var/lib/roomcast \
        --shell /usr/sbin/nologin roomcast \
    && mkdir -p /var/lib/roomcast \
    && chown roomcast:roomcast /var/lib/roomcast

COPY --from=builder /usr/local/bin/roomcast /usr/local/bin/roomcast
COPY config/roomcast.example.toml /etc/roomcast/roomcast.example.toml
COPY --from=web /src/web /usr/share/roomcast/web

ENV ROOMCAST_LISTEN=0.0.0.0:8080 \
    ROOMCAST_DATABASE_URL=sqlite:///var/lib/roomcast/roomcast.db \
    ROOMCAST__WEB__DIR=/usr/share/roomcast/web \
    ROOMCAST__WEB__SDK_DIR=/usr/share/roomcast/web/node_modules/@tencentcloud/chat

USER roomcast:roomcast
WORKDIR /var/lib/roomcast
EXPOSE 8080
VOLUME /var/lib/roomcast

ENTRYPOINT ["roomcast"]
CMD ["serve"]
