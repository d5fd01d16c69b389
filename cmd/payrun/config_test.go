package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "payrun.toml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfigProfiles(t *testing.T) {
	path := writeConfig(t, `
[defaults]
purpose = "services"
method = "sepa"

[profiles.bank]
match = ["/in/bank/*.csv"]
delimiter = ";"
encoding = "windows-1252"
decimal = ","
require_approval = true

[profiles.bank.aliases]
"Beneficiary IBAN" = "iban"

[profiles.bank.defaults]
purpose = "salary"
`)
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	bank := cfg.Profiles["bank"]
	if bank.Name != "bank" || bank.Delimiter != ";" || !bank.RequireApproval || bank.Aliases["Beneficiary IBAN"] != "iban" {
		t.Errorf("profile %+v", bank)
	}
	if cfg.Defaults.Purpose != "services" || bank.Defaults.Purpose != "salary" {
		t.Errorf("defaults %+v / %+v", cfg.Defaults, bank.Defaults)
	}
	if p, _ := cfg.profile("", "/in/bank/june.csv"); p.Name != "bank" {
		t.Errorf("profile for /in/bank/june.csv = %q, want bank", p.Name)
	}
}

func TestLoadConfigRejectsUnknownKey(t *testing.T) {
	_, err := loadConfig(writeConfig(t, "[profiles.bank]\ndelimeter = \";\"\n"))
	if err == nil || !strings.Contains(err.Error(), "profiles.bank.delimeter") {
		t.Errorf("error %v, want the unknown key named", err)
	}
}

func TestLoadConfigRejectsBadProfile(t *testing.T) {
	_, err := loadConfig(writeConfig(t, "[profiles.bank]\ndecimal = \"x\"\n"))
	if err == nil || !strings.Contains(err.Error(), `profile "bank"`) {
		t.Errorf("error %v, want the profile named", err)
	}
}

func TestLoadConfigSources(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)

	t.Setenv("PAYRUN_CONFIG", "")
	cfg, err := loadConfig("")
	if err != nil || len(cfg.Profiles) != 0 {
		t.Errorf("no config file: %+v, %v; want an empty config", cfg, err)
	}

	if err := os.WriteFile(defaultConfigFile, []byte("[defaults]\npurpose = \"local\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg, err := loadConfig(""); err != nil || cfg.Defaults.Purpose != "local" {
		t.Errorf("payrun.toml: %+v, %v", cfg, err)
	}

	env := writeConfig(t, "[defaults]\npurpose = \"env\"\n")
	t.Setenv("PAYRUN_CONFIG", env)
	if cfg, err := loadConfig(""); err != nil || cfg.Defaults.Purpose != "env" {
		t.Errorf("PAYRUN_CONFIG: %+v, %v", cfg, err)
	}
	flag := writeConfig(t, "[defaults]\npurpose = \"flag\"\n")
	if cfg, err := loadConfig(flag); err != nil || cfg.Defaults.Purpose != "flag" {
		t.Errorf("--config: %+v, %v", cfg, err)
	}
	if _, err := loadConfig(filepath.Join(dir, "missing.toml")); err == nil {
		t.Errorf("a missing --config file was accepted")
	}
}
