package s3store

import "testing"

func TestParseURL_Forms(t *testing.T) {
	tests := []struct {
		url    string
		want   Location
		prefix bool
	}{
		{"s3://bucket/inbox/", Location{"bucket", "inbox/"}, true},
		{"s3://bucket/inbox/payouts.csv", Location{"bucket", "inbox/payouts.csv"}, false},
		{"s3://bucket", Location{"bucket", ""}, true},
		{"s3://bucket/", Location{"bucket", ""}, true},
		{"s3://bucket/a b+c%20.csv", Location{"bucket", "a b+c%20.csv"}, false},
	}
	for _, tt := range tests {
		got, err := ParseURL(tt.url)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tt.url, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseURL(%q) = %+v, want %+v", tt.url, got, tt.want)
		}
		if got.IsPrefix() != tt.prefix {
			t.Errorf("ParseURL(%q).IsPrefix() = %v, want %v", tt.url, got.IsPrefix(), tt.prefix)
		}
	}
}

func TestParseURL_Invalid(t *testing.T) {
	for _, s := range []string{"bucket/key", "s3:///key", "https://bucket/key", ""} {
		if _, err := ParseURL(s); err == nil {
			t.Errorf("ParseURL(%q) succeeded, want an error", s)
		}
	}
}

func TestLocation_SiblingAndChild(t *testing.T) {
	tests := []struct {
		inbox, want string
	}{
		{"s3://b/inbox/", "s3://b/processed/"},
		{"s3://b/a/b/inbox/", "s3://b/a/b/processed/"},
		{"s3://b/inbox", "s3://b/processed/"},
		{"s3://b/", "s3://b/processed/"},
	}
	for _, tt := range tests {
		loc, err := ParseURL(tt.inbox)
		if err != nil {
			t.Fatal(err)
		}
		if got := loc.Sibling("processed").String(); got != tt.want {
			t.Errorf("Sibling of %s = %s, want %s", tt.inbox, got, tt.want)
		}
	}
	inbox := Location{Bucket: "b", Key: "inbox"}
	if got := inbox.Child("x.csv").String(); got != "s3://b/inbox/x.csv" {
		t.Errorf("Child = %s, want s3://b/inbox/x.csv", got)
	}
	if got := (Location{Bucket: "b", Key: "inbox/x.csv"}).Name(); got != "x.csv" {
		t.Errorf("Name = %s, want x.csv", got)
	}
}

func TestCopySource_Encoding(t *testing.T) {
	got := copySource(Location{Bucket: "b", Key: "inbox/a b+c&d.csv"})
	if want := "b/inbox/a%20b%2Bc%26d.csv"; got != want {
		t.Errorf("copySource = %s, want %s", got, want)
	}
}
