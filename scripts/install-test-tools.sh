#!/usr/bin/env bash
# Installs the tools that payrun's integration tests start themselves:
# versitygw, an S3-compatible server with a POSIX backend, for the S3 tests of
# internal/s3store and cmd/payrun. Tests skip with a message when it is
# missing. The binary lands in $(go env GOPATH)/bin, where the tests look.
set -euo pipefail

VERSITYGW_VERSION=v1.8.0

bin="$(go env GOPATH)/bin"
# versitygw --version prints no release for a go install build, so read the
# module version that the Go toolchain stamped into the binary.
if [ -x "$bin/versitygw" ] &&
	go version -m "$bin/versitygw" | grep -q "github.com/versity/versitygw[[:space:]]*${VERSITYGW_VERSION}"; then
	echo "versitygw ${VERSITYGW_VERSION} already installed in $bin"
	exit 0
fi
go install "github.com/versity/versitygw/cmd/versitygw@${VERSITYGW_VERSION}"
echo "installed versitygw ${VERSITYGW_VERSION} in $bin"
