# The geobench image for deploy/k8s: `docker build -t REGISTRY/geobench:TAG .` from the
# repository root (README, "Running on Kubernetes").

# Build stage: the release binary, with the dependency versions of Cargo.lock.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
# Cargo.toml names the benchmark target, so its file must be there for the manifest to load.
COPY benches benches
COPY src src
# The workspace's other crates: the lab (`geobench lab`) and the key names.
COPY lab lab
COPY keys keys
RUN cargo build --release --locked --bin geobench

# Runtime: Debian slim with the TLS library that mysql_async's native-tls links against.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 geobench \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent geobench
COPY --from=build /src/target/release/geobench /usr/local/bin/geobench
# Numeric, so that Kubernetes can check runAsNonRoot without looking the name up.
USER 10001:10001
ENTRYPOINT ["geobench"]
