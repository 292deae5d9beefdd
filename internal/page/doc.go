// Package page is how the server renders its HTML pages: one layout (the
// document head, the site header, the footer), each feature's content
// templates parsed once with it, rendering into a buffer so a template
// error is a clean 500 and never half a page, the page CSP on every page
// (httpx.HTMLPage), the one message page that every HTML error uses, and
// the pages' one stylesheet.
//
// A feature (account, privacy, oauth, web) embeds its content templates,
// each defining "content" (and "title" when the page's title is not
// "<Title> · taskbridge"), parses them with Parse, and gives Render data
// that embeds Frame, which is what the layout reads.
package page
