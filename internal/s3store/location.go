package s3store

import (
	"fmt"
	"path"
	"strings"
)

// Location is an s3://bucket/key URL split into its parts. A Key that is
// empty or ends in "/" is a prefix.
type Location struct {
	Bucket string
	Key    string
}

// ParseURL parses an s3://bucket/key URL. The key is taken as written, without
// percent-decoding, because S3 keys may contain any character.
func ParseURL(s string) (Location, error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return Location{}, fmt.Errorf("s3: %q is not an s3:// URL: write s3://bucket/key or s3://bucket/prefix/", s)
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return Location{}, fmt.Errorf("s3: URL %q has no bucket: write s3://bucket/key or s3://bucket/prefix/", s)
	}
	return Location{Bucket: bucket, Key: key}, nil
}

// String returns the s3:// URL.
func (l Location) String() string { return "s3://" + l.Bucket + "/" + l.Key }

// IsPrefix reports whether the location names a prefix (an inbox or a report
// folder) rather than one object.
func (l Location) IsPrefix() bool { return l.Key == "" || strings.HasSuffix(l.Key, "/") }

// Name returns the last segment of the key, such as payouts.csv for
// inbox/payouts.csv.
func (l Location) Name() string {
	if l.Key == "" {
		return ""
	}
	return path.Base(l.Key)
}

// Child returns the object name below a prefix location.
func (l Location) Child(name string) Location {
	return Location{Bucket: l.Bucket, Key: AsPrefix(l.Key) + name}
}

// Sibling returns the prefix beside a prefix location: processed/ for
// inbox/, and a/processed/ for a/inbox/. The sibling of the bucket root is a
// prefix below the root.
func (l Location) Sibling(name string) Location {
	parent := path.Dir(strings.TrimSuffix(l.Key, "/"))
	if parent == "." || parent == "/" || l.Key == "" {
		return Location{Bucket: l.Bucket, Key: name + "/"}
	}
	return Location{Bucket: l.Bucket, Key: parent + "/" + name + "/"}
}

// AsPrefix returns key with a trailing "/" unless it is empty or has one.
func AsPrefix(key string) string {
	if key == "" || strings.HasSuffix(key, "/") {
		return key
	}
	return key + "/"
}
