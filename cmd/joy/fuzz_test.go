package main

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzConfigFile: any -x file text is read without a panic, and every
// assignment it yields is applied or refused with a usage error.
func FuzzConfigFile(f *testing.F) {
	f.Add("# c\nbidir = 1\ntls\nlabel = \"a:b\"\n")
	f.Add("output=\nverbosity = 9 # x\n= 3\nfoo bar\n")
	f.Add(strings.Repeat("x", 600) + "\n")
	f.Fuzz(func(t *testing.T, text string) {
		as, err := parseConfig(bytes.NewReader([]byte(text)), "f.cfg")
		if err != nil {
			if _, ok := err.(*usageError); !ok {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		s := defaultSettings()
		for _, a := range as {
			if err := s.apply(a.name, a.value, a.bare); err != nil {
				if _, ok := err.(*usageError); !ok {
					t.Fatalf("apply %q=%q: error %T", a.name, a.value, err)
				}
			}
		}
		_ = s.check(1)
	})
}
