// Package logging is the only way the server writes logs: slog JSON lines
// that pass through a redacting handler before a byte reaches the writer
// (L1, L3), and carry the request's correlation id (L2).
//
// Why not a keyword filter. The common advice is "drop attributes named
// password". That alone misses most real leaks: an email inside an error
// message, a bearer token inside a logged header map, a DSN with its
// password inside a config dump, a card number in a free-text field, a
// secret three levels down in a struct passed to slog.Any. So redaction
// works on two levels:
//
//   - Keys: an attribute, map key or JSON key (case-insensitive, ignoring
//     '_', '-', '.' and spaces, at any depth, including WithGroup names)
//     that contains password, passwd, passphrase, secret, token,
//     authorization, cookie, apikey, session, csrf/xsrf, codeverifier,
//     credential, privatekey, dsn or databaseurl has its whole value
//     replaced by "[REDACTED]", without the value being looked at (a
//     LogValuer under such a key is never called).
//   - Values: every string that is written (message, attribute values,
//     error texts, []byte, map keys, and everything slog.Any would marshal)
//     is scanned for the shapes of secrets and personal data, which are
//     replaced by typed masks so the line stays useful: [EMAIL], [PHONE],
//     [CARD], [TOKEN] (bearer/basic credentials, Authorization headers),
//     [JWT], and [REDACTED] (URL userinfo passwords, secret query
//     parameters, key=value pairs and JSON members with a secret key,
//     Cookie headers).
//
// The scanners are hand-written linear passes rather than regular
// expressions: Luhn checks and "is this digit run bounded by a word
// boundary" need code anyway (RE2 has no lookaround), the package keeps no
// compiled state (no globals, nothing to build per call), and a string
// with none of the trigger characters ('@', '=', ':', 'b', 'J', seven
// digits) is returned untouched without allocating.
//
// Decisions a reader should know about:
//
//   - Card numbers: 13-19 digits, optionally grouped (groups of at least
//     three, separated by one kind of space or dash), first digit 2-6 (the
//     major networks) and Luhn-valid. Millisecond timestamps and snowflake
//     ids start with 1 and stay readable; a random 16-digit id starting
//     with 2-6 is masked one time in ten. Over-masking an id costs a little
//     readability, under-masking a card number is a PCI incident.
//   - Phone numbers: "+" followed by 7-15 digits in any grouping; NANP
//     shapes (555-123-4567, 1 555 123 4567, (555) 123-4567, 555-1234);
//     national numbers with a trunk 0 and a consistent separator
//     (020 7946 0958, 06 12 34 56 78, 0151-12345678, 0044 20 7946 0958);
//     and bare 10-11 digit numbers starting with a single 0. Bare digit
//     runs without those signals (5551234567) are indistinguishable from
//     unix timestamps, counts and ids and are not masked.
//   - Numbers are judged whole: a run of digit groups joined by single
//     separators is one number, so a UUID, IP address, date or 20-digit id
//     never has a "phone number" masked out of its middle. Only a space may
//     also separate two numbers, so the stretches between spaces are
//     candidates too ("4111 1111 1111 1111 12/25" masks the card, keeps
//     the date). Digits glued to letters, '_', '-', '.', '/' or '@'
//     (durations, versions, hex ids, paths) never start a number.
//   - "Bearer x" masks x unless x is an ordinary word ("bearer token",
//     "Bearer realm=..."), so error messages about tokens stay readable.
//     "Basic x" masks x only when it decodes to user:password.
//   - Redaction is idempotent (R(R(s)) == R(s)): masks are never matched
//     again, and RedactString repeats its passes until nothing changes.
package logging
