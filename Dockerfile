# syntax=docker/dockerfile:1
#
# Second Bloom images, built from one Dockerfile:
#
#   docker build -t secondbloom/server .                 the API (default, last stage)
#   docker build -t secondbloom/ops --target ops .       ops with pg_dump/pg_restore, for backups
#
# Both run as a non-root user and write nothing outside /tmp and their
# volumes, so they work with a read-only root filesystem. The server's media
# store (MEDIA_STORE, default file://./data/media relative to /app) needs a
# writable volume at /app/data, or an s3:// store when several replicas run.
# docs/DEPLOYMENT.md describes the deployment files built on these images.

ARG GO_VERSION=1.26

# ---- build: static binaries of every command `make build` produces ----
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/ ./cmd/server ./cmd/ops

# ---- ops: the backup commands need the PostgreSQL 15 client programs ----
FROM postgres:15-alpine AS ops
COPY --from=build /out/ops /usr/local/bin/ops
# The image's postgres user (uid 70); backups go to a volume at /backups.
ENV BACKUP_DIR=/backups
WORKDIR /backups
USER 70:70
ENTRYPOINT ["/usr/local/bin/ops"]
CMD ["backup"]

# ---- server: distroless, no shell, no package manager ----
FROM gcr.io/distroless/static-debian12:nonroot AS server
COPY --from=build /out/server /out/ops /usr/local/bin/
WORKDIR /app
USER 65532:65532
ENV PORT=3000
EXPOSE 3000
ENTRYPOINT ["/usr/local/bin/server"]
CMD ["serve"]
