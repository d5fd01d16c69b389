package s3store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/payrun/payrun/internal/s3store"
	"github.com/payrun/payrun/internal/s3store/s3test"
)

// openStore starts versitygw with one bucket and opens a store against it
// through the environment, as payrun does.
func openStore(t *testing.T) (*s3test.Server, *s3store.Store) {
	t.Helper()
	srv := s3test.Start(t)
	srv.SetEnv(t)
	srv.CreateBucket(t, "payouts")
	store, err := s3store.Open(context.Background(), s3store.Options{Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return srv, store
}

func TestOpen_CustomEndpointSettings(t *testing.T) {
	for _, source := range []string{"option", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"} {
		t.Run(source, func(t *testing.T) {
			t.Setenv("AWS_REGION", "")
			t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
			t.Setenv("AWS_ENDPOINT_URL_S3", "")
			t.Setenv("AWS_ENDPOINT_URL", "")
			o := s3store.Options{}
			if source == "option" {
				o.Endpoint = "http://127.0.0.1:9"
			} else {
				t.Setenv(source, "http://127.0.0.1:9")
			}
			store, err := s3store.Open(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}

			got := store.ClientOptions()
			if !got.UsePathStyle {
				t.Error("UsePathStyle = false, want true with a custom endpoint")
			}
			if got.RequestChecksumCalculation != aws.RequestChecksumCalculationWhenRequired {
				t.Errorf("RequestChecksumCalculation = %v, want when required", got.RequestChecksumCalculation)
			}
			if got.ResponseChecksumValidation != aws.ResponseChecksumValidationWhenRequired {
				t.Errorf("ResponseChecksumValidation = %v, want when required", got.ResponseChecksumValidation)
			}
			if aws.ToString(got.BaseEndpoint) != "http://127.0.0.1:9" {
				t.Errorf("BaseEndpoint = %q, want http://127.0.0.1:9", aws.ToString(got.BaseEndpoint))
			}
			if got.Region != "us-east-1" {
				t.Errorf("Region = %q, want the us-east-1 default for a custom endpoint", got.Region)
			}
		})
	}
}

func TestOpen_AWSDefaults(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_REGION", "eu-west-1")
	store, err := s3store.Open(context.Background(), s3store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := store.ClientOptions(); got.UsePathStyle {
		t.Error("UsePathStyle = true against AWS, want virtual-host addressing")
	}

	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	if _, err := s3store.Open(context.Background(), s3store.Options{}); err == nil ||
		!strings.Contains(err.Error(), "AWS_REGION") {
		t.Errorf("Open without a region against AWS: err = %v, want one naming AWS_REGION", err)
	}
}

func TestOpen_InvalidEndpoint(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	for _, endpoint := range []string{"127.0.0.1:7070", "ftp://host", "http://"} {
		if _, err := s3store.Open(context.Background(), s3store.Options{Endpoint: endpoint}); err == nil {
			t.Errorf("Open with endpoint %q succeeded, want an error", endpoint)
		}
	}
}

func TestStore_ListPaginatesDirectChildren(t *testing.T) {
	srv, store := openStore(t)
	for i := 0; i < 7; i++ {
		srv.Put(t, "payouts", fmt.Sprintf("inbox/file-%d.csv", i), []byte("x"))
	}
	srv.Put(t, "payouts", "inbox/old/nested.csv", []byte("x"))
	srv.Put(t, "payouts", "other/file.csv", []byte("x"))
	s3store.SetPageSize(store, 2)

	got, err := store.List(context.Background(), "payouts", "inbox/")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 7 {
		t.Fatalf("List = %d objects, want the 7 direct children", len(got))
	}
	for i, o := range got {
		if want := fmt.Sprintf("inbox/file-%d.csv", i); o.Key != want {
			t.Errorf("object %d = %s, want %s", i, o.Key, want)
		}
		if o.Size != 1 || o.ETag == "" || o.LastModified.IsZero() {
			t.Errorf("object %s: size %d, etag %q, modified %v, want all set", o.Key, o.Size, o.ETag, o.LastModified)
		}
	}
}

func TestStore_DownloadAndHead(t *testing.T) {
	srv, store := openStore(t)
	body := bytes.Repeat([]byte("reference,amount\n"), 10000)
	srv.Put(t, "payouts", "inbox/big.csv", body)
	loc := s3store.Location{Bucket: "payouts", Key: "inbox/big.csv"}

	var buf bytes.Buffer
	info, err := store.Download(context.Background(), loc, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), body) {
		t.Errorf("Download returned %d bytes, want the %d uploaded", buf.Len(), len(body))
	}
	head, err := store.Head(context.Background(), loc)
	if err != nil {
		t.Fatal(err)
	}
	if head.ETag == "" || head.ETag != info.ETag || head.Size != int64(len(body)) || info.Size != head.Size {
		t.Errorf("Head = %+v and Download = %+v, want the same ETag and size", head, info)
	}

	missing := s3store.Location{Bucket: "payouts", Key: "inbox/none.csv"}
	if _, err := store.Head(context.Background(), missing); !errors.Is(err, s3store.ErrNotFound) {
		t.Errorf("Head of a missing object: err = %v, want ErrNotFound", err)
	}
	if _, err := store.Download(context.Background(), missing, io.Discard); !errors.Is(err, s3store.ErrNotFound) {
		t.Errorf("Download of a missing object: err = %v, want ErrNotFound", err)
	}
}

func TestStore_CopyOnlyUnchangedSource(t *testing.T) {
	srv, store := openStore(t)
	ctx := context.Background()
	src := s3store.Location{Bucket: "payouts", Key: "inbox/a b+c.csv"}
	dst := s3store.Location{Bucket: "payouts", Key: "processed/a b+c.csv"}
	srv.Put(t, "payouts", src.Key, []byte("first"))
	first, err := store.Head(ctx, src)
	if err != nil {
		t.Fatal(err)
	}

	if err := store.Copy(ctx, src, dst, first.ETag); err != nil {
		t.Fatalf("Copy with the current ETag: %v", err)
	}
	if got := srv.Get(t, "payouts", dst.Key); string(got) != "first" {
		t.Errorf("copy = %q, want first", got)
	}

	srv.Put(t, "payouts", src.Key, []byte("second upload"))
	err = store.Copy(ctx, src, s3store.Location{Bucket: "payouts", Key: "processed/again.csv"}, first.ETag)
	if !errors.Is(err, s3store.ErrChanged) {
		t.Errorf("Copy with a stale ETag: err = %v, want ErrChanged", err)
	}
}

func TestStore_DeleteStaleETagKeepsObject(t *testing.T) {
	srv, store := openStore(t)
	ctx := context.Background()
	loc := s3store.Location{Bucket: "payouts", Key: "inbox/a.csv"}
	srv.Put(t, "payouts", loc.Key, []byte("first"))
	first, err := store.Head(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	srv.Put(t, "payouts", loc.Key, []byte("second upload"))

	err = store.Delete(ctx, loc, first.ETag)
	if !errors.Is(err, s3store.ErrChanged) {
		t.Errorf("Delete with a stale ETag: err = %v, want ErrChanged", err)
	}
	if got := srv.Get(t, "payouts", loc.Key); string(got) != "second upload" {
		t.Errorf("object after a stale delete = %q, want the second upload kept", got)
	}

	current, err := store.Head(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Delete(ctx, loc, current.ETag); err != nil {
		t.Fatalf("Delete with the current ETag: %v", err)
	}
	if got := srv.Get(t, "payouts", loc.Key); got != nil {
		t.Errorf("object after Delete = %q, want it gone", got)
	}
}

func TestSink_PutUploadsWholeReport(t *testing.T) {
	srv, store := openStore(t)
	sink := s3store.NewSink(store, s3store.Location{Bucket: "payouts", Key: "reports"})
	report := strings.Repeat("file_id,row\n", 1000)

	err := sink.Put(context.Background(), "run1/abc.csv", func(w io.Writer) error {
		_, err := io.WriteString(w, report)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := sink.Location("run1/abc.csv"); got != "s3://payouts/reports/run1/abc.csv" {
		t.Errorf("Location = %s, want s3://payouts/reports/run1/abc.csv", got)
	}
	if got := srv.Get(t, "payouts", "reports/run1/abc.csv"); string(got) != report {
		t.Errorf("uploaded report has %d bytes, want %d", len(got), len(report))
	}
	head, err := srv.Client.HeadObject(context.Background(), &s3.HeadObjectInput{
		Bucket: aws.String("payouts"), Key: aws.String("reports/run1/abc.csv")})
	if err != nil {
		t.Fatal(err)
	}
	if ct := aws.ToString(head.ContentType); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("content type = %q, want text/csv", ct)
	}
}

func TestSink_FailedWriteUploadsNothing(t *testing.T) {
	srv, store := openStore(t)
	sink := s3store.NewSink(store, s3store.Location{Bucket: "payouts", Key: "reports/"})

	err := sink.Put(context.Background(), "run1/abc.csv", func(w io.Writer) error {
		io.WriteString(w, "half a report")
		return errors.New("disk full")
	})
	if err == nil {
		t.Fatal("Put with a failing writer succeeded, want its error")
	}
	if keys := srv.Keys(t, "payouts", "reports/"); len(keys) != 0 {
		t.Errorf("keys after a failed Put = %v, want none", keys)
	}
}
