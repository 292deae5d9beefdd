package account

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"golang.org/x/text/unicode/norm"
)

// PasswordParams returns the argon2id parameters of every new hash (S3). They
// are pinned, not taken from argon2id.DefaultParams, whose parallelism is the
// host's CPU count: a hash would then differ by machine and every login on
// another replica would "upgrade" it. 64 MiB and 3 passes follow OWASP's
// argon2id guidance; a hash takes roughly 100 ms on one modern core.
func PasswordParams() argon2id.Params {
	return argon2id.Params{
		Memory:      64 * 1024, // KiB
		Iterations:  3,
		Parallelism: 2,
		SaltLength:  16,
		KeyLength:   32,
	}
}

// Password length limits, in characters after NFC normalisation. The upper
// bound keeps hashing cost predictable; 128 fits any passphrase.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 128
)

// PasswordError says why a new password was refused, in words for the user.
type PasswordError struct{ Reason string }

func (e *PasswordError) Error() string { return e.Reason }

// NormalizePassword returns the NFC form of pw, so the same passphrase typed
// on keyboards that compose accents differently hashes the same.
func NormalizePassword(pw string) string { return norm.NFC.String(pw) }

// CheckNewPassword validates a password chosen at sign-up (already
// normalised). email is the account's, which the password must not repeat.
func CheckNewPassword(pw, email string) error {
	if !utf8.ValidString(pw) {
		return &PasswordError{"The password contains characters that cannot be used."}
	}
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLength:
		return &PasswordError{fmt.Sprintf("Use at least %d characters.", MinPasswordLength)}
	case n > MaxPasswordLength:
		return &PasswordError{fmt.Sprintf("Use at most %d characters.", MaxPasswordLength)}
	}
	for _, r := range pw {
		if unicode.IsControl(r) {
			return &PasswordError{"The password contains characters that cannot be used."}
		}
	}
	lower := strings.ToLower(pw)
	if isCommonPassword(lower) || distinctRunes(lower) < 4 {
		return &PasswordError{"This password is too common or too easy to guess. Choose another one."}
	}
	if email != "" && (lower == email || strings.Contains(lower, localPart(email)) && len(localPart(email)) >= 4) {
		return &PasswordError{"The password must not contain your email address."}
	}
	return nil
}

func distinctRunes(s string) int {
	seen := map[rune]struct{}{}
	for _, r := range s {
		seen[r] = struct{}{}
	}
	return len(seen)
}

func localPart(email string) string {
	local, _, _ := strings.Cut(email, "@")
	return local
}

// hasher computes argon2id hashes, at most a few at a time: each one holds
// 64 MiB, so unbounded concurrency would let a burst of logins exhaust
// memory (I8). A request waits for a slot or for its own deadline.
type hasher struct {
	params argon2id.Params
	slots  chan struct{}
	dummy  string // compared against when an email is unknown
}

func newHasher(params argon2id.Params) (*hasher, error) {
	h := &hasher{params: params, slots: make(chan struct{}, max(2, runtime.GOMAXPROCS(0)/2))}
	dummy, err := argon2id.CreateHash("taskbridge-dummy-password-never-matches", &h.params)
	if err != nil {
		return nil, fmt.Errorf("compute dummy password hash: %w", err)
	}
	h.dummy = dummy
	return h, nil
}

func (h *hasher) acquire(ctx context.Context) (release func(), err error) {
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for a password hashing slot: %w", ctx.Err())
	}
}

// hash returns the argon2id hash of a normalised password.
func (h *hasher) hash(ctx context.Context, pw string) (string, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	out, err := argon2id.CreateHash(pw, &h.params)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return out, nil
}

// verify compares pw with hash; an empty hash (unknown email) is compared
// with the dummy instead, so the time taken does not reveal whether the
// email has an account. outdated reports that hash used other parameters
// and should be replaced.
func (h *hasher) verify(ctx context.Context, pw, hash string) (ok, outdated bool, err error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return false, false, err
	}
	defer release()
	known := hash != ""
	if !known {
		hash = h.dummy
	}
	match, params, err := argon2id.CheckHash(pw, hash)
	if err != nil {
		return false, false, fmt.Errorf("check password hash: %w", err)
	}
	if !known || !match {
		return false, false, nil
	}
	return true, *params != h.params, nil
}
