// Package s3store is payrun's adapter for Amazon S3 and S3-compatible stores:
// listing inbox prefixes, streaming objects, copy-then-delete moves and report
// uploads. No other package talks to S3.
package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ErrNotFound means the object does not exist.
var ErrNotFound = errors.New("s3: object not found")

// ErrChanged means a conditional copy or delete found the object with
// another ETag than expected, because it was replaced by a new upload.
var ErrChanged = errors.New("s3: object changed since it was read")

// defaultRegion is the region used with a custom endpoint when none is
// configured. S3-compatible servers such as MinIO and versitygw accept it.
const defaultRegion = "us-east-1"

// Options configure the S3 client.
type Options struct {
	// Endpoint is the URL of an S3-compatible server, such as
	// http://127.0.0.1:7070. Empty means AWS_ENDPOINT_URL_S3, then
	// AWS_ENDPOINT_URL, then the endpoint of the shared config, then AWS.
	Endpoint string
}

// Store is an S3 client configured for payrun.
type Store struct {
	client *s3.Client
	// pageSize is the MaxKeys of each ListObjectsV2 page. Zero leaves the
	// server's default, which is up to 1,000 keys on AWS.
	pageSize int32
}

// Open builds a client with the SDK's default credential chain: environment
// variables, the shared config and credentials files (AWS_PROFILE), web
// identity tokens, then the container or instance role.
//
// With a custom endpoint the client uses path-style addressing and computes
// and validates checksums only where an operation requires them. Several
// S3-compatible servers reject virtual-host bucket names, and some reject the
// checksums that service/s3 sends by default since v1.73.0 (January 2025).
func Open(ctx context.Context, o Options) (*Store, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("s3: load AWS configuration: %w", err)
	}
	endpoint := firstNonEmpty(o.Endpoint, os.Getenv("AWS_ENDPOINT_URL_S3"), os.Getenv("AWS_ENDPOINT_URL"))
	if endpoint != "" {
		if err := checkEndpoint(endpoint); err != nil {
			return nil, err
		}
	}
	custom := endpoint != "" || cfg.BaseEndpoint != nil
	if cfg.Region == "" {
		if !custom {
			return nil, errors.New("s3: no AWS region configured: set AWS_REGION (or region in the shared config) to the bucket's region")
		}
		cfg.Region = defaultRegion
	}
	client := s3.NewFromConfig(cfg, func(so *s3.Options) {
		if endpoint != "" {
			so.BaseEndpoint = aws.String(endpoint)
		}
		if custom {
			so.UsePathStyle = true
			so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
	})
	return &Store{client: client}, nil
}

func checkEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("s3: invalid endpoint %q: use a URL such as https://s3.example.com or http://127.0.0.1:7070", endpoint)
	}
	return nil
}

// ClientOptions returns a copy of the client's options, so tests can verify
// the addressing and checksum settings.
func (s *Store) ClientOptions() s3.Options { return s.client.Options() }

// Object is one entry of a listing.
type Object struct {
	Key          string
	Size         int64
	LastModified time.Time
	ETag         string
}

// List returns the objects directly below prefix, in key order, reading every
// page of ListObjectsV2. Keys below a further "/" (sub-folders such as
// inbox/old/) are left out.
func (s *Store) List(ctx context.Context, bucket, prefix string) ([]Object, error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix),
		Delimiter: aws.String("/")}
	if s.pageSize > 0 {
		in.MaxKeys = aws.Int32(s.pageSize)
	}
	pages := s3.NewListObjectsV2Paginator(s.client, in)
	var out []Object
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("s3: list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			out = append(out, Object{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size),
				LastModified: aws.ToTime(o.LastModified), ETag: aws.ToString(o.ETag)})
		}
	}
	return out, nil
}

// ObjectInfo is the metadata of one object.
type ObjectInfo struct {
	Size         int64
	ETag         string
	VersionID    string
	LastModified time.Time
}

