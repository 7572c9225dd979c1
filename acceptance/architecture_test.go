package acceptance

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/secondbloom/marketplace"

// domainLibraries are the libraries domain may import besides the standard
// library: pure data and algorithms (Unicode normalisation, the ISO 4217
// list) with no I/O, which the standard library lacks.
var domainLibraries = []string{"golang.org/x/text/", "github.com/bojanz/currency"}

// TestImportsPointInward enforces the import rules of ARCHITECTURE.md:
// domain imports only the standard library, other domain packages and
// domainLibraries;
// ports only domain; app only domain, ports and google/uuid. No framework,
// driver or SDK type can reach the core.
func TestImportsPointInward(t *testing.T) {
	rules := []struct {
		dir   string
		allow func(imp string) bool
	}{
		{"domain", func(imp string) bool { return stdlib(imp) || within(imp, "domain") || domainLibrary(imp) }},
		{"ports", func(imp string) bool { return stdlib(imp) || within(imp, "domain") || within(imp, "ports") }},
		{"app", func(imp string) bool {
			return stdlib(imp) || within(imp, "domain") || within(imp, "ports") || imp == "github.com/google/uuid"
		}},
	}
	checked := 0
	for _, r := range rules {
		root := filepath.Join("..", r.dir)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			if d.Name() == "porttest" {
				// Conformance suites are test code for adapters.
				return fs.SkipDir
			}
			pkg, err := build.ImportDir(path, 0)
			if err != nil {
				if _, ok := err.(*build.NoGoError); ok {
					return nil
				}
				return err
			}
			checked++
			for _, imp := range pkg.Imports {
				if !r.allow(imp) {
					t.Errorf("%s imports %s, which its layer may not", path, imp)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 10 {
		t.Fatalf("only %d packages checked; the walk is broken", checked)
	}
}

func domainLibrary(imp string) bool {
	for _, l := range domainLibraries {
		if strings.HasPrefix(imp, l) {
			return true
		}
	}
	return false
}

func stdlib(imp string) bool { return !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") }

func within(imp, dir string) bool {
	p := module + "/" + dir
	return imp == p || strings.HasPrefix(imp, p+"/")
}
