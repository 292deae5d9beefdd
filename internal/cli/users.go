package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// runUsers is `taskbridge users create --email X | list | export --email X
// | delete --email X`: account administration for operators, audited as
// admin events.
func runUsers(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: taskbridge users create --email ADDRESS | users list | users export --email ADDRESS | users delete --email ADDRESS [--yes]", ErrUsage)
	}
	switch args[0] {
	case "create":
		return runUsersCreate(ctx, env, args[1:])
	case "list":
		if len(args) != 1 {
			return fmt.Errorf("%w: users list takes no arguments", ErrUsage)
		}
		return runUsersList(ctx, env)
	case "export":
		return runUsersExport(ctx, env, args[1:])
	case "delete":
		return runUsersDelete(ctx, env, args[1:])
	}
	return fmt.Errorf("%w: unknown users command %q (create, list, export, delete)", ErrUsage, args[0])
}

// runUsersCreate creates an account. The password is never an argument
// (argv is visible to every local user and kept in shell history): it is
// read without echo from the terminal, or as the first line of stdin when
// stdin is not a terminal (for scripts: `printf '%s\n' "$PW" | taskbridge
// users create --email ...`).
func runUsersCreate(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("users create", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	email := fs.String("email", "", "email address of the new account")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if *email == "" || fs.NArg() != 0 {
		return fmt.Errorf("%w: taskbridge users create --email ADDRESS (the password is read from the terminal or stdin)", ErrUsage)
	}
	cfg, err := usersCreateConfig(env.Getenv)
	if err != nil {
		return err
	}
	password, err := readNewPassword(env)
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.PoolOptions{MaxConns: 2})
	if err != nil {
		return err
	}
	defer db.Close()
	auditKeys, err := loadAuditKeys(cfg, newLogger(env, cfg))
	if err != nil {
		return err
	}
	u, err := account.CreateUser(ctx, db, postgres.NewAuditLog(auditKeys), *email, password, "cli")
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	fmt.Fprintf(env.Stdout, "created user %s <%s>\n", u.ID, u.Email)
	return nil
}

func readNewPassword(env Env) (string, error) {
	if f, ok := env.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(env.Stderr, "Password: ")
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(env.Stderr, "Repeat password: ")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(first) != string(second) {
			return "", errors.New("the passwords do not match")
		}
		return string(first), nil
	}
	if env.Stdin == nil {
		return "", errors.New("no password: pipe it on stdin or run in a terminal")
	}
	line, err := bufio.NewReader(io.LimitReader(env.Stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on stdin")
	}
	return line, nil
}

// runUsersList prints every account. It connects as the migration owner
// (TASKBRIDGE_MIGRATE_DATABASE_URL): listing all users is an operator's
// power that the server's own role deliberately lacks.
func runUsersList(ctx context.Context, env Env) error {
	cfg, err := usersListConfig(env.Getenv)
	if err != nil {
		return err
	}
	owner, err := postgres.ConnectOwner(ctx, cfg.MigrateDatabaseURL)
	if err != nil {
		return fmt.Errorf("connect as the owner role: %w", err)
	}
	defer owner.Close(context.WithoutCancel(ctx))
	auditKeys, err := loadAuditKeys(cfg, newLogger(env, cfg))
	if err != nil {
		return err
	}
	var users []account.User
	err = owner.InTx(ctx, func(tx postgres.Querier) error {
		var err error
		users, err = account.ListUsers(ctx, tx, postgres.NewAuditLog(auditKeys), "cli")
		return err
	})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tCREATED")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", u.ID, u.Email, u.CreatedAt.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}
