package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/progress"
)

// runKeysRotate re-encrypts task notes under the active key (S2). It runs
// as the owner role: see postgres.RotateNotes for why.
func runKeysRotate(ctx context.Context, env Env) error {
	cfg, err := keysRotateConfig(env.Getenv)
	if err != nil {
		return err
	}
	keys, err := keyring.Parse(cfg.EncryptionKeys)
	if err != nil {
		return err
	}
	owner, err := postgres.ConnectOwner(ctx, cfg.MigrateDatabaseURL)
	if err != nil {
		return errors.New("connect as the owner role: check TASKBRIDGE_MIGRATE_DATABASE_URL") // the driver's error can repeat the URL
	}
	defer owner.Close(context.WithoutCancel(ctx))

	// Progress on stderr: a status line on a terminal, one summary line in
	// logs; stdout keeps the result line.
	var bar *progress.Bar
	var reported int64
	res, err := owner.RotateNotes(ctx, keys, postgres.RotateOptions{Progress: func(done, total int64) {
		if bar == nil {
			bar = progress.New(env.Stderr, "keys rotate", total)
		}
		bar.Add(done - reported)
		reported = done
	}})
	if bar != nil {
		bar.Done("")
	}
	outcome := audit.OutcomeSuccess
	if err != nil || res.Remaining > 0 {
		outcome = audit.OutcomeFailure
	}
	if aerr := auditAsOwner(ctx, owner, "admin.keys.rotate", outcome, map[string]any{"resealed": res.Resealed, "remaining": res.Remaining, "active_key": keys.ActiveKeyID()}); aerr != nil && err == nil {
		err = aerr
	}
	if err != nil {
		return err
	}
	if res.Remaining > 0 {
		return fmt.Errorf("%d notes stayed locked by edits in progress; run keys rotate again", res.Remaining)
	}
	fmt.Fprintf(env.Stdout, "re-encrypted %d notes; every note is now under key %q. Remove older keys from TASKBRIDGE_ENCRYPTION_KEYS and restart.\n", res.Resealed, keys.ActiveKeyID())
	return nil
}

// auditAsOwner records an operator command. The event has no actor, so the
// pseudonym key plays no part and an ephemeral one will do.
func auditAsOwner(ctx context.Context, owner *postgres.OwnerConn, typ string, outcome audit.Outcome, detail map[string]any) error {
	keys, err := audit.EphemeralKeys()
	if err != nil {
		return err
	}
	return owner.InTx(ctx, func(tx postgres.Querier) error {
		return postgres.NewAuditLog(keys).Append(ctx, tx, audit.Event{Type: typ, Outcome: outcome, Detail: detail})
	})
}
