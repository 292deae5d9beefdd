package logging

// normalizeKey lower-cases key and drops the separators people put between
// words ('_', '-', '.', ' '), so that api_key, API-Key, apiKey and
// x.api.key all read "apikey". Short keys stay on the caller's stack.
func normalizeKey(buf []byte, key string) []byte {
	buf = buf[:0]
	for i := 0; i < len(key); i++ {
		switch c := key[i]; c {
		case '_', '-', '.', ' ':
		default:
			buf = append(buf, lower(c))
		}
	}
	return buf
}

func containsString(b []byte, sub string) bool {
	n := len(sub)
	for i := 0; i+n <= len(b); i++ {
		if string(b[i:i+n]) == sub {
			return true
		}
	}
	return false
}

// isSensitiveKey reports whether a value stored under key must be hidden
// whole, whatever it looks like. Matching is by substring so that
// db_password, X-CSRF-Token and refresh_token_hash are all caught; the
// price is that a harmless max_tokens is hidden too. Every attribute key
// goes through here, so it switches on the first letter instead of
// searching for each fragment.
func isSensitiveKey(key string) bool {
	if key == "" {
		return false
	}
	var arr [64]byte
	norm := normalizeKey(arr[:0], key)
	for i := range norm {
		rest := norm[i:]
		var fragments []string
		switch rest[0] {
		case 'p':
			fragments = []string{"password", "passwd", "passphrase", "privatekey"}
		case 's':
			fragments = []string{"secret", "session"}
		case 't':
			fragments = []string{"token"}
		case 'a':
			fragments = []string{"authorization", "apikey"}
		case 'c':
			fragments = []string{"cookie", "csrf", "codeverifier", "credential"}
		case 'x':
			fragments = []string{"xsrf"}
		case 'd':
			fragments = []string{"dsn", "databaseurl"}
		default:
			continue
		}
		for _, f := range fragments {
			if len(rest) >= len(f) && string(rest[:len(f)]) == f {
				return true
			}
		}
	}
	return false
}

// isQuerySecretKey reports names that are secrets as URL query or fragment
// parameters (OAuth codes, API keys, pre-signed URL signatures) but too
// common as plain words to hide everywhere ("exit code=1").
func isQuerySecretKey(key string) bool {
	var arr [16]byte
	if len(key) > len(arr) {
		return false
	}
	switch string(normalizeKey(arr[:0], key)) {
	case "code", "key", "sig", "signature":
		return true
	}
	return false
}

// isHeaderSecretKey reports header names whose value runs to the end of the
// line and is hidden after "Name: ". Only header-like names qualify: one of
// the standard credential headers, or a sensitive name with a '-' in it
// (X-Auth-Token) followed by a space. Prose such as "invalid token:
// expired" is left alone.
func isHeaderSecretKey(key string, spaced bool) bool {
	var arr [64]byte
	norm := normalizeKey(arr[:0], key)
	if containsString(norm, "authorization") || containsString(norm, "cookie") || containsString(norm, "apikey") {
		return true
	}
	for i := 0; i < len(key); i++ {
		if key[i] == '-' {
			return spaced && isSensitiveKey(key)
		}
	}
	return false
}

func isAuthorizationKey(key string) bool {
	var arr [64]byte
	return containsString(normalizeKey(arr[:0], key), "authorization")
}
