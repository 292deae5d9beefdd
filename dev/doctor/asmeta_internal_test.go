package doctor

import "testing"

func TestAndList(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"tasks.read"}, "tasks.read"},
		{[]string{"tasks.read", "tasks.write"}, "tasks.read and tasks.write"},
		{[]string{"a", "b", "c"}, "a, b and c"},
	} {
		if got := andList(tc.in); got != tc.want {
			t.Errorf("andList(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
