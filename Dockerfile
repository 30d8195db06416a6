# The image deploy/kubernetes runs. Not built in CI: this workplace has no
# Docker engine; `docker build -t ghcr.io/closeout-dev/closeout .` builds it.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /closeout ./cmd/closeout

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /closeout /closeout
ENTRYPOINT ["/closeout"]
