package mcpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/internal/postgres"
)

// profileOut is the shape ChatGPT asks of a profile tool: a stable id and
// a label. It carries no full email and no display name: the consent page
// names only the shortened address (P1).
type profileOut struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// addProfileTool registers get_account_profile, marked openai/profile so a
// host with several taskbridge accounts linked can label and tell them
// apart. tasks.read is enough: every connection has it.
func (s *service) addProfileTool(srv *mcp.Server) {
	sp := readSpec("get_account_profile", "Identify the account",
		"Return which taskbridge account this connection uses: a stable opaque id and a shortened email label "+
			"(like ja…@example.com), so the user can tell their linked accounts apart. Not needed to work with tasks.",
		"Checking the account…", "Account identified", mustSchema[noInput](nil))
	sp.profile = true
	addTool(s, srv, sp, s.accountProfile)
}

func (s *service) accountProfile(ctx context.Context, c *call, _ noInput) (*mcp.CallToolResult, profileOut, error) {
	labelled := c.principal.AccountLabelConsented
	var email string
	err := s.effect(ctx, c, func(tx *postgres.PipelineTx, _ map[string]any) error {
		if !labelled {
			return nil // the email is not even read
		}
		var err error
		email, err = postgres.AccountEmail(ctx, tx)
		return err
	})
	if err != nil {
		return nil, profileOut{}, err
	}
	id := profileID(c.principal.ClientID, c.principal.UserID.String())
	if labelled {
		return &mcp.CallToolResult{}, profileOut{ID: id, Name: maskEmail(email)}, nil
	}
	return unlabelledProfile(id)
}

// unlabelledProfile answers a connection linked under a consent wording
// that did not name the account label (P4): the opaque id and a name made
// from it, which disclose nothing the connection does not already have,
// and a text saying how to get the label.
func unlabelledProfile(id string) (*mcp.CallToolResult, profileOut, error) {
	out := profileOut{ID: id, Name: "taskbridge account " + id[:6]}
	text := "This connection is " + out.Name + " (id " + out.ID + "). It was linked before taskbridge asked to show " +
		"the account's shortened email, so no email is shown. The user can re-link taskbridge (disconnect and " +
		"connect it again) to show the account's label."
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}, out, nil
}

// profileID is stable for one account seen by one client (across refresh,
// reconnection and scope changes, as hosts require) and differs between
// clients, so two apps cannot join their users on it; the internal user id
// never leaves the server.
func profileID(clientID, userID string) string {
	sum := sha256.Sum256([]byte("taskbridge account profile\x00" + clientID + "\x00" + userID))
	return hex.EncodeToString(sum[:16])
}

// maskEmail keeps the first characters of the local part and the domain:
// "jane.doe@example.com" becomes "ja…@example.com". Enough for the user to
// recognise which of their accounts it is, not the whole address.
func maskEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return "…"
	}
	local := []rune(email[:at])
	keep := 2
	switch {
	case len(local) <= 1:
		keep = 0
	case len(local) <= 3:
		keep = 1
	}
	return string(local[:keep]) + "…" + email[at:]
}