// Download streams the object into w without holding it in memory and
// returns its metadata. It returns an error wrapping ErrNotFound when the
// object does not exist.
func (s *Store) Download(ctx context.Context, loc Location, w io.Writer) (ObjectInfo, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(loc.Bucket),
		Key: aws.String(loc.Key)})
	if err != nil {
		return ObjectInfo{}, wrap("read", loc, err)
	}
	defer out.Body.Close()
	info := ObjectInfo{ETag: aws.ToString(out.ETag), VersionID: aws.ToString(out.VersionId),
		LastModified: aws.ToTime(out.LastModified)}
	n, err := io.Copy(w, out.Body)
	if err != nil {
		return info, fmt.Errorf("s3: read %s: %w", loc, err)
	}
	if want := aws.ToInt64(out.ContentLength); out.ContentLength != nil && n != want {
		return info, fmt.Errorf("s3: read %s: got %d bytes, expected %d: the download was cut short, run again", loc, n, want)
	}
	info.Size = n
	return info, nil
}

// Head returns the object's metadata, or an error wrapping ErrNotFound.
func (s *Store) Head(ctx context.Context, loc Location) (ObjectInfo, error) {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(loc.Bucket),
		Key: aws.String(loc.Key)})
	if err != nil {
		return ObjectInfo{}, wrap("inspect", loc, err)
	}
	return ObjectInfo{Size: aws.ToInt64(out.ContentLength), ETag: aws.ToString(out.ETag),
		VersionID: aws.ToString(out.VersionId), LastModified: aws.ToTime(out.LastModified)}, nil
}

// Upload writes body as the object with one PutObject. S3 makes the object
// visible only once the whole body is stored, so no reader sees part of it.
func (s *Store) Upload(ctx context.Context, loc Location, body io.ReadSeeker, size int64, contentType string) error {
	in := &s3.PutObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(loc.Key), Body: body,
		ContentLength: aws.Int64(size)}
	if contentType != "" {
		in.ContentType = aws.String(contentType)
	}
	if _, err := s.client.PutObject(ctx, in); err != nil {
		return wrap("upload", loc, err)
	}
	return nil
}

// Copy copies src to dst on the server. With a non-empty ifMatch the copy
// happens only while the source still has that ETag, and otherwise fails with
// an error wrapping ErrChanged.
func (s *Store) Copy(ctx context.Context, src, dst Location, ifMatch string) error {
	in := &s3.CopyObjectInput{Bucket: aws.String(dst.Bucket), Key: aws.String(dst.Key),
		CopySource: aws.String(copySource(src))}
	if ifMatch != "" {
		in.CopySourceIfMatch = aws.String(ifMatch)
	}
	if _, err := s.client.CopyObject(ctx, in); err != nil {
		return fmt.Errorf("s3: copy %s to %s: %w", src, dst, classify(err))
	}
	return nil
}

// Delete deletes the object. With a non-empty ifMatch it sends If-Match, so a
// server that supports conditional deletes keeps an object that a new upload
// replaced. Delete then fails with an error wrapping ErrChanged.
func (s *Store) Delete(ctx context.Context, loc Location, ifMatch string) error {
	in := &s3.DeleteObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(loc.Key)}
	if ifMatch != "" {
		in.IfMatch = aws.String(ifMatch)
	}
	if _, err := s.client.DeleteObject(ctx, in); err != nil {
		return wrap("delete", loc, err)
	}
	return nil
}

// copySource encodes bucket/key for the x-amz-copy-source header. Each segment
// is percent-encoded, with a space as %20 and "+" as %2B, because servers
// decode the header as a URL path.
func copySource(loc Location) string {
	parts := strings.Split(loc.Bucket+"/"+loc.Key, "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(url.QueryEscape(p), "+", "%20")
	}
	return strings.Join(parts, "/")
}

func wrap(op string, loc Location, err error) error {
	return fmt.Errorf("s3: %s %s: %w", op, loc, classify(err))
}

// classify adds ErrNotFound or ErrChanged to SDK errors that mean them, and
// keeps the SDK error in the chain.
func classify(err error) error {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) || httpStatus(err) == 404 {
		return errors.Join(ErrNotFound, err)
	}
	var api smithy.APIError
	if httpStatus(err) == 412 || (errors.As(err, &api) && api.ErrorCode() == "PreconditionFailed") {
		return errors.Join(ErrChanged, err)
	}
	return err
}

func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
