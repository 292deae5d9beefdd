// Package account is taskbridge's user accounts (A7): sign-up and login
// pages, argon2id password hashes, login throttling per account and per
// client IP, server-side sessions behind an HttpOnly cookie, CSRF protection
// on every form, the account page with its "Connected apps" section, and
// the consent to the privacy policy recorded at sign-up (C3).
//
// Other packages use three things from it: (*Service).CurrentUser and
// RequireLogin to know who is signed in, and LoginURL to send a browser to
// the login page and back.
package account
