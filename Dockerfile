# Build: docker build --build-arg SHOPHUB_REVISION=$(git rev-parse HEAD) -t shophub .
# (.git stays out of the build context, so the commit shown by `shophub
# version` and shophub_build_info comes from this argument.)
FROM golang:1.26 AS build
ARG SHOPHUB_REVISION=
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath \
    -ldflags "-X github.com/shophub/shophub/internal/buildinfo.revision=${SHOPHUB_REVISION}" \
    -o /out/shophub ./cmd/shophub

FROM gcr.io/distroless/static-debian12
COPY --from=build /out/shophub /usr/local/bin/shophub
USER nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/shophub"]
CMD ["all", "--config", "/etc/shophub/shophub.yaml"]
