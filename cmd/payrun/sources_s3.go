package main

import (
	"context"
	"errors"
	"strings"

	"github.com/payrun/payrun/reconcile"
)

// s3Options configure S3 access.
type s3Options struct {
	endpoint string
}

func (r *runner) s3Options() s3Options {
	return s3Options{endpoint: r.o.s3Endpoint}
}

func isS3(location string) bool { return strings.HasPrefix(location, "s3://") }

// discoverS3 lists an s3:// source.
func discoverS3(ctx context.Context, src string, opts discoverOptions) ([]*sourceFile, []string, error) {
	return nil, nil, errors.New("s3 sources are not supported yet: " + src)
}

func spoolS3(ctx context.Context, o s3Options, location string) (string, func(), error) {
	return "", nil, errNoS3
}

func newS3Sink(ctx context.Context, o s3Options, dest string) (reconcile.Sink, error) {
	return nil, errNoS3
}
