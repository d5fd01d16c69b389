package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/payrun/payrun/ingest"
)

// defaultConfigFile is read from the working directory when neither --config
// nor PAYRUN_CONFIG names a file.
const defaultConfigFile = "payrun.toml"

// config is the TOML configuration file: [defaults], [profiles.NAME] and [run].
type config struct {
	Defaults ingest.Defaults           `toml:"defaults"`
	Profiles map[string]ingest.Profile `toml:"profiles"`
	Run      runConfig                 `toml:"run"`
}

// runConfig holds the [run] table: the settings of payrun run, retry and
// release that a cron job keeps in the file instead of on the command line.
// Flags given on the command line win.
type runConfig struct {
	// Sources are the files, folders and s3:// URLs run reads when given none.
	Sources []string `toml:"sources"`
	// Ledger is the ledger path; PAYRUN_LEDGER and --ledger win over it.
	Ledger string `toml:"ledger"`
	// Reports is the directory or s3:// URL of the reports.
	Reports string `toml:"reports"`
	// ReportFormats lists the report formats (csv, json, xlsx).
	ReportFormats []string `toml:"report_formats"`
	// MetricsFile receives Prometheus text-format metrics.
	MetricsFile string `toml:"metrics_file"`
	// Rate caps requests per minute; 0 uses the merchant's limit.
	Rate int `toml:"rate"`
	// Concurrency is the number of payouts sent at once; 0 keeps the default.
	Concurrency int `toml:"concurrency"`
	// MaxInvalid holds a file with more invalid rows: a count or a percentage.
	MaxInvalid string `toml:"max_invalid"`
	// FeeBuffer is the balance margin over payout amounts, in percent.
	FeeBuffer string `toml:"fee_buffer"`
	// MinBalance maps currencies to the balance below which a run warns and exits 4.
	MinBalance map[string]string `toml:"min_balance"`
	// Settle is how long an inbox file must be unmodified, such as "2m".
	Settle string `toml:"settle"`
	// S3Endpoint is an S3-compatible endpoint URL.
	S3Endpoint string `toml:"s3_endpoint"`
	// KeyNamespace overrides the idempotency key namespace.
	KeyNamespace string `toml:"key_namespace"`
	// RequireApproval holds every new file until it is released.
	RequireApproval bool `toml:"require_approval"`
}

// loadConfig reads the configuration file: path (from --config), else the file
// PAYRUN_CONFIG names, else payrun.toml in the working directory if present.
// Without any of them it returns an empty configuration. Unknown keys are
// rejected with their name, and every profile is validated.
func loadConfig(path string) (*config, error) {
	explicit := true
	if path == "" {
		path = os.Getenv("PAYRUN_CONFIG")
	}
	if path == "" {
		path, explicit = defaultConfigFile, false
	}

	cfg := &config{Profiles: map[string]ingest.Profile{}}
	data, err := os.ReadFile(path)
	if !explicit && errors.Is(err, fs.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}

	meta, err := toml.Decode(string(data), cfg)
	if err != nil {
		return nil, fmt.Errorf("parse config file %s: %w", path, err)
	}
	if undecoded := meta.Undecoded(); len(undecoded) > 0 {
		return nil, fmt.Errorf("config file %s: unknown key %q: check its spelling against the documented keys",
			path, undecoded[0].String())
	}
	if err := cfg.validate(path); err != nil {
		return nil, err
	}
	return cfg, nil
}

// validate fills in profile names and checks every profile.
func (c *config) validate(path string) error {
	if c.Profiles == nil {
		c.Profiles = map[string]ingest.Profile{}
	}
	for name, profile := range c.Profiles {
		profile.Name = name
		if err := profile.Validate(); err != nil {
			return fmt.Errorf("config file %s: profile %q: %w", path, name, err)
		}
		c.Profiles[name] = profile
	}
	return nil
}

// profile returns the profile named by --profile, else the first profile
// whose match patterns fit the source, else an empty profile.
func (c *config) profile(name, source string) (ingest.Profile, error) {
	if name != "" {
		p, ok := c.Profiles[name]
		if !ok {
			return ingest.Profile{}, fmt.Errorf("profile %q is not defined in the config file; defined profiles: %s",
				name, c.profileNames())
		}
		return p, nil
	}
	p, _ := ingest.MatchProfile(c.Profiles, source)
	return p, nil
}

func (c *config) profileNames() string {
	if len(c.Profiles) == 0 {
		return "none"
	}
	names := make([]string, 0, len(c.Profiles))
	for name := range c.Profiles {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
