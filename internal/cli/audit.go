package cli

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

const auditUsage = "taskbridge audit seal | verify [--anchor SEQ:HASH]"

// runAudit seals pending events or verifies the whole chain. Both run as
// the server's role: sealing needs only INSERT, verifying only SELECT.
func runAudit(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", ErrUsage, auditUsage)
	}
	fs := flag.NewFlagSet("audit "+args[0], flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	anchorText := fs.String("anchor", "", "a checkpoint kept outside the database, SEQ:HASH as the sealer logs it; verify fails if the chain no longer reaches it")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 0 {
		return fmt.Errorf("%w: %s", ErrUsage, auditUsage)
	}
	cfg, err := auditConfig(env.Getenv)
	if err != nil {
		return err
	}
	keys, err := audit.ParseKeys(cfg.Audit.Keys)
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.PoolOptions{MaxConns: 2, ApplicationName: "taskbridge-audit"})
	if err != nil {
		return err
	}
	defer db.Close()
	switch args[0] {
	case "seal":
		if *anchorText != "" {
			return fmt.Errorf("%w: --anchor is for verify", ErrUsage)
		}
		return auditSeal(ctx, env, db, keys)
	case "verify":
		var anchor *audit.Anchor
		if *anchorText != "" {
			a, err := audit.ParseAnchor(*anchorText)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrUsage, err)
			}
			anchor = &a
		}
		return auditVerify(ctx, env, db, keys, anchor)
	}
	return fmt.Errorf("%w: unknown audit command %q (%s)", ErrUsage, args[0], auditUsage)
}

func auditSeal(ctx context.Context, env Env, db *postgres.DB, keys *audit.Keys) error {
	s := audit.NewSealer(postgres.NewAuditChain(db), keys, audit.SealerOptions{WaitForLock: true})
	total := 0
	var last audit.SealResult
	for {
		res, err := s.Seal(ctx)
		if err != nil {
			return err
		}
		total += res.Sealed
		last = res
		if res.Sealed == 0 {
			break
		}
	}
	fmt.Fprintf(env.Stdout, "sealed %d events; chain head at seq %d", total, last.HeadSeq)
	if last.Lag > 0 {
		fmt.Fprintf(env.Stdout, "; the oldest unsealed event is %s old (an open transaction holds it back)", last.Lag.Round(1e6))
	}
	fmt.Fprintln(env.Stdout)
	return recordAdminEvent(ctx, db, keys, "admin.audit.seal", audit.OutcomeSuccess, map[string]any{"sealed": total, "head_seq": last.HeadSeq})
}

func auditVerify(ctx context.Context, env Env, db *postgres.DB, keys *audit.Keys, anchor *audit.Anchor) error {
	rep, err := audit.Verify(ctx, postgres.NewAuditChain(db), keys, anchor)
	if err != nil {
		return err
	}
	outcome := audit.OutcomeSuccess
	if !rep.OK() {
		outcome = audit.OutcomeFailure
	}
	if err := recordAdminEvent(ctx, db, keys, "admin.audit.verify", outcome, map[string]any{"problems": len(rep.Problems), "head_seq": rep.HeadSeq}); err != nil {
		return err
	}
	if !rep.OK() {
		for _, p := range rep.Problems {
			fmt.Fprintln(env.Stdout, "PROBLEM", p)
		}
		if wrongKeyLikely(rep) {
			fmt.Fprint(env.Stdout, wrongKeyHint)
			return fmt.Errorf("audit trail does NOT verify with this TASKBRIDGE_AUDIT_KEY: no seal or checkpoint matches it (see the note above); %d problem(s)", len(rep.Problems))
		}
		return fmt.Errorf("audit trail does NOT verify: %d problem(s); first: %s", len(rep.Problems), rep.Problems[0])
	}
	fmt.Fprintf(env.Stdout, "audit trail OK: seals %d..%d verified against %d checkpoint(s); %d event(s) await sealing\n",
		rep.FirstSeq, rep.HeadSeq, rep.Checkpoints, rep.Unsealed)
	if rep.HeadSeq > 0 {
		fmt.Fprintf(env.Stdout, "anchor (keep a copy outside the database): %d:%s\n", rep.HeadSeq, hex.EncodeToString(rep.HeadHash))
	}
	return nil
}

// wrongKeyLikely tells a wrong key from tampering: with a key other than the
// one that sealed the chain, no checkpoint verifies and every problem is a
// MAC mismatch. Editing rows leaves the checkpoints' own MACs valid, and
// deleting, reordering or cutting the chain short reports other kinds.
func wrongKeyLikely(rep audit.Report) bool {
	if rep.Checkpoints > 0 {
		return false
	}
	for _, p := range rep.Problems {
		if p.Kind != "edited" && p.Kind != "checkpoint" {
			return false
		}
	}
	return true
}

const wrongKeyHint = `NOTE: no seal and no checkpoint matches TASKBRIDGE_AUDIT_KEY, so the chain was most likely
  sealed with a different key, not edited: for example by a dev server that ran with an ephemeral
  key (TASKBRIDGE_AUDIT_KEY unset and no TASKBRIDGE_DEV_SECRETS_DIR). Run verify with the key the
  server used (make run's: . .taskbridge-dev/env). If that key is lost this chain cannot be verified:
  a dev database can start over (rm -rf .taskbridge-dev, or a new database); in production treat it
  as an incident (SECURE.md, Incident response).
`

// recordAdminEvent audits an operator command (L4).
func recordAdminEvent(ctx context.Context, db *postgres.DB, keys *audit.Keys, typ string, outcome audit.Outcome, detail map[string]any) error {
	log := postgres.NewAuditLog(keys)
	return db.InSystemTx(ctx, func(tx postgres.Querier) error {
		return log.Append(ctx, tx, audit.Event{Type: typ, Outcome: outcome, Detail: detail})
	})
}
