package metrics

import "time"

// Recorder is what other packages report to. Each package declares the
// subset it needs as its own interface; *Registry satisfies all of them and
// Nop is the default when metrics are off.
type Recorder interface {
	ToolCall(tool, outcome string)
	AuthFailure(reason string)
	LoginFailed()
	RateLimited(route string)
	InjectionFlag(kind string)
	RetentionDeleted(kind string, n int)
	RefreshTokenReuse()
	AuditSealed(headSeq int64, lag time.Duration)
	AuditVerifyProblems(n int)
	AuditChainVerified(at time.Time)
}

// Nop records nothing.
type Nop struct{}

func (Nop) ToolCall(string, string)          {}
func (Nop) AuthFailure(string)               {}
func (Nop) LoginFailed()                     {}
func (Nop) RateLimited(string)               {}
func (Nop) InjectionFlag(string)             {}
func (Nop) RetentionDeleted(string, int)     {}
func (Nop) RefreshTokenReuse()               {}
func (Nop) AuditSealed(int64, time.Duration) {}
func (Nop) AuditVerifyProblems(int)          {}
func (Nop) AuditChainVerified(time.Time)     {}

var _ Recorder = Nop{}
var _ Recorder = (*Registry)(nil)

// maxLabelLen bounds a label value; real ones are short names.
const maxLabelLen = 64

// label returns v if it looks like one of the fixed names callers use
// (lower-case letters, digits, '_', '.', '-', '/', '{', '}' for route
// patterns) and is not an identifier; otherwise "other". It is the last
// line of defence for D10 and for series-count exhaustion.
func label(v string) string {
	if v == "" {
		return "none"
	}
	if len(v) > maxLabelLen || looksLikeIdentifier(v) {
		return "other"
	}
	for _, r := range v {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-' || r == '/' || r == '{' || r == '}' || r == '*'
		if !ok {
			return "other"
		}
	}
	return v
}

// looksLikeIdentifier catches values that carry an id: runs of 8 or more
// hex characters with a digit among them (uuids, numeric ids, hashes) and
// e-mail addresses.
func looksLikeIdentifier(v string) bool {
	run, digit := 0, false
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9':
			run, digit = run+1, true
		case r >= 'a' && r <= 'f':
			run++
		default:
			run, digit = 0, false
		}
		if run >= 8 && digit {
			return true
		}
	}
	for _, r := range v {
		if r == '@' {
			return true
		}
	}
	return false
}
