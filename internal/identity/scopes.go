package identity

import (
	"slices"
	"strings"
)

// Scope is an OAuth scope this server understands (P1).
type Scope string

const (
	ScopeTasksRead  Scope = "tasks.read"
	ScopeTasksWrite Scope = "tasks.write"
	// ScopeOfflineAccess asks for a refresh token.
	ScopeOfflineAccess Scope = "offline_access"
)

// Resource is what a scope belongs to.
type Resource string

const (
	// ResourceMCP: a scope of the MCP endpoint, one its tools require. The
	// protected-resource metadata and 401 challenges advertise these, an
	// authorization request without a scope gets all of them, and a grant
	// needs at least one.
	ResourceMCP Resource = "mcp"
	// ResourceAuthServer: a scope of the authorization server itself
	// (offline_access), never required by a tool and never listed in the
	// protected-resource metadata (MCP spec).
	ResourceAuthServer Resource = "authorization-server"
)

// ScopeDef is one row of the scope table: everything the server knows
// about a scope, so that adding one is one row plus the tools that require
// it.
type ScopeDef struct {
	Name     Scope
	Resource Resource
	// Consent is what the consent page says the scope allows, exactly what
	// it allows, quoted word for word by PRIVACY.md's scope table (P1, P4).
	// Empty: the consent page does not list the scope.
	Consent string
	// Account is how the account page's "Connected apps" names the scope.
	Account string
	// Optional: the consent page shows the scope as a checkbox, unticked,
	// and grants it only when the user ticks it (P5); ConsentField is the
	// checkbox's form field, and Unticked ends the note after it: "(only
	// if you tick it: left unticked, <Unticked>)". Otherwise Allow grants
	// the scope with the rest.
	Optional     bool
	ConsentField string
	Unticked     string
}

// scopeTable is every scope, in the order tokens, metadata and pages list
// them.
var scopeTable = []ScopeDef{
	{
		Name: ScopeTasksRead, Resource: ResourceMCP,
		Consent: "See your tasks: titles, notes, due dates, priorities and tags, and your email address shortened (like ja…@example.com), so the app can tell your accounts apart.",
		Account: "See and download your tasks",
	},
	{
		Name: ScopeTasksWrite, Resource: ResourceMCP,
		Consent:  "Create, change, complete and delete your tasks, and ask for your account to be deleted (you confirm that yourself, with your password).",
		Account:  "Create, change and delete your tasks, and ask to delete your account",
		Optional: true, ConsentField: "grant_write", Unticked: "the app can only read",
	},
	{
		Name: ScopeOfflineAccess, Resource: ResourceAuthServer,
		Account: "Stay connected when you are not using it",
	},
}

// Computed once: the bearer path canonicalises scopes on every request.
var (
	knownScopes    = scopeNames(func(ScopeDef) bool { return true })
	resourceScopes = scopeNames(func(d ScopeDef) bool { return d.Resource == ResourceMCP })
)

func scopeNames(keep func(ScopeDef) bool) []Scope {
	var out []Scope
	for _, d := range scopeTable {
		if keep(d) {
			out = append(out, d.Name)
		}
	}
	return out
}

// ScopeTable returns the scope table, in its order.
func ScopeTable() []ScopeDef { return slices.Clone(scopeTable) }

// LookupScope returns the table row of s.
func LookupScope(s Scope) (ScopeDef, bool) {
	i := slices.IndexFunc(scopeTable, func(d ScopeDef) bool { return d.Name == s })
	if i < 0 {
		return ScopeDef{}, false
	}
	return scopeTable[i], true
}

// KnownScopes lists every scope in table order: what the authorization
// server accepts and advertises, and the order a consent page shows them.
func KnownScopes() []Scope { return slices.Clone(knownScopes) }

// ResourceScopes are the scopes of the MCP resource (ResourceMCP), in
// table order.
func ResourceScopes() []Scope { return slices.Clone(resourceScopes) }

// JoinScopes renders scopes space-separated, as OAuth does.
func JoinScopes(scopes []Scope) string {
	s := make([]string, len(scopes))
	for i, sc := range scopes {
		s[i] = string(sc)
	}
	return strings.Join(s, " ")
}
