package sandbox

import (
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
)

// BenchmarkCreatePayout measures POST /v1/payouts over loopback HTTP with a
// state file, the way payrun run --sandbox uses the sandbox.
func BenchmarkCreatePayout(b *testing.B) {
	srv, err := New(Options{StateFile: filepath.Join(b.TempDir(), "bench.state"), RateLimit: 1 << 30,
		Balances: map[string]string{"EUR": "999999999999.00"}})
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	e := &env{t: b, srv: srv, key: NewTestKey()}
	ben, ins := e.sepaPayee()

	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ref := fmt.Sprintf("BENCH-%d", keyCounter.Add(1))
			res := e.post("/v1/payouts", sepaPayout(ben, ins, "1.00", ref))
			if res.status != http.StatusCreated {
				b.Errorf("status %d: %s", res.status, res.body)
				return
			}
		}
	})
}
