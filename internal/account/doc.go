// Package account is taskbridge's user accounts (A7): sign-up and login
// pages, argon2id password hashes, login throttling per account and per
// client IP, server-side sessions behind an HttpOnly cookie, CSRF protection
// on every form, the account page with its "Connected apps" section, and
// the consent to the privacy policy recorded at sign-up (C3).
//
// Other packages use three things from it: CurrentUser (of Sessions, which
// the Service embeds) and (*Service).RequireLogin to know who is signed in,
// and LoginURL to send a browser to the login page and back. Sessions is
// built first, so the OAuth server can ask it (ConsentedUser) before the
// Service, whose account page lists the OAuth grants, exists.
package account
