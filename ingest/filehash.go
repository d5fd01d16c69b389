package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
)

// hashBufferBytes is the read size of FileSHA256. io.Copy's 32 KiB reads
// made the system calls cost more than the hash on a large file.
const hashBufferBytes = 1 << 20

// FileSHA256 returns the hex SHA-256 of a file's raw bytes and its size.
func FileSHA256(path string) (string, int64, error) {
	file, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("open payout file: %w", err)
	}
	defer file.Close()
	h := sha256.New()
	n, err := hashRest(h, file)
	if err != nil {
		return "", 0, fmt.Errorf("read payout file %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// fileHash is the SHA-256 of a file, fed with its first bytes as a CSV
// source reads them, so a file that is read through is read only once.
// Write copies the bytes to a goroutine of its own, which hashes them on
// another core than the reading; finish waits for it.
type fileHash struct {
	h hash.Hash
	n int64 // bytes hashed or queued, all from the start of the file

	queue chan []byte // copies waiting for the hashing goroutine
	free  chan []byte // copy buffers to reuse
	done  chan struct{}
}

// hashChunkBytes and hashChunks bound the bytes queued for hashing; a
// reader that gets further ahead waits for the hash.
const (
	hashChunkBytes = 64 << 10
	hashChunks     = 8
)

func newFileHash() *fileHash {
	f := &fileHash{h: sha256.New(), queue: make(chan []byte, hashChunks),
		free: make(chan []byte, hashChunks), done: make(chan struct{})}
	for range hashChunks {
		f.free <- make([]byte, 0, hashChunkBytes)
	}
	go func() {
		defer close(f.done)
		for chunk := range f.queue {
			f.h.Write(chunk)
			f.free <- chunk[:0]
		}
	}()
	return f
}

func (f *fileHash) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		chunk := <-f.free
		k := min(len(p), cap(chunk))
		f.queue <- append(chunk, p[:k]...)
		p = p[k:]
	}
	f.n += int64(n)
	return n, nil
}

// finish waits for the bytes queued so far, then hashes the bytes of path
// after them, which the reading may have left when it stopped early, such
// as at a damaged line.
func (f *fileHash) finish(path string) error {
	f.stop()

	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open payout file: %w", err)
	}
	defer file.Close()
	if _, err := file.Seek(f.n, io.SeekStart); err != nil {
		return fmt.Errorf("read payout file %s: %w", path, err)
	}
	if _, err := hashRest(f.h, file); err != nil {
		return fmt.Errorf("read payout file %s: %w", path, err)
	}
	return nil
}

// hashRest writes the bytes of file from its current offset to h, reading
// hashBufferBytes at a time.
func hashRest(h hash.Hash, file *os.File) (int64, error) {
	// onlyReader hides the WriteTo method of *os.File, which io.CopyBuffer
	// would use instead of the buffer.
	return io.CopyBuffer(h, onlyReader{file}, make([]byte, hashBufferBytes))
}

// stop waits until the bytes queued so far are hashed and ends the hashing
// goroutine. Write must not be called afterwards.
func (f *fileHash) stop() {
	if f.queue != nil {
		close(f.queue)
		<-f.done
		f.queue = nil
	}
}

func (f *fileHash) sum() string { return hex.EncodeToString(f.h.Sum(nil)) }

// onlyReader is an io.Reader without the other methods of what it wraps.
type onlyReader struct{ io.Reader }
