package audit_test

import (
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/audit"
)

func TestParseKeys(t *testing.T) {
	good := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	k, err := audit.ParseKeys(good)
	if err != nil || k.ActiveID() != audit.ImplicitKeyID {
		t.Fatalf("bare key: %v %v", k, err)
	}
	k, err = audit.ParseKeys("k2:" + good + ", k1:" + good)
	if err != nil || k.ActiveID() != "k2" {
		t.Fatalf("two keys: %v", err)
	}
	for _, bad := range []string{"", "k1:", ":" + good, "k1:c2hvcnQ=", "k1:" + good + ",k1:" + good, "bad id:" + good, "k1:not base64!"} {
		if _, err := audit.ParseKeys(bad); err == nil {
			t.Errorf("%q parsed", bad)
		} else if strings.Contains(err.Error(), good) {
			t.Errorf("%q: the error repeats the key", bad)
		}
	}
}
