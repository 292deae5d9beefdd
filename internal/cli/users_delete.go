package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/google/uuid"
	"golang.org/x/term"

	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/privacy"
)

// eventUserDelete is the admin event of `taskbridge users delete` (L4).
const eventUserDelete = "admin.user_delete"

// runUsersDelete is `taskbridge users delete --email X`: the operator's
// erasure path (D4, GDPR Art. 17) for a user who cannot sign in and so
// cannot use the account page. It erases exactly as the account page does
// (privacy.(*Service).EraseAccount, one transaction as the user, audited as
// privacy.erase with via=cli) and records the command as the admin event
// admin.user_delete under the same request id. Finding the account by email
// is the owner role's power (like users list and users export).
//
// Erasure cannot be undone, so it needs a confirmation (P6): at a terminal
// the operator types the address again, whatever the flags, so a --yes
// recalled from shell history cannot erase an account unseen; when stdin is
// not a terminal (a script), --yes is required instead.
func runUsersDelete(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("users delete", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	email := fs.String("email", "", "email address of the account to erase")
	yes := fs.Bool("yes", false, "confirm the erasure when stdin is not a terminal (at a terminal the address is typed again instead)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if *email == "" || fs.NArg() != 0 {
		return fmt.Errorf("%w: taskbridge users delete --email ADDRESS [--yes]", ErrUsage)
	}
	address := account.NormalizeEmail(*email)
	terminal, interactive := stdinTerminal(env)
	if !interactive && !*yes {
		return fmt.Errorf("%w: users delete erases the account and all its data for good; stdin is not a terminal, so confirm with --yes (nothing was deleted)", ErrUsage)
	}
	cfg, err := usersOperatorConfig()(env.Getenv)
	if err != nil {
		return err
	}
	deps, err := openOperator(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer deps.db.Close()
	log, keys, db := deps.log, deps.keys, deps.db
	auditLog := deps.auditLog
	// One correlation id links the erasure's own record and the admin event.
	ctx = logging.WithRequestID(ctx, "cli-"+uuid.NewString())

	userID, err := lookupUserID(ctx, cfg.MigrateDatabaseURL, address)
	if err != nil {
		if aerr := recordUserDelete(ctx, db, auditLog, audit.OutcomeFailure, map[string]any{"reason": "lookup"}); aerr != nil {
			return errors.Join(err, aerr)
		}
		return fmt.Errorf("users delete: %w; nothing was deleted", err)
	}
	if interactive {
		if err := confirmByRetyping(terminal, env.Stderr, address); err != nil {
			return err
		}
	}
	svc, err := newPrivacy(cfg, db, keys, auditLog, nil, nil, log)
	if err != nil {
		return err
	}
	report, err := svc.EraseAccount(ctx, userID, "cli")
	if errors.Is(err, privacy.ErrNoAccount) {
		err = errors.New("the account was erased by someone else meanwhile")
	}
	if err != nil {
		if aerr := recordUserDelete(ctx, db, auditLog, audit.OutcomeError, map[string]any{"reason": "erase"}); aerr != nil {
			return errors.Join(fmt.Errorf("erase account: %w", err), aerr)
		}
		return fmt.Errorf("erase account: %w", err)
	}
	detail := map[string]any{}
	for kind, n := range report {
		detail[kind] = n
	}
	if err := recordUserDelete(ctx, db, auditLog, audit.OutcomeSuccess, detail); err != nil {
		// The erasure has committed with its own privacy.erase record;
		// only the admin event is missing.
		return fmt.Errorf("the account is erased, but recording %s failed: %w", eventUserDelete, err)
	}
	fmt.Fprintf(env.Stdout, "erased account <%s>: %s\n", address, formatErasure(report))
	return nil
}

// stdinTerminal reports whether stdin is a terminal, and returns it then.
func stdinTerminal(env Env) (*os.File, bool) {
	f, ok := env.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, false
	}
	return f, true
}

// confirmByRetyping asks the operator to type the address of the account
// again and fails unless it matches (after the same normalisation).
func confirmByRetyping(in io.Reader, prompt io.Writer, address string) error {
	fmt.Fprintf(prompt, "This erases the account <%s> and all its data (tasks, connected apps, tokens, sessions, consent records). It cannot be undone.\n", address)
	fmt.Fprint(prompt, "Type the email address again to confirm: ")
	line, err := bufio.NewReader(io.LimitReader(in, 1024)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read confirmation: %w", err)
	}
	if account.NormalizeEmail(line) != address {
		return errors.New("the typed address does not match: nothing was deleted")
	}
	return nil
}

// recordUserDelete audits the command as the server role. The detail holds
// counts and a reason only: never the email or the user id.
func recordUserDelete(ctx context.Context, db *postgres.DB, auditLog *postgres.AuditLog, outcome audit.Outcome, detail map[string]any) error {
	detail["via"] = "cli"
	return db.InSystemTx(ctx, func(tx postgres.Querier) error {
		return auditLog.Append(ctx, tx, audit.Event{
			Type: eventUserDelete, Outcome: outcome, RequestID: logging.RequestID(ctx), Detail: detail,
		})
	})
}

// formatErasure lists what went, in a stable order: "account 1, tasks 2, ...".
func formatErasure(report privacy.Erasure) string {
	kinds := make([]string, 0, len(report))
	for kind := range report {
		kinds = append(kinds, kind)
	}
	sort.Strings(kinds)
	parts := make([]string, 0, len(kinds))
	for _, kind := range kinds {
		parts = append(parts, fmt.Sprintf("%s %d", kind, report[kind]))
	}
	return strings.Join(parts, ", ")
}
