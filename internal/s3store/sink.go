package s3store

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
)

// Sink writes report files below an S3 prefix. Each file is first written to
// a private temporary file and then uploaded with one PutObject, so a report
// appears in the bucket whole or not at all. It implements reconcile.Sink,
// which cmd/payrun checks at compile time, so this adapter does not import
// the reconcile package.
type Sink struct {
	store  *Store
	prefix Location
}

// NewSink returns a sink that writes name to prefix.Key + name.
func NewSink(store *Store, prefix Location) *Sink {
	prefix.Key = AsPrefix(prefix.Key)
	return &Sink{store: store, prefix: prefix}
}

// Location returns the s3:// URL of a report.
func (s *Sink) Location(name string) string { return s.prefix.Child(name).String() }

// Put writes the report with write and uploads it.
func (s *Sink) Put(ctx context.Context, name string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp("", "payrun-report-*")
	if err != nil {
		return fmt.Errorf("s3: create temporary report file: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()

	if err := write(tmp); err != nil {
		return fmt.Errorf("s3: write %s: %w", s.Location(name), err)
	}
	info, err := tmp.Stat()
	if err != nil {
		return fmt.Errorf("s3: write %s: %w", s.Location(name), err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("s3: write %s: %w", s.Location(name), err)
	}
	return s.store.Upload(ctx, s.prefix.Child(name), tmp, info.Size(), contentType(name))
}

// contentType returns the media type of a report file by its extension.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".csv":
		return "text/csv; charset=utf-8"
	case ".json":
		return "application/json"
	case ".xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case ".prom":
		// The Prometheus text exposition format, version 0.0.4.
		return "text/plain; version=0.0.4; charset=utf-8"
	}
	return "application/octet-stream"
}
