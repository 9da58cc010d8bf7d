# Premier in a container: a static binary on distroless, run as non-root.
#
#   docker build --build-arg VERSION=$(git describe --tags --dirty) \
#                --build-arg COMMIT=$(git rev-parse --short=12 HEAD) -t premier .
#   docker run -p 8000:8000 -v "$PWD/gateway.yaml:/etc/premier/gateway.yaml:ro" premier
#
# docs/production.md (the container) says more. Both base images are pinned by
# version tag and digest; TestDockerfile checks that, the non-root user, the
# health check, and that the build command below is the Makefile's
# STATIC_BUILD (it runs the command and checks the result is static).

FROM --platform=$BUILDPLATFORM golang:1.26.8-bookworm@sha256:dc9ad6c05acc7a88e5b71bde60a5fe3bd4b9f0db209011711b464107438a8107 AS build
WORKDIR /src
# Modules in their own layer: a source edit does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
# Set by BuildKit for each --platform (the build stage runs on the builder's
# own platform and cross-compiles); empty, Go builds for the builder's.
ARG TARGETOS
ARG TARGETARCH
RUN GOOS=${TARGETOS} GOARCH=${TARGETARCH} CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w -X github.com/premier-gateway/premier/proxy.Version=${VERSION} -X main.commit=${COMMIT}" -o /out/premier .
# The state directory (tls.acme's ./acme, a config the dashboard rewrites),
# owned by distroless's nonroot user: the final stage has no shell to make it.
RUN install -d -o 65532 -g 65532 -m 0700 /out/state

FROM gcr.io/distroless/static-debian12:nonroot@sha256:afa5c872c891853ca7fcf1f12c3edb23f7eeef36189728842dd51042ff57f7ab
COPY --from=build /out/premier /usr/local/bin/premier
COPY --from=build --chown=65532:65532 /out/state /var/lib/premier
WORKDIR /var/lib/premier
USER 65532:65532
# The config's listen (default :8000) and tls.listen (default :8443): no
# capability to bind ports below 1024 as non-root, so map 80/443 to these.
EXPOSE 8000 8443
VOLUME ["/var/lib/premier"]
# premier -healthcheck reads the same config and probes {prefix}/readyz of
# its listener: exit 0 ready, 1 not (draining, or not up). No curl needed.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["/usr/local/bin/premier", "-healthcheck", "-config", "/etc/premier/gateway.yaml"]
ENTRYPOINT ["/usr/local/bin/premier"]
CMD ["-config", "/etc/premier/gateway.yaml"]
