# Nocturna in a container: `docker compose up -d` (compose.yaml), then
# `make docker-token-renew` renews the service token inside it, as the integration guide says.
# Everything comes from Debian 12's packages and the npm registry, as on a bare machine.

# ---- build: compile the server and fetch Swagger UI ------------------------------------------
FROM debian:12 AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update -q && apt-get install -y -q --no-install-recommends \
      build-essential cmake pkg-config ca-certificates \
      libswe-dev swe-standard-data libmicrohttpd-dev libjansson-dev libsodium-dev uuid-dev \
      libsqlite3-dev libpq-dev libhiredis-dev nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
COPY CMakeLists.txt ./
COPY cmake cmake
COPY include include
COPY src src
COPY docs docs
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DNOC_BUILD_TESTS=OFF \
    && cmake --build build -j "$(nproc)" --target nocturna

# ---- runtime: the binary, its libraries, the ephemeris files and the time-zone database ------
# (Swiss Ephemeris itself is linked into the binary: src/core/ephe_stream.c says why.)
FROM debian:12-slim
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update -q && apt-get install -y -q --no-install-recommends \
      swe-standard-data tzdata libmicrohttpd12 libjansson4 libsodium23 libuuid1 \
      libsqlite3-0 libpq5 libhiredis0.14 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /data --shell /usr/sbin/nologin nocturna \
    && mkdir -p /data && chown nocturna:nocturna /data && chmod 0700 /data
COPY --from=build /src/build/nocturna /usr/local/bin/nocturna
COPY --from=build /src/node_modules/swagger-ui-dist /usr/share/nocturna/swagger-ui-dist
# Every subcommand (`docker compose exec nocturna nocturna token ...`) reads the same settings.
ENV NOCTURNA_HOST=0.0.0.0 \
    NOCTURNA_PORT=8000 \
    NOCTURNA_DATA_DIR=/data \
    NOCTURNA_SWAGGER_DIR=/usr/share/nocturna/swagger-ui-dist
USER nocturna
VOLUME ["/data"]
EXPOSE 8000
STOPSIGNAL SIGTERM
ENTRYPOINT ["nocturna"]
CMD ["serve"]
