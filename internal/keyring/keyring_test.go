package keyring

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func mustGenerate(t *testing.T, id string) string {
	t.Helper()
	s, err := Generate(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpenRoundTripAndRotation(t *testing.T) {
	oldSpec := mustGenerate(t, "k1")
	old, err := Parse(oldSpec)
	if err != nil {
		t.Fatal(err)
	}
	sealed, kid, err := old.Seal([]byte("buy milk"), []byte("row-1"))
	if err != nil {
		t.Fatal(err)
	}
	if kid != "k1" || bytes.Contains(sealed, []byte("buy milk")) {
		t.Fatalf("kid %q, sealed contains plaintext: %v", kid, bytes.Contains(sealed, []byte("buy milk")))
	}
	// Rotation: a new active key, the old one kept for reading.
	rotated, err := Parse(mustGenerate(t, "k2") + "," + oldSpec)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := rotated.Open(sealed, kid, []byte("row-1"))
	if err != nil || string(pt) != "buy milk" {
		t.Fatalf("open under rotated keyring: %q %v", pt, err)
	}
	if _, kid2, _ := rotated.Seal([]byte("x"), nil); kid2 != "k2" {
		t.Fatalf("new data sealed under %q, want the active k2", kid2)
	}
}

func TestOpenRejectsTamperingAndMovedCiphertext(t *testing.T) {
	k, err := Parse(mustGenerate(t, "k1"))
	if err != nil {
		t.Fatal(err)
	}
	sealed, kid, _ := k.Seal([]byte("secret notes"), []byte("row-1"))
	if _, err := k.Open(sealed, kid, []byte("row-2")); !errors.Is(err, ErrOpen) {
		t.Fatalf("ciphertext moved to another row opened: %v", err)
	}
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	if _, err := k.Open(flipped, kid, []byte("row-1")); !errors.Is(err, ErrOpen) {
		t.Fatalf("tampered ciphertext opened: %v", err)
	}
	if _, err := k.Open(sealed, "gone", []byte("row-1")); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("unknown key id: %v", err)
	}
	if _, err := k.Open(sealed[:5], kid, []byte("row-1")); !errors.Is(err, ErrOpen) {
		t.Fatalf("short ciphertext: %v", err)
	}
}

func TestParseRejectsBadSpecs(t *testing.T) {
	good := mustGenerate(t, "a")
	for name, spec := range map[string]string{
		"empty":      "",
		"no colon":   "abc",
		"short key":  "k1:c2hvcnQ=",
		"not base64": "k1:!!!",
		"bad id":     "k 1:" + strings.TrimPrefix(good, "a:"),
		"duplicate":  good + "," + good,
	} {
		if _, err := Parse(spec); err == nil {
			t.Errorf("%s: Parse(%q) accepted", name, spec)
		}
	}
}

func TestMACIsKeyedPerPurposeAndRotates(t *testing.T) {
	oldSpec, newSpec := mustGenerate(t, "k1"), mustGenerate(t, "k2")
	old, err := Parse(oldSpec)
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := Parse(newSpec + "," + oldSpec)
	if err != nil {
		t.Fatal(err)
	}
	ip := []byte("203.0.113.7")
	a := old.MAC("login-ip", ip)
	if len(a) != 32 || bytes.Equal(a, old.MAC("other-purpose", ip)) || !bytes.Equal(a, old.MAC("login-ip", ip)) {
		t.Fatal("MAC is not a stable per-purpose 32-byte value")
	}
	macs := rotated.MACs("login-ip", ip)
	if len(macs) != 2 || bytes.Equal(macs[0], a) || !bytes.Equal(macs[1], a) || !bytes.Equal(macs[0], rotated.MAC("login-ip", ip)) {
		t.Fatal("MACs: want the active key's MAC first, then the older key's")
	}
}
