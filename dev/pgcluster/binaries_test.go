package pgcluster

import "testing"

func TestInstallVersionSortsNumerically(t *testing.T) {
	if v := installVersion("/usr/lib/postgresql/16/bin"); len(v) != 1 || v[0] != 16 {
		t.Errorf("installVersion(16) = %v", v)
	}
	if v := installVersion("/usr/lib/postgresql/9.6/bin"); len(v) != 2 || v[0] != 9 || v[1] != 6 {
		t.Errorf("installVersion(9.6) = %v", v)
	}
	if v := installVersion("/usr/lib/postgresql/devel/bin"); v != nil {
		t.Errorf("installVersion(devel) = %v, want nil", v)
	}
}
