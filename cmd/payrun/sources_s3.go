package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/payrun/payrun/ingest"
	"github.com/payrun/payrun/internal/s3store"
	"github.com/payrun/payrun/reconcile"
)

var _ reconcile.Sink = (*s3store.Sink)(nil)

// s3Options configure S3 access.
type s3Options struct {
	// endpoint is --s3-endpoint. When it is empty, s3store.Open reads
	// AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL.
	endpoint string
	// day dates the report keys below an s3:// --reports prefix (UTC).
	day time.Time
}

func (r *runner) s3Options() s3Options {
	return s3Options{endpoint: r.o.s3Endpoint, day: r.started}
}

func isS3(location string) bool { return strings.HasPrefix(location, "s3://") }

func openS3(ctx context.Context, o s3Options) (*s3store.Store, error) {
	return s3store.Open(ctx, s3store.Options{Endpoint: o.endpoint})
}

// discoverS3 lists an s3:// source. A key is one file, processed in place and
// never moved. A prefix ending in "/", or a bucket alone, is an inbox with
// the same rules as a folder. Every taken object is spooled to a private
// temporary file, which the caller removes with cleanupSources.
func discoverS3(ctx context.Context, src string, opts discoverOptions) ([]*sourceFile, []string, error) {
	loc, err := s3store.ParseURL(src)
	if err != nil {
		return nil, nil, err
	}
	store, err := openS3(ctx, opts.s3)
	if err != nil {
		return nil, nil, err
	}
	if !loc.IsPrefix() {
		f, err := spoolSource(ctx, store, loc, nil, true)
		if errors.Is(err, s3store.ErrNotFound) {
			return nil, nil, fmt.Errorf("%w (to read %s as an inbox prefix, end the URL with /)", err, src)
		}
		if err != nil {
			return nil, nil, err
		}
		return []*sourceFile{f}, nil, nil
	}
	return discoverPrefix(ctx, store, loc, opts)
}

// discoverPrefix lists an S3 inbox and spools the objects it takes.
func discoverPrefix(ctx context.Context, store *s3store.Store, prefix s3store.Location, opts discoverOptions) ([]*sourceFile, []string, error) {
	prefix.Key = s3store.AsPrefix(prefix.Key)
	objects, err := store.List(ctx, prefix.Bucket, prefix.Key)
	if err != nil {
		return nil, nil, err
	}
	keys := make(map[string]bool, len(objects))
	for _, o := range objects {
		keys[o.Key] = true
	}

	box := &s3Inbox{store: store, prefix: prefix, noMove: opts.noMove, ledger: opts.moves,
		runID: opts.runID, logger: opts.logger}
	var files []*sourceFile
	var skipped []string
	// NOTE: the settle time compares the server's LastModified with the local
	// clock, so clock skew between the two shortens or lengthens it.
	now := time.Now()
	for _, o := range objects {
		name := strings.TrimPrefix(o.Key, prefix.Key)
		sidecar := strings.HasSuffix(o.Key, ".control") && keys[strings.TrimSuffix(o.Key, ".control")]
		if name == "" || sidecar {
			// The folder marker itself, or the sidecar of a listed object,
			// which is read and moved with that object.
			continue
		}
		if reason := skipReason(name, o.LastModified, now, opts.settle); reason != "" {
			skipped = append(skipped, prefix.Child(name).String()+": "+reason)
			continue
		}
		loc := prefix.Child(name)
		f, err := spoolSource(ctx, store, loc, box, keys[o.Key+".control"])
		if err != nil {
			cleanupSources(files)
			return nil, nil, err
		}
		files = append(files, f)
	}
	return files, skipped, nil
}

// spoolSource streams an object into a private temporary file and hashes it
// on the way. With withControl it also reads the FILE.control object beside
// it, which for a single key is looked up and may be missing.
func spoolSource(ctx context.Context, store *s3store.Store, loc s3store.Location, box inbox, withControl bool) (*sourceFile, error) {
	path, cleanup, err := spoolDir()
	if err != nil {
		return nil, err
	}
	local := filepath.Join(path, localName(loc.Name()))
	info, sum, err := download(ctx, store, loc, local)
	if err != nil {
		cleanup()
		return nil, err
	}
	f := &sourceFile{Location: loc.String(), LocalPath: local, Name: loc.Name(), Size: info.Size,
		SHA256: sum, ETag: info.ETag, VersionID: info.VersionID, Inbox: box, cleanup: cleanup}
	if withControl {
		if f.control, err = spoolControl(ctx, store, loc, local); err != nil {
			cleanup()
			return nil, err
		}
	}
	return f, nil
}

