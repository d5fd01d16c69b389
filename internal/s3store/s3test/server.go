// Package s3test runs versitygw, an S3-compatible server, on a loopback port
// for integration tests. Tests skip when the binary is missing, and
// scripts/install-test-tools.sh installs it.
package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/build"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Test credentials of the versitygw root account. They exist only in the
// test's own server process.
const (
	AccessKey = "payrun-test-access"
	SecretKey = "payrun-test-secret"
	Region    = "us-east-1"
)

// startTimeout bounds the wait for versitygw to accept connections.
const startTimeout = 30 * time.Second

// Server is a versitygw process serving a POSIX directory on 127.0.0.1.
type Server struct {
	// URL is the endpoint, such as http://127.0.0.1:41234.
	URL string
	// Root is the backend directory: each bucket is a subdirectory and each
	// object a file below it.
	Root string
	// Client is an S3 client for test fixtures, with path-style addressing.
	Client *s3.Client

	cmd *exec.Cmd
	// done is closed when the process has exited and waitErr is set.
	done    chan struct{}
	waitErr error
	output  *lockedBuffer
}

// Binary returns the path of versitygw on PATH or in $GOPATH/bin, or "".
func Binary() string {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	for _, dir := range filepath.SplitList(build.Default.GOPATH) {
		p := filepath.Join(dir, "bin", "versitygw")
		if info, err := os.Stat(p); err == nil && !info.IsDir() {
			return p
		}
	}
	return ""
}

// Start starts versitygw for the test and stops it when the test ends. It
// skips the test when the binary is missing.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := Binary()
	if bin == "" {
		tb.Skip("versitygw not found on PATH or in $GOPATH/bin: run scripts/install-test-tools.sh to run the S3 tests")
	}
	s, err := start(bin, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.stop)
	return s
}

func start(bin, dir string) (*Server, error) {
	root := filepath.Join(dir, "s3root")
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "http://" + addr, Root: root, output: &lockedBuffer{}}
	s.cmd = exec.Command(bin, "--access", AccessKey, "--secret", SecretKey, "--region", Region,
		"--port", addr, "--quiet", "posix", root)
	s.cmd.Stdout, s.cmd.Stderr = s.output, s.output
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start versitygw: %w", err)
	}
	s.done = make(chan struct{})
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	if err := s.waitListening(addr); err != nil {
		s.stop()
		return nil, fmt.Errorf("versitygw on %s: %w, and its output was:\n%s", addr, err, s.output.String())
	}
	s.Client = s3.New(s3.Options{Region: Region, BaseEndpoint: aws.String(s.URL), UsePathStyle: true,
		Credentials:                credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired})
	return s, nil
}

// freeAddr returns a loopback address with a port that is free now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func (s *Server) waitListening(addr string) error {
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("exited before listening: %v", s.waitErr)
		default:
		}
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not listening after %s", startTimeout)
}

// stop kills the server and waits until it has exited, so the test's
// temporary directory can be removed.
func (s *Server) stop() {
	s.cmd.Process.Kill()
	<-s.done
}

// Env returns the environment entries that point the AWS SDK at this server
// with its credentials, and keep it from reading the user's AWS files or the
// instance metadata service.
func (s *Server) Env() []string {
	none := filepath.Join(s.Root, "no-such-aws-file")
	return []string{
		"AWS_ACCESS_KEY_ID=" + AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + SecretKey,
		"AWS_SESSION_TOKEN=",
		"AWS_REGION=" + Region,
		"AWS_PROFILE=",
		"AWS_CONFIG_FILE=" + none,
		"AWS_SHARED_CREDENTIALS_FILE=" + none,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL=",
		"AWS_ENDPOINT_URL_S3=",
	}
}

// SetEnv sets Env for the rest of the test, for code running in-process.
func (s *Server) SetEnv(t *testing.T) {
	t.Helper()
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// CreateBucket creates a bucket.
func (s *Server) CreateBucket(tb testing.TB, bucket string) {
	tb.Helper()
	_, err := s.Client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	if err != nil {
		tb.Fatalf("create bucket %s: %v", bucket, err)
	}
}

// Put uploads an object.
func (s *Server) Put(tb testing.TB, bucket, key string, body []byte) {
	tb.Helper()
	_, err := s.Client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket),
		Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		tb.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
}

// Get returns an object's bytes, or nil when it does not exist.
func (s *Server) Get(tb testing.TB, bucket, key string) []byte {
	tb.Helper()
	out, err := s.Client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket),
		Key: aws.String(key)})
	if err != nil {
		var missing *types.NoSuchKey
		if errors.As(err, &missing) {
			return nil
		}
		tb.Fatalf("get s3://%s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		tb.Fatalf("get s3://%s/%s: %v", bucket, key, err)
	}
	return data
}

// Keys returns every key of the bucket below prefix, sorted.
func (s *Server) Keys(tb testing.TB, bucket, prefix string) []string {
	tb.Helper()
	pages := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket),
		Prefix: aws.String(prefix)})
	var keys []string
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			tb.Fatalf("list s3://%s/%s: %v", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	sort.Strings(keys)
	return keys
}

// SetModTime sets the modification time of an object's backend file, which
// versitygw reports as the object's LastModified. S3 itself has no call that
// sets it, so settle-time tests age objects this way.
func (s *Server) SetModTime(tb testing.TB, bucket, key string, t time.Time) {
	tb.Helper()
	path := filepath.Join(s.Root, bucket, filepath.FromSlash(key))
	if err := os.Chtimes(path, t, t); err != nil {
		tb.Fatalf("age s3://%s/%s: %v", bucket, key, err)
	}
}

// lockedBuffer collects the server's output from its two streams.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
