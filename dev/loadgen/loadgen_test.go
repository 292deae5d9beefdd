package loadgen

import (
	"errors"
	"testing"
	"time"
)

func TestCheckTargetIsLoopbackOnly(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8080/mcp", "http://127.3.4.5/mcp", "http://[::1]:80/mcp", "http://localhost/mcp", "https://127.0.0.1/mcp"} {
		if _, err := CheckTarget(ok, false); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://10.0.0.1/mcp", "http://172.16.0.1/mcp", "http://192.168.0.1/mcp", "http://8.8.8.8/mcp", "http://example.com/mcp", "http://localhost.evil.example/mcp", "http://0.0.0.0/mcp"} {
		if _, err := CheckTarget(bad, false); !errors.Is(err, ErrRemoteTarget) {
			t.Errorf("%s: %v, want ErrRemoteTarget", bad, err)
		}
		if _, err := CheckTarget(bad, true); err != nil {
			t.Errorf("%s with allowRemote: %v", bad, err)
		}
	}
	for _, bad := range []string{"ftp://127.0.0.1/", "127.0.0.1:8080", "", "http:///mcp"} {
		if _, err := CheckTarget(bad, true); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestPercentileNearestRank(t *testing.T) {
	d := make([]time.Duration, 100)
	for i := range d {
		d[i] = time.Duration(i+1) * time.Millisecond
	}
	for p, want := range map[float64]time.Duration{0.5: 50 * time.Millisecond, 0.95: 95 * time.Millisecond, 0.99: 99 * time.Millisecond, 1: 100 * time.Millisecond} {
		if got := percentile(d, p); got != want {
			t.Errorf("p%v = %s, want %s", p, got, want)
		}
	}
	if percentile(nil, 0.5) != 0 {
		t.Error("empty")
	}
}

func TestOptionsAreBounded(t *testing.T) {
	for _, o := range []Options{
		{URL: "http://127.0.0.1/mcp", Tokens: []string{"t"}},                                       // no duration
		{URL: "http://127.0.0.1/mcp", Tokens: []string{"t"}, Duration: time.Hour},                  // too long
		{URL: "http://127.0.0.1/mcp", Tokens: []string{"t"}, Duration: time.Second, Clients: 5000}, // too many
		{URL: "http://127.0.0.1/mcp", Duration: time.Second},                                       // no token
		{URL: "http://10.1.2.3/mcp", Tokens: []string{"t"}, Duration: time.Second},                 // not loopback
	} {
		if err := o.normalise(); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	o := Options{URL: "http://127.0.0.1/mcp", Tokens: []string{"t"}, Duration: time.Second}
	if err := o.normalise(); err != nil || o.MaxCalls != MaxCallsCap || o.Clients != 16 || o.Mix != DefaultMix() {
		t.Errorf("defaults: %+v %v", o, err)
	}
}

func TestDefaultMixIsTheIssuesMix(t *testing.T) {
	m := DefaultMix()
	if m.total() != 100 || m.List+m.Get != 70 || m.Create+m.Update+m.Complete != 25 || m.Search != 5 {
		t.Fatalf("mix %+v", m)
	}
}
