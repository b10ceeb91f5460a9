# Build: docker build -t shophub .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/shophub ./cmd/shophub

FROM gcr.io/distroless/static-debian12
COPY --from=build /out/shophub /usr/local/bin/shophub
USER nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/shophub"]
CMD ["all", "--config", "/etc/shophub/shophub.yaml"]
