package acceptance

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
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

// TestNoNilPortChecksInApp keeps optional collaborators out of the call
// sites: app.New fills every optional port with a no-op and refuses a
// missing required one, so no service, repository set or dependency field
// is compared with nil anywhere else in app/.
func TestNoNilPortChecksInApp(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "app", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || (fn.Recv == nil && fn.Name.Name == "New") {
				continue // the constructor is where missing ports are refused
			}
			checked++
			ast.Inspect(fn, func(n ast.Node) bool {
				be, ok := n.(*ast.BinaryExpr)
				if !ok || (be.Op != token.EQL && be.Op != token.NEQ) {
					return true
				}
				for _, side := range [][2]ast.Expr{{be.X, be.Y}, {be.Y, be.X}} {
					sel, ok := side[0].(*ast.SelectorExpr)
					nilIdent, isNil := side[1].(*ast.Ident)
					if !ok || !isNil || nilIdent.Name != "nil" {
						continue
					}
					if base, ok := sel.X.(*ast.Ident); ok && (base.Name == "s" || base.Name == "r" || base.Name == "d" || base.Name == "a") {
						t.Errorf("%s: %s.%s compared with nil in %s; make the port required or give it a no-op", fset.Position(be.Pos()), base.Name, sel.Sel.Name, fn.Name.Name)
					}
				}
				return true
			})
		}
	}
	if checked < 20 {
		t.Fatalf("only %d functions checked; the scan is broken", checked)
	}
}
