package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/progress"
)

// runUsersExport is `taskbridge users export --email X > file.json`: an
// operator answering an access request (GDPR Art. 15/20) for a user who
// cannot sign in. Finding a user by email is the owner role's power (like
// users list); the export itself runs as the server role under the user's
// row-level-security identity and is audited with via=cli. Progress (rows
// written) goes to stderr.
func runUsersExport(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("users export", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	email := fs.String("email", "", "email address of the account to export")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if *email == "" || fs.NArg() != 0 {
		return fmt.Errorf("%w: taskbridge users export --email ADDRESS > export.json", ErrUsage)
	}
	cfg, err := usersOperatorConfig()(env.Getenv)
	if err != nil {
		return err
	}
	userID, err := lookupUserID(ctx, cfg.MigrateDatabaseURL, account.NormalizeEmail(*email))
	if err != nil {
		return err
	}
	deps, err := openOperator(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer deps.db.Close()
	log, keys, db := deps.log, deps.keys, deps.db
	svc, err := newPrivacy(cfg, db, keys, deps.auditLog, nil, nil, log)
	if err != nil {
		return err
	}
	// Progress goes to stderr, never into the document on stdout. It is
	// drawn only when stderr is a terminal and stdout is not: an export
	// printed on the terminal itself is one long line that redraws would
	// garble (there, and in logs, only the summary line is written).
	bar := progress.New(env.Stderr, "users export", 0,
		progress.WithTTY(progress.IsTerminal(env.Stderr) && !progress.IsTerminal(env.Stdout)))
	var rows int64
	err = svc.WriteExportProgress(ctx, env.Stdout, userID, "cli", "", func(_ string, n int64) {
		rows += n
		bar.Add(n)
	})
	if err != nil {
		bar.Done("users export: failed")
		return err
	}
	bar.Done(fmt.Sprintf("users export: %d rows written", rows))
	return nil
}

func lookupUserID(ctx context.Context, ownerURL, email string) (uuid.UUID, error) {
	owner, err := postgres.ConnectOwner(ctx, ownerURL)
	if err != nil {
		return uuid.Nil, fmt.Errorf("connect as the owner role: %w", err)
	}
	defer owner.Close(context.WithoutCancel(ctx))
	id, err := owner.UserIDByEmail(ctx, email)
	if errors.Is(err, postgres.ErrNotFound) {
		return uuid.Nil, errors.New("no account has that email address")
	}
	if err != nil {
		return uuid.Nil, fmt.Errorf("find account: %w", err)
	}
	return id, nil
}
