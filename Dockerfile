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

# Dependencies first, in their own layer, built against placeholder sources: editing src/
# then rebuilds only roomcast itself.
# The load tool is a member of the workspace; only its manifest is needed (placeholders).
COPY Cargo.toml Cargo.lock ./
COPY load/Cargo.toml load/Cargo.toml
RUN mkdir -p src benches load/src/bin \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs load/src/lib.rs \
    && echo 'fn main() {}' > benches/usersig.rs \
    && echo 'fn main() {}' > load/src/main.rs \
    && echo 'fn main() {}' > load/src/bin/broadcast_baseline.rs \
    && cargo build --release --locked -p roomcast \
    && rm -rf src benches

COPY src ./src
COPY migrations ./migrations
COPY benches ./benches
# COPY keeps the sources' old mtimes; touch them so cargo rebuilds over the placeholders.
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked -p roomcast \
    && cp target/release/roomcast /usr/local/bin/roomcast

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

ENV ROOMCAST_LISTEN=0.0.0.0:8080 \
    ROOMCAST_DATABASE_URL=sqlite:///var/lib/roomcast/roomcast.db

USER roomcast:roomcast
WORKDIR /var/lib/roomcast
EXPOSE 8080
VOLUME /var/lib/roomcast

ENTRYPOINT ["roomcast"]
CMD ["serve"]
