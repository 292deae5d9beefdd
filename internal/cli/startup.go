package cli

import (
	"errors"
	"fmt"

	"github.com/taskbridge/taskbridge/internal/config"
)

// configCheck is the first thing a command does: load the configuration
// with what the command uses (config.Use) and check the rules only that
// command has. The command and CheckConfig call the same function.
type configCheck func(getenv config.Getenv) (*config.Config, error)

// CheckConfig runs, on the environment getenv, the configuration check of
// the command args names (as `taskbridge args...`, serve when empty), and
// nothing else: no connection, no listener. The packaging tests hold each
// compose service's environment against its command with it.
func CheckConfig(args []string, getenv func(string) string) error {
	name := "serve"
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		if c.check == nil {
			return fmt.Errorf("%w: %s has no configuration check", ErrUsage, name)
		}
		check, err := c.check(args)
		if err != nil {
			return err
		}
		_, err = check(getenv)
		return err
	}
	return fmt.Errorf("%w: unknown command %q", ErrUsage, name)
}

// one is the check of a command whose subcommands all use the same.
func one(check configCheck) func([]string) (configCheck, error) {
	return func([]string) (configCheck, error) { return check, nil }
}

// serveConfig: serve uses the server's role, the public URL and every
// secret; migrating on start also needs the owner role.
func serveConfig(getenv config.Getenv) (*config.Config, error) {
	cfg, err := config.Load(getenv, config.Serving()...)
	if err != nil {
		return nil, err
	}
	if cfg.AutoMigrate && cfg.MigrateDatabaseURL == "" {
		return nil, errMigrateOnStart
	}
	return cfg, nil
}

var errMigrateOnStart = errors.New("migrating on start needs TASKBRIDGE_MIGRATE_DATABASE_URL (the owner role); the server's own role cannot change the schema")

// migrateConfig: migrations use the owner role and no secret (P2).
func migrateConfig(getenv config.Getenv) (*config.Config, error) {
	return config.Load(getenv, config.UseOwnerDB)
}

// healthcheckConfig: the probe reads only the listen address.
func healthcheckConfig(getenv config.Getenv) (*config.Config, error) {
	return config.Load(getenv)
}

// operatorConfig: users export, users delete and retention run act as the
// server would (openOperator): its role, the note keys and the audit key;
// finding an account by email takes the owner role too, and the privacy
// service writes the public URL into what it produces.
func operatorConfig(uses ...config.Use) configCheck {
	return func(getenv config.Getenv) (*config.Config, error) {
		return config.Load(getenv, append([]config.Use{config.UseAppDB, config.UseNoteKeys, config.UseAuditKey}, uses...)...)
	}
}

// usersCreateConfig: an account is created as the server's role, audited.
func usersCreateConfig(getenv config.Getenv) (*config.Config, error) {
	return config.Load(getenv, config.UseAppDB, config.UseAuditKey)
}

// usersListConfig: listing every account is the owner role's power.
func usersListConfig(getenv config.Getenv) (*config.Config, error) {
	return config.Load(getenv, config.UseOwnerDB, config.UseAuditKey)
}

// usersOperatorConfig: users export and users delete find the account as
// the owner role, then act as the server would.
func usersOperatorConfig() configCheck {
	return operatorConfig(config.UseOwnerDB, config.UsePublicURL)
}

func usersConfig(args []string) (configCheck, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("%w: users needs a subcommand", ErrUsage)
	}
	switch args[0] {
	case "create":
		return usersCreateConfig, nil
	case "list":
		return usersListConfig, nil
	case "export", "delete":
		return usersOperatorConfig(), nil
	}
	return nil, fmt.Errorf("%w: unknown users command %q", ErrUsage, args[0])
}

func keysConfig(args []string) (configCheck, error) {
	if len(args) > 0 && args[0] == "rotate" {
		return keysRotateConfig, nil
	}
	return nil, fmt.Errorf("%w: only keys rotate reads the configuration", ErrUsage)
}

// keysRotateConfig: rotation runs as the owner role and needs the real keys
// in every mode: rotating to an ephemeral key would lock every note.
func keysRotateConfig(getenv config.Getenv) (*config.Config, error) {
	cfg, err := config.Load(getenv, config.UseOwnerDB, config.UseNoteKeys)
	if err != nil {
		return nil, err
	}
	if cfg.EncryptionKeys == "" {
		return nil, errors.New("TASKBRIDGE_ENCRYPTION_KEYS is required: the new key first, then every key rows may still be sealed under")
	}
	return cfg, nil
}

// auditConfig: sealing and verifying run as the server's role with the
// server's audit key, in every mode: an ephemeral key verifies nothing.
func auditConfig(getenv config.Getenv) (*config.Config, error) {
	cfg, err := config.Load(getenv, config.UseAppDB, config.UseAuditKey)
	if err != nil {
		return nil, err
	}
	if cfg.Audit.Keys == "" {
		return nil, errors.New("TASKBRIDGE_AUDIT_KEY is required: the chain can only be sealed and verified with the key the server uses")
	}
	return cfg, nil
}

// errNoProdKey backs up the configuration check where a key is loaded: a
// command that forgot to declare the use still never runs production on an
// ephemeral key.
func errNoProdKey(name string) error {
	return fmt.Errorf("%s is unset: production never uses an ephemeral key", name)
}
