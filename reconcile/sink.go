// Package reconcile turns the ledger into what finance and operators read:
// reconciliation reports (CSV, JSON, XLSX), status sync, webhook handling and
// metrics.
package reconcile

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Sink receives report files. Put writes one file under a relative path so
// that a reader never sees it partly written.
type Sink interface {
	Put(ctx context.Context, name string, write func(io.Writer) error) error
	// Location returns where a relative path ends up, for messages.
	Location(name string) string
}

// DirSink writes report files below a local directory.
type DirSink struct{ Dir string }

var _ Sink = DirSink{}

// Location returns the file path of a report.
func (d DirSink) Location(name string) string { return filepath.Join(d.Dir, name) }

// Put writes the file atomically: into a temporary file in the target
// directory, fsync, rename over the final name, then fsync the directory.
// Files are mode 0600 and directories 0700.
func (d DirSink) Put(ctx context.Context, name string, write func(io.Writer) error) error {
	return WriteFileAtomic(d.Location(name), write)
}

// WriteFileAtomic writes path through a temporary file and a rename, so path
// either keeps its old content or gets the complete new content.
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create report directory %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := write(tmp); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename into %s: %w", path, err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
