# taskbridge container image: a static binary on scratch.
# The final image holds the binary, CA certificates and a passwd line for the
# non-root user: no shell, no package manager, nothing fetched at run time.
# dev/packaging tests check the rules stated here.
#
# No `# syntax=` line: it would make BuildKit fetch an unpinned frontend image
# on every build; the builder's own Dockerfile frontend reads this file.
# Every base image is pinned to an exact version (deploy/README.md, "Pinned
# images", says how to pin by digest).

# Build stage. Debian-based so the CA bundle comes from a maintained package;
# the Go release must be go.mod's, at an exact patch version.
FROM golang:1.26.8-bookworm AS build

# Never download a different toolchain: a go.mod that outgrows this image
# fails the build instead of fetching code at build time behind our back.
ENV GOTOOLCHAIN=local \
    GOFLAGS=-mod=readonly

WORKDIR /src

# Modules first, so editing the source reuses the downloaded-modules layer.
COPY go.mod go.sum ./
RUN go mod download

COPY . .

# The version the server reports (MCP serverInfo.version). The build context
# has no .git, so Go cannot stamp one itself: pass it, e.g.
# --build-arg TASKBRIDGE_VERSION=$(git describe --tags --always --dirty).
# Without it the server reports "devel".
ARG TASKBRIDGE_VERSION=

# CGO off: a fully static binary that needs no libc in the final image.
RUN CGO_ENABLED=0 go build -trimpath \
    -ldflags="-s -w -X main.version=${TASKBRIDGE_VERSION}" \
    -o /out/taskbridge ./cmd/taskbridge

# scratch has no useradd: write the account files the runtime user needs so
# tools that resolve the uid (and Go's os/user) see a name, not an error.
RUN mkdir -p /out/etc \
 && echo 'nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin' > /out/etc/passwd \
 && echo 'nonroot:x:65532:' > /out/etc/group

# Runtime stage.
FROM scratch

COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/etc/passwd /etc/passwd
COPY --from=build /out/etc/group /etc/group
COPY --from=build /out/taskbridge /taskbridge

USER 65532:65532

# The public listener. The metrics listener stays on loopback inside the
# container and is deliberately not exposed.
EXPOSE 8080

# Exec form: there is no shell to run a command string. The binary asks its own
# /readyz on TASKBRIDGE_ADDR and exits 0 or 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/taskbridge", "healthcheck"]

ENTRYPOINT ["/taskbridge"]
CMD ["serve"]
