# Casework's programs: worker, starter, agent, api; and, for docker-compose.yml, healthcheck
# (the image has no shell, curl or wget), gencerts (the development certificates of its
# mTLS, for a host without Go) and uigate (the operations credential before the Web UI).
#
# The sources are mounted for the build, never copied into a layer: the operator's
# secrets (secrets/, .env) sit beside them in the build context.
FROM golang:1.26 AS build
WORKDIR /src
RUN --mount=type=bind,target=/src \
    --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -o /out/ ./worker ./starter ./agent ./api ./deploy/healthcheck ./deploy/gencerts ./deploy/uigate

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ /app/
USER nonroot
ENTRYPOINT []
CMD ["/app/worker"]
