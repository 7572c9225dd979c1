// Command ops holds the operational commands of Second Bloom: backups,
// their verification and retention, uptime checks and a synthetic data
// generator for measurements.
//
//	ops backup  [-dir DIR] [-prune]                 pg_dump the database into DIR (and upload it)
//	ops upload  [-dir DIR] [-name NAME]             upload a backup already in DIR
//	ops restore [-dir DIR] [-name NAME] [-replace] [-offsite]
//	                                                restore a backup (the newest by default)
//	ops verify  [-dir DIR] [-name NAME] [-offsite]  restore into a scratch database and check it
//	ops prune   [-dir DIR] [-daily 7 -weekly 4 -monthly 3] [-dry-run]
//	ops check   -url URL [-timeout 5s]              exit 0 when URL answers 2xx
//	ops seed    [-products N] [-orders N]           synthetic products/orders tables
//
// The database comes from -database-url or DATABASE_URL, the backup
// directory from -dir or BACKUP_DIR (default ./backups), the off-site store
// from -upload-url or BACKUP_UPLOAD_URL (s3://bucket/prefix?region=... or
// file://DIR; empty: no off-site copy). With an off-site store, backup
// uploads each backup after checking its checksum, prune prunes both
// places, and restore -offsite and verify -offsite fetch from there. Every command logs one
// JSON line per step to stdout and exits 0 on success, 1 on failure, 2 on
// bad usage. Connection strings never appear in the output.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// errUsage marks a usage error (exit status 2).
var errUsage = errors.New("usage")

// run executes one command and returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewJSONHandler(stdout, nil))
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: ops backup|upload|restore|verify|prune|check|seed [flags] (ops CMD -h for flags)")
		return 2
	}
	cmds := map[string]func(context.Context, []string, func(string) string, *slog.Logger, io.Writer) error{
		"backup":  cmdBackup,
		"upload":  cmdUpload,
		"restore": cmdRestore,
		"verify":  cmdVerify,
		"prune":   cmdPrune,
		"check":   cmdCheck,
		"seed":    cmdSeed,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "ops: unknown command %q (want backup, upload, restore, verify, prune, check or seed)\n", args[0])
		return 2
	}
	err := cmd(ctx, args[1:], getenv, log, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
		return 2
	default:
		log.Error(args[0]+" failed", "error", err.Error())
		return 1
	}
}

// newFlags returns a flag set that prints its errors to stderr.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("ops "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parse parses args, turning a flag error into errUsage.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected arguments %v\n", fs.Name(), fs.Args())
		return errUsage
	}
	return nil
}

// dbFlags adds -database-url and -dir with their environment defaults.
func dbFlags(fs *flag.FlagSet, getenv func(string) string) (dsn, dir *string) {
	defDir := getenv("BACKUP_DIR")
	if defDir == "" {
		defDir = "./backups"
	}
	dsn = fs.String("database-url", getenv("DATABASE_URL"), "Postgres URL (default $DATABASE_URL)")
	dir = fs.String("dir", defDir, "backup directory (default $BACKUP_DIR or ./backups)")
	return dsn, dir
}

func requireDSN(fs *flag.FlagSet, dsn string) error {
	if dsn == "" {
		fmt.Fprintf(fs.Output(), "%s: DATABASE_URL or -database-url is required\n", fs.Name())
		return errUsage
	}
	return nil
}

// sdkEnvironment names the variables ops does not read itself but the AWS
// SDK reads for an s3:// BACKUP_UPLOAD_URL (credentials and region), so
// deployment files may set them for ops (cmd/server/deploy_test.go reads
// this list).
var sdkEnvironment = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
	"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
}

// uploadFlag adds -upload-url with its environment default.
func uploadFlag(fs *flag.FlagSet, getenv func(string) string) *string {
	return fs.String("upload-url", getenv("BACKUP_UPLOAD_URL"),
		"off-site store: s3://bucket/prefix?region=..&endpoint=.. or file://DIR (default $BACKUP_UPLOAD_URL); "+
			"S3 credentials come from the AWS SDK's chain: "+strings.Join(sdkEnvironment, ", ")+", a profile or a workload role")
}

func requireUpload(fs *flag.FlagSet, upload string) error {
	if upload == "" {
		fmt.Fprintf(fs.Output(), "%s: BACKUP_UPLOAD_URL or -upload-url is required\n", fs.Name())
		return errUsage
	}
	return nil
}
