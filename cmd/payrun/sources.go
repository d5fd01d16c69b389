package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/payrun/payrun/ingest"
	"github.com/payrun/payrun/state"
)

// sourceFile is one payout file found in a source.
type sourceFile struct {
	// Location is the path or s3:// URL as shown to people and stored in the ledger.
	Location string
	// LocalPath is a readable local copy: the file itself, or a spooled object.
	LocalPath string
	Name      string
	Size      int64
	SHA256    string
	ETag      string
	VersionID string
	// Inbox is the inbox the file came from, or nil for a single file, which is
	// processed in place and never moved.
	Inbox inbox
	// control is the FILE.control sidecar of an object, read when listed.
	control *ingest.Control
	// cleanup removes a spooled copy.
	cleanup func()
}

// inbox is a folder or bucket prefix of new payout files. Recorded files move
// to the sibling folders processed/, held/ or rejected/.
type inbox interface {
	// Move moves a recorded file to the sibling folder and returns its new location.
	Move(ctx context.Context, f *sourceFile, folder string) (string, error)
	String() string
}

// inboxFolders are the sibling folders that recorded files move to.
const (
	folderProcessed = "processed"
	folderHeld      = "held"
	folderRejected  = "rejected"
)

// discoverOptions control which inbox files are taken.
type discoverOptions struct {
	settle time.Duration
	noMove bool
	// s3 configures access to s3:// sources.
	s3 s3Options
	// moves journals the copy-then-delete moves of S3 inboxes. It is unused
	// with noMove.
	moves  *state.Ledger
	runID  string
	logger *slog.Logger
}

func (r *runner) discoverOptions() discoverOptions {
	return discoverOptions{settle: r.o.settle, noMove: r.o.noMove, s3: r.s3Options(), moves: r.ledger,
		runID: r.runID, logger: r.a.logger.With("run_id", r.runID)}
}

// cleanupSources removes the spooled copies of S3 objects.
func cleanupSources(files []*sourceFile) {
	for _, f := range files {
		if f.cleanup != nil {
			f.cleanup()
		}
	}
}

// discover lists the payout files of the sources, in the order given; an
// inbox is listed by name.
func discover(ctx context.Context, sources []string, opts discoverOptions) ([]*sourceFile, []string, error) {
	var files []*sourceFile
	var skipped []string
	for _, src := range sources {
		if strings.HasPrefix(src, "s3://") {
			found, skip, err := discoverS3(ctx, src, opts)
			if err != nil {
				cleanupSources(files)
				return nil, nil, err
			}
			files, skipped = append(files, found...), append(skipped, skip...)
			continue
		}
		info, err := os.Stat(src)
		if err != nil {
			cleanupSources(files)
			return nil, nil, fmt.Errorf("read source %s: %w", src, err)
		}
		if !info.IsDir() {
			f, err := localFile(src, nil)
			if err != nil {
				cleanupSources(files)
				return nil, nil, err
			}
			files = append(files, f)
			continue
		}
		found, skip, err := discoverFolder(src, opts)
		if err != nil {
			cleanupSources(files)
			return nil, nil, err
		}
		files, skipped = append(files, found...), append(skipped, skip...)
	}
	return files, skipped, nil
}

// skipReason returns why an inbox entry is not taken, or "".
func skipReason(name string, modified, now time.Time, settle time.Duration) string {
	lower := strings.ToLower(name)
	switch {
	case strings.HasPrefix(name, "~$"), strings.HasPrefix(name, ".~lock."):
		return "editor lock file"
	case strings.HasSuffix(lower, ".part"), strings.HasSuffix(lower, ".tmp"),
		strings.HasSuffix(lower, ".crdownload"), strings.HasPrefix(name, "."):
		return "partial or hidden file"
	case !strings.HasSuffix(lower, ".csv") && !strings.HasSuffix(lower, ".xlsx"):
		return "not a .csv or .xlsx file"
	case now.Sub(modified) < settle:
		return fmt.Sprintf("modified %s ago, within the settle time of %s", now.Sub(modified).Round(time.Second), settle)
	}
	return ""
}

func discoverFolder(dir string, opts discoverOptions) ([]*sourceFile, []string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("list inbox %s: %w", dir, err)
	}
	box := &folderInbox{dir: filepath.Clean(dir), noMove: opts.noMove}
	var files []*sourceFile
	var skipped []string
	now := time.Now()
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		if reason := skipReason(e.Name(), info.ModTime(), now, opts.settle); reason != "" {
			skipped = append(skipped, filepath.Join(dir, e.Name())+": "+reason)
			continue
		}
		f, err := localFile(filepath.Join(dir, e.Name()), box)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files, skipped, nil
}

func localFile(path string, box inbox) (*sourceFile, error) {
	sum, size, err := ingest.FileSHA256(path)
	if err != nil {
		return nil, err
	}
	return &sourceFile{Location: path, LocalPath: path, Name: filepath.Base(path), Size: size,
		SHA256: sum, Inbox: box, cleanup: func() {}}, nil
}

// folderInbox is a local inbox directory.
type folderInbox struct {
	dir    string
	noMove bool
}

func (b *folderInbox) String() string { return b.dir }

// Move renames the file into the sibling folder, which is on the same file
// system, so the move is atomic. An existing file of that name is kept, and
// the moved file gets a numbered name beside it.
func (b *folderInbox) Move(ctx context.Context, f *sourceFile, folder string) (string, error) {
	if b.noMove {
		return f.Location, nil
	}
	target := filepath.Join(filepath.Dir(b.dir), folder)
	if err := os.MkdirAll(target, 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", target, err)
	}
	dest := freeName(filepath.Join(target, f.Name))
	if err := os.Rename(f.LocalPath, dest); err != nil {
		return "", fmt.Errorf("move %s to %s: %w", f.LocalPath, dest, err)
	}
	// The control sidecar travels with its file.
	control := f.LocalPath + ".control"
	if _, err := os.Stat(control); err == nil {
		if err := os.Rename(control, dest+".control"); err != nil {
			return dest, fmt.Errorf("move %s beside %s: %w", control, dest, err)
		}
	}
	return dest, nil
}

// freeName returns path, or path with a numbered suffix when it exists.
func freeName(path string) string {
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return path
	}
	ext := filepath.Ext(path)
	base := strings.TrimSuffix(path, ext)
	for i := 1; ; i++ {
		candidate := fmt.Sprintf("%s.%d%s", base, i, ext)
		if _, err := os.Stat(candidate); os.IsNotExist(err) {
			return candidate
		}
	}
}
