package joy

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// TestVersionAgrees: include/joy_api.h's JOY_VERSION_* macros say what
// Version says (the Makefile names the installed library after Version),
// and go.mod's go line stays at a version Debian 13's Go (1.24) builds.
func TestVersionAgrees(t *testing.T) {
	m := regexp.MustCompile(`^(\d+)\.(\d+)\.(\d+)$`).FindStringSubmatch(Version)
	if m == nil {
		t.Fatalf("Version %q is not MAJOR.MINOR.PATCH", Version)
	}
	h, err := os.ReadFile(filepath.Join("..", "include", "joy_api.h"))
	if err != nil {
		t.Skipf("include/joy_api.h: %v", err)
	}
	for i, name := range []string{"JOY_VERSION_MAJOR", "JOY_VERSION_MINOR", "JOY_VERSION_PATCH"} {
		d := regexp.MustCompile(`(?m)^#define ` + name + ` (\d+)$`).FindSubmatch(h)
		if d == nil || string(d[1]) != m[i+1] {
			t.Errorf("joy_api.h: %s is %q, Version says %s", name, d, m[i+1])
		}
	}
	if s := regexp.MustCompile(`(?m)^#define JOY_VERSION_STRING "([^"]*)"$`).FindSubmatch(h); s == nil || string(s[1]) != Version {
		t.Errorf("joy_api.h: JOY_VERSION_STRING is %q, Version is %s", s, Version)
	}

	mod, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	g := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)`).FindSubmatch(mod)
	if g == nil {
		t.Fatal("go.mod has no go line")
	}
	major, _ := strconv.Atoi(string(g[1]))
	minor, _ := strconv.Atoi(string(g[2]))
	if major != 1 || minor > 24 {
		t.Errorf("go.mod says go %s.%s: modules that import this one would need that Go; keep it at most 1.24 (Debian 13)", g[1], g[2])
	}
}
