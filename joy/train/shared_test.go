package train

import (
	"os"
	"path/filepath"
	"testing"
)

// sharedDir returns $JOY_SHARED or ../shared next to the repository root,
// skipping the test when that material is absent.
func sharedDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("JOY_SHARED")
	if dir == "" {
		if wd, err := os.Getwd(); err == nil {
			for d := wd; ; d = filepath.Dir(d) {
				if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
					dir = filepath.Join(d, "..", "shared")
					break
				}
				if filepath.Dir(d) == d {
					break
				}
			}
		}
	}
	if st, err := os.Stat(filepath.Join(dir, "ref", "697dc5a")); err != nil || !st.IsDir() {
		tb.Skipf("shared reference material not found at %q: set JOY_SHARED to the directory holding ref/697dc5a, pcaps/ and data/", dir)
	}
	return dir
}
