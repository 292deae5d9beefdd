// Package e2e holds the end-to-end tests of taskbridge: the real server,
// started in-process exactly as `taskbridge serve` starts it (cli.Run), on a
// real PostgreSQL database (dev/testdb), driven over real HTTP only by
// a cookie-jar browser and the go-sdk's own MCP and OAuth client, and under
// make test-browser by headless chromium and the official TypeScript MCP
// clients (web/widget/test).
//
// The journeys they prove:
//
//   - TestNewcomerSignsUpLinksAClientAndUsesEveryScope: sign up through the
//     form, link an MCP client (discovery from a 401, dynamic registration,
//     login, consent, PKCE, iss), use the write and read tools and the
//     widget, see the app on the account page, disconnect it there, and the
//     client's next call is refused with 401.
//   - TestReadOnlyConsentHidesWriteTools: a user who unticks write access
//     gets no write tools, and a write call is refused in-band with the
//     insufficient_scope challenge.
//   - TestAuditTrailOfTheFlowVerifies: the same journey leaves signup,
//     login, grant, token, tool-call and revoke events in the audit trail,
//     which `taskbridge audit seal` and `audit verify` seal and verify, and
//     no event holds the user's email.
//   - TestNewcomerSignsUpInTheMiddleOfLinkingAnApp: a host's authorization
//     URL in a fresh browser, "Create an account" on the login page, sign-up
//     (a refused attempt included) and back to the consent page of the same
//     request; Allow, code, token, tools/list. TestBrowserLinksAnAppThroughTheRealPages
//     walks the same way in headless chromium (make test-browser).
//   - TestEachConnectionOfOneAppIsSeparate: two connections of one client_id
//     (two ChatGPT workspaces) are two entries on the account page;
//     disconnecting one, or refresh-token reuse in one, leaves the other
//     working.
//   - TestBrowserTypeScriptClientsLinkAndUseEveryTool (make test-browser):
//     the official TypeScript MCP clients, SDK v2 at 2026-07-28 and v1 at
//     2025-11-25, link through headless chromium (a new visitor signs up
//     on the way), call every tool, rotate refresh tokens, and see a
//     replayed old refresh token revoke the family.
//   - TestMCPWire: the MCP wire byte by byte with a real access token, in
//     2026-07-28 and in each earlier revision the server accepts:
//     server/discover, the per-request _meta and Mcp-* header refusals,
//     unsupported versions, 405 on GET and DELETE, resultType, unknown
//     resources, undeclared capabilities and subscriptions/listen.
//
// The package has no non-test code besides this file.
package e2e
