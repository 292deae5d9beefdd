package account

import "github.com/alexedwards/argon2id"

// FastHashing makes a test Service hash with tiny argon2id parameters. Only
// tests that are not about the stored hash use it; the hash tests run with
// the pinned PasswordParams.
func FastHashing(o *Options) {
	o.hashParams = &argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

// PinnedHashing undoes FastHashing: the service hashes with PasswordParams.
func PinnedHashing(o *Options) { o.hashParams = nil }
