package backup_test

import (
	"os"
	osexec "os/exec"
	"testing"
)

// requireTools skips the test loudly when pg_dump or pg_restore is not on
// PATH, and fails it under CI=true, as pgtest does for the server.
func requireTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := osexec.LookPath(tool); err != nil {
			msg := tool + " is not on PATH (apt-get install postgresql-client-15)"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip("SKIPPING BACKUP TEST: " + msg)
		}
	}
}
