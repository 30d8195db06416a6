#!/usr/bin/env bash
# make release VERSION=vX.Y.Z: closeout's release artefacts in dist/ —
# a binary for each platform (static, -trimpath, stripped, the version
# built in), each in closeout_X.Y.Z_OS_ARCH.tar.gz with the README and
# licence notes, and checksums.txt (sha256sum format) over them. With
# IMAGE_DIGEST (the container image's sha256:... the release pushed), also
# closeout-kubernetes.yaml: the manifests of deploy/kubernetes with the
# image pinned to that digest. PLATFORMS narrows the platforms (a snapshot
# build for one, as the tests do).
set -euo pipefail
version=${VERSION:?set VERSION=vX.Y.Z}
case "$version" in v[0-9]*.[0-9]*.[0-9]*) ;; *) echo "release: VERSION $version is not vX.Y.Z" >&2; exit 2 ;; esac
platforms=${PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64}
dist=${DIST:-dist}
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
rm -rf "$dist" && mkdir -p "$dist"
for p in $platforms; do
	os=${p%/*} arch=${p#*/}
	name="closeout_${version#v}_${os}_${arch}"
	exe=closeout
	[ "$os" = windows ] && exe=closeout.exe
	mkdir -p "$dist/$name"
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath \
		-ldflags "-s -w -buildid= -X main.version=$version -X main.commit=$commit" \
		-o "$dist/$name/$exe" ./cmd/closeout
	cp README.md "$dist/$name/"
	# Reproducible archives: fixed order, owner and time.
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$dist" -czf "$dist/$name.tar.gz" "$name"
	rm -rf "${dist:?}/$name"
done
if [ -n "${IMAGE_DIGEST:-}" ]; then
	case "$IMAGE_DIGEST" in sha256:[0-9a-f]*) ;; *) echo "release: IMAGE_DIGEST $IMAGE_DIGEST is not sha256:..." >&2; exit 2 ;; esac
	for f in deploy/kubernetes/storage.yaml deploy/kubernetes/secret.example.yaml deploy/kubernetes/scan-cronjob.yaml deploy/kubernetes/merge-cronjob.yaml; do
		echo "---"
		sed -E "s#ghcr\.io/closeout-dev/closeout(:[^@ ]+)?@sha256:[0-9a-f]{64}#ghcr.io/closeout-dev/closeout:$version@$IMAGE_DIGEST#" "$f"
	done >"$dist/closeout-kubernetes.yaml"
fi
(cd "$dist" && sha256sum -- * >checksums.txt)
echo "release $version in $dist:"
cat "$dist/checksums.txt"
