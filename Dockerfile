# syntax=docker/dockerfile:1
# driftwatch: a static binary on a distroless image (no shell, no libc, non-root).
#   docker build --build-arg VERSION=1.0.0 -t driftwatch:1.0.0 .
#   docker run --rm -v "$PWD:/work" -w /work driftwatch:1.0.0 run --config config.yaml
# The entrypoint is the binary: pass the command and flags as arguments.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# CGO_ENABLED=0: pure Go (modernc.org/sqlite, pgx), a static binary. timetzdata embeds
# the IANA zone database, so `timezone:` and CRON_TZ= work on any base image.
RUN CGO_ENABLED=0 go build -trimpath -tags timetzdata \
      -ldflags "-s -w -X github.com/driftwatch/driftwatch/jobs.Version=${VERSION}" \
      -o /out/driftwatch ./cmd/driftwatch \
 && /out/driftwatch version

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/driftwatch /usr/local/bin/driftwatch
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/driftwatch"]
CMD ["help"]