// spoolControl reads the FILE.control object of loc into local + ".control"
// and parses it. It returns nil, nil when there is none.
func spoolControl(ctx context.Context, store *s3store.Store, loc s3store.Location, local string) (*ingest.Control, error) {
	control := s3store.Location{Bucket: loc.Bucket, Key: loc.Key + ".control"}
	_, _, err := download(ctx, store, control, ingest.ControlPath(local))
	if errors.Is(err, s3store.ErrNotFound) {
		os.Remove(ingest.ControlPath(local))
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c, err := ingest.ReadControl(local)
	if err != nil {
		return nil, fmt.Errorf("control object %s: %w", control, err)
	}
	return c, nil
}

// spoolDir creates a private temporary directory (mode 0700) and returns it
// with the function that removes it.
func spoolDir() (string, func(), error) {
	dir, err := os.MkdirTemp("", "payrun-s3-")
	if err != nil {
		return "", nil, fmt.Errorf("create a temporary directory for an S3 object: %w", err)
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// localName returns a file name for an object name that cannot leave the
// spool directory.
func localName(name string) string {
	if name == "" || name == "." || name == ".." {
		return "object"
	}
	return name
}

// download streams an object into a new 0600 file at path and returns its
// metadata and the SHA-256 of its bytes.
func download(ctx context.Context, store *s3store.Store, loc s3store.Location, path string) (s3store.ObjectInfo, string, error) {
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return s3store.ObjectInfo{}, "", fmt.Errorf("spool %s: %w", loc, err)
	}
	h := sha256.New()
	info, err := store.Download(ctx, loc, io.MultiWriter(out, h))
	if closeErr := out.Close(); err == nil && closeErr != nil {
		err = fmt.Errorf("spool %s: %w", loc, closeErr)
	}
	if err != nil {
		return info, "", err
	}
	return info, hex.EncodeToString(h.Sum(nil)), nil
}

// spoolS3 returns a local copy of a recorded object, for re-reading rows.
func spoolS3(ctx context.Context, o s3Options, location string) (string, func(), error) {
	loc, err := s3store.ParseURL(location)
	if err != nil {
		return "", nil, err
	}
	store, err := openS3(ctx, o)
	if err != nil {
		return "", nil, err
	}
	f, err := spoolSource(ctx, store, loc, nil, false)
	if err != nil {
		return "", nil, err
	}
	return f.LocalPath, f.cleanup, nil
}

// newS3Sink returns the sink of an s3:// --reports prefix. Reports of a run go
// below a dated prefix, such as reports/2026/01/31/<run id>/, so a bucket of
// many nights stays listable by day.
func newS3Sink(ctx context.Context, o s3Options, dest string) (reconcile.Sink, error) {
	loc, err := s3store.ParseURL(dest)
	if err != nil {
		return nil, err
	}
	store, err := openS3(ctx, o)
	if err != nil {
		return nil, err
	}
	loc.Key = s3store.AsPrefix(loc.Key) + o.day.UTC().Format("2006/01/02") + "/"
	return s3store.NewSink(store, loc), nil
}

// uploadMetrics copies the --metrics-file of the run to <run id>/metrics.prom
// beside the run's reports when they go to S3. The metrics file itself stays
// local, where node_exporter's textfile collector reads it.
func (r *runner) uploadMetrics(ctx context.Context) {
	path := firstNonEmpty(r.o.metrics, r.cfg.Run.MetricsFile)
	dest := firstNonEmpty(r.o.reports, r.cfg.Run.Reports)
	if path == "" || !isS3(dest) {
		return
	}
	sink, err := newS3Sink(ctx, r.s3Options(), dest)
	if err == nil {
		err = sink.Put(ctx, r.runID+"/metrics.prom", func(w io.Writer) error {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(w, f)
			return err
		})
	}
	if err != nil {
		r.a.logger.Error("metrics file not copied to the reports bucket", "metrics_file", path, "error", err)
		return
	}
	r.a.logger.Info("metrics file copied", "to", sink.Location(r.runID+"/metrics.prom"))
}
